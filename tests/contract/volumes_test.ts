/**
 * Contract: volume listing — pagination over several pages, the metadata filter, and the 404 a
 * deleted marker gives.
 */
import assert from "node:assert/strict";
import { OpenStackHttpError } from "../../src/errors.ts";
import { BACKEND, needs, withFixtures } from "./target.ts";

const LIST_KIND = "GET volumes/detail";

Deno.test(`contract[${BACKEND}]: volume pagination follows the next links over 3 pages`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const run = { "contract-run": fx.prefix };
    const made = await fx.createVolumes(cloud, 5, { name: "page", metadata: run });
    const before = cloud.stats().byKind[LIST_KIND] ?? 0;
    const listed = await bs.listVolumes({ metadata: run, limit: 2 });
    const pages = (cloud.stats().byKind[LIST_KIND] ?? 0) - before;
    // 2 + 2 + 1: the last page is not full, so it has no next link and the walk stops.
    assert.ok(pages >= 3, `expected at least 3 pages, got ${pages}`);
    const ids = listed.map((v) => v.id);
    assert.equal(new Set(ids).size, ids.length, "no volume twice");
    assert.deepEqual(new Set(ids), new Set(made.map((v) => v.id)));
    for (const v of listed) {
      assert.equal(v.metadata["contract-run"], fx.prefix);
      assert.ok(v.name.startsWith(`${fx.prefix}-page-`));
      assert.equal(v.status, "available");
      assert.equal(v.size, 1);
    }
  });
});

Deno.test(`contract[${BACKEND}]: volume metadata filter returns only tagged volumes`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const tagged = await fx.createVolumes(cloud, 2, {
      name: "tagged",
      metadata: { "x-snapsentry-managed": "true", "contract-run": fx.prefix },
    });
    const untagged = await fx.createVolume(cloud, {
      name: "untagged",
      metadata: { "contract-run": fx.prefix },
    });
    const other = await fx.createVolume(cloud, {
      name: "false",
      metadata: { "x-snapsentry-managed": "false", "contract-run": fx.prefix },
    });

    const managed = await bs.listVolumes({ metadata: { "x-snapsentry-managed": "true" } });
    assert.ok(managed.length >= 2);
    for (const v of managed) assert.equal(v.metadata["x-snapsentry-managed"], "true");
    const ids = new Set(managed.map((v) => v.id));
    for (const v of tagged) assert.ok(ids.has(v.id), `tagged volume ${v.id} listed`);
    assert.ok(!ids.has(untagged.id), "untagged volume not listed");
    assert.ok(!ids.has(other.id), "volume tagged false not listed");

    // Two keys: both must match.
    const both = await bs.listVolumes({
      metadata: { "x-snapsentry-managed": "true", "contract-run": fx.prefix },
    });
    assert.deepEqual(new Set(both.map((v) => v.id)), new Set(tagged.map((v) => v.id)));
    const none = await bs.listVolumes({ metadata: { "contract-run": `${fx.prefix}-absent` } });
    assert.deepEqual(none, []);

    // A merge keeps the other keys and makes the volume match.
    const merged = await bs.mergeVolumeMetadata(untagged.id, { "x-snapsentry-managed": "true" });
    assert.deepEqual(merged, { "contract-run": fx.prefix, "x-snapsentry-managed": "true" });
    const after = await bs.listVolumes({
      metadata: { "x-snapsentry-managed": "true", "contract-run": fx.prefix },
    });
    assert.equal(after.length, 3);
    await bs.deleteVolumeMetadataKey(untagged.id, "x-snapsentry-managed");
    await bs.deleteVolumeMetadataKey(untagged.id, "x-snapsentry-managed"); // missing: no error
    assert.deepEqual((await bs.getVolume(untagged.id)).metadata, { "contract-run": fx.prefix });
  });
});

Deno.test(`contract[${BACKEND}]: a deleted marker gives 404`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "marker" });
    await fx.deleteVolume(cloud, v.id);
    const error = await cloud.session.request({
      method: "GET",
      url: `${bs.endpoint}/volumes/detail?limit=2&marker=${v.id}`,
      headers: { "OpenStack-API-Version": `volume ${bs.microversion}` },
      expected: [200],
      kind: LIST_KIND,
    }).then(() => undefined, (e) => e);
    assert.ok(error instanceof OpenStackHttpError, `got ${error}`);
    assert.equal(error.status, 404);
    assert.equal(error.serverMessage, `Volume ${v.id} could not be found.`);
    assert.match(error.message, /returned 404, expected 200/);

    const unknown = crypto.randomUUID();
    const snapError = await cloud.session.request({
      method: "GET",
      url: `${bs.endpoint}/snapshots/detail?limit=2&marker=${unknown}`,
      headers: { "OpenStack-API-Version": `volume ${bs.microversion}` },
      expected: [200],
      kind: "GET snapshots/detail",
    }).then(() => undefined, (e) => e);
    assert.ok(snapError instanceof OpenStackHttpError, `got ${snapError}`);
    assert.equal(snapError.status, 404);
    assert.equal(snapError.serverMessage, `Snapshot ${unknown} could not be found.`);
  });
});
