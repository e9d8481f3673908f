/**
 * Contract: a paged snapshot listing survives a concurrent delete of the snapshot that marks the
 * page boundary (issue 16). Cinder answers the next page with 404 for a deleted marker (see
 * volumes_test.ts); the client restarts the listing, says so in the log (`listing_restarted`)
 * and lists every remaining snapshot once. A low page size (2) makes the boundary.
 */
import assert from "node:assert/strict";
import { MemoryLogger } from "../../src/log.ts";
import { type FetchLike, openCloud } from "../../src/openstack/mod.ts";
import { BACKEND, needs, withFixtures } from "./target.ts";

Deno.test(`contract[${BACKEND}]: a listing survives the deletion of its page marker`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const cloud = await fx.open("member");
    const bs = await cloud.blockStorage();
    const v = await fx.createVolume(cloud, { name: "marker-gone" });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(await fx.snapshot(cloud, v.id, { "contract-run": fx.prefix }));
    }

    // Another actor (a second run expiring snapshots) deletes the last snapshot of the first
    // page right after we read that page, and before we ask for the next one.
    let deleted: string | undefined;
    const racing: FetchLike = async (input, init) => {
      const res = await target.fetch(input, init);
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (
        deleted === undefined && url.pathname.endsWith("/snapshots/detail") &&
        url.searchParams.get("limit") === "2" && !url.searchParams.has("marker")
      ) {
        const page = (await res.clone().json()) as { snapshots: { id: string }[] };
        deleted = page.snapshots.at(-1)!.id;
        await bs.deleteSnapshot(deleted);
        await fx.waitGone(cloud, "snapshot", deleted);
      }
      return res;
    };
    const logger = new MemoryLogger();
    const lister = await openCloud({
      cloudName: target.profiles.member!,
      env: target.env,
      readTextFile: target.readTextFile,
      ...(target.kind === "emulator" ? { cwd: "/emulated", homeDir: "/emulated" } : {}),
      fetch: racing,
      clock: target.clock,
      logger,
    });
    try {
      const listed = await (await lister.blockStorage()).listSnapshots({
        volumeId: v.id,
        limit: 2,
      });
      assert.ok(deleted, "the page boundary was deleted mid-listing");
      const ids = listed.map((s) => s.id);
      assert.equal(new Set(ids).size, ids.length, "no snapshot twice");
      assert.deepEqual(new Set(ids), new Set(made.filter((id) => id !== deleted)));
      const restarted = logger.events("listing_restarted");
      assert.equal(restarted.length, 1);
      assert.equal(restarted[0]!.marker, deleted);
      assert.equal(restarted[0]!.what, "snapshots");
    } finally {
      lister.close();
    }
  });
});
