/**
 * Contract: the move from SnapSentry-Go on the target cloud, through the CLI in process. Snapshots
 * carry exactly the keys Go stamped (no window key, no run id), made by the client as Go made
 * them:
 * - a Go pair in one window (a catch-up pair, a retried create) is never deduplicated: it fills
 *   the window (nothing created), and each goes by its own expiry, the newest kept by the
 *   min-keep guard;
 * - `x-snapsentry-managed` in Go's other ParseBool forms (`True`, `1`) is managed: a past expiry
 *   is deleted; a Go snapshot with no expiry key (Go deleted it at once) is kept and reported.
 */
import assert from "node:assert/strict";
import { formatUtc } from "../../src/core/mod.ts";
import { cliRunner, summaryOf } from "./cli_runner.ts";
import { BACKEND, needs, withFixtures } from "./target.ts";

/** The four keys Go stamped, plus the user-zone copy it wrote. */
function goKeys(expiry: Temporal.Instant | null, managed = "true"): Record<string, string> {
  return {
    "x-snapsentry-managed": managed,
    "x-snapsentry-snapshot-policy-type": "daily",
    "x-snapsentry-snapshot-retention-days": "7",
    ...(expiry
      ? {
        "x-snapsentry-snapshot-expiry-date": formatUtc(expiry),
        "x-snapsentry-snapshot-expiry-date-user-tz": formatUtc(expiry),
      }
      : {}),
  };
}

Deno.test(`contract[${BACKEND}]: a Go pair in one window is never deduplicated`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const run = cliRunner(target);
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "go-pair" });
    const now = target.clock.now();
    const start = now.subtract({ hours: 1 }).toZonedDateTimeISO("UTC");
    const hhmm = `${String(start.hour).padStart(2, "0")}:${String(start.minute).padStart(2, "0")}`;
    const sub = await run([
      "subscribe",
      "daily",
      "--volume-id",
      v.id,
      "--start-time",
      hhmm,
      "--timezone",
      "UTC",
      "--retention",
      "7",
    ]);
    assert.equal(sub.code, 0, sub.stderr);
    // Go's catch-up pair: two snapshots seconds apart in the current window.
    const expiry = now.add({ hours: 47 });
    const older = await fx.snapshot(cloud, v.id, goKeys(expiry));
    const newer = await fx.snapshot(cloud, v.id, goKeys(expiry));

    const create = summaryOf(await run(["create-snapshots", "--json"]), "create-snapshots");
    const mine = create.actions.filter((a) => a.volume_id === v.id);
    assert.deepEqual(
      mine.filter((a) => a.kind !== "skip").map((a) => [a.kind, a.status, a.snapshot_id]),
      [],
      "no create, no dedupe: Go's pair fills the window",
    );
    for (const id of [older, newer]) assert.equal((await bs.getSnapshot(id)).status, "available");

    const early = summaryOf(await run(["expire-snapshots", "--json"]), "expire-snapshots");
    assert.deepEqual(
      early.actions.filter((a) => a.volume_id === v.id && a.kind === "expire"),
      [],
      "neither is deleted before its expiry",
    );

    // Past their expiry: one goes; the other is the volume's last good daily snapshot, which the
    // min-keep guard keeps (the newest by created_at; the id breaks a tie).
    const later = summaryOf(
      await run(["expire-snapshots", "--json", "--now", now.add({ hours: 48 }).toString()]),
      "expire-snapshots later",
    );
    const expired = later.actions.filter((a) =>
      a.volume_id === v.id && a.kind === "expire" && a.status === "done"
    ).map((a) => a.snapshot_id!);
    assert.equal(expired.length, 1, JSON.stringify(later.actions));
    const gone = expired[0]!;
    const stays = gone === older ? newer : older;
    assert.ok([older, newer].includes(gone));
    const kept = later.actions.find((a) => a.snapshot_id === stays);
    assert.equal(kept?.kind, "keep");
    assert.match(kept?.reason ?? "", /min-keep/);
    await fx.waitGone(cloud, "snapshot", gone);
    assert.equal((await bs.getSnapshot(stays)).status, "available");
  });
});

Deno.test(
  `contract[${BACKEND}]: Go's ParseBool forms are managed; no expiry is kept and reported`,
  {
    ...needs("member"),
  },
  async () => {
    await withFixtures(async (fx, target) => {
      const run = cliRunner(target);
      const cloud = await fx.open("member");
      const bs = await cloud.blockStorage();
      const v = await fx.createVolume(cloud, { name: "go-forms" });
      const now = target.clock.now();
      const pastTrue = await fx.snapshot(cloud, v.id, goKeys(now.subtract({ hours: 1 }), "True"));
      const pastOne = await fx.snapshot(cloud, v.id, goKeys(now.subtract({ hours: 1 }), "1"));
      const noExpiry = await fx.snapshot(cloud, v.id, goKeys(null, "true"));
      const good = await fx.snapshot(cloud, v.id, goKeys(now.add({ hours: 7 * 24 })));
      const yes = await fx.snapshot(cloud, v.id, goKeys(now.subtract({ hours: 1 }), "yes"));

      const r = summaryOf(await run(["expire-snapshots", "--json"]), "expire-snapshots");
      const done = r.actions.filter((a) =>
        a.volume_id === v.id && a.kind === "expire" && a.status === "done"
      ).map((a) => a.snapshot_id);
      assert.deepEqual(new Set(done), new Set([pastTrue, pastOne]));
      assert.equal(r.result, "ok", "an unreadable expiry is a warning, not a failure");
      const warned = r.warnings.filter((w) => w.code === "expiry_unreadable");
      assert.deepEqual(warned.map((w) => w.snapshot_id), [noExpiry]);
      for (const id of [pastTrue, pastOne]) await fx.waitGone(cloud, "snapshot", id);
      // Kept: no expiry (Go would have deleted it at once), a future expiry, and `yes`, which
      // Go's ParseBool refused, so Go never managed it.
      for (const id of [noExpiry, good, yes]) {
        assert.equal((await bs.getSnapshot(id)).status, "available", id);
      }
    });
  },
);
