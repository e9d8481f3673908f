import assert from "node:assert/strict";
import { ManualClock } from "../../src/clock.ts";
import { AuthError } from "../../src/errors.ts";
import { MemoryLogger } from "../../src/log.ts";
import { parseSchedule, type RunRecord, Scheduler } from "../../src/daemon/mod.ts";
import { FakeEngine, settle } from "./fake_engine.ts";

function setup(
  start = "2026-01-15T12:03:00Z",
  expr = { create: "*/10 * * * *", expire: "0 */6 * * *" },
) {
  const clock = new ManualClock(start);
  const engine = new FakeEngine(clock);
  const logger = new MemoryLogger();
  const records: RunRecord[] = [];
  const scheduler = new Scheduler({
    schedules: {
      create: parseSchedule(expr.create, { flag: "--create-schedule" }),
      expire: parseSchedule(expr.expire, { flag: "--expire-schedule" }),
    },
    clock,
    logger,
    run: (job, signal) => engine.run(job, { signal }),
    onRunFinished: (r) => records.push(r),
  });
  return { clock, engine, logger, records, scheduler };
}

Deno.test("Scheduler runs each job at its cron instants on the injected clock", async () => {
  const { clock, engine, scheduler, records } = setup();
  scheduler.start();
  await settle();
  assert.equal(engine.calls.create, 0, "nothing runs at start without --run-at-start");
  clock.set("2026-01-15T12:09:59Z");
  await settle();
  assert.equal(engine.calls.create, 0);
  clock.set("2026-01-15T12:10:00Z");
  await settle();
  assert.equal(engine.calls.create, 1);
  assert.equal(engine.calls.expire, 0);
  clock.set("2026-01-15T12:20:00Z");
  await settle();
  assert.equal(engine.calls.create, 2);
  assert.equal(records.length, 2);
  assert.equal(records[0]!.trigger, "schedule");
  assert.equal(records[0]!.result, "ok");
  scheduler.stop();
  await scheduler.drain();
});

Deno.test("Scheduler skips a tick while the same job is still running and logs it", async () => {
  const { clock, engine, scheduler, logger } = setup();
  engine.hold("create");
  scheduler.start();
  clock.set("2026-01-15T12:10:00Z");
  await settle();
  assert.equal(engine.inFlight.create, 1);
  // The next two ticks find the 12:10 run still going.
  clock.set("2026-01-15T12:20:00Z");
  await settle();
  clock.set("2026-01-15T12:30:00Z");
  await settle();
  assert.equal(engine.calls.create, 1, "no second run started while the first is going");
  const skipped = logger.events("job_skipped_overlap");
  assert.equal(skipped.length, 2);
  assert.equal(skipped[0]!.job, "create");
  assert.equal(skipped[0]!.level, "warn");
  assert.equal(skipped[0]!.running_since, "2026-01-15T12:10:00Z");
  assert.equal(scheduler.status().find((s) => s.job === "create")!.skippedOverlaps, 2);

  engine.release("create");
  await settle();
  assert.equal(engine.completed.create, 1);
  clock.set("2026-01-15T12:40:00Z");
  await settle();
  assert.equal(engine.calls.create, 2, "runs again once the previous one finished");
  scheduler.stop();
  await scheduler.drain();
});

Deno.test("Scheduler lets create and expire run at the same time", async () => {
  const { clock, engine, scheduler, logger } = setup("2026-01-15T17:55:00Z");
  engine.hold("create");
  engine.hold("expire");
  scheduler.start();
  clock.set("2026-01-15T18:00:00Z"); // both schedules fire
  await settle();
  assert.equal(engine.inFlight.create, 1);
  assert.equal(engine.inFlight.expire, 1);
  assert.equal(logger.events("job_skipped_overlap").length, 0);
  engine.release("create");
  engine.release("expire");
  await settle();
  scheduler.stop();
  await scheduler.drain();
  assert.equal(engine.completed.create + engine.completed.expire, 2);
});

Deno.test("Scheduler with runAtStart runs both jobs once immediately", async () => {
  const { engine, scheduler, records } = setup();
  scheduler.start({ runAtStart: true });
  await settle();
  assert.deepEqual([engine.calls.create, engine.calls.expire], [1, 1]);
  assert.deepEqual(records.map((r) => r.trigger), ["start", "start"]);
  scheduler.stop();
  await scheduler.drain();
});

Deno.test("Scheduler records a failed run, logs it and keeps scheduling", async () => {
  const { clock, engine, scheduler, logger, records } = setup();
  engine.runError.create = new AuthError("Cannot authenticate: Keystone answered 401");
  scheduler.start();
  clock.set("2026-01-15T12:10:00Z");
  await settle();
  assert.equal(records[0]!.result, "failed");
  assert.equal(records[0]!.errorCode, "auth_error");
  const failed = logger.events("job_failed");
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.level, "error");
  delete engine.runError.create;
  clock.set("2026-01-15T12:20:00Z");
  await settle();
  assert.equal(records[1]!.result, "ok");
  scheduler.stop();
  await scheduler.drain();
});

Deno.test("Scheduler.status() shows schedule, last run with counts and the next three runs", async () => {
  const { clock, scheduler } = setup();
  scheduler.start();
  clock.set("2026-01-15T12:10:00Z");
  await settle();
  clock.set("2026-01-15T12:12:00Z");
  const create = scheduler.status().find((s) => s.job === "create")!;
  assert.equal(create.schedule, "*/10 * * * *");
  assert.equal(create.timezone, "UTC");
  assert.equal(create.running, false);
  assert.deepEqual(create.nextRuns, [
    "2026-01-15T12:20:00Z",
    "2026-01-15T12:30:00Z",
    "2026-01-15T12:40:00Z",
  ]);
  assert.equal(create.lastRun?.startedAt, "2026-01-15T12:10:00Z");
  assert.equal(create.lastRun?.result, "ok");
  assert.equal(create.lastRun?.counts?.created, 2);
  const expire = scheduler.status().find((s) => s.job === "expire")!;
  assert.equal(expire.lastRun, null);
  assert.equal(expire.nextRuns[0], "2026-01-15T18:00:00Z");
  scheduler.stop();
  await scheduler.drain();
  assert.deepEqual(scheduler.status()[0]!.nextRuns, [], "no next runs once stopped");
});

Deno.test("Scheduler does not catch up on ticks missed while time jumped", async () => {
  const { clock, engine, scheduler } = setup();
  scheduler.start();
  clock.set("2026-01-15T14:05:00Z"); // 12 ticks missed
  await settle();
  assert.equal(engine.calls.create, 1, "one run for the jump, not twelve");
  clock.set("2026-01-15T14:10:00Z");
  await settle();
  assert.equal(engine.calls.create, 2);
  scheduler.stop();
  await scheduler.drain();
});

Deno.test("Scheduler.stop() ends the loops; trigger after stop is refused", async () => {
  const { clock, engine, scheduler } = setup();
  scheduler.start();
  assert.equal(scheduler.alive, true);
  scheduler.stop();
  await scheduler.drain();
  assert.equal(scheduler.alive, false);
  assert.equal(clock.pendingSleeps, 0, "no loop is still waiting");
  assert.deepEqual(scheduler.trigger("create", "manual"), { started: false, reason: "stopped" });
  clock.set("2026-01-15T12:10:00Z");
  await settle();
  assert.equal(engine.calls.create, 0);
});
