/** Raw-request helpers for the emulator's own tests (no snapsentry client involved). */

import { ManualClock } from "../clock.ts";
import { createEmulator, type Emulator, type EmulatorOptions } from "./emulator.ts";

export const BASE = "http://emulator.snapsentry.invalid";

export function newEmulator(options: EmulatorOptions = {}): { e: Emulator; clock: ManualClock } {
  const clock = new ManualClock("2026-03-01T12:00:00Z");
  return { e: createEmulator({ clock, ...options }), clock };
}

// deno-lint-ignore no-explicit-any
export type Json = any;

export function authBody(identity: Json, scope?: Json): string {
  return JSON.stringify({ auth: scope ? { identity, scope } : { identity } });
}

export async function postToken(e: Emulator, body: string): Promise<Response> {
  return await e.fetch(`${BASE}/identity/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
}

export interface Session {
  token: string;
  projectId: string;
  body: Json;
}

/** Logs in as the seeded demo member, the admin, or with the seeded application credential. */
export async function login(e: Emulator, who: "demo" | "admin" | "appcred"): Promise<Session> {
  const s = e.seed;
  let body: string;
  if (who === "appcred") {
    body = authBody({
      methods: ["application_credential"],
      application_credential: { id: s.appCredId, secret: s.appCredSecret },
    });
  } else {
    const name = who;
    body = authBody(
      {
        methods: ["password"],
        password: {
          user: {
            name,
            domain: { id: "default" },
            password: who === "admin" ? s.adminPassword : s.demoPassword,
          },
        },
      },
      { project: { name, domain: { id: "default" } } },
    );
  }
  const res = await postToken(e, body);
  if (res.status !== 201) throw new Error(`login ${who} failed: ${res.status} ${await res.text()}`);
  const json = await res.json();
  return {
    token: res.headers.get("X-Subject-Token")!,
    projectId: json.token.project.id,
    body: json,
  };
}

/** A Cinder call relative to `<base>/volume/v3/{project}`. */
export async function cinder(
  e: Emulator,
  session: Session,
  method: string,
  path: string,
  opts: { body?: Json; mv?: string; project?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { "X-Auth-Token": session.token, ...opts.headers };
  if (opts.mv) headers["OpenStack-API-Version"] = `volume ${opts.mv}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  return await e.fetch(`${BASE}/volume/v3/${opts.project ?? session.projectId}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? null : JSON.stringify(opts.body),
  });
}

/** A Keystone call relative to `<base>/identity/v3`. */
export async function keystone(
  e: Emulator,
  token: string,
  method: string,
  path: string,
  body?: Json,
): Promise<Response> {
  return await e.fetch(`${BASE}/identity/v3${path}`, {
    method,
    headers: {
      "X-Auth-Token": token,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
}
