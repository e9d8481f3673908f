/**
 * create-snapshots against the emulated cloud: every test asserts the end state (exactly one
 * managed snapshot per volume, policy and window; nothing unmanaged touched) and the run summary.
 */
import assert from "node:assert/strict";
import { SNAPSHOT_KEYS } from "../../src/core/mod.ts";
import { dailyPolicy, dailyWeekly, harness, managedMeta } from "./harness.ts";

const DAY = "2026-01-15T00:00:00Z";

function sample(h: ReturnType<typeof harness>, metadata = dailyPolicy()) {
  return h.emulator.seedSample(h.project, {
    servers: 3,
    volumesPerServer: 2,
    shared: 1,
    unattached: 2,
    metadata,
  });
}

/** Exactly one good managed snapshot per volume for the daily window of START. */
function assertOnePerWindow(
  h: ReturnType<typeof harness>,
  volumeIds: string[],
  policies: Record<string, string> = { daily: DAY },
) {
  const got = h.goodPerWindow();
  const want = volumeIds.flatMap((id) =>
    Object.entries(policies).map(([p, w]) => `${id} ${p} ${w}`)
  ).sort();
  assert.deepEqual([...got.keys()].sort(), want);
  for (const [k, n] of got) assert.equal(n, 1, `window ${k} holds ${n} snapshots`);
}

Deno.test("double run: the second run creates nothing and only lists once each", async () => {
  const h = harness();
  const { volumes } = sample(h, dailyWeekly());
  const unmanaged = h.emulator.addSnapshot({ volumeId: volumes[0]!.id, name: "by-hand" });
  const first = await (await h.engine()).create();
  assert.equal(first.result, "ok");
  assert.equal(first.counts.created, volumes.length * 2);
  assert.equal(first.counts.failed, 0);

  h.clock.advance({ minutes: 10 });
  const second = await (await h.engine()).create(); // a new process: authenticates again
  assert.equal(second.result, "ok");
  assert.equal(second.counts.created, 0);
  assert.equal(second.counts.skipped, volumes.length * 2);
  assert.deepEqual(second.apiCalls, {
    "POST auth/tokens": 1,
    "GET versions": 1,
    "GET volumes/detail": 1,
    "GET snapshots/detail": 1,
  });
  assertOnePerWindow(h, volumes.map((v) => v.id), { daily: DAY, weekly: DAY });
  const hand = h.emulator.snapshot(unmanaged.id)!;
  assert.equal(hand.status, "available");
  assert.deepEqual(hand.metadata, {});
});

Deno.test("two overlapping runs end with exactly one snapshot per volume, policy and window", async () => {
  const h = harness();
  const { volumes } = sample(h);
  const [a, b] = [await h.engine(), await h.engine()];
  // Hold both first snapshot listings until both runs have observed: the race is then certain
  // (both see empty windows and both create).
  h.emulator.faults.add({
    kind: "GET snapshots/detail",
    times: 2,
    fault: { type: "latency", ms: 500 },
  });
  const [ra, rb] = await Promise.all([a.create(), b.create()]);
  assert.equal(ra.counts.created + rb.counts.created, volumes.length * 2, "both runs created");
  // After its creates, each run lists once more and deletes the newer available duplicates.
  assertOnePerWindow(h, volumes.map((v) => v.id));
  const dedupes = [...ra.actions, ...rb.actions].filter((x) =>
    x.kind === "dedupe" && x.status === "done"
  );
  assert.ok(dedupes.length >= volumes.length, `${dedupes.length} duplicate deletes`);
  // The keeper is the oldest of each pair; the newer one is gone.
  for (const v of volumes) {
    const mine = h.emulator.snapshots(h.project, { includeDeleted: true })
      .filter((s) => s.volumeId === v.id)
      .sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : 1));
    assert.equal(mine.length, 2);
    assert.equal(mine[0]!.status, "available");
    assert.notEqual(mine[1]!.status, "available");
  }
  // A third run finds nothing to do.
  const third = await a.create();
  assert.equal(third.result, "ok");
  assert.equal(third.counts.created, 0);
  assert.equal(third.counts.deleted, 0);
});

Deno.test("a run that created nothing pays no extra listing for raced duplicates", async () => {
  const h = harness();
  sample(h);
  await (await h.engine()).create();
  const steady = await (await h.engine()).create();
  assert.equal(steady.counts.created, 0);
  assert.equal(steady.apiCalls["GET snapshots/detail"], 1);
});

Deno.test("a run stopped by --timeout reports what was not done; the rerun completes it", async () => {
  const h = harness();
  const { volumes } = sample(h);
  // Every create takes 2 s of emulated time; the run may start work for 3 s.
  h.emulator.faults.add({
    kind: "POST snapshots",
    times: Infinity,
    fault: { type: "latency", ms: 2000 },
  });
  const cut = await (await h.engine({ timeoutMs: 3000, concurrency: 1 })).create();
  assert.equal(cut.result, "partial");
  assert.ok(cut.counts.notDone > 0, "some creates were not started");
  assert.equal(cut.counts.created + cut.counts.notDone, volumes.length);
  assert.equal(
    cut.actions.filter((x) => x.status === "not_done").length,
    cut.counts.notDone,
  );
  h.emulator.faults.clear();
  const rerun = await (await h.engine()).create();
  assert.equal(rerun.result, "ok");
  assert.equal(rerun.counts.created, cut.counts.notDone);
  assert.equal(rerun.counts.skipped, cut.counts.created);
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("a run aborted by its signal stops starting work; the rerun has no duplicates", async () => {
  const h = harness();
  const { volumes } = sample(h);
  const ac = new AbortController();
  let posts = 0;
  // Abort (SIGTERM in the CLI) as soon as the third create has been answered.
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const res = await h.emulator.fetch(input, init);
    if ((init?.method ?? "GET") === "POST" && String(input).endsWith("/snapshots")) {
      if (++posts === 3) ac.abort();
    }
    return res;
  };
  const cut = await (await h.engine({ concurrency: 1 }, { fetch })).create({ signal: ac.signal });
  assert.equal(cut.result, "partial");
  assert.ok(cut.counts.notDone > 0);
  assert.equal(cut.counts.failed, 0, "work in flight finished");
  const made = h.snapshots().length;
  assert.equal(made, posts);
  assert.equal(cut.counts.created + cut.counts.notDone, volumes.length);
  const rerun = await (await h.engine()).create();
  assert.equal(rerun.result, "ok");
  assert.equal(rerun.counts.created, volumes.length - made);
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("connections dropped after N creates: failed, not duplicated; the rerun completes", async () => {
  const h = harness();
  const { volumes } = sample(h);
  h.emulator.faults.add({
    kind: "POST snapshots",
    after: 3,
    times: Infinity,
    fault: { type: "drop" },
  });
  const cut = await (await h.engine({ concurrency: 1 })).create();
  assert.equal(cut.result, "partial");
  assert.equal(cut.counts.created, 3);
  assert.equal(cut.counts.failed, volumes.length - 3);
  // Each ambiguous failure was checked with one listing for that volume and window.
  assert.equal(h.snapshots().length, 3);
  h.emulator.faults.clear();
  const rerun = await (await h.engine()).create();
  assert.equal(rerun.result, "ok");
  assert.equal(rerun.counts.created, volumes.length - 3);
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("500 storm on listings: retried, then the run succeeds", async () => {
  const h = harness();
  const { volumes } = sample(h);
  h.emulator.faults.add({
    kind: "GET volumes/detail",
    times: 2,
    fault: { type: "status", status: 500 },
  });
  h.emulator.faults.add({
    kind: "GET snapshots/detail",
    times: 3,
    fault: { type: "status", status: 503 },
  });
  const r = await (await h.engine()).create();
  assert.equal(r.result, "ok");
  assert.equal(r.counts.created, volumes.length);
  assert.equal(h.emulator.faults.pending, 0);
  assert.equal(r.apiCalls["GET volumes/detail"], 3);
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("a create answered 500 after Cinder made the snapshot is adopted, not duplicated", async () => {
  const h = harness();
  const { volumes } = sample(h);
  h.emulator.faults.add({ kind: "POST snapshots", times: 2, fault: { type: "lost_response" } });
  h.emulator.faults.add({
    kind: "POST snapshots",
    after: 2,
    times: 1,
    fault: { type: "lost_response", drop: true },
  });
  const r = await (await h.engine()).create();
  assert.equal(r.result, "ok");
  assert.equal(r.counts.adopted, 3);
  assert.equal(r.counts.created, volumes.length - 3);
  assert.equal(r.counts.failed, 0);
  assert.equal(r.apiCalls["POST snapshots"], volumes.length); // never retried blindly
  const adopted = r.actions.filter((x) => x.kind === "adopt");
  assert.equal(adopted.length, 3);
  for (const a of adopted) assert.equal(a.status, "done");
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("429 with Retry-After: the client waits that long on the clock, then succeeds", async () => {
  const h = harness();
  const { volumes } = sample(h);
  h.emulator.faults.add({
    kind: "GET volumes/detail",
    fault: { type: "rate_limit", retryAfter: 30 },
  });
  const engine = await h.engine();
  const before = h.clock.now();
  const r = await engine.create();
  assert.equal(r.result, "ok");
  assert.equal(r.apiCalls["GET volumes/detail"], 2);
  const waited = h.clock.now().since(before).total("seconds");
  assert.ok(waited >= 30, `waited ${waited} s`);
  assert.ok(r.durationMs >= 30_000);
  assert.ok(
    h.logger.entries.some((e) => /retry|backoff/.test(e.event) && JSON.stringify(e).includes("30")),
    "a retry event names the wait",
  );
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("a token that expires mid-run: one re-auth, and the run completes", async () => {
  const h = harness();
  const { volumes } = sample(h);
  h.emulator.faults.add({ kind: "POST snapshots", after: 2, fault: { type: "expire_token" } });
  const r = await (await h.engine()).create();
  assert.equal(r.result, "ok");
  assert.equal(r.counts.created, volumes.length);
  // One re-auth shared by every request that met the expired token.
  assert.equal(r.apiCalls["POST auth/tokens"], 2);
  // A 401-ed POST was not processed, so resending each made exactly one snapshot per volume.
  const rejected = h.emulator.requestCounts().byMethodStatus["POST 401"]!;
  assert.ok(rejected >= 1);
  assert.equal(r.apiCalls["POST snapshots"], volumes.length + rejected);
  assert.equal(h.snapshots().length, volumes.length);
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("snapshots slower than --wait-timeout are left alone, reported, and adopted later", async () => {
  const h = harness({ snapshotDelayMs: 15 * 60_000 });
  const { volumes } = sample(h);
  const r = await (await h.engine({ waitTimeoutMs: 60_000, pollIntervalMs: 5_000 })).create();
  assert.equal(r.result, "partial");
  assert.equal(r.counts.created, 0);
  assert.equal(r.counts.failed, volumes.length);
  for (const a of r.actions.filter((x) => x.kind === "create")) {
    assert.equal(a.error, "wait timeout");
    assert.match(a.reason, /left alone, the next run adopts it/);
  }
  // Polls are listings, not one GET per snapshot.
  assert.deepEqual(Object.keys(r.apiCalls).sort(), [
    "GET snapshots/detail",
    "GET versions",
    "GET volumes/detail",
    "POST auth/tokens",
    "POST snapshots",
  ]);
  // 60 s of waiting at 5 s per poll: at most two status-filtered listings per poll.
  assert.ok(r.apiCalls["GET snapshots/detail"]! <= 1 + 2 * 12 + 1);
  assert.ok(h.snapshots().every((s) => s.status === "creating"));

  h.clock.advance({ minutes: 5 });
  const next = await (await h.engine()).create();
  assert.equal(next.counts.created, 0);
  assert.equal(next.counts.skipped, volumes.length);
  assert.equal(next.counts.zombiesCleaned, 0);
  assert.equal(next.apiCalls["POST snapshots"], undefined);
  const expire = await (await h.engine()).expire();
  assert.equal(expire.counts.deleted + expire.counts.zombiesCleaned, 0);
  h.clock.advance({ minutes: 15 });
  assert.ok(h.snapshots().every((s) => s.status === "available"));
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("snapshots that turn to error are seen at once, failed and cleaned; the rerun replaces them", async () => {
  const h = harness({ snapshotDelayMs: 1000 });
  const { volumes } = sample(h);
  h.emulator.faults.add({ kind: "POST snapshots", times: 2, fault: { type: "snapshot_error" } });
  const engine = await h.engine({ waitTimeoutMs: 600_000, pollIntervalMs: 5_000 });
  const before = h.clock.now();
  const r = await engine.create();
  assert.equal(r.result, "partial");
  assert.equal(r.counts.failed, 2);
  assert.equal(r.counts.created, volumes.length - 2);
  assert.equal(r.counts.zombiesCleaned, 2);
  // Seen at the first poll, not at the wait timeout.
  assert.ok(h.clock.now().since(before).total("seconds") < 60);
  const failed = r.actions.filter((x) => x.status === "failed");
  assert.deepEqual(failed.map((x) => x.error), [
    "Snapshot went to error",
    "Snapshot went to error",
  ]);
  assert.ok(h.snapshots().every((s) => s.status !== "error"));
  const rerun = await (await h.engine()).create();
  assert.equal(rerun.counts.created, 2);
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("a volume with malformed metadata is reported; the others are done", async () => {
  const h = harness();
  const { volumes } = sample(h);
  const bad = h.emulator.addVolume(h.project, {
    name: "bad",
    metadata: dailyPolicy({ "x-snapsentry-daily-start-time": "25:00" }),
  });
  const r = await (await h.engine()).create();
  assert.equal(r.result, "partial");
  assert.equal(r.counts.invalidPolicies, 1);
  assert.equal(r.counts.created, volumes.length);
  const inv = r.actions.find((x) => x.kind === "invalid")!;
  assert.equal(inv.volumeId, bad.id);
  assert.match(inv.reason, /Cannot parse x-snapsentry-daily-start-time "25:00"/);
  assert.ok(h.logger.events("policy_invalid").length >= 1);
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("quota exhaustion (413) fails that volume naming the quota; the rest carry on", async () => {
  const h = harness();
  const { volumes } = sample(h);
  h.emulator.setQuota(h.project, { snapshots: volumes.length - 1 });
  const r = await (await h.engine({ concurrency: 1 })).create();
  assert.equal(r.result, "partial");
  assert.equal(r.counts.created, volumes.length - 1);
  assert.equal(r.counts.failed, 1);
  const f = r.actions.find((x) => x.status === "failed")!;
  assert.match(f.error!, /^Quota exceeded: .*snapshots/);
  assert.equal(r.apiCalls["POST snapshots"], volumes.length); // not retried
  assert.equal(h.snapshots().length, volumes.length - 1);
  const counts = new Map<string, number>();
  for (const s of h.snapshots()) counts.set(s.volumeId, (counts.get(s.volumeId) ?? 0) + 1);
  assert.ok([...counts.values()].every((n) => n === 1));
});

Deno.test("grouping: one server's volumes go out together, the lane one at a time", async () => {
  const h = harness();
  const { volumes, servers } = sample(h);
  // Every create takes 1 s of emulated time: simultaneous requests share a created_at.
  h.emulator.faults.add({
    kind: "POST snapshots",
    times: Infinity,
    fault: { type: "latency", ms: 1000 },
  });
  const r = await (await h.engine({ concurrency: 1 })).create();
  assert.equal(r.result, "ok");
  const snaps = h.snapshots();
  const byServer = new Map<string, number[]>();
  const lane: number[] = [];
  for (const v of volumes) {
    const s = snaps.find((x) => x.volumeId === v.id)!;
    const group = s.metadata[SNAPSHOT_KEYS.groupServer];
    if (v.attachments.length === 1) {
      assert.equal(group, v.attachments[0]!.serverId);
      assert.equal(s.metadata[SNAPSHOT_KEYS.groupWindow], DAY);
      byServer.set(group!, [...(byServer.get(group!) ?? []), s.createdAt]);
    } else {
      assert.equal(group, undefined, "lane snapshots carry no group");
      lane.push(s.createdAt);
    }
  }
  assert.equal(byServer.size, servers.length);
  const groupTimes = [...byServer.values()].map((ts) => {
    assert.equal(new Set(ts).size, 1, "a group's creates are simultaneous");
    return ts[0]!;
  });
  assert.equal(
    new Set(groupTimes).size,
    servers.length,
    "--concurrency 1: groups one after another",
  );
  assert.equal(lane.length, 3); // 1 multi-attached + 2 unattached
  assert.equal(new Set(lane).size, 3, "the lane is sequential by default");

  // --lane-concurrency 3 widens the lane.
  const h2 = harness();
  sample(h2);
  h2.emulator.faults.add({
    kind: "POST snapshots",
    times: Infinity,
    fault: { type: "latency", ms: 1000 },
  });
  await (await h2.engine({ laneConcurrency: 3 })).create();
  const laneTimes = h2.snapshots().filter((s) => !s.metadata[SNAPSHOT_KEYS.groupServer])
    .map((s) => s.createdAt);
  assert.equal(new Set(laneTimes).size, 1);
});

Deno.test("--dry-run changes nothing", async () => {
  const h = harness();
  const { volumes } = sample(h);
  h.emulator.addSnapshot({
    volumeId: volumes[0]!.id,
    status: "error",
    metadata: { [SNAPSHOT_KEYS.managed]: "true", [SNAPSHOT_KEYS.policyType]: "daily" },
  });
  const before = JSON.stringify(h.snapshots());
  h.emulator.resetCounts();
  const r = await (await h.engine()).create({ dryRun: true });
  assert.equal(r.dryRun, true);
  assert.equal(r.result, "ok");
  assert.equal(
    r.actions.filter((x) => x.kind === "create" && x.status === "dry_run").length,
    volumes.length,
  );
  assert.equal(r.actions.filter((x) => x.kind === "zombie" && x.status === "dry_run").length, 1);
  const methods = Object.keys(h.emulator.requestCounts().byKind).filter((k) =>
    !k.startsWith("GET") && k !== "POST auth/tokens"
  );
  assert.deepEqual(methods, []);
  assert.equal(JSON.stringify(h.snapshots()), before);
});

Deno.test("a volume whose status forbids a snapshot is skipped with the reason", async () => {
  const h = harness();
  const { volumes } = sample(h);
  h.emulator.setVolumeStatus(volumes[0]!.id, "maintenance");
  const r = await (await h.engine()).create();
  assert.equal(r.result, "ok");
  assert.equal(r.counts.created, volumes.length - 1);
  const skip = r.actions.find((x) => x.volumeId === volumes[0]!.id)!;
  assert.equal(skip.kind, "skip");
  assert.match(skip.reason, /Volume status "maintenance" does not allow a snapshot/);
});

Deno.test("a poll listing that keeps failing does not abort the run: the next poll settles it", async () => {
  const h = harness({ snapshotDelayMs: 12_000 });
  const { volumes } = sample(h);
  // The observation listing passes; the first poll's listing fails past the client's retries.
  h.emulator.faults.add({
    kind: "GET snapshots/detail",
    after: 1,
    times: 8,
    fault: { type: "status", status: 500 },
  });
  const r = await (await h.engine({ waitTimeoutMs: 600_000, pollIntervalMs: 5_000 })).create();
  assert.equal(r.error, undefined);
  assert.equal(r.result, "ok");
  assert.equal(r.counts.created, volumes.length);
  assert.equal(r.actions.filter((x) => x.status === "pending").length, 0);
  assert.ok(h.logger.events("snapshot_poll_failed").length >= 1);
  assertOnePerWindow(h, volumes.map((v) => v.id));
});

Deno.test("duplicates not deleted before --timeout are reported as not done", async () => {
  const h = harness();
  const vols = [0, 1, 2, 3].map((i) =>
    h.emulator.addVolume(h.project, { name: `v${i}`, metadata: dailyPolicy() })
  );
  for (const v of vols) {
    for (const minute of [1, 2]) {
      h.emulator.addSnapshot({
        volumeId: v.id,
        createdAt: `2026-01-15T00:0${minute}:00Z`,
        metadata: managedMeta("daily", DAY, "2026-01-22T00:00:00Z"),
      });
    }
  }
  h.emulator.faults.add({
    kind: "DELETE snapshots/{id}",
    times: Infinity,
    fault: { type: "latency", ms: 2000 },
  });
  const r = await (await h.engine({ timeoutMs: 3000 })).create();
  assert.equal(r.result, "partial");
  const dedupes = r.actions.filter((x) => x.kind === "dedupe");
  assert.equal(dedupes.length, vols.length, "every planned dedupe is reported");
  const notDone = dedupes.filter((x) => x.status === "not_done");
  assert.ok(notDone.length > 0);
  assert.equal(r.counts.notDone, notDone.length);
  assert.equal(r.counts.deleted + notDone.length, vols.length);
});

Deno.test("an adopted snapshot that turns to error counts as failed, not as adopted", async () => {
  const h = harness();
  const v = h.emulator.addVolume(h.project, { name: "v", metadata: dailyPolicy() });
  h.emulator.faults.add({ kind: "POST snapshots", fault: { type: "lost_response" } });
  h.emulator.faults.add({ kind: "POST snapshots", fault: { type: "snapshot_error" } });
  const r = await (await h.engine()).create();
  assert.equal(r.result, "partial");
  assert.equal(r.counts.adopted, 0);
  assert.equal(r.counts.failed, 1);
  const a = r.actions.find((x) => x.kind === "adopt")!;
  assert.equal(a.status, "failed");
  assert.equal(a.volumeId, v.id);
});
