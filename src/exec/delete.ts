/**
 * The one delete path, used by duplicate removal, expiry, the zombie sweep and the cleanup of a
 * run's own snapshots that went to error. A delete is sent once (a plain delete, or a force-delete
 * that resets the status first when Cinder refuses), recorded as pending when Cinder accepts it,
 * and confirmed with ONE listing for all of a run's deletes: gone or `deleting` is done, anything
 * else failed. A delete is never assumed.
 *
 * Overlapping runs delete the same raced duplicates. A delete answered 404 (already gone), or
 * refused with 400/409 for a snapshot the confirming listing then shows gone or `deleting`, was
 * another run's (or a person's): it is `superseded`, neither a delete of this run nor a failure.
 */
import { messageOf, OpenStackHttpError, requestIdOf } from "../errors.ts";
import type { MutationResult } from "../openstack/mod.ts";
import type { Entry } from "./ledger.ts";
import { listPlanSnapshots } from "./observe.ts";
import type { RunContext } from "./run.ts";
import type { ActionOutcome } from "./types.ts";

/** Why an action was not started. */
export const NOT_STARTED = "Not started: the run timeout was reached";

/** One snapshot to delete: the outcome to record for it, and how to delete it. */
export interface DeleteTarget extends Omit<ActionOutcome, "status" | "kind" | "snapshotId"> {
  kind: "expire" | "dedupe" | "zombie";
  snapshotId: string;
  /** A plain delete is refused (stuck `creating`, `error_deleting`): force-delete. */
  force?: boolean;
}

const DELETE_KINDS: ReadonlySet<string> = new Set(["expire", "dedupe", "zombie"]);

/** Deletes Cinder refused (400/409) whose snapshot may be going already: the refusal's text. */
const refused = new WeakMap<Entry, string>();

/** Cinder refuses a delete with these when the snapshot is in a state it cannot delete from. */
function isRefusal(e: unknown): e is OpenStackHttpError {
  return e instanceof OpenStackHttpError && (e.status === 400 || e.status === 409);
}

function outcomeOf(t: DeleteTarget): Omit<ActionOutcome, "status"> {
  const { force: _force, ...outcome } = t;
  return outcome;
}

/** Records an action the run's deadline (or cancellation) kept from starting. */
export function recordNotStarted(run: RunContext, outcome: Omit<ActionOutcome, "status">): Entry {
  return run.ledger.record({ ...outcome, status: "not_done", reason: NOT_STARTED });
}

/** A 403 on force-delete or reset-status names the policy the credential lacks. */
export function permissionHint(e: unknown): string {
  if (e instanceof OpenStackHttpError && e.status === 403) {
    return `${e.message}: the credential lacks Cinder's snapshot admin actions ` +
      `(policies "volume_extension:snapshot_admin_actions:force_delete" and ` +
      `"volume_extension:snapshot_admin_actions:reset_status", admin by default); ` +
      "ask an operator to delete it or grant those policies";
  }
  return messageOf(e);
}

async function send(run: RunContext, t: DeleteTarget): Promise<MutationResult> {
  const { cinder } = run;
  if (!t.force) return await cinder.deleteSnapshot(t.snapshotId);
  try {
    return await cinder.forceDeleteSnapshot(t.snapshotId);
  } catch (error) {
    // Some clouds refuse force-delete from a given status; reset to error, then delete.
    if (error instanceof OpenStackHttpError && (error.status === 400 || error.status === 409)) {
      await cinder.resetSnapshotStatus(t.snapshotId, "error");
      return await cinder.deleteSnapshot(t.snapshotId);
    }
    throw error;
  }
}

/**
 * Sends one delete unless the run may start no new work (then it is recorded not done). Records
 * it pending when Cinder accepted it, failed when Cinder refused it. Never throws.
 */
export async function sendDelete(run: RunContext, target: DeleteTarget): Promise<Entry> {
  const outcome = outcomeOf(target);
  if (!run.shouldStart()) return recordNotStarted(run, outcome);
  try {
    const r = await send(run, target);
    if (r.alreadyGone) {
      return run.ledger.record({
        ...outcome,
        status: "superseded",
        reason: `${outcome.reason}; already gone (deleted by another run or by hand)`,
        ...(r.requestId ? { requestId: r.requestId } : {}),
      });
    }
    return run.ledger.record({
      ...outcome,
      status: "pending",
      ...(r.requestId ? { requestId: r.requestId } : {}),
    });
  } catch (error) {
    const requestId = requestIdOf(error);
    if (isRefusal(error) && !target.force) {
      // Perhaps another run's delete of it is under way: the confirming listing decides.
      const entry = run.ledger.record({
        ...outcome,
        status: "pending",
        ...(requestId ? { requestId } : {}),
      });
      refused.set(entry, messageOf(error));
      return entry;
    }
    return run.ledger.record({
      ...outcome,
      status: "failed",
      error: target.kind === "zombie" ? permissionHint(error) : messageOf(error),
      ...(requestId ? { requestId } : {}),
    });
  }
}

/**
 * Confirms every pending delete of the run with one listing of the project's snapshots (none when
 * there is nothing to confirm); the listing also becomes the run's view of the cloud.
 */
export async function confirmDeletes(run: RunContext): Promise<void> {
  const pending = run.ledger.pending((o) => DELETE_KINDS.has(o.kind));
  if (pending.length === 0) return;
  let listed;
  try {
    listed = await listPlanSnapshots(run.cinder);
  } catch (e) {
    // Never assumed: a delete that cannot be confirmed is reported as failed.
    for (const o of pending) {
      const refusal = refused.get(o);
      run.ledger.settle(o, "failed", {
        error: refusal ?? `Delete accepted but not confirmed: ${messageOf(e)}`,
        errorCode: refusal ? "delete_refused" : "delete_unconfirmed",
      });
    }
    return;
  }
  run.view?.replaceSnapshots(listed, run.clock.now());
  const after = new Map(listed.map((s) => [s.id, s]));
  for (const o of pending) {
    const s = after.get(o.snapshotId!);
    const going = !s || s.status === "deleting" || s.status === "deleted";
    const refusal = refused.get(o);
    if (refusal === undefined) {
      if (going) run.ledger.settle(o, "done");
      else {
        run.ledger.settle(o, "failed", {
          error: `Delete accepted but the snapshot is ${s.status}`,
          errorCode: "delete_unconfirmed",
        });
      }
    } else if (going) {
      run.ledger.settle(o, "superseded", {
        reason: `${o.reason}; already being deleted by another run (${s ? s.status : "gone"})`,
      });
    } else {
      run.ledger.settle(o, "failed", { error: refusal, errorCode: "delete_refused" });
    }
  }
}
