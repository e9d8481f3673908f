import assert from "node:assert/strict";
import { ManualClock } from "../clock.ts";
import { MemoryLogger } from "../log.ts";
import { countOutcomes, Ledger } from "./ledger.ts";
import type { ActionOutcome } from "./types.ts";

const clock = new ManualClock("2026-01-15T12:00:00Z");

function outcome(kind: ActionOutcome["kind"], status: ActionOutcome["status"]): ActionOutcome {
  return { kind, status, volumeId: "v1", policy: "daily", snapshotId: `s-${kind}`, reason: "r" };
}

Deno.test("Ledger: a pending outcome settles exactly once; a final one never", () => {
  const ledger = new Ledger(clock, new MemoryLogger());
  const create = ledger.record(outcome("create", "pending"));
  const keep = ledger.record(outcome("keep", "skipped"));
  assert.equal(ledger.isPending(create), true);
  clock.advance({ seconds: 5 });
  ledger.settle(create, "done");
  assert.equal(ledger.isPending(create), false);
  assert.equal(create.at, "2026-01-15T12:00:05Z", "settling stamps the time");
  assert.throws(() => ledger.settle(create, "failed"), TypeError);
  assert.throws(() => ledger.settle(keep, "done"), TypeError);
  assert.deepEqual(ledger.counts(), { ...countOutcomes([]), created: 1, kept: 1 });
});

Deno.test("Ledger: counts, events and actions derive from the outcomes", () => {
  const logger = new MemoryLogger();
  const ledger = new Ledger(clock, logger);
  const del = ledger.record(outcome("expire", "pending"));
  ledger.settle(del, "failed", { error: "still there", errorCode: "delete_unconfirmed" });
  const create = ledger.record(outcome("create", "pending"));
  ledger.settle(create, "failed", { error: "Snapshot went to error" });
  // The cleanup of the run's own failed snapshot: its create already counts.
  ledger.record({ ...outcome("zombie", "failed"), error: "refused", cleanup: true });
  ledger.record({ ...outcome("invalid", "failed"), issues: [] });
  ledger.record(outcome("dedupe", "not_done"));
  const c = ledger.counts();
  assert.equal(c.failed, 2, "the failed cleanup is not a second failure");
  assert.equal(c.invalidPolicies, 1);
  assert.equal(c.notDone, 1);
  assert.deepEqual(logger.entries.map((e) => e.event), [
    "snapshot_delete_requested",
    "snapshot_delete_unconfirmed",
    "snapshot_requested",
    "snapshot_create_failed",
    "zombie_cleanup_failed",
    "snapshot_not_started",
  ]);
  assert.deepEqual(
    ledger.actions().map((a) => [a.kind, a.status]),
    [["expire", "failed"], ["create", "failed"], ["zombie", "failed"], ["invalid", "failed"], [
      "dedupe",
      "not_done",
    ]],
  );
});

Deno.test("Ledger.close() fails what is still pending, once", () => {
  const ledger = new Ledger(clock, new MemoryLogger());
  const o = ledger.record(outcome("create", "pending"));
  ledger.close("run ended");
  assert.equal(o.status, "failed");
  assert.equal(o.errorCode, "run_ended");
  assert.equal(ledger.counts().failed, 1);
  ledger.close("again");
  assert.equal(ledger.counts().failed, 1);
});
