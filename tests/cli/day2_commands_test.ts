/**
 * The other day-2 commands through the CLI against the emulated cloud: `snapshot`,
 * `hold`/`release`, `subscribe` re-runs with `--retention-count` and `--snapshot-now`,
 * `status --unprotected` and holds in `status`, and `plan`'s count cause. Each checks the output
 * (text and JSON), the exit code and what the cloud holds afterwards.
 */
import assert from "node:assert/strict";
import { emulatedCli } from "../helpers/cli.ts";

import { json, MANAGED_DAILY, setup } from "./day2_fixture.ts";

Deno.test("snapshot --policy stamps the window; the next run creates nothing", async () => {
  const e = emulatedCli({ start: "2026-03-10T12:00:00Z" });
  const p = e.emulator.seed.demoProjectId;
  const a = e.emulator.addVolume(p, { name: "a", metadata: MANAGED_DAILY, attachments: ["srv"] });
  const b = e.emulator.addVolume(p, { name: "b", metadata: MANAGED_DAILY, attachments: ["srv"] });
  const r = await e.run([
    "snapshot",
    "--volume-id",
    a.id,
    "--volume-id",
    b.id,
    "--policy",
    "daily",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = json(r.stdout);
  assert.equal(summary.counts.created, 2);
  const made = e.emulator.snapshots(p);
  assert.deepEqual(made.map((s) => s.metadata["x-snapsentry-snapshot-group-server"]), [
    "srv",
    "srv",
  ]);
  const run = await e.run(["create-snapshots", "--json"]);
  assert.equal(json(run.stdout).counts.created, 0);
  assert.equal(e.emulator.snapshots(p).length, 2);
  // Text form: one line per snapshot and the count.
  const text = await e.run(["snapshot", "--volume-id", a.id, "--retention", "1d"]);
  assert.match(
    text.stdout,
    /^done\s+ad-hoc snapshot of volume \S+: \S+\n1 snapshot taken \(run req-/,
  );
});
Deno.test("snapshot refuses bad input before any snapshot is requested", async () => {
  const e = emulatedCli({ start: "2026-03-10T12:00:00Z" });
  const p = e.emulator.seed.demoProjectId;
  const ok = e.emulator.addVolume(p, { name: "ok", metadata: MANAGED_DAILY });
  const plain = e.emulator.addVolume(p, { name: "plain" });
  const cases: [string[], RegExp][] = [
    [["snapshot", "--policy", "daily"], /pass --volume-id/],
    [["snapshot", "--volume-id", ok.id], /exactly one of --policy <policy>/],
    [["snapshot", "--volume-id", ok.id, "--policy", "daily", "--retention", "1d"], /exactly one/],
    [["snapshot", "--volume-id", ok.id, "--retention", "7"], /give a unit, e\.g\. 7d/],
    [["snapshot", "--volume-id", ok.id, "--retention", "soon"], /--retention "soon"/],
    [
      ["snapshot", "--volume-id", ok.id, "--volume-id", plain.id, "--policy", "daily"],
      /nothing was created:[\s\S]*not subscribed/,
    ],
    [
      ["snapshot", "--volume-id", ok.id, "--volume-id", "missing-1", "--policy", "daily"],
      /"missing-1": Cinder has no such volume/,
    ],
  ];
  for (const [argv, message] of cases) {
    const r = await e.run(argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(" "));
  }
  assert.equal(e.emulator.requestCounts().byKind["POST snapshots"] ?? 0, 0);
});
Deno.test("hold and release: the keys, the checks, and expire-snapshots keeping a held snapshot", async () => {
  const { e, db, snaps } = setup();
  const id = snaps[0]!.id;
  const held = await e.run([
    "hold",
    "--snapshot-id",
    id,
    "--until",
    "2026-04-01T00:00:00Z",
    "--reason",
    "audit",
  ]);
  assert.equal(held.code, 0, held.stderr);
  assert.match(
    held.stdout,
    /^Held snapshot \S+ of volume \S+ until 2026-04-01T00:00:00Z: audit\n$/,
  );
  const md = () => e.emulator.state.snapshots.get(id)!.metadata;
  assert.equal(md()["x-snapsentry-snapshot-hold"], "true");
  assert.equal(md()["x-snapsentry-snapshot-hold-until"], "2026-04-01T00:00:00Z");
  assert.equal(md()["x-snapsentry-snapshot-hold-reason"], "audit");

  // Past its expiry, kept; status and snapshots show the hold.
  const expire = json((await e.run(["expire-snapshots", "--json"])).stdout);
  assert.ok(
    !expire.actions.some((a: { snapshot_id: string; kind: string }) =>
      a.snapshot_id === id && a.kind === "expire"
    ),
  );
  assert.equal(expire.counts.deleted, 1, "the other expired one goes");
  const status = json((await e.run(["status", "--json"])).stdout);
  assert.deepEqual(status.held.map((h: { snapshot_id: string }) => h.snapshot_id), [id]);
  assert.equal(status.entries[0].held, 1);
  const points = json((await e.run(["snapshots", "--json", "--volume-id", db.id])).stdout);
  assert.equal(points.find((p: { snapshot_id: string }) => p.snapshot_id === id).held, true);

  // A new hold replaces the old one: without --until it has no end.
  await e.run(["hold", "--snapshot-id", id]);
  assert.equal(md()["x-snapsentry-snapshot-hold-until"], undefined);
  assert.equal(md()["x-snapsentry-snapshot-hold-reason"], undefined);

  const released = await e.run(["release", "--snapshot-id", id, "--json"]);
  assert.equal(released.code, 0, released.stderr);
  assert.deepEqual(json(released.stdout)[0].removed, ["x-snapsentry-snapshot-hold"]);
  assert.equal(md()["x-snapsentry-snapshot-hold"], undefined);
  const again = json((await e.run(["expire-snapshots", "--json"])).stdout);
  assert.ok(
    again.actions.some((a: { snapshot_id: string; kind: string; status: string }) =>
      a.snapshot_id === id && a.kind === "expire" && a.status === "done"
    ),
  );

  const plain = e.emulator.addSnapshot({ volumeId: db.id, name: "by-hand" });
  for (
    const [argv, message] of [
      [["hold", "--snapshot-id", plain.id], /not managed by snapsentry/],
      [["hold", "--snapshot-id", "nope"], /no such snapshot/],
      [
        ["hold", "--snapshot-id", snaps[2]!.id, "--until", "2026-03-01T00:00:00Z"],
        /not in the future/,
      ],
      [
        ["hold", "--snapshot-id", snaps[2]!.id, "--reason", "x".repeat(256)],
        /at most 255 characters/,
      ],
      [["release"], /pass --snapshot-id/],
    ] as [string[], RegExp][]
  ) {
    const r = await e.run(argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
Deno.test("subscribe again keeps the values not given; --retention-count writes and removes the count", async () => {
  const e = emulatedCli({ start: "2026-03-10T12:00:00Z" });
  const v = e.emulator.addVolume(e.emulator.seed.demoProjectId, { name: "v" });
  const md = () => e.emulator.volume(v.id)!.metadata;
  await e.run([
    "subscribe",
    "weekly",
    "--volume-id",
    v.id,
    "--start-time",
    "03:00",
    "--week-day",
    "sat",
    "--retention",
    "28",
    "--timezone",
    "Europe/Berlin",
  ]);
  // Before: a re-run without --retention wrote the default (7) and --week-day's default (sunday).
  const r = await e.run(["subscribe", "weekly", "--volume-id", v.id, "--retention-count", "4"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(md()["x-snapsentry-weekly-retention-days"], "28");
  assert.equal(md()["x-snapsentry-weekly-start-day-of-week"], "saturday");
  assert.equal(md()["x-snapsentry-weekly-timezone"], "Europe/Berlin");
  assert.equal(md()["x-snapsentry-weekly-start-time"], "03:00");
  assert.equal(md()["x-snapsentry-weekly-retention-count"], "4");
  assert.match(r.stdout, /weekly saturday 03:00 Europe\/Berlin, keep 28 d, at most 4/);

  const dry = await e.run([
    "subscribe",
    "weekly",
    "--volume-id",
    v.id,
    "--retention-count",
    "0",
    "--dry-run",
  ]);
  assert.match(dry.stdout, /Would remove x-snapsentry-weekly-retention-count \(was 4\)/);
  assert.equal(md()["x-snapsentry-weekly-retention-count"], "4");
  await e.run(["subscribe", "weekly", "--volume-id", v.id, "--retention-count", "0"]);
  assert.equal("x-snapsentry-weekly-retention-count" in md(), false);

  // Count only, on a fresh policy: no days key, so the Go tool (and the stamp) read the default.
  await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    v.id,
    "--start-time",
    "01:00",
    "--retention-count",
    "5",
  ]);
  assert.equal(md()["x-snapsentry-daily-retention-count"], "5");
  assert.equal("x-snapsentry-daily-retention-days" in md(), false);
  for (const bad of ["1001", "-1", "many"]) {
    const b = await e.run(["subscribe", "daily", "--volume-id", v.id, "--retention-count", bad]);
    assert.equal(b.code, 2, bad);
    assert.match(b.stderr, /retention count .*from 1 to 1000/);
  }
});
Deno.test("subscribe --snapshot-now takes the first snapshot at once", async () => {
  const e = emulatedCli({ start: "2026-03-10T12:00:00Z" });
  const v = e.emulator.addVolume(e.emulator.seed.demoProjectId, { name: "v" });
  const dry = await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    v.id,
    "--start-time",
    "08:00",
    "--snapshot-now",
    "--dry-run",
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would take daily snapshot of volume/);
  assert.equal(e.emulator.snapshots(e.emulator.seed.demoProjectId).length, 0);
  const r = await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    v.id,
    "--start-time",
    "08:00",
    "--snapshot-now",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = json(r.stdout)[0];
  assert.equal(out.snapshot_now.status, "done");
  assert.equal(out.snapshot_now.window_start, "2026-03-10T08:00:00Z");
  const [s] = e.emulator.snapshots(e.emulator.seed.demoProjectId);
  assert.equal(s!.id, out.snapshot_now.snapshot_id);
  assert.equal(json((await e.run(["create-snapshots", "--json"])).stdout).counts.created, 0);
  const off = await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    v.id,
    "--enabled=false",
    "--snapshot-now",
  ]);
  assert.equal(off.code, 2);
  // A volume that cannot be snapshotted now is refused before its keys are written.
  const broken = e.emulator.addVolume(e.emulator.seed.demoProjectId, {
    name: "b",
    status: "error",
  });
  const refused = await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    broken.id,
    "--start-time",
    "08:00",
    "--snapshot-now",
  ]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /status is "error"/);
  assert.deepEqual(e.emulator.volume(broken.id)!.metadata, {});
});

Deno.test("status --unprotected lists exactly the volumes without an enabled, valid policy", async () => {
  const e = emulatedCli({ start: "2026-03-10T12:00:00Z" });
  const p = e.emulator.seed.demoProjectId;
  e.emulator.addVolume(p, { name: "ok", metadata: MANAGED_DAILY });
  const bare = e.emulator.addVolume(p, { name: "bare", size: 8, attachments: ["srv-9"] });
  const typo = e.emulator.addVolume(p, {
    name: "typo",
    size: 2,
    metadata: { ...MANAGED_DAILY, "x-snapsentry-daily-start-time": "25:00" },
  });
  const r = await e.run(["status", "--unprotected", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = json(r.stdout);
  assert.equal(out.total, 2);
  assert.equal(out.total_gigabytes, 10);
  assert.deepEqual(
    new Map(
      out.volumes.map((
        v: { volume_id: string; attachments: string[] },
      ) => [v.volume_id, v.attachments]),
    ),
    new Map([[bare.id, ["srv-9"]], [typo.id, []]]),
  );
  assert.match(
    out.volumes.find((v: { volume_id: string }) => v.volume_id === typo.id).reason,
    /Invalid policy/,
  );
  const text = await e.run(["status", "--unprotected"]);
  assert.match(text.stdout, /^VOLUME\s+NAME\s+SIZE\s+STATUS\s+ATTACHED TO\s+WHY\n/);
  assert.match(text.stdout, /2 unprotected volumes, 10 GiB\n$/);
  const bad = await e.run(["status", "--unprotected", "--warn", "26h"]);
  assert.equal(bad.code, 2);
});
Deno.test("plan says which snapshot goes because of the count", async () => {
  const { e, db, snaps } = setup();
  e.emulator.state.volumes.get(db.id)!.metadata["x-snapsentry-daily-retention-count"] = "2";
  e.emulator.state.volumes.get(db.id)!.metadata["x-snapsentry-daily-retention-days"] = "30";
  for (const s of snaps) {
    e.emulator.state.snapshots.get(s.id)!.metadata["x-snapsentry-snapshot-expiry-date"] =
      "2026-04-30T00:00:00Z";
  }
  const plan = json((await e.run(["plan", "--json"])).stdout);
  const gone = plan.expire.filter((x: { action: string }) => x.action === "expire");
  assert.deepEqual(
    gone.map((x: { snapshot_id: string; cause: string }) => [x.snapshot_id, x.cause]),
    [[snaps[0]!.id, "count"]],
  );
  const text = await e.run(["plan"]);
  assert.match(
    text.stdout,
    /expire\s+snapshot \S+ of \S+: Beyond the newest 2 available daily snapshots/,
  );
});
