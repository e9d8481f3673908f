/**
 * Each run has its own request scope: when a create and an expire run overlap on one engine (as
 * in the daemon), every request carries its own run's id, and each run counts its own calls.
 */
import assert from "node:assert/strict";
import { dailyPolicy, harness, managedMeta } from "./harness.ts";

Deno.test("overlapping runs on one engine keep their own request ids and call counts", async () => {
  const h = harness();
  const vols = [0, 1, 2].map((i) =>
    h.emulator.addVolume(h.project, { name: `v${i}`, metadata: dailyPolicy() })
  );
  // Two expired snapshots per volume: the older goes, the min-keep guard keeps the newer.
  for (const v of vols) {
    for (const [window, expiry] of [["01", "08"], ["02", "09"]]) {
      h.emulator.addSnapshot({
        volumeId: v.id,
        createdAt: `2026-01-${window}T00:01:00Z`,
        metadata: managedMeta(
          "daily",
          `2026-01-${window}T00:00:00Z`,
          `2026-01-${expiry}T00:00:00Z`,
        ),
      });
    }
  }
  const engine = await h.engine();
  await engine.probe(); // authenticate and negotiate before the race
  h.emulator.requestLog.length = 0;
  // Slow listings, so the two runs interleave.
  h.emulator.faults.add({
    kind: "GET snapshots/detail",
    times: Infinity,
    fault: { type: "latency", ms: 300 },
  });
  const [create, expire] = await Promise.all([engine.create(), engine.expire()]);
  assert.equal(create.result, "ok");
  assert.equal(expire.result, "ok");
  assert.equal(create.counts.created, 3);
  assert.equal(expire.counts.deleted, 3);
  const ids = new Map<string, Set<string>>();
  for (const r of h.emulator.requestLog) {
    const set = ids.get(r.kind) ?? new Set();
    set.add(r.globalRequestId ?? "none");
    ids.set(r.kind, set);
  }
  assert.deepEqual([...ids.get("POST snapshots")!], [create.runId]);
  assert.deepEqual([...ids.get("DELETE snapshots/{id}")!], [expire.runId]);
  const byRun = (id: string) => h.emulator.requestLog.filter((r) => r.globalRequestId === id);
  assert.equal(create.apiCallsTotal, byRun(create.runId).length);
  assert.equal(expire.apiCallsTotal, byRun(expire.runId).length);
  assert.equal(create.apiCalls["DELETE snapshots"], undefined, "no call of the other run");
  assert.equal(expire.apiCalls["POST snapshots"], undefined);
});
