/**
 * Contract: `restore` through the CLI, in process, against the target cloud (issue 12):
 * `--at` picks the right snapshot among several and the new volume becomes available; a source
 * volume that is gone from the project still has its restore points found and chosen, and
 * Cinder's own refusal to build from them is reported, nothing left behind; `--in-place` refuses
 * a snapshot that is not the latest, and reverts to the latest one.
 *
 * Real Cinder stores `created_at` to the second, so snapshots that must be told apart by time are
 * taken more than a second apart (simulated time on the emulator).
 */
import assert from "node:assert/strict";
import type { CliResult } from "../helpers/cli.ts";
import { cliRunner } from "./cli_runner.ts";
import { BACKEND, type Fixtures, needs, type Target, withFixtures } from "./target.ts";

interface RestoreOut {
  volume_id: string | null;
  snapshot_id: string;
  source_volume_id: string;
  status: string;
  in_place?: boolean;
  reason?: string;
}

const out = (r: CliResult, what: string, code = 0) => {
  assert.equal(r.code, code, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

/** Takes `n` ad-hoc managed snapshots of `volumeId` through the CLI, over a second apart. */
async function takeSnapshots(
  fx: Fixtures,
  target: Target,
  volumeId: string,
  n: number,
): Promise<{ id: string; createdAt: string }[]> {
  const run = cliRunner(target);
  const cloud = await fx.open("member");
  const taken = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) await target.sleep(1_100);
    const summary = out(
      await run(["snapshot", "--volume-id", volumeId, "--retention", "1d", "--json"]),
      "snapshot",
    );
    const a = summary.actions.find((x: { kind: string }) => x.kind === "create");
    assert.equal(a.status, "done", JSON.stringify(summary.actions));
    fx.trackSnapshot(cloud, a.snapshot_id);
    taken.push(a.snapshot_id as string);
  }
  // The created_at Cinder recorded (to the second on a real cloud), newest first.
  const points = out(await run(["snapshots", "--volume-id", volumeId, "--json"]), "snapshots");
  assert.deepEqual(
    points.map((p: { snapshot_id: string }) => p.snapshot_id),
    [...taken].reverse(),
    "newest first",
  );
  return points.map((p: { snapshot_id: string; created_at: string }) => ({
    id: p.snapshot_id,
    createdAt: p.created_at,
  }));
}

Deno.test(
  `contract[${BACKEND}]: restore --at picks the right snapshot; the volume becomes available`,
  {
    ...needs("member"),
  },
  async () => {
    await withFixtures(async (fx, target) => {
      const run = cliRunner(target);
      const cloud = await fx.open("member");
      const bs = await cloud.blockStorage();
      const v = await fx.createVolume(cloud, { name: "restore-src" });
      const [newest, middle, oldest] = await takeSnapshots(fx, target, v.id, 3);

      // At the middle one's created_at exactly: that one ("at or before"), not the newer one.
      const dry = out(
        await run([
          "restore",
          "--volume-id",
          v.id,
          "--at",
          middle!.createdAt,
          "--dry-run",
          "--json",
        ]),
        "restore --dry-run",
      ) as RestoreOut;
      assert.equal(dry.snapshot_id, middle!.id);
      assert.equal(dry.volume_id, null);

      const name = fx.name("restored");
      const r = await run([
        "restore",
        "--volume-id",
        v.id,
        "--at",
        middle!.createdAt,
        "--name",
        name,
        "--json",
      ]);
      const restored = JSON.parse(r.stdout) as RestoreOut;
      if (restored.volume_id) fx.trackRestored(cloud, restored.volume_id);
      assert.equal(r.code, 0, `restore\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.deepEqual(
        { ...restored, volume_id: "…" },
        { volume_id: "…", snapshot_id: middle!.id, source_volume_id: v.id, status: "available" },
      );
      const made = await bs.getVolume(restored.volume_id!);
      assert.equal(made.status, "available");
      assert.equal(made.name, name);
      assert.equal(made.size, v.size);
      assert.equal(made.metadata["x-snapsentry-restored-from-volume"], v.id);
      assert.equal(made.metadata["x-snapsentry-restored-from-snapshot"], middle!.id);
      assert.equal(
        made.metadata["x-snapsentry-managed"],
        undefined,
        "never subscribed by accident",
      );
      assert.ok(
        !Object.keys(made.metadata).some((k) =>
          /^x-snapsentry-(express|daily|weekly|monthly)-/.test(k)
        ),
        "no policy key",
      );
      // Between the oldest and the middle one: the oldest.
      const before = Temporal.Instant.from(middle!.createdAt).subtract({ milliseconds: 500 });
      const earlier = out(
        await run([
          "restore",
          "--volume-id",
          v.id,
          "--at",
          before.toString(),
          "--dry-run",
          "--json",
        ]),
        "restore --dry-run (earlier)",
      ) as RestoreOut;
      assert.equal(earlier.snapshot_id, oldest!.id);
      assert.notEqual(newest!.id, middle!.id);
    });
  },
);

Deno.test(`contract[${BACKEND}]: restore when the source volume is gone from the project`, {
  ...needs("member", "admin"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const run = cliRunner(target);
    const cloud = await fx.open("member");
    const admin = await fx.open("admin");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "restore-gone" });
    const [newest] = await takeSnapshots(fx, target, v.id, 2);
    // Cinder never deletes a volume that has snapshots; the one way it loses its volume is a
    // transfer without them (3.55). The member sees it as gone.
    await fx.transferAway(cloud, admin, v.id);
    await assert.rejects(() => bs.getVolume(v.id), /returned 404/);

    // The restore points are still there, found from the snapshot listing alone.
    const points = out(await run(["snapshots", "--volume-id", v.id, "--json"]), "snapshots");
    assert.equal(points.length, 2);
    assert.equal(points[0].volume_name, null);
    const at = target.clock.now().toString();
    const dry = out(
      await run(["restore", "--volume-id", v.id, "--at", at, "--dry-run", "--json"]),
      "restore --dry-run",
    ) as RestoreOut;
    assert.equal(dry.snapshot_id, newest!.id);

    // Cinder builds a volume from a snapshot only while the snapshot's volume is in the project
    // (real Cinder 21 answers 404 for it): snapsentry says so, exit 1, and makes nothing.
    const r = await run(["restore", "--volume-id", v.id, "--at", at]);
    assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(
      r.stderr,
      /Cannot restore from snapshot \S+: Cinder makes a volume from a snapshot only while the snapshot's volume \S+ is in the project/,
    );
    assert.match(r.stderr, /hint: .*transfer it back/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    const left = await bs.listVolumes({
      metadata: { "x-snapsentry-restored-from-snapshot": newest!.id },
    });
    assert.deepEqual(left, [], "no volume was made");
  });
});

Deno.test(`contract[${BACKEND}]: restore --in-place refuses a snapshot that is not the latest`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const run = cliRunner(target);
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "revert" });
    const [latest, older] = await takeSnapshots(fx, target, v.id, 2);

    const refused = out(
      await run([
        "restore",
        "--volume-id",
        v.id,
        "--snapshot-id",
        older!.id,
        "--in-place",
        "--yes",
        "--json",
      ]),
      "restore --in-place (older)",
      1,
    ) as RestoreOut;
    assert.equal(refused.status, "refused");
    assert.match(
      refused.reason!,
      new RegExp(
        `not the volume's latest snapshot \\(${latest!.id}, .*restore it to a new volume instead`,
      ),
    );
    // Nothing was asked of Cinder: the volume and both snapshots are as they were.
    assert.equal((await bs.getVolume(v.id)).status, "available");
    for (const s of [latest!, older!]) {
      assert.equal((await bs.getSnapshot(s.id)).status, "available");
    }

    // Without --yes it only says what it would do.
    const would = out(
      await run([
        "restore",
        "--volume-id",
        v.id,
        "--snapshot-id",
        latest!.id,
        "--in-place",
        "--json",
      ]),
      "restore --in-place (no --yes)",
    ) as RestoreOut;
    assert.equal(would.status, "would_revert");
    // To the latest, with --yes: Cinder's revert action, and the volume is available again.
    const reverted = out(
      await run([
        "restore",
        "--volume-id",
        v.id,
        "--snapshot-id",
        latest!.id,
        "--in-place",
        "--yes",
        "--json",
      ]),
      "restore --in-place (latest)",
    ) as RestoreOut;
    assert.deepEqual(reverted, {
      volume_id: v.id,
      snapshot_id: latest!.id,
      source_volume_id: v.id,
      in_place: true,
      status: "available",
    });
    await fx.waitSnapshot(cloud, latest!.id, "available");
  });
});
