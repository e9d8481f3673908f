/**
 * Contract: snapshots — of available and in-use volumes, metadata (create, merge, filter), delete
 * as member, force-delete as admin, the 403 a member gets for force-delete, and quota exhaustion as
 * a 413 QuotaExceededError.
 */
import assert from "node:assert/strict";
import { OpenStackHttpError, QuotaExceededError } from "../../src/errors.ts";
import { CinderQuotaExceededError, encodeMetadataFilter } from "../../src/openstack/mod.ts";
import { BACKEND, needs, withFixtures } from "./target.ts";

Deno.test(`contract[${BACKEND}]: snapshot of an available volume`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "avail" });
    const name = fx.name("snap");
    const created = await bs.createSnapshot({
      volumeId: v.id,
      name,
      description: "contract snapshot",
      metadata: { "contract-run": fx.prefix },
    });
    fx.trackSnapshot(cloud, created.id);
    assert.equal(created.volumeId, v.id);
    assert.equal(created.name, name);
    assert.ok(["creating", "available"].includes(created.status), created.status);
    await fx.waitSnapshot(cloud, created.id, "available");
    const s = await bs.getSnapshot(created.id);
    assert.equal(s.status, "available");
    assert.equal(s.size, 1);
    assert.equal(s.description, "contract snapshot");
    assert.equal(s.projectId, bs.projectId);
    assert.equal(s.progress, "100%");
    assert.deepEqual(s.metadata, { "contract-run": fx.prefix });
    const since = fx.now().since(s.createdAt).total("minutes");
    assert.ok(Math.abs(since) < 10, `created_at is UTC and recent (${since} min off)`);
    const listed = await bs.listSnapshots({ volumeId: v.id });
    assert.deepEqual(listed.map((x) => x.id), [created.id]);
  });
});

Deno.test(`contract[${BACKEND}]: snapshot of an in-use (attached) volume`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "inuse" });
    const server = await fx.attach(cloud, v.id);
    const attached = await bs.getVolume(v.id);
    assert.equal(attached.status, "in-use");
    assert.equal(attached.attachments.length, 1);
    assert.equal(attached.attachments[0]!.serverId, server);
    // Attached without a connector: no device and no attach time.
    assert.equal(attached.attachments[0]!.device, null);
    assert.equal(attached.attachments[0]!.attachedAt, null);

    // Below 3.66 an in-use volume needs force=true (the client sends it there).
    const raw = await cloud.session.request({
      method: "POST",
      url: `${bs.endpoint}/snapshots`,
      headers: { "OpenStack-API-Version": "volume 3.65" },
      json: { snapshot: { volume_id: v.id, name: fx.name("noforce") } },
      expected: [202],
      kind: "POST snapshots",
    }).then(() => undefined, (e) => e);
    assert.ok(raw instanceof OpenStackHttpError, `got ${raw}`);
    assert.equal(raw.status, 400);

    // From 3.66 (the client negotiates 3.70 here) no force is needed.
    const id = await fx.snapshot(cloud, v.id, { "contract-run": fx.prefix });
    const s = await bs.getSnapshot(id);
    assert.equal(s.volumeId, v.id);
    assert.equal(s.status, "available");
    assert.equal((await bs.getVolume(v.id)).status, "in-use");
  });
});

Deno.test(`contract[${BACKEND}]: snapshot metadata is created, merged and read back`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "meta" });
    const id = await fx.snapshot(cloud, v.id, {
      "x-snapsentry-managed": "true",
      "x-snapsentry-policy": "daily",
      "contract-run": fx.prefix,
    });
    const merged = await bs.updateSnapshotMetadata(id, {
      "x-snapsentry-policy": "weekly",
      "x-snapsentry-expires-at": "2030-01-01T00:00:00Z",
    });
    const want = {
      "x-snapsentry-managed": "true",
      "x-snapsentry-policy": "weekly",
      "x-snapsentry-expires-at": "2030-01-01T00:00:00Z",
      "contract-run": fx.prefix,
    };
    assert.deepEqual(merged, want);
    assert.deepEqual((await bs.getSnapshot(id)).metadata, want);
    const listed = await bs.listSnapshots({ volumeId: v.id });
    assert.deepEqual(listed[0]?.metadata, want);
  });
});

Deno.test(`contract[${BACKEND}]: snapshot metadata filter (3.22+) is applied by the server`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "filter" });
    const managed = await fx.snapshot(cloud, v.id, {
      "x-snapsentry-managed": "true",
      "contract-run": fx.prefix,
    });
    const unmanaged = await fx.snapshot(cloud, v.id, { "contract-run": fx.prefix });

    const viaClient = await bs.listSnapshots({
      metadata: { "x-snapsentry-managed": "true", "contract-run": fx.prefix },
    });
    assert.deepEqual(viaClient.map((s) => s.id), [managed]);

    // The server itself filters (the client re-checks, so ask the API directly).
    const filter = encodeMetadataFilter({ "x-snapsentry-managed": "true" });
    const r = await cloud.session.request({
      method: "GET",
      url: `${bs.endpoint}/snapshots/detail?volume_id=${v.id}&metadata=${
        encodeURIComponent(filter)
      }`,
      headers: { "OpenStack-API-Version": "volume 3.22" },
      expected: [200],
      kind: "GET snapshots/detail",
    });
    const ids = (r.body as { snapshots: { id: string }[] }).snapshots.map((s) => s.id);
    assert.deepEqual(ids, [managed]);
    // Below 3.22 the filter is ignored: both come back.
    const old = await cloud.session.request({
      method: "GET",
      url: `${bs.endpoint}/snapshots/detail?volume_id=${v.id}&metadata=${
        encodeURIComponent(filter)
      }`,
      headers: { "OpenStack-API-Version": "volume 3.21" },
      expected: [200],
      kind: "GET snapshots/detail",
    });
    const oldIds = (old.body as { snapshots: { id: string }[] }).snapshots.map((s) => s.id);
    assert.deepEqual(new Set(oldIds), new Set([managed, unmanaged]));
  });
});

Deno.test(`contract[${BACKEND}]: a member deletes its snapshot; a second delete is not an error`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "del" });
    const id = await fx.snapshot(cloud, v.id);
    await bs.deleteSnapshot(id);
    const during = await bs.getSnapshot(id).then((s) => s.status, (e) => e);
    assert.ok(
      during === "deleting" || (during instanceof OpenStackHttpError && during.status === 404),
      `after delete: ${during}`,
    );
    await fx.waitGone(cloud, "snapshot", id);
    await bs.deleteSnapshot(id); // 404 is accepted
    assert.deepEqual(await bs.listSnapshots({ volumeId: v.id }), []);
  });
});

Deno.test(`contract[${BACKEND}]: admin force-deletes a member's snapshot; member gets 403`, {
  ...needs("member", "admin"),
}, async () => {
  await withFixtures(async (fx) => {
    const member = await fx.open("member");
    const admin = await fx.open("admin");
    const bs = await member.blockStorage();
    const adminBs = await admin.blockStorage();
    // The admin works through its own project's URL, even on other projects' snapshots.
    assert.notEqual(adminBs.projectId, bs.projectId);
    assert.ok(adminBs.endpoint.endsWith(`/${adminBs.projectId}`));
    const v = await fx.createVolume(member, { name: "force" });
    const id = await fx.snapshot(member, v.id);

    const denied = await bs.forceDeleteSnapshot(id).then(() => undefined, (e) => e);
    assert.ok(denied instanceof OpenStackHttpError, `got ${denied}`);
    assert.ok(!(denied instanceof QuotaExceededError));
    assert.equal(denied.status, 403);
    assert.equal(denied.method, "POST");
    assert.match(denied.url, new RegExp(`/snapshots/${id}/action$`));
    assert.equal(
      denied.serverMessage,
      "Policy doesn't allow volume_extension:snapshot_admin_actions:force_delete to be performed.",
    );
    assert.match(denied.message, /returned 403.*force_delete/);
    assert.equal((await bs.getSnapshot(id)).status, "available", "still there after the 403");

    // The admin sees the member's snapshot through its own URL and force-deletes it.
    assert.equal((await adminBs.getSnapshot(id)).projectId, bs.projectId);
    await adminBs.forceDeleteSnapshot(id);
    await fx.waitGone(member, "snapshot", id);
    // Gone: a second force-delete is accepted as done (404).
    await adminBs.forceDeleteSnapshot(id);
  });
});

Deno.test(`contract[${BACKEND}]: quota exhaustion is a 413 QuotaExceededError naming snapshots`, {
  ...needs("quota"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const limit = await target.smallSnapshotQuota();
    if (limit === undefined) {
      // deno-lint-ignore no-console
      console.warn(`contract: ${target.profiles.quota} has no small snapshot quota; case skipped`);
      return;
    }
    const cloud = await fx.open("quota");
    const bs = await cloud.blockStorage();
    const quota = await bs.getQuotaSet();
    assert.equal(quota.snapshots.limit, limit);
    const room = limit - quota.snapshots.inUse - quota.snapshots.reserved;
    assert.ok(room >= 0 && room <= limit, `room for ${room} snapshots`);
    const v = await fx.createVolume(cloud, { name: "quota" });
    for (let i = 0; i < room; i++) await fx.snapshot(cloud, v.id);
    const postsBefore = cloud.stats().byKind["POST snapshots"] ?? 0;
    const over = await bs.createSnapshot({ volumeId: v.id, name: fx.name("over"), metadata: {} })
      .then((s) => {
        fx.trackSnapshot(cloud, s.id);
        return undefined;
      }, (e) => e);
    assert.ok(over instanceof QuotaExceededError, `got ${over}`);
    assert.ok(over instanceof CinderQuotaExceededError);
    assert.equal(over.status, 413);
    assert.equal(over.quota, "snapshots");
    assert.equal(over.code, "quota_exceeded");
    assert.match(over.serverMessage ?? "", /SnapshotLimitExceeded/);
    assert.match(over.serverMessage ?? "", new RegExp(`\\(${limit}\\)`));
    assert.ok(over.hint?.includes("quota"));
    // Retry-After: 0 is not a rate limit: exactly one POST, never retried.
    assert.equal((cloud.stats().byKind["POST snapshots"] ?? 0) - postsBefore, 1);
    const after = await bs.getQuotaSet();
    assert.equal(after.snapshots.inUse, limit);
  });
});
