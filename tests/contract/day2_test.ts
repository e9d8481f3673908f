/**
 * Contract: the other day-2 operations of issue 12 through the CLI, in process, against the
 * target cloud: a hold survives an expire run past its expiry and release lets the next run
 * delete it; count retention 2 after four windows leaves exactly the two newest; an on-demand
 * policy snapshot stops the next run from creating one in that window; `status --unprotected`
 * lists exactly the case's volumes that have no enabled, valid policy.
 *
 * Other volumes may be in the project at the same time: every assertion is on the case's own
 * volumes and snapshots.
 */
import assert from "node:assert/strict";
import type { SummaryJson } from "../../src/exec/mod.ts";
import { cliRunner, summaryOf } from "./cli_runner.ts";
import { BACKEND, needs, type Target, withFixtures } from "./target.ts";

/** `HH:MM` an hour before now (UTC): a daily window that is open now. */
function startTimeBefore(target: Target): string {
  const t = target.clock.now().subtract({ hours: 1 }).toZonedDateTimeISO("UTC");
  return `${String(t.hour).padStart(2, "0")}:${String(t.minute).padStart(2, "0")}`;
}

const of = (s: SummaryJson, volumeId: string) => s.actions.filter((a) => a.volume_id === volumeId);

Deno.test(
  `contract[${BACKEND}]: a hold survives an expire run past its expiry; release lets it go`,
  {
    ...needs("member"),
  },
  async () => {
    await withFixtures(async (fx, target) => {
      const run = cliRunner(target);
      const cloud = await fx.open("member");
      const bs = await cloud.blockStorage();
      const v = await fx.createVolume(cloud, { name: "hold" });
      const taken = summaryOf(
        await run(["snapshot", "--volume-id", v.id, "--retention", "1h", "--json"]),
        "snapshot",
      );
      const id = of(taken, v.id)[0]!.snapshot_id!;
      fx.trackSnapshot(cloud, id);
      const hold = await run(["hold", "--snapshot-id", id, "--reason", `${fx.prefix} contract`]);
      assert.equal(hold.code, 0, hold.stderr);
      const md = (await bs.getSnapshot(id)).metadata;
      assert.equal(md["x-snapsentry-snapshot-hold"], "true");
      assert.equal(md["x-snapsentry-snapshot-hold-reason"], `${fx.prefix} contract`);

      const later = target.clock.now().add({ hours: 2 }).toString();
      const kept = summaryOf(
        await run(["expire-snapshots", "--now", later, "--json"]),
        "expire (held)",
      );
      const mine = kept.actions.filter((a) => a.snapshot_id === id);
      assert.deepEqual(
        mine.map((a) => [a.kind, a.status]),
        [["keep", "skipped"]],
        JSON.stringify(mine),
      );
      assert.match(mine[0]!.reason, /^Held with no end \(.*\): never deleted while held/);
      assert.equal((await bs.getSnapshot(id)).status, "available");

      const released = await run(["release", "--snapshot-id", id]);
      assert.equal(released.code, 0, released.stderr);
      assert.equal((await bs.getSnapshot(id)).metadata["x-snapsentry-snapshot-hold"], undefined);
      const gone = summaryOf(await run(["expire-snapshots", "--now", later, "--json"]), "expire");
      assert.deepEqual(
        gone.actions.filter((a) => a.snapshot_id === id).map((a) => [a.kind, a.status]),
        [["expire", "done"]],
      );
      await fx.waitGone(cloud, "snapshot", id);
    });
  },
);

Deno.test(`contract[${BACKEND}]: count retention 2 after four windows leaves the two newest`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const run = cliRunner(target);
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "count" });
    const sub = await run([
      "subscribe",
      "daily",
      "--volume-id",
      v.id,
      "--start-time",
      startTimeBefore(target),
      "--retention",
      "30",
      "--retention-count",
      "2",
    ]);
    assert.equal(sub.code, 0, sub.stderr);
    const now = target.clock.now();
    const ids: string[] = [];
    for (let day = 0; day < 4; day++) {
      const s = summaryOf(
        await run(["create-snapshots", "--json", "--now", now.add({ hours: 24 * day }).toString()]),
        `create-snapshots day ${day}`,
      );
      const created = of(s, v.id).filter((a) => a.kind === "create" && a.status === "done");
      assert.equal(created.length, 1, JSON.stringify(of(s, v.id)));
      fx.trackSnapshot(cloud, created[0]!.snapshot_id!);
      ids.push(created[0]!.snapshot_id!);
    }
    // 30 days keep them all: only the count deletes, the two oldest windows.
    const s = summaryOf(
      await run(["expire-snapshots", "--json", "--now", now.add({ hours: 24 * 3 + 1 }).toString()]),
      "expire-snapshots",
    );
    const expired = of(s, v.id).filter((a) => a.kind === "expire");
    assert.deepEqual(new Set(expired.map((a) => a.snapshot_id)), new Set(ids.slice(0, 2)));
    for (const a of expired) {
      assert.equal(a.status, "done");
      assert.match(a.reason, /Beyond the newest 2 available daily snapshots/);
    }
    for (const id of ids.slice(0, 2)) await fx.waitGone(cloud, "snapshot", id);
    assert.deepEqual(
      new Set((await bs.listSnapshots({ volumeId: v.id })).map((x) => x.id)),
      new Set(ids.slice(2)),
      "exactly the two newest are left",
    );
  });
});

Deno.test(
  `contract[${BACKEND}]: an on-demand policy snapshot satisfies the window for the next run`,
  {
    ...needs("member"),
  },
  async () => {
    await withFixtures(async (fx, target) => {
      const run = cliRunner(target);
      const cloud = await fx.open("member");
      const bs = await cloud.blockStorage();
      const v = await fx.createVolume(cloud, { name: "ondemand" });
      const sub = await run([
        "subscribe",
        "daily",
        "--volume-id",
        v.id,
        "--start-time",
        startTimeBefore(target),
        "--retention",
        "2",
      ]);
      assert.equal(sub.code, 0, sub.stderr);
      const taken = summaryOf(
        await run(["snapshot", "--volume-id", v.id, "--policy", "daily", "--json"]),
        "snapshot --policy daily",
      );
      const id = of(taken, v.id)[0]!.snapshot_id!;
      fx.trackSnapshot(cloud, id);
      const md = (await bs.getSnapshot(id)).metadata;
      assert.equal(md["x-snapsentry-snapshot-on-demand"], "true");
      assert.equal(md["x-snapsentry-snapshot-policy-type"], "daily");

      const next = summaryOf(await run(["create-snapshots", "--json"]), "create-snapshots");
      assert.deepEqual(
        of(next, v.id).map((a) => [a.kind, a.snapshot_id]),
        [["skip", id]],
        "no second snapshot in the window",
      );
      assert.deepEqual((await bs.listSnapshots({ volumeId: v.id })).map((s) => s.id), [id]);
    });
  },
);

Deno.test(`contract[${BACKEND}]: status --unprotected lists exactly the volumes without a policy`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const run = cliRunner(target);
    const cloud = await fx.open("member");
    const [covered, bare, off] = await fx.createVolumes(cloud, 3, { name: "unprot" });
    const typo = await fx.createVolume(cloud, {
      name: "unprot-typo",
      metadata: {
        "x-snapsentry-managed": "true",
        "x-snapsentry-daily-enabled": "true",
        "x-snapsentry-daily-start-time": "25:00",
      },
    });
    for (
      const argv of [
        ["subscribe", "daily", "--volume-id", covered!.id, "--start-time", "02:00"],
        ["subscribe", "daily", "--volume-id", off!.id, "--start-time", "02:00"],
        ["subscribe", "daily", "--volume-id", off!.id, "--enabled=false"],
      ]
    ) {
      const r = await run(argv);
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await run(["status", "--unprotected", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const ours = new Set([covered!.id, bare!.id, off!.id, typo.id]);
    const listed = report.volumes.filter((v: { volume_id: string }) => ours.has(v.volume_id));
    assert.deepEqual(
      new Set(listed.map((v: { volume_id: string }) => v.volume_id)),
      new Set([bare!.id, off!.id, typo.id]),
    );
    for (const v of listed) {
      assert.equal(v.size, 1);
      assert.equal(v.status, "available");
      assert.deepEqual(v.attachments, []);
    }
    const reason = (id: string) =>
      listed.find((v: { volume_id: string }) => v.volume_id === id).reason;
    assert.equal(reason(bare!.id), "No policy");
    assert.equal(reason(off!.id), "Every policy is disabled (daily)");
    assert.match(
      reason(typo.id),
      /^Invalid policy: Cannot parse x-snapsentry-daily-start-time "25:00"/,
    );
    assert.ok(report.total >= 3);
    assert.equal(report.total, report.volumes.length);
  });
});
