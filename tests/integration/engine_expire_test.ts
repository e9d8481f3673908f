/**
 * expire-snapshots and the zombie sweep against the emulated cloud: expired managed snapshots go,
 * the min-keep guard holds, zombies are cleaned where the credential may, deletes are confirmed,
 * and nothing unmanaged is ever touched.
 */
import assert from "node:assert/strict";
import { SNAPSHOT_KEYS } from "../../src/core/mod.ts";
import { dailyPolicy, harness, managedMeta } from "./harness.ts";

const PAST = "2026-01-10T00:00:00Z"; // expired at START (2026-01-15T12:00Z)
const FUTURE = "2026-01-20T00:00:00Z";

function volumeWith(h: ReturnType<typeof harness>, metadata = dailyPolicy()) {
  return h.emulator.addVolume(h.project, { name: "data", metadata, attachments: ["srv-1"] });
}

function snap(
  h: ReturnType<typeof harness>,
  volumeId: string,
  opts: { day: string; expiry?: string; status?: string; meta?: Record<string, string> },
) {
  return h.emulator.addSnapshot({
    volumeId,
    status: opts.status ?? "available",
    createdAt: `${opts.day}T00:00:05Z`,
    metadata: opts.meta ??
      managedMeta("daily", `${opts.day}T00:00:00Z`, opts.expiry ?? PAST),
  });
}

Deno.test("expired managed snapshots are deleted and confirmed; fresh ones kept", async () => {
  const h = harness();
  const v = volumeWith(h);
  const old1 = snap(h, v.id, { day: "2026-01-01" });
  const old2 = snap(h, v.id, { day: "2026-01-02" });
  const fresh = snap(h, v.id, { day: "2026-01-14", expiry: FUTURE });
  const r = await (await h.engine()).expire();
  assert.equal(r.result, "ok");
  assert.equal(r.counts.deleted, 2);
  assert.equal(r.counts.kept, 1);
  // Confirmed with one listing after the deletes, not assumed.
  assert.equal(r.apiCalls["DELETE snapshots"], 2);
  assert.equal(r.apiCalls["GET snapshots/detail"], 2);
  assert.equal(h.logger.events("snapshot_deleted").length, 2);
  h.clock.advance({ seconds: 5 });
  assert.deepEqual(h.snapshots().map((s) => s.id), [fresh.id]);
  assert.ok(
    h.emulator.snapshot(old1.id) === undefined && h.emulator.snapshot(old2.id) === undefined,
  );
});

Deno.test("a delete that does not take is reported, not assumed", async () => {
  const h = harness({ deleteDelayMs: 0 });
  const v = volumeWith(h);
  const old = snap(h, v.id, { day: "2026-01-01" });
  snap(h, v.id, { day: "2026-01-14", expiry: FUTURE });
  h.emulator.faults.add({
    kind: "DELETE snapshots/{id}",
    fault: { type: "snapshot_error_deleting" },
  });
  const r = await (await h.engine()).expire();
  assert.equal(r.result, "partial");
  assert.equal(r.counts.deleted, 0);
  assert.equal(r.counts.failed, 1);
  const a = r.actions.find((x) => x.snapshotId === old.id)!;
  assert.equal(a.status, "failed");
  assert.equal(a.error, "Delete accepted but the snapshot is error_deleting");
  assert.equal(h.emulator.snapshot(old.id)!.status, "error_deleting");
});

Deno.test("min-keep guard: the newest available snapshot stays while creation keeps failing", async () => {
  const h = harness();
  const v = volumeWith(h);
  const older = snap(h, v.id, { day: "2026-01-01" });
  const newest = snap(h, v.id, { day: "2026-01-02" });
  // Every create fails (quota): the volume gets nothing new.
  h.emulator.setQuota(h.project, { snapshots: 0 });
  for (let day = 0; day < 3; day++) {
    const c = await (await h.engine()).create();
    assert.equal(c.counts.failed, 1);
    const e = await (await h.engine()).expire();
    assert.equal(e.result, "ok");
    h.clock.advance({ hours: 24 });
  }
  assert.deepEqual(h.snapshots().map((s) => s.id), [newest.id]);
  assert.equal(h.emulator.snapshot(older.id), undefined);
  const kept = (await (await h.engine()).expire()).actions.find((x) => x.snapshotId === newest.id)!;
  assert.equal(kept.kind, "keep");
  assert.match(kept.reason, /kept by the min-keep guard/);

  // Creation works again: once a newer available one exists, the old newest expires.
  h.emulator.setQuota(h.project, { snapshots: -1 });
  const c = await (await h.engine()).create();
  assert.equal(c.counts.created, 1);
  const e = await (await h.engine()).expire();
  assert.equal(e.counts.deleted, 1);
  h.clock.advance({ seconds: 5 });
  assert.equal(h.snapshots().length, 1);
  assert.notEqual(h.snapshots()[0]!.id, newest.id);
});

Deno.test("the guard does not hold for a volume that is gone or no longer subscribed", async () => {
  const h = harness();
  const v = volumeWith(h, dailyPolicy({ "x-snapsentry-daily-enabled": "false" }));
  snap(h, v.id, { day: "2026-01-02" });
  const r = await (await h.engine()).expire();
  assert.equal(r.counts.deleted, 1);
});

Deno.test("zombies: error deleted; stuck creating and error_deleting force-deleted by an operator", async () => {
  const h = harness();
  const v = volumeWith(h);
  const meta = managedMeta("daily", "2026-01-15T00:00:00Z", FUTURE);
  const errored = h.emulator.addSnapshot({ volumeId: v.id, status: "error", metadata: meta });
  const stuck = h.emulator.addSnapshot({
    volumeId: v.id,
    status: "creating",
    metadata: meta,
    createdAt: "2026-01-15T09:00:00Z", // 3 h ago, past --stuck-after 2h
  });
  const young = h.emulator.addSnapshot({
    volumeId: v.id,
    status: "creating",
    metadata: meta,
    createdAt: "2026-01-15T11:30:00Z",
  });
  const errDel = h.emulator.addSnapshot({
    volumeId: v.id,
    status: "error_deleting",
    metadata: meta,
  });
  const r = await (await h.engine({}, { cloud: "emulator-demo-admin" })).expire();
  assert.equal(r.result, "ok");
  assert.equal(r.counts.zombiesCleaned, 3);
  assert.equal(r.apiCalls["DELETE snapshots"], 1);
  assert.equal(r.apiCalls["POST snapshots/action"], 2);
  const zombies = r.actions.filter((x) => x.kind === "zombie");
  assert.deepEqual(
    zombies.map((z) => z.snapshotId).sort(),
    [errored.id, stuck.id, errDel.id].sort(),
  );
  h.clock.advance({ seconds: 5 });
  assert.deepEqual(h.snapshots().map((s) => s.id), [young.id]);
});

Deno.test("zombies as a member: error deleted; force-deletes reported with the missing permission", async () => {
  const h = harness();
  const v = volumeWith(h);
  const meta = managedMeta("daily", "2026-01-15T00:00:00Z", FUTURE);
  const errored = h.emulator.addSnapshot({ volumeId: v.id, status: "error", metadata: meta });
  const stuck = h.emulator.addSnapshot({
    volumeId: v.id,
    status: "creating",
    metadata: meta,
    createdAt: "2026-01-15T09:00:00Z",
  });
  const errDel = h.emulator.addSnapshot({
    volumeId: v.id,
    status: "error_deleting",
    metadata: meta,
  });
  const r = await (await h.engine()).expire();
  assert.equal(r.result, "partial");
  assert.equal(r.counts.zombiesCleaned, 1);
  assert.equal(r.counts.failed, 2);
  for (const id of [stuck.id, errDel.id]) {
    const a = r.actions.find((x) => x.snapshotId === id)!;
    assert.equal(a.status, "failed");
    assert.match(a.error!, /volume_extension:snapshot_admin_actions:force_delete/);
    assert.match(a.error!, /ask an operator/);
  }
  h.clock.advance({ seconds: 5 });
  assert.equal(h.emulator.snapshot(errored.id), undefined);
  assert.equal(h.emulator.snapshot(stuck.id)!.status, "creating");
  assert.equal(h.emulator.snapshot(errDel.id)!.status, "error_deleting");
});

Deno.test("create-snapshots sweeps zombies too, honouring --stuck-after", async () => {
  const h = harness();
  const v = volumeWith(h);
  const meta = managedMeta("daily", "2026-01-14T00:00:00Z", FUTURE);
  const stuck = h.emulator.addSnapshot({
    volumeId: v.id,
    status: "creating",
    metadata: meta,
    createdAt: "2026-01-15T11:00:00Z", // 1 h old
  });
  const lenient = await (await h.engine({}, { cloud: "emulator-demo-admin" })).create();
  assert.equal(lenient.counts.zombiesCleaned, 0);
  assert.equal(lenient.counts.created, 1);
  const strict = await (await h.engine({ stuckAfterMs: 30 * 60_000 }, {
    cloud: "emulator-demo-admin",
  })).create();
  assert.equal(strict.counts.zombiesCleaned, 1);
  h.clock.advance({ seconds: 5 });
  assert.equal(h.emulator.snapshot(stuck.id), undefined);
  assert.equal(h.goodPerWindow().size, 1);
});

Deno.test("a managed snapshot with a missing or unreadable expiry is kept and reported", async () => {
  const h = harness();
  const v = volumeWith(h);
  const missing = h.emulator.addSnapshot({
    volumeId: v.id,
    createdAt: "2025-06-01T00:00:00Z",
    metadata: { [SNAPSHOT_KEYS.managed]: "true", [SNAPSHOT_KEYS.policyType]: "daily" },
  });
  const garbled = h.emulator.addSnapshot({
    volumeId: v.id,
    createdAt: "2025-06-02T00:00:00Z",
    metadata: {
      ...managedMeta("daily", "2025-06-02T00:00:00Z", PAST),
      [SNAPSHOT_KEYS.expiryDate]: "next tuesday",
    },
  });
  const r = await (await h.engine()).expire();
  assert.equal(r.counts.deleted, 0);
  assert.equal(r.counts.kept, 2);
  const reported = h.logger.events("snapshot_expiry_unreadable").map((e) => String(e.snapshot_id));
  assert.deepEqual(reported.sort(), [missing.id, garbled.id].sort());
  assert.equal(h.snapshots().length, 2);
  // A warning, not a failure: the run is ok (exit 0) and says so in its summary.
  assert.equal(r.result, "ok");
  assert.deepEqual(
    r.warnings.map((w) => [w.code, w.snapshotId]).sort(),
    [["expiry_unreadable", missing.id], ["expiry_unreadable", garbled.id]].sort(),
  );
});

Deno.test("unmanaged snapshots are never touched, even when they look expired", async () => {
  const h = harness();
  const v = volumeWith(h);
  const lookalikes = [
    { ...managedMeta("daily", "2026-01-01T00:00:00Z", PAST), [SNAPSHOT_KEYS.managed]: "false" },
    { ...managedMeta("daily", "2026-01-01T00:00:00Z", PAST), [SNAPSHOT_KEYS.managed]: "yes" },
    { ...managedMeta("daily", "2026-01-01T00:00:00Z", PAST), [SNAPSHOT_KEYS.managed]: " true" },
    (() => {
      const m = managedMeta("daily", "2026-01-01T00:00:00Z", PAST);
      delete m[SNAPSHOT_KEYS.managed];
      return m;
    })(),
  ].map((metadata) => h.emulator.addSnapshot({ volumeId: v.id, metadata, createdAt: PAST }));
  const inError = h.emulator.addSnapshot({ volumeId: v.id, status: "error", metadata: {} });
  const before = JSON.stringify(h.snapshots());
  const r = await (await h.engine({}, { cloud: "emulator-demo-admin" })).expire();
  assert.equal(r.result, "ok");
  assert.equal(r.actions.length, 0);
  await (await h.engine({}, { cloud: "emulator-demo-admin" })).create();
  const after = h.snapshots().filter((s) => [...lookalikes, inError].some((x) => x.id === s.id));
  assert.equal(JSON.stringify(after), before);
  const methods = h.emulator.requestLog
    .filter((x) => x.method !== "GET" && x.kind !== "POST auth/tokens")
    .map((x) => x.path);
  assert.ok(
    methods.every((p) => !lookalikes.some((s) => p.includes(s.id)) && !p.includes(inError.id)),
  );
});

Deno.test("expire --dry-run changes nothing", async () => {
  const h = harness();
  const v = volumeWith(h);
  snap(h, v.id, { day: "2026-01-01" });
  snap(h, v.id, { day: "2026-01-14", expiry: FUTURE });
  h.emulator.addSnapshot({
    volumeId: v.id,
    status: "error",
    metadata: managedMeta("daily", "2026-01-15T00:00:00Z", FUTURE),
  });
  const before = JSON.stringify(h.snapshots());
  const r = await (await h.engine()).expire({ dryRun: true });
  assert.equal(r.dryRun, true);
  assert.deepEqual(
    r.actions.filter((x) => x.status === "dry_run").map((x) => x.kind).sort(),
    ["expire", "zombie"],
  );
  assert.ok(
    h.emulator.requestLog.every((x) => x.method === "GET" || x.kind === "POST auth/tokens"),
  );
  assert.equal(JSON.stringify(h.snapshots()), before);
});

Deno.test("a confirming listing that fails marks the deletes unconfirmed; the run still reports", async () => {
  const h = harness();
  const v = h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  for (const day of ["01", "02"]) {
    h.emulator.addSnapshot({
      volumeId: v.id,
      createdAt: `2026-01-${day}T00:00:00Z`,
      metadata: managedMeta(
        "daily",
        `2026-01-${day}T00:00:00Z`,
        `2026-01-0${Number(day) + 7}T00:00:00Z`,
      ),
    });
  }
  h.emulator.addSnapshot({
    volumeId: v.id,
    metadata: managedMeta("daily", "2026-01-15T00:00:00Z", "2026-01-22T00:00:00Z"),
  });
  h.emulator.faults.add({
    kind: "GET snapshots/detail",
    after: 1,
    times: 8,
    fault: { type: "status", status: 500 },
  });
  const r = await (await h.engine()).expire();
  assert.equal(r.error, undefined);
  assert.equal(r.result, "partial");
  assert.equal(r.counts.deleted, 0);
  assert.equal(r.counts.failed, 2);
  const expired = r.actions.filter((x) => x.kind === "expire");
  assert.equal(expired.length, 2);
  for (const a of expired) {
    assert.equal(a.status, "failed");
    assert.match(a.error!, /^Delete accepted but not confirmed: /);
  }
});

Deno.test("a Go-made snapshot marked managed=True is managed (Go's ParseBool forms) and expires", async () => {
  const h = harness();
  const v = volumeWith(h);
  const goMeta = (expiry: string, managed: string) => ({
    [SNAPSHOT_KEYS.managed]: managed,
    [SNAPSHOT_KEYS.policyType]: "daily",
    [SNAPSHOT_KEYS.expiryDate]: expiry,
    [SNAPSHOT_KEYS.retentionDays]: "7",
  });
  const expired = h.emulator.addSnapshot({
    volumeId: v.id,
    createdAt: "2026-01-01T00:00:00Z",
    metadata: goMeta(PAST, "True"),
  });
  const fresh = h.emulator.addSnapshot({
    volumeId: v.id,
    createdAt: "2026-01-15T00:00:00Z",
    metadata: goMeta(FUTURE, "1"),
  });
  const r = await (await h.engine()).expire();
  assert.equal(r.result, "ok");
  assert.deepEqual(
    r.actions.map((a) => [a.snapshotId, a.kind, a.status]).sort(),
    [[expired.id, "expire", "done"], [fresh.id, "keep", "skipped"]].sort(),
  );
});
