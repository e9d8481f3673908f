import assert from "node:assert/strict";
import { MemoryLogger } from "../log.ts";
import { FakeCloud, fixture, json, PROJECT_ID, SteppingClock } from "./_testing.ts";
import { CinderClient } from "./cinder.ts";
import { HttpTransport } from "./http.ts";

const EP = `http://23.253.248.171:8776/v3/${PROJECT_ID}`;

function client(microversion: string) {
  const cloud = new FakeCloud();
  const transport = new HttpTransport({
    fetch: cloud.fetch,
    clock: new SteppingClock(),
    logger: new MemoryLogger(),
  });
  const session = {
    request: (req: Parameters<HttpTransport["request"]>[0]) =>
      transport.request({ ...req, headers: { ...req.headers, "X-Auth-Token": "tok-cinder-1" } }),
  };
  return {
    cloud,
    cinder: new CinderClient({ session, endpoint: EP, projectId: PROJECT_ID, microversion }),
  };
}

Deno.test("CinderClient volumes", async (t) => {
  await t.step("lists volumes with details and maps the wire format", async () => {
    const { cloud, cinder } = client("3.70");
    cloud.on(
      "GET",
      /\/volumes\/detail$/,
      () => json(fixture("cinder/volumes-list-detailed-response.json")),
    );
    const [v] = await cinder.listVolumes({
      metadata: { "x-snapsentry-daily": "true" },
      status: "in-use",
    });
    assert.deepEqual(v, {
      id: "cb49b381-9012-40cb-b8ee-80c19a4801b5",
      name: "",
      status: "creating",
      size: 10,
      metadata: {},
      attachments: [],
      multiattach: false,
      bootable: false,
      volumeType: "__DEFAULT__",
      availabilityZone: "nova",
      createdAt: Temporal.Instant.from("2018-11-28T06:25:15.288987Z"),
      projectId: "89afd400-b646-4bbc-b12b-c0a4d63e5bd3",
    });
    const req = cloud.requests[0]!;
    assert.equal(req.url.pathname, `/v3/${PROJECT_ID}/volumes/detail`);
    assert.equal(req.url.searchParams.get("metadata"), '{"x-snapsentry-daily":"true"}');
    assert.equal(req.url.searchParams.get("status"), "in-use");
    assert.equal(req.url.searchParams.get("limit"), "1000");
    assert.equal(req.headers.get("OpenStack-API-Version"), "volume 3.70");
    assert.equal(req.headers.get("X-OpenStack-Volume-API-Version"), "3.70");
  });

  await t.step("maps attachments", async () => {
    const { cloud, cinder } = client("3.70");
    const body = fixture("cinder/volume-show-response.json");
    body.volume.attachments = [{
      server_id: "f4fda93b-06e0-4743-8117-bc8bcecd651b",
      attachment_id: "3b8b6631-1cf7-4fd7-9afb-c01e541a073c",
      attached_at: "2017-02-10T14:45:54.000000",
      host_name: null,
      volume_id: "f7223234-1afc-4d19-bfa3-d19deb6235ef",
      device: "/dev/vdb",
      id: "f7223234-1afc-4d19-bfa3-d19deb6235ef",
    }];
    body.volume.bootable = "true";
    cloud.on("GET", /\/volumes\/f7223234/, () => json(body));
    const v = await cinder.getVolume("f7223234-1afc-4d19-bfa3-d19deb6235ef");
    assert.equal(v.bootable, true);
    assert.deepEqual(v.attachments, [{
      attachmentId: "3b8b6631-1cf7-4fd7-9afb-c01e541a073c",
      serverId: "f4fda93b-06e0-4743-8117-bc8bcecd651b",
      hostName: null,
      device: "/dev/vdb",
      attachedAt: Temporal.Instant.from("2017-02-10T14:45:54Z"),
    }]);
  });

  await t.step("merges metadata with POST and deletes one key, 404 included", async () => {
    const { cloud, cinder } = client("3.70");
    cloud.on(
      "POST",
      /\/volumes\/v1\/metadata$/,
      () => json(fixture("cinder/volume-metadata-response.json")),
    );
    cloud.on("DELETE", /\/volumes\/v1\/metadata\/x-snapsentry-daily$/, () => json(null, 404));
    assert.deepEqual(await cinder.mergeVolumeMetadata("v1", { "x-snapsentry-daily": "true" }), {
      name: "metadata0",
      "x-snapsentry-daily": "true",
    });
    assert.deepEqual(cloud.requests[0]!.body, { metadata: { "x-snapsentry-daily": "true" } });
    await cinder.deleteVolumeMetadataKey("v1", "x-snapsentry-daily");
  });
});

Deno.test("CinderClient snapshots", async (t) => {
  await t.step("lists with server-side metadata filter from 3.22", async () => {
    const { cloud, cinder } = client("3.22");
    cloud.on(
      "GET",
      /\/snapshots\/detail$/,
      () => json(fixture("cinder/snapshots-list-detailed-response.json")),
    );
    const snaps = await cinder.listSnapshots({
      metadata: { key: "v3" },
      status: "creating",
      volumeId: "7acd675e-4e06-4653-af9f-2ecd546342d6",
    });
    assert.equal(snaps.length, 1);
    assert.equal(snaps[0]!.progress, "0%");
    assert.equal(snaps[0]!.projectId, "89afd400-b646-4bbc-b12b-c0a4d63e5bd3");
    assert.equal(snaps[0]!.createdAt.toString(), "2019-03-11T16:24:36.464445Z");
    const q = cloud.requests[0]!.url.searchParams;
    assert.equal(q.get("metadata"), '{"key":"v3"}');
    assert.equal(q.get("status"), "creating");
    assert.equal(q.get("volume_id"), "7acd675e-4e06-4653-af9f-2ecd546342d6");
  });

  await t.step("filters metadata client-side below 3.22", async () => {
    const { cloud, cinder } = client("3.21");
    const body = fixture("cinder/snapshots-list-detailed-response.json");
    body.snapshots.push({ ...body.snapshots[0], id: "other", metadata: { key: "v2" } });
    cloud.on("GET", /\/snapshots\/detail$/, () => json(body));
    const snaps = await cinder.listSnapshots({ metadata: { key: "v3" } });
    assert.deepEqual(snaps.map((s) => s.id), ["d0083dc5-8795-4c1a-bc9c-74f70006c205"]);
    assert.equal(cloud.requests[0]!.url.searchParams.get("metadata"), null);
  });

  await t.step("create sends force only below 3.66 and is never retried", async () => {
    for (const [mv, force] of [["3.65", true], ["3.66", undefined]] as const) {
      const { cloud, cinder } = client(mv);
      cloud.on(
        "POST",
        /\/snapshots$/,
        () => json(fixture("cinder/snapshot-create-response.json"), 202),
      );
      const s = await cinder.createSnapshot({
        volumeId: "d291b81c-6e40-4525-8231-90aa1588121e",
        name: "snap-001",
        description: "Daily backup",
        metadata: { key: "v3" },
      });
      assert.equal(s.id, "b36476e5-d18b-47f9-ac69-4818cb43ee21");
      assert.equal(cloud.requests[0]!.body.snapshot.force, force, mv);
    }
    const { cloud, cinder } = client("3.70");
    cloud.on(
      "POST",
      /\/snapshots$/,
      () => json({ computeFault: { message: "boom" } }, 503, { "Retry-After": "1" }),
    );
    await assert.rejects(
      cinder.createSnapshot({ volumeId: "v", name: "n", metadata: {} }),
      /returned 503/,
    );
    assert.equal(cloud.requests.length, 1);
  });

  await t.step("show, delete (404 = gone), force-delete, reset-status, metadata", async () => {
    const { cloud, cinder } = client("3.70");
    cloud.on(
      "GET",
      /\/snapshots\/s1$/,
      () =>
        json({ snapshot: fixture("cinder/snapshots-list-detailed-response.json").snapshots[0] }),
    );
    cloud.on(
      "DELETE",
      /\/snapshots\/gone$/,
      () => json(fixture("cinder/fault-404-snapshot.json"), 404),
    );
    cloud.on("DELETE", /\/snapshots\/s1$/, () => new Response(null, { status: 202 }));
    cloud.on("POST", /\/snapshots\/s1\/action$/, () => new Response(null, { status: 202 }));
    cloud.on(
      "POST",
      /\/snapshots\/s1\/metadata$/,
      (r) => json({ metadata: { key: "v3", ...r.body.metadata } }),
    );
    assert.equal((await cinder.getSnapshot("s1")).status, "creating");
    await cinder.deleteSnapshot("gone");
    await cinder.deleteSnapshot("s1");
    await cinder.forceDeleteSnapshot("s1");
    await cinder.resetSnapshotStatus("s1", "error");
    assert.deepEqual(await cinder.updateSnapshotMetadata("s1", { a: "b" }), { key: "v3", a: "b" });
    const actions = cloud.requests.filter((r) => r.url.pathname.endsWith("/action")).map((r) =>
      r.body
    );
    assert.deepEqual(actions, [{ "os-force_delete": {} }, {
      "os-reset_status": { status: "error" },
    }]);
  });
});

Deno.test("CinderClient quota set with usage", async () => {
  const { cloud, cinder } = client("3.70");
  cloud.on(
    "GET",
    /\/os-quota-sets\/[^/]+$/,
    () => json(fixture("cinder/quotas-show-usage-response.json")),
  );
  const q = await cinder.getQuotaSet();
  assert.equal(cloud.requests[0]!.url.pathname, `/v3/${PROJECT_ID}/os-quota-sets/${PROJECT_ID}`);
  assert.equal(cloud.requests[0]!.url.searchParams.get("usage"), "true");
  assert.deepEqual(q.snapshots, { limit: 10, inUse: 4, reserved: 0, allocated: 0 });
  assert.deepEqual(q.gigabytes, { limit: 1000, inUse: 70, reserved: 0, allocated: 0 });
  assert.equal(q.all.snapshots___DEFAULT__!.limit, -1);
});
