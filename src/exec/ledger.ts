/**
 * The run's ledger: every action of a run records ONE outcome here. An outcome is final when it is
 * recorded, or `pending` (a create waiting to become available, a delete waiting for its
 * confirming listing) and then settled exactly once with {@link Ledger.settle}. The run's counts,
 * its outcome log events and its summary's actions are derived from the ledger; nothing else in
 * the engine keeps a count, so a transition cannot be counted twice.
 */
import type { Clock } from "../clock.ts";
import type { Level, Logger } from "../log.ts";
import type { ActionOutcome, OutcomeStatus, RunCounts } from "./types.ts";

/** A recorded outcome as callers see it (only the ledger changes it). */
export type Entry = Readonly<ActionOutcome>;

/** A final status. */
export type FinalStatus = Exclude<OutcomeStatus, "pending">;

/** What a settle may add to an outcome. */
export type SettlePatch = Partial<
  Pick<ActionOutcome, "reason" | "error" | "errorCode" | "requestId" | "snapshotId">
>;

/** Zero counts. */
export function emptyCounts(): RunCounts {
  return {
    created: 0,
    adopted: 0,
    skipped: 0,
    failed: 0,
    deleted: 0,
    kept: 0,
    zombiesCleaned: 0,
    invalidPolicies: 0,
    notDone: 0,
    superseded: 0,
  };
}

/** The counts a list of outcomes adds up to (the one definition of every count). */
export function countOutcomes(outcomes: readonly ActionOutcome[]): RunCounts {
  const c = emptyCounts();
  for (const o of outcomes) {
    if (o.status === "not_done") {
      c.notDone++;
      continue;
    }
    if (o.status === "superseded") {
      c.superseded++;
      continue;
    }
    switch (o.kind) {
      case "skip":
        c.skipped++;
        continue;
      case "keep":
        c.kept++;
        continue;
      case "invalid":
        c.invalidPolicies++;
        continue;
    }
    if (o.status === "failed" || o.status === "pending") {
      // A pending outcome left at the end of a run never became what it was meant to be.
      if (!o.cleanup) c.failed++;
      continue;
    }
    if (o.status !== "done") continue;
    if (o.kind === "create") c.created++;
    else if (o.kind === "adopt") c.adopted++;
    else if (o.kind === "zombie") c.zombiesCleaned++;
    else c.deleted++; // expire, dedupe
  }
  return c;
}

/** The log fields of an outcome (snake_case, undefined fields left out). */
export function outcomeFields(o: ActionOutcome): Record<string, unknown> {
  const out: Record<string, unknown> = {
    action: o.kind,
    volume_id: o.volumeId,
    volume_name: o.volumeName || undefined,
    server_id: o.serverId ?? undefined,
    policy: o.policy,
    snapshot_id: o.snapshotId,
    window_start: o.windowStart,
    window_end: o.windowEnd,
    reason: o.reason,
    request_id: o.requestId,
    error: o.error,
    error_code: o.errorCode,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

const DELETE_FAILED: Record<string, string> = {
  expire: "snapshot_delete_failed",
  dedupe: "duplicate_delete_failed",
  zombie: "zombie_cleanup_failed",
};
const DELETED: Record<string, string> = {
  expire: "snapshot_deleted",
  dedupe: "duplicate_deleted",
  zombie: "zombie_cleaned",
};
// Failures whose own event name operators already search for.
const FAILURE_EVENTS: Record<string, string> = {
  wait_timeout: "snapshot_still_creating",
  delete_unconfirmed: "snapshot_delete_unconfirmed",
};

/** The log event of an outcome that was just recorded or settled, if it deserves one. */
function eventOf(o: ActionOutcome, settled: boolean): [Level, string] | undefined {
  const create = o.kind === "create" || o.kind === "adopt";
  switch (o.status) {
    case "pending":
      if (o.kind === "create") return ["info", "snapshot_requested"];
      if (o.kind === "adopt") return ["info", "snapshot_adopted"];
      return ["debug", "snapshot_delete_requested"];
    case "done":
      if (o.kind === "create") return ["info", "snapshot_created"];
      if (o.kind === "adopt") {
        return ["info", settled ? "snapshot_adopted_available" : "snapshot_adopted"];
      }
      return ["info", DELETED[o.kind] ?? "action_done"];
    case "failed": {
      const special = o.errorCode ? FAILURE_EVENTS[o.errorCode] : undefined;
      const name = special ?? (create ? "snapshot_create_failed" : DELETE_FAILED[o.kind]);
      if (!name) return undefined; // invalid: one policy_invalid per issue instead
      return [o.cleanup || o.errorCode === "wait_timeout" ? "warn" : "error", name];
    }
    case "skipped":
      // A window already satisfied is routine; a volume whose status forbids a snapshot is
      // worth an operator's eye, though it does not fail the run.
      return o.kind === "skip" ? [o.snapshotId ? "debug" : "info", "snapshot_skipped"] : undefined;
    case "not_done":
      return ["warn", "snapshot_not_started"];
    case "superseded":
      return ["info", create ? "snapshot_superseded" : "snapshot_delete_superseded"];
    case "dry_run":
      return undefined;
  }
}

/** See the module doc. */
export class Ledger {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #entries: ActionOutcome[] = [];
  readonly #pending = new Set<ActionOutcome>();

  constructor(clock: Clock, logger: Logger) {
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Records one action's outcome; a `pending` one must be settled later. */
  record(outcome: ActionOutcome): Entry {
    const o: ActionOutcome = { ...outcome, at: this.#now() };
    this.#entries.push(o);
    if (o.status === "pending") this.#pending.add(o);
    this.#log(o, false);
    return o;
  }

  /**
   * Settles a pending outcome: its one and only transition.
   * @throws TypeError when the outcome is not pending (a programming error)
   */
  settle(entry: Entry, status: FinalStatus, patch: SettlePatch = {}): void {
    const o = entry as ActionOutcome;
    if (!this.#pending.delete(o)) {
      throw new TypeError(
        `Cannot settle a ${o.status} ${o.kind} outcome: only pending ones settle`,
      );
    }
    o.status = status;
    for (const [k, v] of Object.entries(patch)) {
      if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
    }
    o.at = this.#now();
    this.#log(o, true);
  }

  /** Whether `entry` is still pending. */
  isPending(entry: Entry): boolean {
    return this.#pending.has(entry as ActionOutcome);
  }

  /** The pending outcomes of one kind family. */
  pending(pred: (o: Entry) => boolean = () => true): Entry[] {
    return [...this.#pending].filter(pred);
  }

  /**
   * Ends the run's bookkeeping: an outcome still pending (the run ended before it could know)
   * becomes failed with `why`.
   */
  close(why: string): void {
    for (const o of [...this.#pending]) {
      this.settle(o, "failed", { error: why, errorCode: "run_ended" });
    }
  }

  counts(): RunCounts {
    return countOutcomes(this.#entries);
  }

  /** Copies of every outcome, in the order they were recorded. */
  actions(): ActionOutcome[] {
    return this.#entries.map((o) => ({ ...o }));
  }

  #now(): string {
    return this.#clock.now().toString({ smallestUnit: "second" });
  }

  #log(o: ActionOutcome, settled: boolean): void {
    if (o.kind === "invalid" && o.status !== "dry_run") {
      for (const issue of o.issues ?? []) {
        this.#logger.warn("policy_invalid", {
          volume_id: o.volumeId,
          policy: o.policy,
          key: issue.key,
          value: issue.value,
          expected: issue.expected,
          reason: issue.message,
        });
      }
      return;
    }
    const ev = eventOf(o, settled);
    if (ev) this.#logger[ev[0]](ev[1], outcomeFields(o));
  }
}
