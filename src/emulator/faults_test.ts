import assert from "node:assert/strict";
import { requestKind } from "./emulator.ts";
import { BASE, cinder, login, newEmulator } from "./test_helpers.ts";

Deno.test("requestKind() normalises paths", () => {
  const cases: [string, string, string][] = [
    ["GET", "/volume/v3/p1/volumes/detail", "GET volumes/detail"],
    ["POST", "/volume/v3/p1/snapshots/abc/action", "POST snapshots/{id}/action"],
    ["DELETE", "/volume/v3/p1/volumes/abc/metadata/k", "DELETE volumes/{id}/metadata/{id}"],
    ["GET", "/volume/v3/", "GET versions"],
    ["POST", "/identity/v3/auth/tokens", "POST auth/tokens"],
    ["PUT", "/identity/v3/projects/p/users/u/roles/r", "PUT projects/{id}/users/{id}/roles/{id}"],
    [
      "GET",
      "/image/v2/metadefs/namespaces/ns/properties",
      "GET metadefs/namespaces/{id}/properties",
    ],
  ];
  for (const [m, p, want] of cases) assert.equal(requestKind(m, p), want, p);
});

Deno.test("fault injection", async (t) => {
  await t.step("status fault on the Nth matching call, counted by kind and status", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    e.resetCounts();
    e.faults.add({ kind: "GET volumes/detail", after: 1, fault: { type: "status", status: 503 } });
    assert.equal((await cinder(e, s, "GET", "/volumes/detail")).status, 200);
    const failed = await cinder(e, s, "GET", "/volumes/detail");
    assert.equal(failed.status, 503);
    assert.equal((await failed.json()).serviceUnavailable.code, 503);
    assert.equal((await cinder(e, s, "GET", "/volumes/detail")).status, 200);
    const counts = e.requestCounts();
    assert.equal(counts.total, 3);
    assert.equal(counts.byKind["GET volumes/detail"], 3);
    assert.deepEqual(counts.byMethodStatus, { "GET 200": 2, "GET 503": 1 });
    assert.equal(e.faults.fired.length, 1);
  });

  await t.step("each 5xx status and a path glob", async () => {
    for (const status of [500, 502, 503, 504]) {
      const { e } = newEmulator();
      const s = await login(e, "demo");
      e.faults.add({
        method: "GET",
        path: "/volume/v3/*/volumes/**",
        fault: { type: "status", status },
      });
      assert.equal((await cinder(e, s, "GET", "/volumes/detail")).status, status);
      assert.equal((await cinder(e, s, "GET", "/volumes/detail")).status, 200);
    }
  });

  await t.step("429 with Retry-After", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    e.faults.add({
      kind: "GET snapshots/detail",
      times: 2,
      fault: { type: "rate_limit", retryAfter: 7 },
    });
    for (let i = 0; i < 2; i++) {
      const res = await cinder(e, s, "GET", "/snapshots/detail");
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("Retry-After"), "7");
      await res.body?.cancel();
    }
    assert.equal((await cinder(e, s, "GET", "/snapshots/detail")).status, 200);
  });

  await t.step("latency waits on the emulator's clock", async () => {
    const { e, clock } = newEmulator();
    const s = await login(e, "demo");
    e.faults.add({ kind: "GET volumes", fault: { type: "latency", ms: 5000 } });
    let done = false;
    const p = cinder(e, s, "GET", "/volumes").then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(done, false);
    assert.equal(clock.pendingSleeps, 1);
    clock.advance(5000);
    assert.equal((await p).status, 200);
  });

  await t.step("drop throws a TypeError like fetch and counts as error", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    e.faults.add({ kind: "GET volumes/detail", fault: { type: "drop" } });
    await assert.rejects(() => cinder(e, s, "GET", "/volumes/detail"), TypeError);
    assert.equal(e.requestCounts().byMethodStatus["GET error"], 1);
  });

  await t.step("expire_token makes the call fail with 401", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    e.faults.add({ kind: "GET volumes/detail", fault: { type: "expire_token" } });
    assert.equal((await cinder(e, s, "GET", "/volumes/detail")).status, 401);
    assert.equal((await cinder(e, s, "GET", "/volumes")).status, 401, "the token stays expired");
    const again = await login(e, "demo");
    assert.equal((await cinder(e, again, "GET", "/volumes")).status, 200);
  });

  await t.step("snapshot_stuck and snapshot_error", async () => {
    const { e, clock } = newEmulator({ snapshotDelayMs: 100 });
    const s = await login(e, "demo");
    const v = e.addVolume(s.projectId);
    e.faults.add({ kind: "POST snapshots", fault: { type: "snapshot_stuck" } });
    e.faults.add({
      kind: "POST snapshots",
      after: 1,
      times: Infinity,
      fault: { type: "snapshot_error" },
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await cinder(e, s, "POST", "/snapshots", {
        mv: "3.70",
        body: { snapshot: { volume_id: v.id } },
      });
      ids.push((await res.json()).snapshot.id);
    }
    clock.advance({ hours: 1 });
    assert.deepEqual(ids.map((id) => e.snapshot(id)!.status), ["creating", "error", "error"]);
  });

  await t.step("snapshot_error_deleting: a delete ends in error_deleting", async () => {
    const { e, clock } = newEmulator({ deleteDelayMs: 10 });
    const s = await login(e, "demo");
    const snap = e.addSnapshot({ volumeId: e.addVolume(s.projectId).id });
    e.faults.add({ kind: "DELETE snapshots/{id}", fault: { type: "snapshot_error_deleting" } });
    assert.equal((await cinder(e, s, "DELETE", `/snapshots/${snap.id}`)).status, 202);
    clock.advance(10);
    assert.equal(e.snapshot(snap.id)!.status, "error_deleting");
    const again = await cinder(e, s, "DELETE", `/snapshots/${snap.id}`);
    assert.equal(again.status, 400, "error_deleting needs a force-delete");
    await again.body?.cancel();
  });

  await t.step("lost_response: the snapshot exists but the answer is 500 or dropped", async () => {
    const { e, clock } = newEmulator({ snapshotDelayMs: 10 });
    const s = await login(e, "demo");
    const v = e.addVolume(s.projectId);
    e.faults.add({ kind: "POST snapshots", fault: { type: "lost_response" } });
    e.faults.add({
      kind: "POST snapshots",
      after: 1,
      fault: { type: "lost_response", drop: true },
    });
    const body = { snapshot: { volume_id: v.id, metadata: { run: "r1" } } };
    const lost = await cinder(e, s, "POST", "/snapshots", { mv: "3.70", body });
    assert.equal(lost.status, 500);
    assert.ok((await lost.json()).computeFault);
    await assert.rejects(() => cinder(e, s, "POST", "/snapshots", { mv: "3.70", body }), TypeError);
    clock.advance(10);
    const snaps = e.snapshots(s.projectId);
    assert.equal(snaps.length, 2);
    assert.ok(snaps.every((x) => x.status === "available"));
  });

  await t.step("requests for unknown paths still count and answer 404", async () => {
    const { e } = newEmulator();
    const res = await e.fetch(`${BASE}/nowhere`);
    assert.equal(res.status, 404);
    assert.equal(e.requestCounts().byMethodStatus["GET 404"], 1);
  });
});

Deno.test("serve() answers on loopback", async () => {
  const { e } = newEmulator();
  const server = e.serve({ port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/volume/`);
    assert.equal(res.status, 300);
    assert.equal((await res.json()).versions[0].links[1].href, `${server.url}/volume/v3/`);
    assert.match(e.cloudsYaml(), new RegExp(`${server.url}/identity/v3`));
  } finally {
    await server.shutdown();
  }
});
