/**
 * What the planners take: "now" and one observation of the cloud (subscribed volumes, managed
 * snapshots), as plain data structurally compatible with the OpenStack adapter's domain types.
 *
 * @module
 */

/** A volume as the planner needs it (structurally a subset of the OpenStack `Volume`). */
export interface PlanVolume {
  id: string;
  name?: string;
  status: string;
  /** GiB. */
  size: number;
  metadata: Record<string, string>;
  attachments: readonly { serverId: string | null }[];
}

/** A snapshot as the planner needs it (structurally a subset of the OpenStack `Snapshot`). */
export interface PlanSnapshot {
  id: string;
  volumeId: string;
  status: string;
  metadata: Record<string, string>;
  createdAt: Temporal.Instant;
  size?: number;
  name?: string;
}

/** One observation of the cloud at `now`. */
export interface PlanInput {
  now: Temporal.Instant;
  /** Volumes; only those with `x-snapsentry-managed=true` are planned. */
  volumes: readonly PlanVolume[];
  /** Snapshots; only those with `x-snapsentry-managed=true` are ever considered. */
  snapshots: readonly PlanSnapshot[];
  /** A managed snapshot `creating` for longer than this is a zombie. Default 2 h. */
  stuckAfterMs?: number;
}

/** Default for {@link PlanInput.stuckAfterMs}: 2 hours. */
export const DEFAULT_STUCK_AFTER_MS = 2 * 3600 * 1000;

/** Volume statuses that allow a snapshot; any other status is skipped with a reason. */
export const SNAPSHOTTABLE_VOLUME_STATUSES: readonly string[] = ["available", "in-use"];

/** Snapshot statuses that count for a window (idempotency). */
export const GOOD_SNAPSHOT_STATUSES: readonly string[] = ["available", "creating"];
