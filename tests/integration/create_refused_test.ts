/**
 * Issue 16, item 4, end to end on the emulated cloud: a snapshot POST refused with 429 (or 503
 * with Retry-After) is repeated after the wait and the volume gets its snapshot; a 503 without
 * Retry-After is still never repeated (the engine adopts or reports instead).
 */
import assert from "node:assert/strict";
import { dailyPolicy, harness } from "./harness.ts";

const DAY = "2026-01-15T00:00:00Z";

function setup() {
  const h = harness();
  const { volumes } = h.emulator.seedSample(h.project, {
    servers: 2,
    volumesPerServer: 2,
    shared: 1,
    unattached: 1,
    metadata: dailyPolicy(),
  });
  return { h, ids: volumes.map((v) => v.id) };
}

function onePerWindow(h: ReturnType<typeof harness>, ids: string[]) {
  const got = [...h.goodPerWindow()].filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  assert.deepEqual(got.sort(), ids.map((id) => `${id} daily ${DAY} 1`).sort());
}

for (
  const [label, fault] of [
    ["429 with Retry-After", { type: "rate_limit", retryAfter: 20 }],
    ["503 with Retry-After", { type: "rate_limit", retryAfter: 20, status: 503 }],
  ] as const
) {
  Deno.test(`create-snapshots: a ${label} on POST snapshots is waited out, not a failure`, async () => {
    const { h, ids } = setup();
    h.emulator.faults.add({ kind: "POST snapshots", times: 2, fault });
    const before = h.clock.now();
    const r = await (await h.engine()).create();
    assert.equal(r.result, "ok", JSON.stringify(r.actions.filter((a) => a.status === "failed")));
    assert.equal(r.counts.failed, 0);
    assert.equal(r.counts.created, ids.length);
    assert.equal(r.apiCalls["POST snapshots"], ids.length + 2);
    assert.ok(h.clock.now().since(before).total("seconds") >= 20, "waited Retry-After");
    onePerWindow(h, ids);
  });
}

Deno.test("create-snapshots: a 503 without Retry-After on POST is still not repeated", async () => {
  const { h, ids } = setup();
  h.emulator.faults.add({
    kind: "POST snapshots",
    times: 1,
    fault: { type: "status", status: 503 },
  });
  const r = await (await h.engine()).create();
  assert.equal(r.apiCalls["POST snapshots"], ids.length, "one POST per volume, none repeated");
  assert.equal(r.counts.failed, 1);
  assert.equal(r.counts.created, ids.length - 1);
});
