/**
 * The Cinder calls the restore and hold commands make: a volume from a snapshot (never repeated
 * blindly), revert-to-snapshot (the `revert` action, gated on 3.40), and deleting one snapshot
 * metadata key.
 */
import assert from "node:assert/strict";
import { OpenStackHttpError, SnapsentryError } from "../errors.ts";
import { AUTH_URL, fixture, json, PROJECT_ID, standardCloud, SteppingClock } from "./_testing.ts";
import { defineCloudConfig, openCloud } from "./mod.ts";

const CONFIG = () =>
  defineCloudConfig({
    name: "prod",
    auth: {
      type: "password",
      authUrl: AUTH_URL,
      username: "demo",
      userDomainName: "Default",
      password: "Tr0ub4dor&3-long",
      projectId: PROJECT_ID,
    },
  });

async function open(versionMax = "3.59") {
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now(), { versionMax });
  const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });
  return { cloud, cinder: await os.blockStorage() };
}

Deno.test("createVolume() posts the snapshot, name and metadata and decodes Cinder's answer", async () => {
  const { cloud, cinder } = await open();
  cloud.on(
    "POST",
    /\/volumes$/,
    () => json(fixture("cinder/volume-create-from-snapshot-response.json"), 202),
  );
  const v = await cinder.createVolume({
    name: "restore-1",
    snapshotId: "14f62bc1-9ed3-426f-8e46-92bd2b92f64e",
    metadata: { "x-snapsentry-restored-from-volume": "de24b138" },
    volumeType: "ssd",
    availabilityZone: "nova",
  });
  const sent = cloud.requests.find((r) =>
    r.method === "POST" && r.url.pathname.endsWith("/volumes")
  )!;
  assert.deepEqual(sent.body, {
    volume: {
      name: "restore-1",
      snapshot_id: "14f62bc1-9ed3-426f-8e46-92bd2b92f64e",
      metadata: { "x-snapsentry-restored-from-volume": "de24b138" },
      volume_type: "ssd",
      availability_zone: "nova",
    },
  });
  assert.equal("size" in sent.body.volume, false, "the size comes from the snapshot");
  assert.equal(v.id, "68893534-a428-451d-8286-7a77e25ffcce");
  assert.equal(v.status, "creating");
  assert.equal(v.createdAt.toString(), "2026-12-01T22:38:15.830638Z");
});

Deno.test("createVolume() is not repeated after a 500: the volume may exist", async () => {
  const { cloud, cinder } = await open();
  cloud.on("POST", /\/volumes$/, () => json({ computeFault: { code: 500, message: "boom" } }, 500));
  await assert.rejects(
    () => cinder.createVolume({ name: "x", snapshotId: "s" }),
    (e) => e instanceof OpenStackHttpError && e.status === 500,
  );
  assert.equal(
    cloud.requests.filter((r) => r.method === "POST" && r.url.pathname.endsWith("/volumes")).length,
    1,
  );
});

Deno.test("revertToSnapshot() sends the revert action from 3.40 and refuses below it", async () => {
  const { cloud, cinder } = await open("3.40");
  cloud.on("POST", /\/volumes\/v1\/action$/, () => new Response(null, { status: 202 }));
  await cinder.revertToSnapshot("v1", "s1");
  const sent = cloud.requests.at(-1)!;
  assert.deepEqual(sent.body, { revert: { snapshot_id: "s1" } });
  assert.equal(sent.headers.get("OpenStack-API-Version"), "volume 3.40");

  const old = await open("3.39");
  const before = old.cloud.requests.length;
  await assert.rejects(
    () => old.cinder.revertToSnapshot("v1", "s1"),
    (e) => e instanceof SnapsentryError && e.code === "unsupported_microversion",
  );
  assert.equal(old.cloud.requests.length, before, "nothing is sent");
});

Deno.test("deleteSnapshotMetadataKey() deletes one key; a missing one is no error", async () => {
  const { cloud, cinder } = await open();
  let calls = 0;
  cloud.on(
    "DELETE",
    /\/snapshots\/s1\/metadata\/x-snapsentry-snapshot-hold$/,
    () =>
      ++calls === 1 ? new Response(null, { status: 200 }) : json(
        { itemNotFound: { code: 404, message: "Snapshot s1 has no metadata with key x." } },
        404,
      ),
  );
  await cinder.deleteSnapshotMetadataKey("s1", "x-snapsentry-snapshot-hold");
  await cinder.deleteSnapshotMetadataKey("s1", "x-snapsentry-snapshot-hold");
  assert.equal(calls, 2);
});
