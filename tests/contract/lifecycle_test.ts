/**
 * Contract: the end-to-end lifecycle through the CLI, in process, against the target cloud:
 * `subscribe daily` → `create-snapshots` (one snapshot) → rerun (nothing) → `create-snapshots
 * --now <next day>` (the next window's snapshot) → `expire-snapshots --now <after expiry>`
 * deletes the expired one only, keeps the newest and never touches an unmanaged snapshot.
 */
import assert from "node:assert/strict";
import type { SummaryJson } from "../../src/exec/mod.ts";
import { cliRunner, summaryOf } from "./cli_runner.ts";
import { BACKEND, needs, withFixtures } from "./target.ts";

Deno.test(`contract[${BACKEND}]: CLI lifecycle subscribe → create → rerun → expire`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const run = cliRunner(target);
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "life" });
    const unmanaged = await fx.snapshot(cloud, v.id, { "contract-run": fx.prefix });

    const now = target.clock.now();
    const start = now.subtract({ hours: 1 }).toZonedDateTimeISO("UTC");
    const startTime = `${String(start.hour).padStart(2, "0")}:${
      String(start.minute).padStart(2, "0")
    }`;
    const sub = await run([
      "subscribe",
      "daily",
      "--volume-id",
      v.id,
      "--start-time",
      startTime,
      "--timezone",
      "UTC",
      "--retention",
      "1",
    ]);
    assert.equal(sub.code, 0, `subscribe\nstdout: ${sub.stdout}\nstderr: ${sub.stderr}`);
    const meta = (await bs.getVolume(v.id)).metadata;
    assert.equal(meta["x-snapsentry-managed"], "true");

    const ours = (s: SummaryJson) => s.actions.filter((a) => a.volume_id === v.id);
    const managedSnapshots = async () =>
      (await bs.listSnapshots({ volumeId: v.id })).filter((s) => s.id !== unmanaged);

    // First run: exactly one snapshot for the volume and its one policy.
    const first = summaryOf(await run(["create-snapshots", "--json"]), "create-snapshots");
    const created = ours(first).filter((a) => a.kind === "create" && a.status === "done");
    assert.equal(created.length, 1, JSON.stringify(ours(first)));
    assert.equal(created[0]!.policy, "daily");
    const firstId = created[0]!.snapshot_id!;
    fx.trackSnapshot(cloud, firstId);
    let snaps = await managedSnapshots();
    assert.deepEqual(snaps.map((s) => s.id), [firstId]);
    assert.equal(snaps[0]!.status, "available");
    assert.equal(snaps[0]!.metadata["x-snapsentry-managed"], "true");

    // Rerun in the same window: nothing new.
    const again = summaryOf(await run(["create-snapshots", "--json"]), "create-snapshots rerun");
    assert.deepEqual(
      ours(again).filter((a) => a.kind === "create" || a.kind === "adopt"),
      [],
      "the rerun creates nothing",
    );
    assert.equal((await managedSnapshots()).length, 1);

    // The next day's window gets its own snapshot.
    const nextDay = now.add({ hours: 24 });
    const second = summaryOf(
      await run(["create-snapshots", "--json", "--now", nextDay.toString()]),
      "create-snapshots --now next day",
    );
    const created2 = ours(second).filter((a) => a.kind === "create" && a.status === "done");
    assert.equal(created2.length, 1, JSON.stringify(ours(second)));
    const secondId = created2[0]!.snapshot_id!;
    fx.trackSnapshot(cloud, secondId);
    assert.notEqual(secondId, firstId);
    snaps = await managedSnapshots();
    assert.deepEqual(new Set(snaps.map((s) => s.id)), new Set([firstId, secondId]));

    // After the first one's retention (a day after its window): only it goes.
    const later = now.add({ hours: 26 });
    const expire = summaryOf(
      await run(["expire-snapshots", "--json", "--now", later.toString()]),
      "expire-snapshots",
    );
    const expired = ours(expire).filter((a) => a.kind === "expire" && a.status === "done");
    assert.deepEqual(expired.map((a) => a.snapshot_id), [firstId], JSON.stringify(ours(expire)));
    assert.ok(
      !expire.actions.some((a) => a.snapshot_id === unmanaged && a.kind === "expire"),
      "the unmanaged snapshot is not a candidate",
    );
    await fx.waitGone(cloud, "snapshot", firstId);
    const left = await bs.listSnapshots({ volumeId: v.id });
    assert.deepEqual(new Set(left.map((s) => s.id)), new Set([secondId, unmanaged]));
    assert.equal((await bs.getSnapshot(unmanaged)).status, "available");
  });
});
