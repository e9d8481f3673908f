/**
 * Restore points and restores: which snapshots a volume can be restored from (`snapshots`), who
 * made each one, which snapshot `restore --at` picks, and whether Cinder would revert a volume in
 * place (`restore --in-place`). Pure: the caller lists, these decide.
 *
 * @module
 */

import { cmpInstant } from "./_snapshots.ts";
import { formatUtc, type PolicyType } from "./naming.ts";
import { parseVolumePolicies } from "./policy.ts";
import { isHeld, parseSnapshotStamp, type SnapshotStamp } from "./retention.ts";
import type { PlanSnapshot } from "./types.ts";
import { windowAt } from "./window.ts";

/**
 * Who made a snapshot: `snapsentry` (a run: it carries the window key), `on_demand` (snapsentry's
 * `snapshot` command: the on-demand mark), `go` (managed but without snapsentry's stamps: the Go
 * tool, or someone who wrote its keys by hand), `unmanaged` (not snapsentry's at all).
 */
export type MadeBy = "snapsentry" | "on_demand" | "go" | "unmanaged";

/** Who made a snapshot, from its stamp (see {@link MadeBy}). */
export function madeBy(stamp: Pick<SnapshotStamp, "managed" | "onDemand" | "windowStart">): MadeBy {
  if (!stamp.managed) return "unmanaged";
  if (stamp.onDemand) return "on_demand";
  return stamp.windowStart ? "snapsentry" : "go";
}

/** One restore point. */
export interface RestorePoint {
  snapshotId: string;
  volumeId: string;
  /** The source volume's name; null when the volume is not in the listing (deleted, or moved). */
  volumeName: string | null;
  policy: PolicyType | null;
  /**
   * The window the snapshot was taken for: the window key, or for a Go-made snapshot the window
   * of the volume's current policy of that type that holds its `created_at`; null when unknown.
   */
  windowStart: Temporal.Instant | null;
  createdAt: Temporal.Instant;
  /** The stamped expiry (what the Go tool reads); null when missing or unreadable. */
  expiresAt: Temporal.Instant | null;
  status: string;
  held: boolean;
  madeBy: MadeBy;
}

/** Input of {@link restorePoints}. */
export interface RestorePointsInput {
  now: Temporal.Instant;
  snapshots: readonly PlanSnapshot[];
  /** Volumes for names and policies; a volume missing here is reported with a null name. */
  volumes: readonly { id: string; name?: string; metadata: Record<string, string> }[];
  /** Only these volumes' snapshots (default: every volume's). */
  volumeIds?: readonly string[];
  /** Only snapshots of this policy. */
  policy?: PolicyType;
  /** Also snapshots snapsentry does not manage (`made_by` unmanaged). */
  all?: boolean;
}

/**
 * The restore points of a listing: managed snapshots (and with `all`, unmanaged ones), by volume
 * id, newest first per volume.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { restorePoints } from "./restore.ts";
 * const at = (s: string) => Temporal.Instant.from(s);
 * const points = restorePoints({
 *   now: at("2026-03-10T12:00:00Z"),
 *   volumes: [],
 *   snapshots: [
 *     { id: "a", volumeId: "v", status: "available", createdAt: at("2026-03-01T00:00:00Z"),
 *       metadata: { "x-snapsentry-managed": "true" } },
 *     { id: "b", volumeId: "v", status: "available", createdAt: at("2026-03-02T00:00:00Z"),
 *       metadata: {} },
 *   ],
 * });
 * assertEquals(points.map((p) => [p.snapshotId, p.madeBy, p.volumeName]), [["a", "go", null]]);
 * ```
 */
export function restorePoints(input: RestorePointsInput): RestorePoint[] {
  const volumes = new Map(input.volumes.map((v) => [v.id, v]));
  const wanted = input.volumeIds ? new Set(input.volumeIds) : undefined;
  const policies = new Map<string, ReturnType<typeof parseVolumePolicies>>();
  const out: RestorePoint[] = [];
  for (const s of input.snapshots) {
    if (wanted && !wanted.has(s.volumeId)) continue;
    const stamp = parseSnapshotStamp(s);
    if (!stamp.managed && !input.all) continue;
    const policy = stamp.managed ? stamp.policy ?? null : null;
    if (input.policy && policy !== input.policy) continue;
    const volume = volumes.get(s.volumeId);
    let windowStart = stamp.managed ? stamp.windowStart ?? null : null;
    if (stamp.managed && !windowStart && policy && volume) {
      let parsed = policies.get(volume.id);
      if (!parsed) policies.set(volume.id, parsed = parseVolumePolicies(volume));
      const p = parsed.policies.find((x) => x.type === policy);
      if (p) windowStart = windowAt(p, stamp.createdAt).start.toInstant();
    }
    out.push({
      snapshotId: s.id,
      volumeId: s.volumeId,
      volumeName: volume ? volume.name ?? "" : null,
      policy,
      windowStart,
      createdAt: stamp.createdAt,
      expiresAt: stamp.managed ? stamp.expiresAt ?? null : null,
      status: s.status,
      held: stamp.managed && isHeld(stamp, input.now),
      madeBy: madeBy(stamp),
    });
  }
  return out.sort((a, b) =>
    (a.volumeId < b.volumeId ? -1 : a.volumeId > b.volumeId ? 1 : 0) ||
    cmpInstant(b.createdAt, a.createdAt) ||
    (a.snapshotId < b.snapshotId ? -1 : a.snapshotId > b.snapshotId ? 1 : 0)
  );
}

/** The snapshot chosen to restore from, or why there is none. */
export interface RestorePick {
  snapshot?: PlanSnapshot;
  /** Set when `snapshot` is absent. */
  problem?: string;
  /** With `problem`: the volume has no restore point at all, or none that early. */
  why?: "none" | "too_early";
}

/**
 * The snapshot `restore --at` restores from: the newest `available` managed snapshot of
 * `volumeId` created at or before `at`, to the second (Cinder records `created_at` to the second,
 * and `snapshots` prints it so: a `created_at` read there and passed as `--at` picks that snapshot).
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { restorePointAt } from "./restore.ts";
 * const at = (s: string) => Temporal.Instant.from(s);
 * const managed = { "x-snapsentry-managed": "true" };
 * const snaps = ["01", "02", "03"].map((d) => ({
 *   id: d, volumeId: "v", status: "available", metadata: managed,
 *   createdAt: at(`2026-03-${d}T00:00:00Z`),
 * }));
 * assertEquals(restorePointAt("v", snaps, at("2026-03-02T12:00:00Z")).snapshot?.id, "02");
 * ```
 */
export function restorePointAt(
  volumeId: string,
  snapshots: readonly PlanSnapshot[],
  at: Temporal.Instant,
): RestorePick {
  const candidates = snapshots.filter((s) =>
    s.volumeId === volumeId && s.status === "available" && parseSnapshotStamp(s).managed
  ).sort((a, b) => cmpInstant(b.createdAt, a.createdAt) || (a.id < b.id ? 1 : -1));
  const toSecond = (t: Temporal.Instant) =>
    t.round({ smallestUnit: "second", roundingMode: "floor" });
  const pick = candidates.find((s) => cmpInstant(toSecond(s.createdAt), at) <= 0);
  if (pick) return { snapshot: pick };
  if (candidates.length === 0) {
    return {
      why: "none",
      problem: `Cannot restore volume ${volumeId}: it has no available managed snapshot`,
    };
  }
  const oldest = candidates[candidates.length - 1]!;
  return {
    why: "too_early",
    problem: `Cannot restore volume ${volumeId} as of ${formatUtc(at)}: its oldest available ` +
      `managed snapshot is ${oldest.id}, created at ${formatUtc(oldest.createdAt)}; pass a later ` +
      "--at, or list the restore points with `snapsentry snapshots --volume-id " + volumeId + "`",
  };
}

/** Checks a snapshot named with `--snapshot-id` against the volume it should restore. */
export function restoreSourceProblem(
  volumeId: string,
  snapshot: PlanSnapshot,
): string | undefined {
  if (snapshot.volumeId !== volumeId) {
    return `Cannot restore volume ${volumeId} from snapshot ${snapshot.id}: that snapshot is of ` +
      `volume ${snapshot.volumeId}; pass --volume-id ${snapshot.volumeId}, or a snapshot of ${volumeId}`;
  }
  if (snapshot.status !== "available") {
    return `Cannot restore from snapshot ${snapshot.id}: its status is "${snapshot.status}", ` +
      "not available";
  }
  return undefined;
}

/** What `restore --in-place` needs to know to decide whether Cinder would revert. */
export interface RevertInput {
  /** The source volume, or null when it is gone. */
  volume: { id: string; status: string; size: number } | null;
  snapshot: PlanSnapshot & { size?: number };
  /** Every snapshot of the volume (any status, managed or not): Cinder's "latest" is among them. */
  volumeSnapshots: readonly PlanSnapshot[];
  /** The negotiated microversion allows revert-to-snapshot (3.40 or later). */
  revertSupported: boolean;
}

/**
 * Why Cinder's revert-to-snapshot would refuse, or undefined when it would revert. Cinder reverts
 * a volume only to its latest snapshot (of any status, by `created_at`), only while the volume is
 * `available` and the same size as the snapshot, and only from microversion 3.40
 * (cinder/api/v3/volumes.py `revert`).
 */
export function revertProblem(input: RevertInput): string | undefined {
  const { volume, snapshot } = input;
  const instead = "; restore it to a new volume instead (drop --in-place)";
  if (!input.revertSupported) {
    return `Cannot revert in place: this Cinder does not offer revert-to-snapshot (it needs ` +
      `microversion 3.40)${instead}`;
  }
  if (!volume) {
    return `Cannot revert volume ${snapshot.volumeId} in place: the volume no longer exists${instead}`;
  }
  if (volume.status !== "available") {
    return `Cannot revert volume ${volume.id} in place: its status is "${volume.status}", and ` +
      `Cinder reverts only an available volume (detach it first)${instead}`;
  }
  const newer = input.volumeSnapshots.filter((s) =>
    s.volumeId === volume.id && s.id !== snapshot.id && s.status !== "deleted" &&
    cmpInstant(s.createdAt, snapshot.createdAt) > 0
  ).sort((a, b) => cmpInstant(b.createdAt, a.createdAt));
  if (newer.length > 0) {
    const latest = newer[0]!;
    return `Cannot revert volume ${volume.id} in place to snapshot ${snapshot.id}: it is not the ` +
      `volume's latest snapshot (${latest.id}, created at ${formatUtc(latest.createdAt)}, is ` +
      `newer${
        newer.length > 1 ? `, and ${newer.length - 1} more` : ""
      }), and Cinder reverts only ` +
      `to the latest${instead}`;
  }
  if (snapshot.size !== undefined && snapshot.size !== volume.size) {
    return `Cannot revert volume ${volume.id} in place: it is ${volume.size} GiB and snapshot ` +
      `${snapshot.id} ${snapshot.size} GiB (the volume was extended)${instead}`;
  }
  return undefined;
}
