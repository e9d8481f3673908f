import assert from "node:assert/strict";
import { BASE, cinder, type Json, login, newEmulator } from "./test_helpers.ts";

const FIXTURES = new URL("../../tests/fixtures/wire/", import.meta.url);
const fixture = async (name: string): Promise<Json> =>
  JSON.parse(await Deno.readTextFile(new URL(name, FIXTURES)));

Deno.test("cinder versions and microversions", async (t) => {
  await t.step(
    "version documents at /volume/ (300) and /volume/v3/ (200, token needed)",
    async () => {
      const { e } = newEmulator();
      const root = await e.fetch(`${BASE}/volume/`);
      assert.equal(root.status, 300);
      // Real Cinder 21: /v3/ is behind keystonemiddleware.
      for (const path of ["/volume/v3/", "/volume/v3"]) {
        const anon = await e.fetch(`${BASE}${path}`);
        assert.equal(anon.status, 401);
        assert.deepEqual(await anon.json(), {
          error: {
            code: 401,
            title: "Unauthorized",
            message: "The request you have made requires authentication.",
          },
        });
      }
      const s = await login(e, "demo");
      const v3 = await e.fetch(`${BASE}/volume/v3/`, { headers: { "X-Auth-Token": s.token } });
      assert.equal(v3.status, 200);
      const doc = (await v3.json()).versions[0];
      const sample = (await fixture("versions-response.json")).versions[0];
      assert.deepEqual(Object.keys(doc).sort(), Object.keys(sample).sort());
      assert.equal(doc.version, "3.70");
      assert.equal(doc.min_version, "3.0");
      const custom = newEmulator({ maxMicroversion: "3.64" }).e;
      assert.equal(
        (await (await custom.fetch(`${BASE}/volume/`)).json()).versions[0].version,
        "3.64",
      );
    },
  );

  await t.step("header echoed; legacy header honoured; default 3.0; above max is 406", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    const ok = await cinder(e, s, "GET", "/volumes", { mv: "3.59" });
    assert.equal(ok.headers.get("OpenStack-API-Version"), "volume 3.59");
    const legacy = await cinder(e, s, "GET", "/volumes", {
      headers: { "X-OpenStack-Volume-API-Version": "3.44" },
    });
    assert.equal(legacy.headers.get("OpenStack-API-Version"), "volume 3.44");
    const none = await cinder(e, s, "GET", "/volumes");
    assert.equal(none.headers.get("OpenStack-API-Version"), "volume 3.0");
    const latest = await cinder(e, s, "GET", "/volumes", { mv: "latest" });
    assert.equal(latest.headers.get("OpenStack-API-Version"), "volume 3.70");
    const tooHigh = await cinder(e, s, "GET", "/volumes", { mv: "3.71" });
    assert.equal(tooHigh.status, 406);
    assert.match((await tooHigh.json()).computeFault.message, /maximum is 3\.70/);
    const bad = await cinder(e, s, "GET", "/volumes", { mv: "three" });
    assert.equal(bad.status, 400);
  });

  await t.step(
    "the project in the URL must be the token's (400 Malformed request url)",
    async () => {
      const { e } = newEmulator();
      const admin = await login(e, "admin");
      const res = await cinder(e, admin, "GET", "/volumes", { project: e.seed.demoProjectId });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        badRequest: { code: 400, message: "Malformed request url" },
      });
    },
  );

  await t.step("every response carries x-openstack-request-id; a global id is kept", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    const gid = "req-8c0b7d6e-2d7f-4f8e-9a57-1c2b3d4e5f60";
    const res = await cinder(e, s, "GET", "/volumes", {
      headers: { "X-OpenStack-Request-ID": gid },
    });
    assert.match(res.headers.get("x-openstack-request-id")!, /^req-[0-9a-f-]{36}$/);
    assert.equal(e.requestLog.at(-1)!.globalRequestId, gid);
    const missing = await cinder(e, s, "GET", "/volumes/nope");
    assert.match(missing.headers.get("x-openstack-request-id")!, /^req-/);
  });
});

Deno.test("cinder volumes", async (t) => {
  await t.step("detail view has the keys of the API reference sample", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    e.addVolume(s.projectId, { name: "a", attachments: ["srv-1"] });
    const body = await (await cinder(e, s, "GET", "/volumes/detail", { mv: "3.70" })).json();
    const sample = (await fixture("volumes-list-detailed-response.json")).volumes[0];
    // Admin-only and long-removed replication fields are not shown to a member.
    const skip = new Set([
      "os-vol-host-attr:host",
      "os-vol-mig-status-attr:migstat",
      "os-vol-mig-status-attr:name_id",
      "os-volume-replication:extended_status",
      "os-volume-replication:driver_data",
    ]);
    for (const k of Object.keys(sample)) {
      if (!skip.has(k)) assert.ok(k in body.volumes[0], `volume lacks "${k}"`);
    }
    for (const k of Object.keys(sample.attachments[0])) {
      assert.ok(k in body.volumes[0].attachments[0], `attachment lacks "${k}"`);
    }
    assert.match(body.volumes[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(body.volumes[0].status, "in-use");
  });

  await t.step("pagination: limit, full-page links only, following links, cap", async () => {
    const { e } = newEmulator({ maxLimit: 10 });
    const s = await login(e, "demo");
    for (let i = 0; i < 25; i++) {
      e.addVolume(s.projectId, {
        name: `v${i}`,
        createdAt: `2026-01-01T00:00:${String(i).padStart(2, "0")}Z`,
      });
    }
    const first = await (await cinder(e, s, "GET", "/volumes/detail?limit=100")).json();
    assert.equal(first.volumes.length, 10, "capped at maxLimit");
    assert.equal(first.volumes[0].name, "v24", "newest first");
    const names: string[] = [];
    let url: string | undefined = `${BASE}/volume/v3/${s.projectId}/volumes/detail?limit=10`;
    let pages = 0;
    while (url) {
      const body: Json = await (await e.fetch(url, { headers: { "X-Auth-Token": s.token } }))
        .json();
      names.push(...body.volumes.map((v: Json) => v.name));
      url = body.volumes_links?.find((l: Json) => l.rel === "next")?.href;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(names.length, 25);
    assert.equal(new Set(names).size, 25);
    const last =
      await (await cinder(e, s, "GET", "/volumes?limit=5&marker=" + e.volumes(s.projectId)[19]!.id))
        .json();
    assert.equal(last.volumes.length, 5);
    assert.ok(last.volumes_links, "a full page has a next link");
    const partial =
      await (await cinder(e, s, "GET", "/volumes?limit=6&marker=" + e.volumes(s.projectId)[19]!.id))
        .json();
    assert.equal(partial.volumes.length, 5);
    assert.equal(partial.volumes_links, undefined, "no link on a short page");
  });

  await t.step("10,000 volumes page by 1000 with an empty last page after a full one", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    for (let i = 0; i < 10_000; i++) e.addVolume(s.projectId, { name: `v${i}` });
    let marker: string | undefined;
    const seen = new Set<string>();
    let pages = 0;
    for (;;) {
      const q = marker ? `?marker=${marker}` : "";
      const body = await (await cinder(e, s, "GET", `/volumes/detail${q}`)).json();
      pages++;
      for (const v of body.volumes) seen.add(v.id);
      if (!body.volumes_links) break;
      marker = body.volumes[body.volumes.length - 1].id;
    }
    assert.equal(seen.size, 10_000);
    assert.equal(pages, 11);
  });

  await t.step("unknown or deleted marker is 404 itemNotFound", async () => {
    const { e, clock } = newEmulator({ deleteDelayMs: 0 });
    const s = await login(e, "demo");
    const v = e.addVolume(s.projectId, { name: "v" });
    const snap = e.addSnapshot({ volumeId: v.id });
    const res = await cinder(e, s, "GET", "/volumes/detail?marker=does-not-exist");
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), {
      itemNotFound: { code: 404, message: "Volume does-not-exist could not be found." },
    });
    assert.equal((await cinder(e, s, "DELETE", `/snapshots/${snap.id}`)).status, 202);
    clock.advance(1);
    const gone = await cinder(e, s, "GET", `/snapshots/detail?marker=${snap.id}`);
    assert.equal(gone.status, 404);
    assert.ok((await gone.json()).itemNotFound);
  });

  await t.step("metadata filter: dict literal or JSON, status and name", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    e.addVolume(s.projectId, { name: "a", metadata: { policy: "daily", tier: "gold" } });
    e.addVolume(s.projectId, { name: "b", metadata: { policy: "daily" } });
    e.addVolume(s.projectId, { name: "c", status: "error", metadata: { policy: "weekly" } });
    const names = async (q: string) =>
      (await (await cinder(e, s, "GET", `/volumes/detail?${q}`)).json()).volumes
        .map((v: Json) => v.name).sort();
    assert.deepEqual(await names(`metadata=${encodeURIComponent("{'policy': 'daily'}")}`), [
      "a",
      "b",
    ]);
    assert.deepEqual(
      await names(`metadata=${encodeURIComponent('{"policy":"daily","tier":"gold"}')}`),
      ["a"],
    );
    assert.deepEqual(await names(`metadata=${encodeURIComponent("policy=daily")}`), []);
    assert.deepEqual(await names("status=error"), ["c"]);
    assert.deepEqual(await names("name=b"), ["b"]);
  });

  await t.step(
    "volume metadata: POST merges, PUT replaces, DELETE of a missing key is 404",
    async () => {
      const { e } = newEmulator();
      const s = await login(e, "demo");
      const v = e.addVolume(s.projectId, { metadata: { a: "1", b: "2" } });
      const merged = await cinder(e, s, "POST", `/volumes/${v.id}/metadata`, {
        body: { metadata: { b: "3", c: "4" } },
      });
      assert.deepEqual((await merged.json()).metadata, { a: "1", b: "3", c: "4" });
      const del = await cinder(e, s, "DELETE", `/volumes/${v.id}/metadata/a`);
      assert.equal(del.status, 200);
      const missing = await cinder(e, s, "DELETE", `/volumes/${v.id}/metadata/a`);
      assert.equal(missing.status, 404);
      assert.ok((await missing.json()).itemNotFound);
      const replaced = await cinder(e, s, "PUT", `/volumes/${v.id}/metadata`, {
        body: { metadata: { z: "9" } },
      });
      assert.deepEqual((await replaced.json()).metadata, { z: "9" });
      assert.deepEqual(e.volume(v.id)!.metadata, { z: "9" });
    },
  );

  await t.step("create volume: 202 creating, then available", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    const res = await cinder(e, s, "POST", "/volumes", {
      body: { volume: { size: 5, name: "new" } },
    });
    assert.equal(res.status, 202);
    const vol = (await res.json()).volume;
    assert.equal(vol.status, "creating");
    const shown = await (await cinder(e, s, "GET", `/volumes/${vol.id}`)).json();
    assert.equal(shown.volume.status, "available");
  });

  await t.step("attachments: one server, multi-attach, none", () => {
    const { e } = newEmulator();
    const p = e.seed.demoProjectId;
    const one = e.addVolume(p, { attachments: ["s1"] });
    assert.equal(one.status, "in-use");
    assert.throws(() => e.attachVolume(one.id, "s2"), /not multiattach/);
    const multi = e.addVolume(p, { multiattach: true, attachments: ["s1", "s2"] });
    assert.deepEqual(multi.attachments.map((a) => a.serverId), ["s1", "s2"]);
    e.detachVolume(multi.id, "s1");
    assert.equal(e.volume(multi.id)!.status, "in-use");
    e.detachVolume(multi.id);
    assert.equal(e.volume(multi.id)!.status, "available");
  });

  await t.step("seedSample is deterministic and realistic", () => {
    const a = newEmulator().e;
    const b = newEmulator().e;
    const ra = a.seedSample(a.seed.demoProjectId, {
      servers: 3,
      volumesPerServer: 2,
      shared: 1,
      unattached: 2,
      seed: 7,
    });
    const rb = b.seedSample(b.seed.demoProjectId, {
      servers: 3,
      volumesPerServer: 2,
      shared: 1,
      unattached: 2,
      seed: 7,
    });
    assert.deepEqual(
      ra.volumes.map((v) => [v.id, v.name, v.size]),
      rb.volumes.map((v) => [v.id, v.name, v.size]),
    );
    assert.equal(ra.volumes.length, 3 * 2 + 1 + 2);
    const shared = ra.volumes.filter((v) => v.multiattach);
    assert.equal(shared.length, 1);
    assert.equal(shared[0]!.attachments.length, 2);
    assert.equal(ra.volumes.filter((v) => v.attachments.length === 0).length, 2);
  });
});

Deno.test("cinder snapshots", async (t) => {
  await t.step("state machine: creating → available after the delay (ManualClock)", async () => {
    const { e, clock } = newEmulator({ snapshotDelayMs: 2000, deleteDelayMs: 500 });
    const s = await login(e, "demo");
    const v = e.addVolume(s.projectId, { size: 3 });
    const res = await cinder(e, s, "POST", "/snapshots", {
      mv: "3.70",
      body: { snapshot: { volume_id: v.id, name: "s1", metadata: { k: "v" } } },
    });
    assert.equal(res.status, 202);
    const snap = (await res.json()).snapshot;
    assert.equal(snap.status, "creating");
    assert.equal(snap.size, 3);
    assert.deepEqual(snap.metadata, { k: "v" });
    const sample = (await fixture("snapshot-create-response.json")).snapshot;
    for (const k of Object.keys(sample)) assert.ok(k in snap, `snapshot lacks "${k}"`);
    clock.advance(1999);
    const busy = await cinder(e, s, "DELETE", `/snapshots/${snap.id}`);
    assert.equal(busy.status, 400);
    assert.equal(
      (await busy.json()).badRequest.message,
      "Invalid snapshot: Snapshot status must be available or error and must not be part of a group.",
    );
    clock.advance(1);
    const shown = await (await cinder(e, s, "GET", `/snapshots/${snap.id}`)).json();
    assert.equal(shown.snapshot.status, "available");
    assert.equal(shown.snapshot["os-extended-snapshot-attributes:progress"], "100%");
    assert.equal((await cinder(e, s, "DELETE", `/snapshots/${snap.id}`)).status, 202);
    assert.equal(e.snapshot(snap.id)!.status, "deleting");
    clock.advance(500);
    assert.equal((await cinder(e, s, "GET", `/snapshots/${snap.id}`)).status, 404);
    assert.equal(e.snapshots(s.projectId, { includeDeleted: true })[0]!.status, "deleted");
  });

  await t.step("list detail keys match the API reference; filters and links", async () => {
    const { e } = newEmulator({ maxLimit: 2 });
    const s = await login(e, "demo");
    const v1 = e.addVolume(s.projectId);
    const v2 = e.addVolume(s.projectId);
    e.addSnapshot({ volumeId: v1.id, metadata: { run: "a" }, createdAt: "2026-02-01T00:00:00Z" });
    e.addSnapshot({
      volumeId: v1.id,
      metadata: { run: "b" },
      status: "error",
      createdAt: "2026-02-02T00:00:00Z",
    });
    e.addSnapshot({ volumeId: v2.id, metadata: { run: "a" }, createdAt: "2026-02-03T00:00:00Z" });
    const body = await (await cinder(e, s, "GET", "/snapshots/detail", { mv: "3.70" })).json();
    const sample = (await fixture("snapshots-list-detailed-response.json")).snapshots[0];
    for (const k of Object.keys(sample)) assert.ok(k in body.snapshots[0], `snapshot lacks "${k}"`);
    assert.equal(body.snapshots.length, 2);
    assert.match(body.snapshots_links[0].href, /snapshots\/detail\?marker=/);
    const count = async (q: string, mv: string) =>
      (await (await cinder(e, s, "GET", `/snapshots/detail?${q}`, { mv })).json()).snapshots.length;
    const meta = `metadata=${encodeURIComponent("{'run': 'a'}")}&limit=2`;
    assert.equal(await count(meta + `&volume_id=${v1.id}`, "3.22"), 1);
    assert.equal(
      await count(meta + `&volume_id=${v1.id}`, "3.21"),
      2,
      "metadata ignored below 3.22",
    );
    assert.equal(await count("status=error", "3.70"), 1);
  });

  await t.step("all_tenants lists every project for an admin only", async () => {
    const { e } = newEmulator();
    const v = e.addVolume(e.seed.demoProjectId);
    e.addSnapshot({ volumeId: v.id });
    const admin = await login(e, "admin");
    const all = await (await cinder(e, admin, "GET", "/snapshots/detail?all_tenants=1")).json();
    assert.equal(all.snapshots.length, 1);
    const own = await (await cinder(e, admin, "GET", "/snapshots/detail")).json();
    assert.equal(own.snapshots.length, 0);
    const member = await login(e, "demo");
    const ignored = await (await cinder(e, member, "GET", "/snapshots/detail?all_tenants=1"))
      .json();
    assert.equal(ignored.snapshots.length, 1);
  });

  await t.step("force rules around 3.66", async () => {
    const cases: { mv: string; force?: unknown; status: string; want: number }[] = [
      { mv: "3.65", status: "in-use", want: 400 },
      { mv: "3.65", force: true, status: "in-use", want: 202 },
      { mv: "3.65", force: "true", status: "in-use", want: 202 },
      { mv: "3.65", force: false, status: "available", want: 202 },
      { mv: "3.66", status: "in-use", want: 202 },
      { mv: "3.66", force: true, status: "in-use", want: 202 },
      { mv: "3.66", force: false, status: "in-use", want: 400 },
      { mv: "3.66", force: false, status: "available", want: 400 },
      { mv: "3.70", force: true, status: "error", want: 400 },
      { mv: "3.0", status: "error", want: 400 },
    ];
    for (const c of cases) {
      const { e } = newEmulator();
      const s = await login(e, "demo");
      const v = c.status === "in-use"
        ? e.addVolume(s.projectId, { attachments: ["srv"] })
        : e.addVolume(s.projectId, { status: c.status });
      const snapshot: Json = { volume_id: v.id };
      if (c.force !== undefined) snapshot.force = c.force;
      const res = await cinder(e, s, "POST", "/snapshots", { mv: c.mv, body: { snapshot } });
      assert.equal(res.status, c.want, JSON.stringify(c));
      if (c.want === 400) {
        const msg = (await res.json()).badRequest.message as string;
        if (c.mv >= "3.66" && c.force === false) assert.match(msg, /Since microversion 3\.66/);
        else assert.match(msg, new RegExp(`Volume ${v.id} status must be available`));
      } else {
        await res.body?.cancel();
      }
    }
  });

  await t.step("quota: 413 with Retry-After: 0 for snapshots and gigabytes", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    const v = e.addVolume(s.projectId, { size: 40 });
    e.setQuota(s.projectId, { snapshots: 1 });
    const create = () =>
      cinder(e, s, "POST", "/snapshots", { mv: "3.70", body: { snapshot: { volume_id: v.id } } });
    assert.equal((await create()).status, 202);
    const over = await create();
    assert.equal(over.status, 413);
    assert.equal(over.headers.get("Retry-After"), "0");
    assert.deepEqual(await over.json(), {
      overLimit: {
        code: 413,
        message: "SnapshotLimitExceeded: Maximum number of snapshots allowed (1) exceeded",
        retryAfter: "0",
      },
    });
    e.setQuota(s.projectId, { snapshots: -1, gigabytes: 100 });
    const gb = await create();
    assert.equal(gb.status, 413);
    assert.match(
      (await gb.json()).overLimit.message,
      /^VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota\. Requested 40G, quota is 100G and 80G has been consumed\.$/,
    );
    const q = await (await cinder(e, s, "GET", `/os-quota-sets/${s.projectId}?usage=true`)).json();
    assert.deepEqual(q.quota_set.snapshots, { limit: -1, in_use: 1, reserved: 0 });
    assert.deepEqual(q.quota_set.gigabytes, { limit: 100, in_use: 80, reserved: 0 });
    const sample = (await fixture("quotas-show-usage-response.json")).quota_set;
    for (
      const k of [
        "id",
        "volumes",
        "snapshots",
        "gigabytes",
        "backups",
        "groups",
        "per_volume_gigabytes",
        "backup_gigabytes",
      ]
    ) {
      assert.ok(k in q.quota_set && k in sample, k);
    }
  });

  await t.step("quota set is admin only", async () => {
    const { e } = newEmulator();
    const member = await login(e, "demo");
    const denied = await cinder(e, member, "PUT", `/os-quota-sets/${member.projectId}`, {
      body: { quota_set: { snapshots: 5 } },
    });
    assert.equal(denied.status, 403);
    const admin = await login(e, "admin");
    const ok = await cinder(e, admin, "PUT", `/os-quota-sets/${member.projectId}`, {
      body: { quota_set: { snapshots: 5 } },
    });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).quota_set.snapshots, 5);
    const other = await cinder(e, member, "GET", `/os-quota-sets/${admin.projectId}`);
    assert.equal(other.status, 403);
  });

  await t.step(
    "force-delete and reset-status: 403 for a member, admin via its own project URL",
    async () => {
      const { e, clock } = newEmulator({ deleteDelayMs: 10 });
      const member = await login(e, "demo");
      const v = e.addVolume(member.projectId);
      const snap = e.addSnapshot({ volumeId: v.id, status: "creating" });
      const denied = await cinder(e, member, "POST", `/snapshots/${snap.id}/action`, {
        body: { "os-force_delete": {} },
      });
      assert.equal(denied.status, 403);
      assert.deepEqual(await denied.json(), {
        forbidden: {
          code: 403,
          message:
            "Policy doesn't allow volume_extension:snapshot_admin_actions:force_delete to be performed.",
        },
      });
      const admin = await login(e, "admin");
      const reset = await cinder(e, admin, "POST", `/snapshots/${snap.id}/action`, {
        body: { "os-reset_status": { status: "error" } },
      });
      assert.equal(reset.status, 202);
      assert.equal(e.snapshot(snap.id)!.status, "error");
      const forced = await cinder(e, admin, "POST", `/snapshots/${snap.id}/action`, {
        body: { "os-force_delete": {} },
      });
      assert.equal(forced.status, 202);
      clock.advance(10);
      assert.equal(e.snapshot(snap.id), undefined);
    },
  );

  await t.step("snapshot metadata: POST merges, PUT replaces, GET shows", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    const v = e.addVolume(s.projectId);
    const snap = e.addSnapshot({ volumeId: v.id, metadata: { a: "1" } });
    await (await cinder(e, s, "POST", `/snapshots/${snap.id}/metadata`, {
      body: { metadata: { b: "2" } },
    })).body?.cancel();
    const got = await (await cinder(e, s, "GET", `/snapshots/${snap.id}/metadata`)).json();
    assert.deepEqual(got.metadata, { a: "1", b: "2" });
    const put = await cinder(e, s, "PUT", `/snapshots/${snap.id}/metadata`, {
      body: { metadata: { c: "3" } },
    });
    assert.deepEqual((await put.json()).metadata, { c: "3" });
  });
});

Deno.test("cinder attachments API and volume deletion (as a real Cinder 21 answers)", async (t) => {
  await t.step(
    "reserve at 3.27, os-complete at 3.44, delete: reserved → in-use → available",
    async () => {
      const { e } = newEmulator();
      const s = await login(e, "demo");
      const v = e.addVolume(s.projectId, { name: "v" });
      const server = crypto.randomUUID();
      const body = { attachment: { volume_uuid: v.id, instance_uuid: server } };
      assert.equal((await cinder(e, s, "POST", "/attachments", { mv: "3.26", body })).status, 404);
      const created = await cinder(e, s, "POST", "/attachments", { mv: "3.27", body });
      assert.equal(created.status, 200);
      const att = (await created.json()).attachment;
      assert.deepEqual(att, {
        id: att.id,
        status: "reserved",
        instance: server,
        volume_id: v.id,
        attached_at: "",
        detached_at: "",
        attach_mode: "null",
        connection_info: {},
      });
      let vol =
        (await (await cinder(e, s, "GET", `/volumes/${v.id}`, { mv: "3.70" })).json()).volume;
      assert.equal(vol.status, "reserved");
      assert.deepEqual(vol.attachments, []);
      const action = `/attachments/${att.id}/action`;
      const complete = { "os-complete": {} };
      assert.equal(
        (await cinder(e, s, "POST", action, { mv: "3.27", body: complete })).status,
        404,
      );
      const done = await cinder(e, s, "POST", action, { mv: "3.44", body: complete });
      assert.equal(done.status, 204);
      vol = (await (await cinder(e, s, "GET", `/volumes/${v.id}`, { mv: "3.70" })).json()).volume;
      assert.equal(vol.status, "in-use");
      assert.equal(vol.attachments.length, 1);
      assert.equal(vol.attachments[0].server_id, server);
      assert.equal(vol.attachments[0].attachment_id, att.id);
      assert.equal(vol.attachments[0].device, null);
      assert.equal(vol.attachments[0].attached_at, null);
      const shown = await cinder(e, s, "GET", `/attachments/${att.id}`, { mv: "3.44" });
      assert.equal((await shown.json()).attachment.status, "attached");
      const del = await cinder(e, s, "DELETE", `/attachments/${att.id}`, { mv: "3.44" });
      assert.equal(del.status, 200);
      assert.deepEqual(await del.json(), { attachments: [] });
      assert.equal(e.volume(v.id)?.status, "available");
      assert.deepEqual(e.volume(v.id)?.attachments, []);
    },
  );

  await t.step("a deleted volume is `deleting` first, then gone (404)", async () => {
    const { e, clock } = newEmulator({ deleteDelayMs: 500 });
    const s = await login(e, "demo");
    const v = e.addVolume(s.projectId, { name: "v" });
    assert.equal((await cinder(e, s, "DELETE", `/volumes/${v.id}`)).status, 202);
    const during = await cinder(e, s, "GET", `/volumes/${v.id}`);
    assert.equal(during.status, 200);
    assert.equal((await during.json()).volume.status, "deleting");
    clock.advance(500);
    const after = await cinder(e, s, "GET", `/volumes/${v.id}`);
    assert.equal(after.status, 404);
    await after.body?.cancel();
    const marker = await cinder(e, s, "GET", `/volumes/detail?marker=${v.id}`);
    assert.equal(marker.status, 404);
    assert.deepEqual(await marker.json(), {
      itemNotFound: { code: 404, message: `Volume ${v.id} could not be found.` },
    });
  });
});
