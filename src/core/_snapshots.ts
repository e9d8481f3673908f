/**
 * Private to the planners: the index of managed snapshots by volume and policy, the keeper rules
 * ("the oldest available one, else the oldest creating one") and the orders plans are sorted in.
 * Every planner uses these, so create, expire and status always agree on which snapshot holds a
 * window.
 *
 * @module
 */

import type { PolicyType } from "./naming.ts";
import { parseSnapshotStamp, type SnapshotStamp } from "./retention.ts";
import { GOOD_SNAPSHOT_STATUSES, type PlanSnapshot } from "./types.ts";

/** The key of a volume + policy in the index. */
export function volumePolicyKey(volumeId: string, policy: PolicyType): string {
  return `${volumeId}\0${policy}`;
}

const POLICY_ORDER: Record<PolicyType, number> = { express: 0, daily: 1, weekly: 2, monthly: 3 };

export function byIdThenPolicy(
  a: { volumeId: string; policy: PolicyType },
  b: { volumeId: string; policy: PolicyType },
): number {
  return a.volumeId < b.volumeId
    ? -1
    : a.volumeId > b.volumeId
    ? 1
    : POLICY_ORDER[a.policy] - POLICY_ORDER[b.policy];
}

export function cmpInstant(a: Temporal.Instant, b: Temporal.Instant): number {
  return Temporal.Instant.compare(a, b);
}

/**
 * Oldest first (created_at, then id): the order "keep the oldest good one" uses. Compared at
 * millisecond precision (Cinder reports microseconds; sub-millisecond ties fall to the id).
 */
export function oldestFirst(a: ManagedSnapshot, b: ManagedSnapshot): number {
  return a.createdMs - b.createdMs ||
    (a.snapshot.id < b.snapshot.id ? -1 : a.snapshot.id > b.snapshot.id ? 1 : 0);
}

export interface ManagedSnapshot {
  snapshot: PlanSnapshot;
  stamp: SnapshotStamp;
  createdMs: number;
  /** Epoch ms of the window anchor (window-start key, else created_at). */
  anchorMs: number;
}

/** Managed snapshots indexed by `volumeId \0 policy`. */
export function indexManaged(
  snapshots: readonly PlanSnapshot[],
): { all: ManagedSnapshot[]; byVolumePolicy: Map<string, ManagedSnapshot[]> } {
  const all: ManagedSnapshot[] = [];
  const byVolumePolicy = new Map<string, ManagedSnapshot[]>();
  for (const snapshot of snapshots) {
    const stamp = parseSnapshotStamp(snapshot);
    if (!stamp.managed) continue;
    const m: ManagedSnapshot = {
      snapshot,
      stamp,
      createdMs: stamp.createdAt.epochMilliseconds,
      anchorMs: stamp.windowAnchor.epochMilliseconds,
    };
    all.push(m);
    if (!stamp.policy) continue;
    const key = `${snapshot.volumeId}\0${stamp.policy}`;
    const list = byVolumePolicy.get(key);
    if (list) list.push(m);
    else byVolumePolicy.set(key, [m]);
  }
  return { all, byVolumePolicy };
}

export function isGood(m: ManagedSnapshot): boolean {
  return GOOD_SNAPSHOT_STATUSES.includes(m.snapshot.status);
}

/**
 * Good and not a zombie: a snapshot stuck in `creating` for `stuckAfterMs` or more is swept
 * (force-deleted), so it satisfies no window, or the run that removes it would leave the window
 * empty, and `status` would call a window OK that has nothing usable.
 */
export function isLive(m: ManagedSnapshot, nowMs: number, stuckAfterMs: number): boolean {
  return isGood(m) && !(m.snapshot.status === "creating" && nowMs - m.createdMs >= stuckAfterMs);
}

/** The snapshot that satisfies a window: the oldest available one, else the oldest creating one. */
export function keeperOf(inWindow: ManagedSnapshot[]): ManagedSnapshot | undefined {
  if (inWindow.length === 0) return undefined;
  const sorted = [...inWindow].sort(oldestFirst);
  return sorted.find((m) => m.snapshot.status === "available") ?? sorted[0];
}
