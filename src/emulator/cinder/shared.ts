/**
 * What the Cinder resource apps share: the Hono environment set by the `prepare` middleware,
 * microversion and request-body helpers, metadata validation, the visible-record lookups and the
 * fault bodies more than one resource answers with.
 */

import type { Context } from "hono";
import type { Authenticated, RequestEnv, ServiceContext } from "../context.ts";
import type { QuotaLimits, SnapshotRec, VolumeRec } from "../state.ts";
import { cinderFault, keystoneError, UNAUTHENTICATED_MESSAGE } from "../wire.ts";

export type CEnv = {
  Bindings: RequestEnv;
  Variables: { auth: Authenticated; mv: [number, number]; project: string };
};
export type C = Context<CEnv>;
// deno-lint-ignore no-explicit-any
export type Json = any;

/** The minimum microversion and the reference date of the v3 API document. */
export const MIN_MV: [number, number] = [3, 0];

/** A route parameter (routes built from variables lose Hono's literal param typing). */
export function param(c: C, key: string): string {
  return (c.req.param as (k: string) => string | undefined)(key) ?? "";
}

export function mvAtLeast(mv: [number, number], major: number, minor: number): boolean {
  return mv[0] > major || (mv[0] === major && mv[1] >= minor);
}

export function mvString(mv: [number, number]): string {
  return `${mv[0]}.${mv[1]}`;
}

/** oslo strutils.bool_from_string(strict=True). */
export function strictBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  const s = String(v).trim().toLowerCase();
  if (["1", "t", "true", "on", "y", "yes"].includes(s)) return true;
  if (["0", "f", "false", "off", "n", "no"].includes(s)) return false;
  return undefined;
}

export async function readJson(c: C): Promise<Json | undefined> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

export function policyDenied(action: string): Response {
  return cinderFault(403, `Policy doesn't allow ${action} to be performed.`);
}

export function validateMetadata(meta: unknown): Record<string, string> | Response {
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== "object" || Array.isArray(meta)) {
    return cinderFault(400, "Invalid input for field/attribute metadata. Value: not a dict.");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
    if (k.length === 0 || k.length > 255) {
      return cinderFault(
        400,
        "Invalid input for field/attribute metadata. Key length must be 1-255.",
      );
    }
    if (typeof v !== "string" || v.length > 255) {
      return cinderFault(
        400,
        `Invalid input for field/attribute metadata. Value for key ${k} must be a string of at most 255 characters.`,
      );
    }
    out[k] = v;
  }
  return out;
}

/** Keystonemiddleware's 401, pointing the client at the emulated Keystone. */
export function unauthenticated(ctx: ServiceContext): Response {
  const res = keystoneError(401, UNAUTHENTICATED_MESSAGE);
  res.headers.set("WWW-Authenticate", `Keystone uri="${ctx.baseUrl()}/identity"`);
  return res;
}

export function projUrl(c: C): string {
  return `${c.env.root}/volume/v3/${c.get("project")}`;
}

/** The record lookups of a service context, as its resource apps use them. */
export function lookups(ctx: ServiceContext): {
  findVolume: (c: C, id: string) => VolumeRec | undefined;
  findSnapshot: (c: C, id: string) => SnapshotRec | undefined;
} {
  const { state } = ctx;
  /** A volume visible to the caller (own project; admins see every project). */
  const findVolume = (c: C, id: string): VolumeRec | undefined => {
    const v = state.volumes.get(id);
    if (!v) return undefined;
    if (v.projectId !== c.get("project") && !c.get("auth").isAdmin) return undefined;
    return v;
  };
  const findSnapshot = (c: C, id: string): SnapshotRec | undefined => {
    const s = state.snapshots.get(id);
    if (!s) return undefined;
    if (s.projectId !== c.get("project") && !c.get("auth").isAdmin) return undefined;
    return s;
  };
  return { findVolume, findSnapshot };
}

export function volumeNotFound(id: string): Response {
  return cinderFault(404, `Volume ${id} could not be found.`);
}

export function snapshotNotFound(id: string): Response {
  return cinderFault(404, `Snapshot ${id} could not be found.`);
}

export function quotaGigabytes(size: number, q: QuotaLimits, consumed: number): Response {
  return cinderFault(
    413,
    `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested ${size}G, quota is ${q.gigabytes}G and ${consumed}G has been consumed.`,
    { "Retry-After": "0" },
  );
}
