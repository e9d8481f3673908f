/**
 * An `expire-snapshots` run as named steps: observe → plan (`core/plan_expire.ts`) → record what
 * is kept → delete what expired (bounded concurrency) → sweep zombies → confirm every delete with
 * one listing. The zombie sweep is shared with create runs.
 */
import {
  type ExpireEntry,
  type ExpirePlan,
  formatUtc,
  planExpire,
  SNAPSHOT_KEYS,
} from "../core/mod.ts";
import { messageOf } from "../errors.ts";
import { confirmDeletes, recordNotStarted, sendDelete } from "./delete.ts";
import { observeForRun, planInputOf } from "./observe.ts";
import { settlePool } from "./pool.ts";
import type { RunContext } from "./run.ts";
import type { ActionOutcome } from "./types.ts";

function expireOutcome(e: ExpireEntry, kind: ActionOutcome["kind"]): Omit<ActionOutcome, "status"> {
  return {
    kind,
    volumeId: e.volumeId,
    ...(e.policy ? { policy: e.policy } : {}),
    snapshotId: e.snapshotId,
    reason: e.reason,
    ...(e.expiresAt ? { expiresAt: formatUtc(e.expiresAt) } : {}),
    ...(e.retentionDays !== undefined ? { retentionDays: e.retentionDays } : {}),
  };
}

/** One `expire-snapshots` run. */
export async function runExpire(run: RunContext): Promise<void> {
  const obs = await observeForRun(run);
  const plan = planExpire(planInputOf(run, obs));
  run.logger.info("observed", {
    volumes: obs.volumes.length,
    managed_snapshots: obs.snapshots.length,
    unmanaged_snapshots: plan.unmanaged,
  });
  // A warning, not a failure: the snapshot is kept (never deleted), the run has nothing to retry.
  for (const issue of plan.issues) {
    run.warn({
      code: "expiry_unreadable",
      message: issue.message,
      snapshotId: issue.snapshotId,
      volumeId: issue.volumeId,
    }, "snapshot_expiry_unreadable");
  }
  for (const e of plan.entries) {
    if (e.action === "keep") run.ledger.record({ ...expireOutcome(e, "keep"), status: "skipped" });
  }
  await clearLapsedHolds(run, plan);
  if (run.dryRun) {
    for (const e of plan.entries) {
      if (e.action !== "keep") {
        run.ledger.record({ ...expireOutcome(e, e.action), status: "dry_run" });
      }
    }
    return;
  }
  const expiring = plan.entries.filter((e) => e.action === "expire");
  const { notStarted } = await settlePool(
    expiring,
    run.config.deleteConcurrency,
    (e) =>
      sendDelete(run, { ...expireOutcome(e, "expire"), kind: "expire", snapshotId: e.snapshotId }),
    run.shouldStart,
  );
  for (const e of notStarted) recordNotStarted(run, expireOutcome(e, "expire"));
  await sweepZombies(run, plan.entries);
}

/**
 * Reports each lapsed hold once: the run that finds it warns (`hold_expired`) and sets the hold
 * key to `false` (a metadata merge, which the daemon's credential may make), so later runs see
 * no hold and say nothing; the end and reason stay on the snapshot as a record. A dry run only
 * reports. A failed write is logged and the hold is reported again by the next run.
 */
async function clearLapsedHolds(run: RunContext, plan: ExpirePlan): Promise<void> {
  for (const h of plan.lapsedHolds) {
    run.warn({
      code: "hold_expired",
      message: `The hold on snapshot ${h.snapshotId} ended at ${formatUtc(h.until)}${
        h.reason ? ` (${h.reason})` : ""
      }; it is no longer held and expires as any other`,
      snapshotId: h.snapshotId,
      volumeId: h.volumeId,
    }, "snapshot_hold_expired");
    if (run.dryRun) continue;
    try {
      await run.cinder.updateSnapshotMetadata(h.snapshotId, { [SNAPSHOT_KEYS.hold]: "false" });
    } catch (e) {
      run.logger.warn("hold_clear_failed", { snapshot_id: h.snapshotId, error: messageOf(e) });
    }
  }
}

/**
 * Deletes the zombies among `entries` (managed `error` → delete; stuck `creating` or
 * `error_deleting` → force-delete), one after another, then confirms every delete of the run.
 */
export async function sweepZombies(
  run: RunContext,
  entries: readonly ExpireEntry[],
): Promise<void> {
  for (const z of entries) {
    if (z.action !== "zombie") continue;
    await sendDelete(run, {
      ...expireOutcome(z, "zombie"),
      kind: "zombie",
      snapshotId: z.snapshotId,
      force: z.force,
    });
  }
  await confirmDeletes(run);
}
