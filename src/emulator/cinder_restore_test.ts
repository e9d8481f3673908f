/**
 * The emulated Cinder's restore surface, as real Cinder 21 answered each call (checked on the
 * real stack): volumes from snapshots, revert-to-snapshot (3.40), snapshot metadata keys, and
 * volume transfers that leave snapshots behind.
 */
import assert from "node:assert/strict";
import { BASE, cinder, type Json, login, newEmulator, type Session } from "./test_helpers.ts";
import type { Emulator } from "./emulator.ts";

async function setup(): Promise<
  { e: Emulator; clock: ReturnType<typeof newEmulator>["clock"]; s: Session }
> {
  const { e, clock } = newEmulator({ snapshotDelayMs: 0, volumeDelayMs: 1000 });
  return { e, clock, s: await login(e, "demo") };
}

async function json(res: Response): Promise<Json> {
  return await res.json();
}

async function fault(res: Response): Promise<[number, string]> {
  const body = await res.json();
  const inner = Object.values(body)[0] as { message: string };
  return [res.status, inner.message];
}

/** A volume with one available snapshot (newest first when there are several). */
function volumeWithSnapshots(e: Emulator, s: Session, n = 1) {
  const v = e.addVolume(s.projectId, { name: "src", size: 3, availabilityZone: "nova" });
  const snaps = Array.from({ length: n }, (_, i) =>
    e.addSnapshot({
      volumeId: v.id,
      name: `s${i}`,
      createdAt: Temporal.Instant.from(`2026-02-0${i + 1}T00:00:00Z`),
    }));
  return { v, snaps };
}

Deno.test("POST /volumes with snapshot_id", async (t) => {
  const { e, clock, s } = await setup();
  const { v, snaps } = volumeWithSnapshots(e, s);
  const snap = snaps[0]!;

  await t.step(
    "creates a volume of the snapshot's size, in its zone, with the metadata",
    async () => {
      const res = await cinder(e, s, "POST", "/volumes", {
        body: { volume: { name: "restored", snapshot_id: snap.id, metadata: { a: "b" } } },
      });
      assert.equal(res.status, 202);
      const created = (await json(res)).volume;
      assert.deepEqual(
        [
          created.status,
          created.size,
          created.snapshot_id,
          created.availability_zone,
          created.metadata,
        ],
        ["creating", 3, snap.id, "nova", { a: "b" }],
      );
      clock.advance(1000);
      const shown = (await json(await cinder(e, s, "GET", `/volumes/${created.id}`))).volume;
      assert.equal(shown.status, "available");
    },
  );

  await t.step("answers as Cinder does for what it cannot do", async () => {
    const post = async (volume: Json) =>
      await fault(await cinder(e, s, "POST", "/volumes", { body: { volume } }));
    const unknown = crypto.randomUUID();
    assert.deepEqual(await post({ snapshot_id: unknown }), [
      404,
      `Snapshot ${unknown} could not be found.`,
    ]);
    assert.deepEqual(await post({ snapshot_id: snap.id, size: 2 }), [
      400,
      "Invalid input received: Volume size '2'GB cannot be smaller than the snapshot size 3GB. They must be >= original snapshot size.",
    ]);
    assert.deepEqual(await post({ snapshot_id: snap.id, volume_type: "nope" }), [
      404,
      "Volume type with name nope could not be found.",
    ]);
    assert.deepEqual(await post({ snapshot_id: snap.id, availability_zone: "nope" }), [
      400,
      "Availability zone 'nope' is invalid.",
    ]);
    e.addVolume(s.projectId, { name: "elsewhere", availabilityZone: "az2" });
    assert.deepEqual(await post({ snapshot_id: snap.id, availability_zone: "az2" }), [
      400,
      "Invalid input received: Volume must be in the same availability zone as the snapshot",
    ]);
    e.state.snapshots.get(snap.id)!.status = "error";
    assert.deepEqual(await post({ snapshot_id: snap.id }), [
      400,
      "Invalid snapshot: Originating snapshot status must be one of available values",
    ]);
    e.state.snapshots.get(snap.id)!.status = "available";
    assert.equal(v.status, "available");
  });
});

Deno.test("POST /volumes/{id}/action revert (3.40)", async (t) => {
  const { e, clock, s } = await setup();
  const { v, snaps } = volumeWithSnapshots(e, s, 2);
  const [older, latest] = snaps;
  const revert = (snapshotId: string | undefined, mv = "3.40") =>
    cinder(e, s, "POST", `/volumes/${v.id}/action`, {
      body: { revert: snapshotId === undefined ? {} : { snapshot_id: snapshotId } },
      mv,
    });

  await t.step("is not there below 3.40, and os-revert is no action", async () => {
    assert.deepEqual(await fault(await revert(latest!.id, "3.39")), [
      404,
      "The resource could not be found.",
    ]);
    const res = await cinder(e, s, "POST", `/volumes/${v.id}/action`, {
      body: { "os-revert": { snapshot_id: latest!.id } },
      mv: "3.40",
    });
    assert.deepEqual(await fault(res), [
      400,
      "There is no such action: os-revert. Verify the request body and Content-Type header and try again.",
    ]);
  });

  await t.step("refuses a snapshot that is not the latest (of any status)", async () => {
    assert.deepEqual(await fault(await revert(older!.id)), [
      400,
      `Specified snapshot ${older!.id} is None or not the latest one of volume ${v.id}.`,
    ]);
    assert.deepEqual(await fault(await revert(undefined)), [
      400,
      `Specified snapshot None is None or not the latest one of volume ${v.id}.`,
    ]);
    const bare = e.addVolume(s.projectId, { name: "bare" });
    const res = await cinder(e, s, "POST", `/volumes/${bare.id}/action`, {
      body: { revert: { snapshot_id: older!.id } },
      mv: "3.40",
    });
    assert.deepEqual(await fault(res), [400, `Volume ${bare.id} doesn't have any snapshots.`]);
  });

  await t.step("refuses a volume that is not available (409)", async () => {
    e.attachVolume(v.id, crypto.randomUUID());
    assert.deepEqual(await fault(await revert(latest!.id)), [
      409,
      `Invalid volume: Can't revert volume ${v.id} to its latest snapshot ${
        latest!.id
      }. Volume's status must be 'available'.`,
    ]);
    e.detachVolume(v.id);
  });

  await t.step(
    "reverts: the volume is reverting, the snapshot restoring, then both available",
    async () => {
      assert.equal((await revert(latest!.id)).status, 202);
      assert.equal(e.state.volumes.get(v.id)!.status, "reverting");
      assert.equal(e.state.snapshots.get(latest!.id)!.status, "restoring");
      assert.equal((await fault(await revert(latest!.id)))[0], 409, "one revert at a time");
      clock.advance(1000);
      const shown = (await json(await cinder(e, s, "GET", `/volumes/${v.id}`))).volume;
      assert.equal(shown.status, "available");
      assert.equal(e.state.snapshots.get(latest!.id)!.status, "available");
    },
  );
});

Deno.test("snapshot metadata keys are deleted one by one; a missing one is Cinder's 404", async () => {
  const { e, s } = await setup();
  const { snaps } = volumeWithSnapshots(e, s);
  const id = snaps[0]!.id;
  await cinder(e, s, "POST", `/snapshots/${id}/metadata`, {
    body: { metadata: { k: "v", o: "1" } },
  });
  assert.equal((await cinder(e, s, "DELETE", `/snapshots/${id}/metadata/k`)).status, 200);
  assert.deepEqual(await fault(await cinder(e, s, "DELETE", `/snapshots/${id}/metadata/k`)), [
    404,
    `Snapshot ${id} has no metadata with key k.`,
  ]);
  assert.deepEqual(e.state.snapshots.get(id)!.metadata, { o: "1" });
});

Deno.test("a volume transferred without its snapshots leaves them unusable, as in Cinder", async () => {
  const { e, s } = await setup();
  const admin = await login(e, "admin");
  const { v, snaps } = volumeWithSnapshots(e, s);
  const snap = snaps[0]!;
  assert.equal(
    (await cinder(e, s, "POST", "/volume-transfers", { body: { transfer: { volume_id: v.id } } }))
      .status,
    404,
    "below 3.55 there is no /volume-transfers",
  );
  const offer = (await json(
    await cinder(e, s, "POST", "/volume-transfers", {
      body: { transfer: { volume_id: v.id, name: "x", no_snapshots: true } },
      mv: "3.55",
    }),
  )).transfer;
  assert.equal(e.state.volumes.get(v.id)!.status, "awaiting-transfer");
  const accept = (key: string) =>
    cinder(e, admin, "POST", `/volume-transfers/${offer.id}/accept`, {
      body: { accept: { auth_key: key } },
      mv: "3.55",
    });
  assert.deepEqual(await fault(await accept("wrong")), [
    400,
    `Invalid auth key: Attempt to transfer ${offer.id} with invalid auth key.`,
  ]);
  assert.equal((await accept(offer.auth_key)).status, 202);

  assert.equal((await cinder(e, s, "GET", `/volumes/${v.id}`)).status, 404);
  const listed = (await json(await cinder(e, s, "GET", `/snapshots/detail?volume_id=${v.id}`)))
    .snapshots;
  assert.deepEqual(listed.map((x: Json) => x.id), [snap.id], "still listed");
  const meta = await cinder(e, s, "POST", `/snapshots/${snap.id}/metadata`, {
    body: { metadata: { "x-snapsentry-snapshot-hold": "true" } },
  });
  assert.equal(meta.status, 200, "metadata still writable");
  const gone = [404, `Volume ${v.id} could not be found.`];
  assert.deepEqual(
    await fault(
      await cinder(e, s, "POST", "/volumes", { body: { volume: { snapshot_id: snap.id } } }),
    ),
    gone,
  );
  assert.deepEqual(await fault(await cinder(e, s, "DELETE", `/snapshots/${snap.id}`)), gone);
  const del = await e.fetch(`${BASE}/volume/v3/${admin.projectId}/volumes/${v.id}`, {
    method: "DELETE",
    headers: { "X-Auth-Token": admin.token },
  });
  assert.equal(del.status, 400, "a volume with snapshots is never deleted");
});
