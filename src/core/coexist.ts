/**
 * Running beside another snapshot manager. When the Go tool (or anything else that writes the
 * same keys without snapsentry's stamps) keeps creating snapshots on a project snapsentry already
 * manages, both fill the same windows and every snapshot is taken twice. snapsentry cannot stop
 * it, but it can tell: a managed snapshot without snapsentry's window key, made after the oldest
 * snapshot snapsentry made (its first run on this project, as far as the cloud remembers), means
 * the other tool was still creating then.
 *
 * @module
 */

import { indexManaged } from "./_snapshots.ts";
import type { PlanSnapshot } from "./types.ts";

/** The evidence that another tool is still creating managed snapshots. */
export interface OtherManager {
  /** The newest managed snapshot without snapsentry's stamps made after snapsentry started. */
  snapshotId: string;
  volumeId: string;
  createdAt: Temporal.Instant;
  /** How many such snapshots there are. */
  count: number;
  /** The oldest snapshot snapsentry made that still exists. */
  since: Temporal.Instant;
}

/**
 * Finds managed snapshots another tool made after snapsentry's first snapshot on the project.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { findOtherManager } from "./coexist.ts";
 * const at = (s: string) => Temporal.Instant.from(s);
 * const ours = {
 *   id: "s1", volumeId: "v", status: "available", createdAt: at("2026-03-01T00:00:00Z"),
 *   metadata: {
 *     "x-snapsentry-managed": "true", "x-snapsentry-snapshot-window-start": "2026-03-01T00:00:00Z",
 *     "x-snapsentry-snapshot-run-id": "req-1",
 *   },
 * };
 * const goMade = {
 *   id: "g1", volumeId: "v", status: "available", createdAt: at("2026-03-02T00:00:00Z"),
 *   metadata: { "x-snapsentry-managed": "true" },
 * };
 * assertEquals(findOtherManager([ours, goMade])?.snapshotId, "g1");
 * assertEquals(findOtherManager([ours]), undefined);
 * ```
 */
export function findOtherManager(snapshots: readonly PlanSnapshot[]): OtherManager | undefined {
  const { all } = indexManaged(snapshots);
  let since: number | undefined;
  for (const m of all) {
    if (!m.stamp.windowStart || !m.stamp.runId) continue;
    if (since === undefined || m.createdMs < since) since = m.createdMs;
  }
  if (since === undefined) return undefined;
  let newest: (typeof all)[number] | undefined;
  let count = 0;
  for (const m of all) {
    // snapsentry's own: a run's (window key) or one taken on demand (its mark, its run id).
    if (m.stamp.windowStart || m.stamp.onDemand || m.stamp.runId || m.createdMs <= since) continue;
    count++;
    if (!newest || m.createdMs > newest.createdMs) newest = m;
  }
  if (!newest) return undefined;
  return {
    snapshotId: newest.snapshot.id,
    volumeId: newest.snapshot.volumeId,
    createdAt: newest.stamp.createdAt,
    count,
    since: Temporal.Instant.fromEpochMilliseconds(since),
  };
}
