/**
 * Focused regressions for bugs the engine fuzz test (`engine_fuzz_test.ts`) found, each against the
 * emulated cloud with the end state asserted.
 */
import assert from "node:assert/strict";
import { dailyPolicy, harness, managedMeta } from "./harness.ts";

Deno.test("concurrent create and expire keep the older half of an expired raced pair", async () => {
  // Fuzz seed 20260125: the expire run's min-keep guard kept the newest available snapshot, the
  // create run's duplicate delete kept the oldest one of the same window: together they deleted
  // both, and the volume was left with no available snapshot.
  const h = harness();
  // In maintenance: the create run makes nothing new, so only the two old snapshots count.
  const v = h.emulator.addVolume(h.project, {
    name: "data",
    metadata: dailyPolicy(),
    attachments: ["srv-1"],
    status: "maintenance",
  });
  const meta = managedMeta("daily", "2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z"); // expired
  const older = h.emulator.addSnapshot({
    volumeId: v.id,
    metadata: meta,
    createdAt: "2026-01-01T00:00:05Z",
  });
  const newer = h.emulator.addSnapshot({
    volumeId: v.id,
    metadata: meta,
    createdAt: "2026-01-01T00:00:09Z",
  });
  // Hold both observations until both runs have observed: they plan on the same state.
  h.emulator.faults.add({
    kind: "GET snapshots/detail",
    times: 2,
    fault: { type: "latency", ms: 500 },
  });
  const [create, expire] = await Promise.all([
    (await h.engine()).create(),
    (await h.engine()).expire(),
  ]);
  assert.deepEqual(
    create.actions.filter((a) => a.kind === "dedupe").map((a) => a.snapshotId),
    [newer.id],
  );
  assert.deepEqual(
    expire.actions.filter((a) => a.kind === "keep").map((a) => a.snapshotId),
    [older.id],
    "the guard keeps the snapshot the duplicate delete keeps",
  );
  h.clock.advance({ seconds: 5 });
  assert.deepEqual(h.snapshots().map((s) => [s.id, s.status]), [[older.id, "available"]]);
});

Deno.test("a snapshot stuck in creating does not satisfy its window: it is swept and replaced", async () => {
  // Fuzz seed 20260143: the create run skipped the window because a snapshot stuck in `creating`
  // for 3 h satisfied it, then its zombie sweep force-deleted that snapshot: the window was left
  // empty until the next one.
  const h = harness();
  const v = h.emulator.addVolume(h.project, {
    name: "data",
    metadata: dailyPolicy(),
    attachments: ["srv-1"],
  });
  const stuck = h.emulator.addSnapshot({
    volumeId: v.id,
    status: "creating", // never settles in the emulator
    metadata: managedMeta("daily", "2026-01-15T00:00:00Z", "2026-01-22T09:00:00Z"),
    createdAt: "2026-01-15T09:00:00Z", // 3 h before START, past the 2 h stuck limit
  });
  const r = await (await h.engine({}, { cloud: "emulator-demo-admin" })).create();
  assert.equal(r.result, "ok");
  assert.equal(r.counts.created, 1);
  assert.equal(r.counts.zombiesCleaned, 1);
  h.clock.advance({ seconds: 5 });
  const left = h.snapshots();
  assert.equal(h.emulator.snapshot(stuck.id), undefined);
  assert.deepEqual(left.map((s) => [s.status, s.metadata["x-snapsentry-snapshot-window-start"]]), [
    ["available", "2026-01-15T00:00:00Z"],
  ]);
});

Deno.test("a failed create whose cleanup delete does not take counts as one failure", async () => {
  // Fuzz seed 807: the snapshot went to error (one failure), its delete ended in error_deleting,
  // and the confirming listing counted a second failure for the same snapshot.
  const h = harness({ deleteDelayMs: 0 });
  const v = h.emulator.addVolume(h.project, {
    name: "data",
    metadata: dailyPolicy(),
    attachments: ["srv-1"],
  });
  h.emulator.faults.add({ kind: "POST snapshots", fault: { type: "snapshot_error" } });
  h.emulator.faults.add({
    kind: "DELETE snapshots/{id}",
    fault: { type: "snapshot_error_deleting" },
  });
  const r = await (await h.engine()).create();
  assert.equal(r.result, "partial");
  assert.equal(r.counts.failed, 1);
  assert.deepEqual(
    r.actions.filter((a) => a.status === "failed").map((a) => [a.kind, a.volumeId]),
    [["create", v.id], ["zombie", v.id]],
  );
  assert.equal(h.snapshots()[0]!.status, "error_deleting"); // left for the next sweep
});

Deno.test("a create whose answer was lost never adopts a snapshot stuck in creating", async () => {
  // Fuzz seed 777069: the adoption listing's keeper rule took the older, stuck snapshot of the
  // window (a zombie the same run then force-deleted) instead of the one the POST had made.
  const h = harness({ start: "2026-01-15T12:00:00Z" });
  const v = h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  const stuck = h.emulator.addSnapshot({
    volumeId: v.id,
    status: "creating",
    createdAt: "2026-01-15T00:05:00Z", // creating for almost 12 h: a zombie
    metadata: managedMeta("daily", "2026-01-15T00:00:00Z", "2026-01-22T00:05:00Z"),
  });
  h.emulator.faults.add({ kind: "POST snapshots", fault: { type: "lost_response", drop: true } });
  // An operator credential, so the zombie sweep may force-delete the stuck one.
  const r = await (await h.engine({}, { cloud: "emulator-demo-admin" })).create();
  const adopt = r.actions.find((a) => a.kind === "adopt");
  assert.ok(adopt, JSON.stringify(r.actions));
  assert.notEqual(adopt.snapshotId, stuck.id);
  assert.equal(adopt.status, "done");
  assert.equal(r.counts.adopted, 1);
  assert.equal(r.counts.zombiesCleaned, 1, "the stuck one is swept, as a zombie");
  assert.equal(r.result, "ok", JSON.stringify(r.actions.filter((a) => a.status === "failed")));
});
