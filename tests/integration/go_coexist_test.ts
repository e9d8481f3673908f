/**
 * Running beside SnapSentry-Go for a while: snapsentry never deletes Go's restore points as
 * duplicates, and says when Go is still creating.
 */
import assert from "node:assert/strict";
import { SNAPSHOT_KEYS } from "../../src/core/mod.ts";
import { DaemonHistory, renderStatusPage } from "../../src/daemon/mod.ts";
import { dailyPolicy, harness } from "./harness.ts";

/** What the Go tool stamped (no window key, no run id). */
function goMeta(expiry: string): Record<string, string> {
  return {
    [SNAPSHOT_KEYS.managed]: "true",
    [SNAPSHOT_KEYS.policyType]: "daily",
    [SNAPSHOT_KEYS.expiryDate]: expiry,
    [SNAPSHOT_KEYS.expiryDateUserTz]: expiry,
    [SNAPSHOT_KEYS.retentionDays]: "7",
  };
}

Deno.test("a Go snapshot made after snapsentry's first one: warned once per run, kept, run ok", async () => {
  const h = harness({ start: "2026-01-15T12:00:00Z" });
  const v = h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  const first = await (await h.engine()).create();
  assert.equal(first.counts.created, 1);
  assert.deepEqual(first.warnings, []);
  // Go's daemon is still running: its catch-up pair for the next day.
  h.clock.advance({ hours: 24 });
  const goPair = ["2026-01-16T12:00:10Z", "2026-01-16T12:00:11Z"].map((createdAt) =>
    h.emulator.addSnapshot({
      volumeId: v.id,
      createdAt,
      name: `managed-daily-${v.id}-2026-01-16T00:00:00Z`,
      description: "Created and managed by Snapsentry",
      metadata: goMeta("2026-01-23T00:00:00Z"),
    })
  );
  const next = await (await h.engine()).create();
  assert.equal(next.result, "ok");
  assert.equal(next.counts.created, 0, "Go's snapshot fills the window");
  assert.equal(next.counts.deleted, 0, "Go's pair is never deleted as duplicates");
  const warned = next.warnings.filter((w) => w.code === "another_snapshot_manager_active");
  assert.equal(warned.length, 1);
  assert.equal(warned[0]!.snapshotId, goPair[1]!.id);
  assert.equal(h.logger.events("another_snapshot_manager_active").length, 1);
  for (const g of goPair) assert.equal(h.emulator.snapshot(g.id)?.status, "available");

  const history = new DaemonHistory({ clock: h.clock });
  history.observe(await (await h.engine()).observe());
  assert.equal(history.otherManager()?.snapshotId, goPair[1]!.id);
  const page = String(
    renderStatusPage({
      now: h.clock.now(),
      version: "test",
      readiness: { ready: true, lastSuccessAt: h.clock.now().toString() },
      jobs: [],
      freshness: history.freshness(),
      timeline: history.timeline(),
      otherManager: history.otherManager(),
    }),
  );
  assert.match(page, /Another snapshot manager is active/);
});

Deno.test("Go snapshots older than snapsentry's first one raise no warning", async () => {
  const h = harness({ start: "2026-01-15T12:00:00Z" });
  const v = h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  h.emulator.addSnapshot({
    volumeId: v.id,
    createdAt: "2026-01-14T00:00:05Z",
    metadata: goMeta("2026-01-21T00:00:00Z"),
  });
  await (await h.engine()).create();
  h.clock.advance({ hours: 24 });
  const r = await (await h.engine()).create();
  assert.deepEqual(r.warnings, []);
});
