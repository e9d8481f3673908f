/**
 * The engine's day-2 work against the emulated cloud: snapshots on demand (under a policy and ad
 * hoc, grouped by server, adopted after a lost answer), holds through expire runs (kept, a lapsed
 * one reported once), count-based retention over several windows, and the unprotected volumes.
 */
import assert from "node:assert/strict";
import { SNAPSHOT_KEYS } from "../../src/core/mod.ts";
import { dailyPolicy, type Harness, harness } from "./harness.ts";

/** Snapshots that are not on their way out (a delete takes a moment to finish). */
const live = (h: Harness) => h.snapshots().filter((s) => s.status !== "deleting");

Deno.test("an on-demand policy snapshot satisfies its window; the next run creates nothing", async () => {
  const h = harness();
  const a = h.emulator.addVolume(h.project, {
    name: "a",
    metadata: dailyPolicy(),
    attachments: ["srv"],
  });
  const b = h.emulator.addVolume(h.project, {
    name: "b",
    metadata: dailyPolicy(),
    attachments: ["srv"],
  });
  const c = h.emulator.addVolume(h.project, { name: "c", metadata: dailyPolicy() });
  const engine = await h.engine();
  const prepared = await engine.prepareOnDemand({ volumeIds: [a.id, b.id, c.id], policy: "daily" });
  assert.deepEqual(prepared.plan.refused, []);
  assert.deepEqual(prepared.plan.groups.map((g) => g.key), ["server:srv", "lane"]);
  const { summary } = await engine.takeOnDemand(prepared);
  assert.equal(summary.result, "ok", JSON.stringify(summary.actions));
  assert.equal(summary.counts.created, 3);
  const made = h.snapshots();
  assert.equal(made.length, 3);
  for (const s of made) {
    assert.equal(s.status, "available");
    assert.equal(s.metadata[SNAPSHOT_KEYS.onDemand], "true");
    assert.equal(s.metadata[SNAPSHOT_KEYS.windowStart], "2026-01-15T00:00:00Z");
    assert.equal(s.metadata[SNAPSHOT_KEYS.expiryDate], "2026-01-22T12:00:00Z");
    assert.equal(s.metadata[SNAPSHOT_KEYS.runId], summary.runId);
  }
  const grouped = made.filter((s) => s.metadata[SNAPSHOT_KEYS.groupServer] === "srv");
  assert.deepEqual(grouped.map((s) => s.volumeId).sort(), [a.id, b.id].sort());

  const run = await engine.create();
  assert.equal(run.counts.created, 0, JSON.stringify(run.actions));
  assert.equal(run.counts.skipped, 3);
  assert.equal(h.snapshots().length, 3, "no second snapshot, none removed as a duplicate");
});

Deno.test("an ad-hoc snapshot counts for no window and goes at its own expiry", async () => {
  const h = harness();
  const v = h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  const plain = h.emulator.addVolume(h.project, { name: "plain" });
  const engine = await h.engine();
  const prepared = await engine.prepareOnDemand({
    volumeIds: [v.id, plain.id],
    retentionMs: 36 * 3600_000,
    name: "before-upgrade",
  });
  const { summary } = await engine.takeOnDemand(prepared);
  assert.equal(summary.counts.created, 2);
  const adHoc = h.snapshots();
  assert.deepEqual(adHoc.map((s) => s.name), ["before-upgrade", "before-upgrade"]);
  assert.equal(adHoc[0]!.metadata[SNAPSHOT_KEYS.policyType], undefined);
  // The daily window is still empty for the subscribed volume.
  const run = await engine.create();
  assert.equal(run.counts.created, 1);
  // Not "another tool": snapsentry made them.
  assert.deepEqual(run.warnings.filter((w) => w.code === "another_snapshot_manager_active"), []);
  const early = await engine.expire({ now: h.clock.now().add({ hours: 35 }) });
  assert.equal(early.counts.deleted, 0);
  const late = await engine.expire({ now: h.clock.now().add({ hours: 37 }) });
  assert.equal(late.counts.deleted, 2, JSON.stringify(late.actions));
  assert.deepEqual(
    live(h).map((s) => s.metadata[SNAPSHOT_KEYS.policyType]),
    ["daily"],
    "the daily snapshot stays",
  );
});

Deno.test("an on-demand create whose answer was lost is adopted by its run id", async () => {
  const h = harness();
  const v = h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  h.emulator.faults.add({ kind: "POST snapshots", times: 1, fault: { type: "lost_response" } });
  const engine = await h.engine();
  const { summary } = await engine.takeOnDemand(
    await engine.prepareOnDemand({ volumeIds: [v.id], policy: "daily" }),
  );
  assert.equal(summary.result, "ok");
  assert.equal(summary.counts.adopted, 1);
  assert.equal(h.snapshots().length, 1, "no second POST");
});

Deno.test("volumes without the policy are refused before anything is created", async () => {
  const h = harness();
  const v = h.emulator.addVolume(h.project, { name: "v" });
  const engine = await h.engine();
  const prepared = await engine.prepareOnDemand({
    volumeIds: [v.id, "no-such-volume"],
    policy: "weekly",
  });
  assert.deepEqual(prepared.missing, ["no-such-volume"]);
  assert.equal(prepared.plan.entries.length, 0);
  assert.match(prepared.plan.refused[0]!.message, /not subscribed/);
  assert.equal(h.emulator.requestCounts().byKind["POST snapshots"] ?? 0, 0);
});

Deno.test("holds through expire runs: kept while held, a lapsed hold reported once", async () => {
  const h = harness();
  const v = h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  const engine = await h.engine();
  await engine.create();
  const [first] = h.snapshots();
  // Held for 10 days: past its 7-day expiry it stays.
  h.emulator.state.snapshots.get(first!.id)!.metadata = {
    ...first!.metadata,
    [SNAPSHOT_KEYS.hold]: "true",
    [SNAPSHOT_KEYS.holdUntil]: "2026-01-25T12:00:00Z",
    [SNAPSHOT_KEYS.holdReason]: "audit",
  };
  await engine.create({ now: h.clock.now().add({ hours: 24 }) }); // a newer snapshot
  const held = await engine.expire({ now: Temporal.Instant.from("2026-01-23T12:00:00Z") });
  assert.equal(held.counts.deleted, 0);
  const kept = held.actions.find((a) => a.snapshotId === first!.id)!;
  assert.match(kept.reason, /^Held until 2026-01-25T12:00:00Z \(audit\)/);
  assert.deepEqual(held.warnings, []);

  const lapsed = await engine.expire({ now: Temporal.Instant.from("2026-01-26T12:00:00Z") });
  assert.deepEqual(
    lapsed.warnings.map((w) => [w.code, w.snapshotId]),
    [["hold_expired", first!.id]],
  );
  assert.equal(lapsed.counts.deleted, 1, "once lapsed it expires as any other");
  assert.ok(!live(h).some((s) => s.id === first!.id));
  assert.equal(live(h).length, 1, v.id);
});

Deno.test("a lapsed hold on a snapshot that is not expired is cleared: reported only once", async () => {
  const h = harness();
  h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  const engine = await h.engine();
  await engine.create();
  const [s] = h.snapshots();
  h.emulator.state.snapshots.get(s!.id)!.metadata[SNAPSHOT_KEYS.hold] = "true";
  h.emulator.state.snapshots.get(s!.id)!.metadata[SNAPSHOT_KEYS.holdUntil] = "2026-01-16T00:00:00Z";
  const at = Temporal.Instant.from("2026-01-17T00:00:00Z");
  const dry = await engine.expire({ now: at, dryRun: true });
  assert.equal(dry.warnings.length, 1);
  assert.equal(h.emulator.state.snapshots.get(s!.id)!.metadata[SNAPSHOT_KEYS.hold], "true");
  const first = await engine.expire({ now: at });
  assert.deepEqual(first.warnings.map((w) => w.code), ["hold_expired"]);
  assert.equal(h.emulator.state.snapshots.get(s!.id)!.metadata[SNAPSHOT_KEYS.hold], "false");
  assert.equal(
    h.emulator.state.snapshots.get(s!.id)!.metadata[SNAPSHOT_KEYS.holdUntil],
    "2026-01-16T00:00:00Z",
    "the end stays as a record",
  );
  const second = await engine.expire({ now: at.add({ hours: 6 }) });
  assert.deepEqual(second.warnings, []);
});

Deno.test("count retention 2 over four windows leaves exactly the two newest", async () => {
  const h = harness();
  h.emulator.addVolume(h.project, {
    name: "v",
    metadata: dailyPolicy({ "x-snapsentry-daily-retention-count": "2" }),
  });
  const engine = await h.engine();
  const start = h.clock.now();
  const ids: string[] = [];
  for (let day = 0; day < 4; day++) {
    const r = await engine.create({ now: start.add({ hours: 24 * day }) });
    assert.equal(r.counts.created, 1);
    ids.push(r.actions.find((a) => a.kind === "create")!.snapshotId!);
  }
  const r = await engine.expire({ now: start.add({ hours: 24 * 3 + 1 }) });
  assert.equal(r.counts.deleted, 2, JSON.stringify(r.actions));
  assert.deepEqual(
    r.actions.filter((a) => a.kind === "expire").map((a) => a.snapshotId).sort(),
    ids.slice(0, 2).sort(),
  );
  assert.deepEqual(live(h).map((s) => s.id).sort(), ids.slice(2).sort());
});

Deno.test("unprotected() lists every volume without an enabled, valid policy in one listing", async () => {
  const h = harness();
  h.emulator.addVolume(h.project, { name: "ok", metadata: dailyPolicy() });
  const bare = h.emulator.addVolume(h.project, { name: "bare", size: 7, attachments: ["srv"] });
  const off = h.emulator.addVolume(h.project, {
    name: "off",
    metadata: dailyPolicy({ "x-snapsentry-daily-enabled": "false" }),
  });
  const engine = await h.engine();
  const before = h.emulator.requestCounts().byKind["GET volumes/detail"] ?? 0;
  const { report } = await engine.unprotected();
  assert.equal((h.emulator.requestCounts().byKind["GET volumes/detail"] ?? 0) - before, 1);
  assert.deepEqual(
    report.volumes.map((v) => [v.volumeName, v.serverIds]).sort(),
    [["bare", ["srv"]], ["off", []]],
  );
  assert.deepEqual(new Set(report.volumes.map((v) => v.volumeId)), new Set([bare.id, off.id]));
});
