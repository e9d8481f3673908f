/**
 * Overlapping runs end honestly: two or three create runs started together all end "ok", no
 * failure is counted for a delete another run already made, and the counts add up to what Cinder
 * shows (created − deleted = snapshots left, one per window).
 */
import assert from "node:assert/strict";
import type { RunSummary } from "../../src/exec/mod.ts";
import { dailyPolicy, harness } from "./harness.ts";

async function overlap(runs: number) {
  const h = harness();
  const { volumes } = h.emulator.seedSample(h.project, {
    servers: 3,
    volumesPerServer: 2,
    shared: 1,
    unattached: 2,
    metadata: dailyPolicy(),
  });
  // Every run alerts on failure; an overlap that went right sends nothing.
  const sent: RunSummary[] = [];
  const alerts = { enqueue: (s: RunSummary) => s.result !== "ok" && sent.push(s) };
  const engines = await Promise.all(Array.from({ length: runs }, () => h.engine({}, { alerts })));
  // Hold every run's first listing until all have observed: each sees empty windows and creates.
  h.emulator.faults.add({
    kind: "GET snapshots/detail",
    times: runs,
    fault: { type: "latency", ms: 500 },
  });
  const summaries = await Promise.all(engines.map((e) => e.create()));
  return { h, volumes, summaries, sent };
}

function sum(summaries: RunSummary[], key: keyof RunSummary["counts"]): number {
  return summaries.reduce((a, s) => a + s.counts[key], 0);
}

for (const runs of [2, 3]) {
  Deno.test(`${runs} overlapping create runs all end ok and their counts add up`, async () => {
    const { h, volumes, summaries, sent } = await overlap(runs);
    assert.equal(sent.length, 0, "no alert");
    for (const s of summaries) {
      assert.equal(s.result, "ok", JSON.stringify(s.actions.filter((a) => a.status === "failed")));
      assert.equal(s.counts.failed, 0);
    }
    h.clock.advance({ minutes: 1 }); // the deletes finish
    const live = h.snapshots().filter((s) => s.status === "available");
    assert.equal(live.length, volumes.length, "one snapshot per window");
    // Every snapshot Cinder made is one run's create (done, or superseded when an overlapping run
    // removed it as a duplicate before this run saw it available); every one removed is one
    // run's delete; the deletes other runs got to first are superseded, not counted twice.
    const actions = summaries.flatMap((s) => s.actions);
    const made = actions.filter((a) =>
      (a.kind === "create" || a.kind === "adopt") &&
      (a.status === "done" || a.status === "superseded")
    ).length;
    const deleted = sum(summaries, "deleted");
    const all = h.emulator.snapshots(h.project, { includeDeleted: true });
    assert.equal(made, all.length, "each snapshot Cinder made is counted once");
    assert.equal(deleted, all.length - live.length, "each removed snapshot is counted once");
    assert.equal(made - deleted, live.length);
  });
}
