/**
 * Snapshots on demand (`snapshot`, `subscribe --snapshot-now`) as a run: prepared first (the
 * volumes read, the plan made, nothing created: the CLI refuses bad input before any create),
 * then taken with the create run's own steps: the requests grouped by server as a run sends them,
 * the POST that adopts instead of repeating an unclear create, the one-listing wait for
 * `available`, and the confirmed delete of its own snapshot that went to error.
 */
import {
  formatUtc,
  type OnDemandEntry,
  type OnDemandPlan,
  onDemandRequest,
  type PolicyType,
  SNAPSHOT_KEYS,
} from "../core/mod.ts";
import { hasStatus, type Volume } from "../openstack/mod.ts";
import { postSnapshot, requestGrouped, waitForCreates } from "./create.ts";
import { confirmDeletes } from "./delete.ts";
import type { RunContext } from "./run.ts";
import type { ActionOutcome } from "./types.ts";

/** What to take now: exactly one of `policy` and `retentionMs`. */
export interface OnDemandRequest {
  volumeIds: readonly string[];
  policy?: PolicyType;
  retentionMs?: number;
  name?: string;
}

/** A prepared on-demand run: the plan, and the ids Cinder does not know. */
export interface PreparedOnDemand {
  plan: OnDemandPlan;
  /** Ids the project has no volume for (404). */
  missing: string[];
  /** The volumes as read, by id. */
  volumes: Map<string, Volume>;
}

function entryOutcome(e: OnDemandEntry): Omit<ActionOutcome, "status"> {
  return {
    kind: "create",
    volumeId: e.volumeId,
    volumeName: e.volumeName,
    serverId: e.serverId,
    ...(e.policy ? { policy: e.policy } : {}),
    ...(e.window
      ? {
        windowStart: formatUtc(e.window.start.toInstant()),
        windowEnd: formatUtc(e.window.end.toInstant()),
      }
      : {}),
    reason: e.reason,
  };
}

/** Reads each named volume (a GET each: a handful, never a listing of the project). */
export async function readVolumes(
  cinder: RunContext["cinder"],
  ids: readonly string[],
): Promise<{ volumes: Map<string, Volume>; missing: string[] }> {
  const volumes = new Map<string, Volume>();
  const missing: string[] = [];
  for (const id of ids) {
    try {
      volumes.set(id, await cinder.getVolume(id));
    } catch (e) {
      if (!hasStatus(e, 404)) throw e;
      missing.push(id);
    }
  }
  return { volumes, missing };
}

/** Takes the planned snapshots, waits for them, and confirms any cleanup. */
export async function runOnDemand(run: RunContext, plan: OnDemandPlan): Promise<void> {
  for (const r of plan.refused) {
    run.ledger.record({
      kind: "create",
      status: "failed",
      volumeId: r.volumeId,
      volumeName: r.volumeName,
      reason: r.message,
      error: r.message,
      errorCode: "refused",
    });
  }
  if (run.dryRun) {
    for (const e of plan.entries) run.ledger.record({ ...entryOutcome(e), status: "dry_run" });
    return;
  }
  await requestGrouped(run, plan.groups, (e) => takeOne(run, e), entryOutcome);
  await waitForCreates(run);
  await confirmDeletes(run);
}

/** One on-demand snapshot; an unclear create is found again by this run's id on the volume. */
function takeOne(run: RunContext, e: OnDemandEntry): Promise<void> {
  const request = onDemandRequest(e, run.clock.now());
  return postSnapshot(run, {
    request,
    outcome: entryOutcome(e),
    adoptFilter: { [SNAPSHOT_KEYS.runId]: run.runId, [SNAPSHOT_KEYS.onDemand]: "true" },
    pick: (listed) => {
      const mine = listed.filter((s) => s.status === "available" || s.status === "creating");
      // One request per volume and run, so at most one matches; the oldest if ever more.
      return mine.sort((a, b) => Temporal.Instant.compare(a.createdAt, b.createdAt))[0];
    },
  });
}
