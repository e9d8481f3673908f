/**
 * Unprotected volumes: every volume of a listing that has no enabled, valid policy, so no run
 * would ever snapshot it (`status --unprotected`, the daemon's `snapsentry_unprotected_volumes`).
 *
 * @module
 */

import { MANAGED_KEY, POLICY_TYPES, RESTORED_KEYS } from "./naming.ts";
import { isSubscribed, parseVolumePolicies, policyKeys } from "./policy.ts";
import type { PlanVolume } from "./types.ts";

/** One volume no policy protects. */
export interface UnprotectedVolume {
  volumeId: string;
  volumeName: string;
  /** GiB. */
  size: number;
  status: string;
  /** Servers it is attached to. */
  serverIds: string[];
  /** Why no policy protects it. */
  reason: string;
}

/** Every unprotected volume of a listing, by volume id, and their total. */
export interface UnprotectedReport {
  volumes: UnprotectedVolume[];
  total: number;
  totalGigabytes: number;
}

/**
 * The volumes of `volumes` that have no enabled, valid policy: not subscribed
 * (`x-snapsentry-managed` is not exactly `true`), or subscribed with every policy disabled,
 * missing or invalid.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { findUnprotected } from "./unprotected.ts";
 * const report = findUnprotected([
 *   { id: "a", status: "available", size: 10, attachments: [], metadata: {} },
 *   { id: "b", status: "in-use", size: 20, attachments: [{ serverId: "s" }], metadata: {
 *     "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" } },
 * ]);
 * assertEquals(report.volumes.map((v) => [v.volumeId, v.reason]), [["a", "No policy"]]);
 * ```
 */
export function findUnprotected(volumes: readonly PlanVolume[]): UnprotectedReport {
  const out: UnprotectedVolume[] = [];
  for (const v of volumes) {
    const reason = unprotectedReason(v);
    if (reason === undefined) continue;
    out.push({
      volumeId: v.id,
      volumeName: v.name ?? "",
      size: v.size,
      status: v.status,
      serverIds: [...new Set(v.attachments.map((a) => a.serverId).filter((s) => s !== null))]
        .sort() as string[],
      reason,
    });
  }
  out.sort((a, b) => (a.volumeId < b.volumeId ? -1 : a.volumeId > b.volumeId ? 1 : 0));
  return {
    volumes: out,
    total: out.length,
    totalGigabytes: out.reduce((n, v) => n + v.size, 0),
  };
}

const POLICY_KEYS: ReadonlySet<string> = new Set(POLICY_TYPES.flatMap((t) => policyKeys(t)));

/** Why `volume` is unprotected, or undefined when an enabled, valid policy protects it. */
function unprotectedReason(volume: PlanVolume): string | undefined {
  const parsed = parseVolumePolicies(volume);
  if (!isSubscribed(volume)) {
    const keys = Object.keys(volume.metadata).some((k) => POLICY_KEYS.has(k.toLowerCase()));
    if (!keys) {
      const from = volume.metadata[RESTORED_KEYS.fromSnapshot];
      return from ? `No policy (restored from snapshot ${from})` : "No policy";
    }
    const value = volume.metadata[MANAGED_KEY];
    return `Policy keys, but ${MANAGED_KEY} is ${
      value === undefined ? "missing" : `"${value}"`
    } (only "true" is processed)`;
  }
  if (parsed.policies.length > 0) return undefined;
  if (parsed.errors.length > 0) return `Invalid policy: ${parsed.errors[0]!.message}`;
  if (parsed.disabled.length > 0) return `Every policy is disabled (${parsed.disabled.join(", ")})`;
  return `Subscribed (${MANAGED_KEY}=true) but no policy is enabled`;
}
