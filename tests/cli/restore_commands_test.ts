/**
 * `snapshots` and `restore` through the CLI against the emulated cloud: the restore points, a
 * new volume from the right snapshot, the in-place revert and its refusals, and a source volume
 * that left the project. Each checks the output (text and JSON), the exit code and what the cloud
 * holds afterwards.
 */
import assert from "node:assert/strict";

import { json, runStamp, setup } from "./day2_fixture.ts";

Deno.test("snapshots: restore points newest first, exactly the issue's JSON fields", async () => {
  const { e, db, snaps } = setup();
  e.emulator.addSnapshot({
    volumeId: db.id,
    createdAt: "2026-03-06T09:00:00Z",
    metadata: {
      "x-snapsentry-managed": "True",
      "x-snapsentry-snapshot-policy-type": "daily",
      "x-snapsentry-snapshot-expiry-date": "2026-03-08T09:00:00Z",
    },
  });
  e.emulator.addSnapshot({ volumeId: db.id, name: "by-hand", createdAt: "2026-03-10T09:00:00Z" });
  const r = await e.run(["snapshots", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = json(r.stdout);
  assert.deepEqual(Object.keys(rows[0]), [
    "snapshot_id",
    "volume_id",
    "volume_name",
    "policy",
    "window_start",
    "created_at",
    "expires_at",
    "status",
    "held",
    "made_by",
  ]);
  assert.deepEqual(
    rows.map((x: { made_by: string; created_at: string }) => [x.made_by, x.created_at]),
    [
      ["snapsentry", "2026-03-09T08:05:00Z"],
      ["snapsentry", "2026-03-08T08:05:00Z"],
      ["snapsentry", "2026-03-07T08:05:00Z"],
      ["go", "2026-03-06T09:00:00Z"],
    ],
  );
  assert.equal(rows[0].snapshot_id, snaps[2]!.id);
  assert.equal(rows[3].window_start, "2026-03-06T08:00:00Z", "a Go snapshot's window, derived");
  const all = json((await e.run(["snapshots", "--all", "--json"])).stdout);
  assert.equal(all[0].made_by, "unmanaged");
  assert.equal(all[0].expires_at, null);
  const text = await e.run(["snapshots", "--volume-id", db.id, "--policy", "daily"]);
  assert.match(text.stdout, /^SNAPSHOT\s+VOLUME\s+NAME\s+POLICY\s+WINDOW/);
  assert.match(text.stdout, /4 snapshots\n$/);
  const bad = await e.run(["snapshots", "--policy", "hourly"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--policy "hourly": expected express, daily, weekly or monthly/);
});
Deno.test("restore --at picks the newest snapshot at or before it; the volume carries its source", async () => {
  const { e, db, snaps } = setup();
  const r = await e.run([
    "restore",
    "--volume-id",
    db.id,
    "--at",
    "2026-03-08T23:00:00Z",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = json(r.stdout);
  assert.deepEqual(Object.keys(out), ["snapshot_id", "source_volume_id", "volume_id", "status"]);
  assert.equal(out.snapshot_id, snaps[1]!.id);
  assert.equal(out.status, "available");
  const v = e.emulator.volume(out.volume_id)!;
  assert.deepEqual(v.metadata, {
    "x-snapsentry-restored-from-volume": db.id,
    "x-snapsentry-restored-from-snapshot": snaps[1]!.id,
  });
  assert.equal(v.snapshotId, snaps[1]!.id);
  assert.equal(v.name, `restore-${snaps[1]!.id}`);
  // A restored volume is not subscribed: it is unprotected until someone subscribes it.
  const unprotected = json((await e.run(["status", "--unprotected", "--json"])).stdout);
  assert.deepEqual(unprotected.volumes.map((x: { volume_id: string }) => x.volume_id), [v.id]);

  const named = await e.run([
    "restore",
    "--volume-id",
    db.id,
    "--snapshot-id",
    snaps[0]!.id,
    "--name",
    "db-restored",
  ]);
  assert.equal(named.code, 0, named.stderr);
  assert.match(
    named.stdout,
    new RegExp(`Restored snapshot ${snaps[0]!.id} .* to new volume \\S+: available`),
  );
});
Deno.test("restore refuses what it cannot do: exit 2 for the flags, 1 for the cloud's state", async () => {
  const { e, db, snaps } = setup();
  const other = e.emulator.addVolume(e.emulator.seed.demoProjectId, { name: "other" });
  const empty = e.emulator.addVolume(e.emulator.seed.demoProjectId, { name: "empty" });
  const foreign = e.emulator.addSnapshot({
    volumeId: other.id,
    metadata: runStamp("2026-03-09T08:05:00Z"),
  });
  const cases: [string[], number, RegExp][] = [
    [["restore", "--volume-id", db.id], 2, /exactly one of --at <instant>/],
    [
      ["restore", "--volume-id", db.id, "--at", "2026-03-09T00:00:00Z", "--snapshot-id", "x"],
      2,
      /exactly one/,
    ],
    [
      ["restore", "--volume-id", db.id, "--at", "yesterday"],
      2,
      /--at "yesterday": expected an RFC 3339/,
    ],
    [["restore", "--at", "2026-03-09T00:00:00Z"], 2, /pass --volume-id/],
    [
      ["restore", "--volume-id", db.id, "--at", "2026-03-01T00:00:00Z"],
      2,
      /oldest available managed snapshot/,
    ],
    [["restore", "--volume-id", db.id, "--snapshot-id", foreign.id], 2, /is of volume/],
    [["restore", "--volume-id", db.id, "--snapshot-id", "nope"], 2, /no such snapshot/],
    [
      ["restore", "--volume-id", db.id, "--snapshot-id", snaps[2]!.id, "--yes"],
      2,
      /--yes without --in-place/,
    ],
    [
      ["restore", "--volume-id", db.id, "--snapshot-id", snaps[2]!.id, "--in-place", "--name", "x"],
      2,
      /--name with --in-place/,
    ],
    [
      ["restore", "--volume-id", db.id, "--snapshot-id", snaps[2]!.id, "--volume-type", "gold"],
      2,
      /--volume-type "gold": Volume type with name gold could not be found/,
    ],
    [
      [
        "restore",
        "--volume-id",
        db.id,
        "--snapshot-id",
        snaps[2]!.id,
        "--availability-zone",
        "mars",
      ],
      2,
      /--availability-zone "mars": Availability zone 'mars' is invalid/,
    ],
    [
      ["restore", "--volume-id", empty.id, "--at", "2026-03-09T00:00:00Z"],
      1,
      /no available managed snapshot/,
    ],
  ];
  for (const [argv, code, message] of cases) {
    const r = await e.run(argv);
    assert.equal(r.code, code, `${argv.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, argv.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  assert.equal(
    e.emulator.requestCounts().byKind["POST volumes"] ?? 0,
    2,
    "only the two Cinder refused",
  );
  assert.equal(e.emulator.volumes(e.emulator.seed.demoProjectId).length, 3, "no volume made");
  const dry = await e.run([
    "restore",
    "--volume-id",
    db.id,
    "--at",
    "2026-03-09T12:00:00Z",
    "--dry-run",
  ]);
  assert.equal(dry.code, 0);
  assert.match(dry.stdout, new RegExp(`Would create volume "restore-${snaps[2]!.id}"`));
  assert.equal(e.emulator.volumes(e.emulator.seed.demoProjectId).length, 3);
});
Deno.test("restore --in-place: only to the latest snapshot, only with --yes, then reverted", async () => {
  const { e, db, snaps } = setup();
  const notLatest = await e.run([
    "restore",
    "--volume-id",
    db.id,
    "--snapshot-id",
    snaps[1]!.id,
    "--in-place",
    "--yes",
  ]);
  assert.equal(notLatest.code, 1);
  assert.match(
    notLatest.stdout,
    /^Refused: .*not the volume's latest snapshot \(.*\).*restore it to a new volume instead/,
  );
  assert.equal(
    e.emulator.requestCounts().byKind["POST volumes/{id}/action"] ?? 0,
    0,
    "Cinder was not asked",
  );

  const without = await e.run([
    "restore",
    "--volume-id",
    db.id,
    "--snapshot-id",
    snaps[2]!.id,
    "--in-place",
    "--json",
  ]);
  assert.equal(without.code, 0);
  assert.equal(json(without.stdout).status, "would_revert");
  assert.match(json(without.stdout).reason, /pass --yes/);
  assert.equal(e.emulator.volume(db.id)!.status, "available");

  const r = await e.run([
    "restore",
    "--volume-id",
    db.id,
    "--snapshot-id",
    snaps[2]!.id,
    "--in-place",
    "--yes",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(json(r.stdout), {
    volume_id: db.id,
    snapshot_id: snaps[2]!.id,
    source_volume_id: db.id,
    in_place: true,
    status: "available",
  });
  assert.equal(e.emulator.requestCounts().byKind["POST volumes/{id}/action"], 1);
});
Deno.test("restore of a volume that left the project: listed, chosen, and Cinder's refusal explained", async () => {
  const { e, db, snaps } = setup();
  e.emulator.state.moveVolume(
    e.emulator.state.volumes.get(db.id)!,
    e.emulator.seed.adminProjectId,
    false,
  );
  const listed = json((await e.run(["snapshots", "--volume-id", db.id, "--json"])).stdout);
  assert.equal(listed.length, 3);
  assert.equal(listed[0].volume_name, null);
  const dry = await e.run([
    "restore",
    "--volume-id",
    db.id,
    "--at",
    "2026-03-10T00:00:00Z",
    "--dry-run",
    "--json",
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(json(dry.stdout).snapshot_id, snaps[2]!.id);
  const r = await e.run(["restore", "--volume-id", db.id, "--at", "2026-03-10T00:00:00Z"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /only while the snapshot's volume .* is in the project/);
  assert.match(r.stderr, /hint: .*transfer it back/);
  assert.equal(e.emulator.volumes(e.emulator.seed.demoProjectId).length, 0, "no volume made");
});

Deno.test("restore whose create answer was lost adopts the volume Cinder made, never a second", async () => {
  const { e, db, snaps } = setup();
  e.emulator.faults.add({ kind: "POST volumes", times: 1, fault: { type: "lost_response" } });
  const r = await e.run(["restore", "--volume-id", db.id, "--snapshot-id", snaps[2]!.id, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = json(r.stdout);
  assert.equal(out.status, "available");
  const made = e.emulator.volumes(e.emulator.seed.demoProjectId).filter((v) => v.id !== db.id);
  assert.deepEqual(made.map((v) => v.id), [out.volume_id], "exactly one volume");
  assert.equal(e.emulator.requestCounts().byKind["POST volumes"], 1);
  assert.ok(r.logs.some((l) => l.event === "volume_create_adopted"));
});
