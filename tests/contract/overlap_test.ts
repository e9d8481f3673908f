/**
 * Contract: two `create-snapshots` runs started together on the same project both exit 0, and
 * their counts add up to what Cinder shows: one snapshot per window is left, every snapshot Cinder
 * made is one run's create (done, or superseded by the other run's duplicate delete), every one
 * removed is one run's delete.
 */
import assert from "node:assert/strict";
import type { ActionJson, SummaryJson } from "../../src/exec/mod.ts";
import { cliRunner } from "./cli_runner.ts";
import { BACKEND, needs, withFixtures } from "./target.ts";

const POLICY = {
  "x-snapsentry-managed": "true",
  "x-snapsentry-daily-enabled": "true",
  "x-snapsentry-daily-start-time": "00:00",
  "x-snapsentry-daily-timezone": "UTC",
  "x-snapsentry-daily-retention-days": "2",
};

Deno.test(`contract[${BACKEND}]: two overlapping create runs both exit 0; counts match Cinder`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const run = cliRunner(target);
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const volumes = await fx.createVolumes(cloud, 4, { name: "race", metadata: POLICY });
    const ids = new Set(volumes.map((v) => v.id));
    const [a, b] = await Promise.all([
      run(["create-snapshots", "--json", "--wait-timeout", "5m"]),
      run(["create-snapshots", "--json", "--wait-timeout", "5m"]),
    ]);
    const summaries = [a, b].map((r, i) => {
      assert.equal(r.code, 0, `run ${i}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      return JSON.parse(r.stdout) as SummaryJson;
    });
    const ours = (s: SummaryJson): ActionJson[] =>
      s.actions.filter((x) => x.volume_id !== undefined && ids.has(x.volume_id));
    const actions = summaries.flatMap(ours);
    for (const x of actions) if (x.snapshot_id) fx.trackSnapshot(cloud, x.snapshot_id);
    assert.deepEqual(actions.filter((x) => x.status === "failed"), []);
    // Let the deletes finish, then compare with Cinder.
    const mine = async () =>
      (await Promise.all(volumes.map((v) => bs.listSnapshots({ volumeId: v.id })))).flat();
    await fx.waitFor("duplicate deletes done", async () => {
      const left = await mine();
      return left.every((s) => s.status === "available") ? left : undefined;
    });
    const left = await mine();
    assert.equal(left.length, volumes.length, "one snapshot per volume's window");
    const made = actions.filter((x) =>
      (x.kind === "create" || x.kind === "adopt") &&
      (x.status === "done" || x.status === "superseded")
    ).length;
    const deleted = actions.filter((x) =>
      (x.kind === "dedupe" || x.kind === "expire") && x.status === "done"
    ).length;
    assert.equal(made - deleted, left.length, `made ${made}, deleted ${deleted}`);
    assert.ok(made >= volumes.length && made <= 2 * volumes.length);
  });
});
