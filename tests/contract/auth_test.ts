/**
 * Contract: Keystone auth (password, application credential), catalog and endpoint choice,
 * microversion negotiation and the version document. The same bodies run on the emulated cloud and
 * on a real one (see target.ts).
 */
import assert from "node:assert/strict";
import { versionDocumentUrl } from "../../src/openstack/microversion.ts";
import { CLIENT_MAX_MICROVERSION, compareMicroversions } from "../../src/openstack/mod.ts";
import { BACKEND, needs, withFixtures } from "./target.ts";

const PROJECT_ID = /^[0-9a-f]{32}$/;

Deno.test(`contract[${BACKEND}]: password auth gives a project-scoped token`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const token = await cloud.session.token();
    assert.ok(token.length > 20, "a token is issued");
    const info = await cloud.session.tokenInfo();
    assert.deepEqual(info.methods, ["password"]);
    assert.match(info.projectId ?? "", PROJECT_ID);
    assert.ok(info.roles.length > 0, "the token carries roles");
    assert.ok(Temporal.Instant.compare(info.expiresAt, fx.now()) > 0, "not expired");
    const bs = await cloud.blockStorage();
    assert.equal(bs.projectId, info.projectId);
    // The token works against Cinder.
    assert.ok(Array.isArray(await bs.listVolumes({ limit: 1 })));
  });
});

Deno.test(`contract[${BACKEND}]: application-credential auth gives the credential's project`, {
  ...needs("member", "appcred"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("appcred");
    const info = await cloud.session.tokenInfo();
    assert.deepEqual(info.methods, ["application_credential"]);
    assert.match(info.projectId ?? "", PROJECT_ID);
    // The credential belongs to the member's project (scope comes from the credential itself).
    const member = await fx.open("member");
    assert.equal(info.projectId, await member.session.projectId());
    const bs = await cloud.blockStorage();
    assert.equal(bs.projectId, info.projectId);
    assert.ok(Array.isArray(await bs.listSnapshots({ limit: 1 })));
  });
});

Deno.test(`contract[${BACKEND}]: catalog gives the public block-storage endpoint of the region`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const ep = await cloud.blockStorageEndpoint();
    const projectId = await cloud.session.projectId();
    assert.equal(ep.interface, "public");
    assert.equal(ep.region, cloud.config.regionName ?? "RegionOne");
    assert.ok(
      ["block-storage", "volumev3"].includes(ep.serviceType),
      `service type ${ep.serviceType}`,
    );
    assert.equal(ep.overridden, false);
    assert.ok(ep.url.includes(projectId), `${ep.url} names project ${projectId}`);
    assert.match(ep.url, /\/v3\/[0-9a-f]{32}$/);
    const bs = await cloud.blockStorage();
    assert.equal(bs.endpoint, ep.url);
  });
});

Deno.test(`contract[${BACKEND}]: microversion = min(client max, server max)`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx) => {
    const cloud = await fx.open("member");
    const mv = await cloud.microversion();
    assert.equal(mv.min, "3.0");
    assert.match(mv.max, /^3\.\d+$/);
    const expected = compareMicroversions(mv.max, CLIENT_MAX_MICROVERSION) < 0
      ? mv.max
      : CLIENT_MAX_MICROVERSION;
    assert.equal(mv.chosen, expected);
    if (BACKEND === "emulator" || cloud.config.name.startsWith("real-")) {
      // The stack of tests/real_cloud (Cinder 21, Zed) and the emulator both stop at 3.70.
      assert.equal(mv.max, "3.70");
    }
    const bs = await cloud.blockStorage();
    assert.equal(bs.microversion, mv.chosen);
  });
});

Deno.test(`contract[${BACKEND}]: the v3 version document needs a token`, {
  ...needs("member"),
}, async () => {
  await withFixtures(async (fx, target) => {
    const cloud = await fx.open("member");
    const ep = await cloud.blockStorageEndpoint();
    const url = versionDocumentUrl(ep.url);
    assert.match(url, /\/v3\/$/);
    const anonymous = await target.fetch(url, { headers: { Accept: "application/json" } });
    assert.equal(anonymous.status, 401);
    const fault = await anonymous.json();
    assert.equal(fault.error?.code, 401);
    const token = await cloud.session.token();
    const authed = await target.fetch(url, {
      headers: { Accept: "application/json", "X-Auth-Token": token },
    });
    assert.equal(authed.status, 200);
    const doc = await authed.json();
    // A list under "versions", not {"version": {...}}.
    assert.ok(Array.isArray(doc.versions), "versions is a list");
    const v3 = doc.versions.find((v: { id: string }) => v.id === "v3.0");
    assert.equal(v3?.version, (await cloud.microversion()).max);
    assert.equal(v3?.min_version, "3.0");
    // The unversioned root answers 300 without a token.
    const root = await target.fetch(url.replace(/v3\/$/, ""), {
      headers: { Accept: "application/json" },
    });
    assert.equal(root.status, 300);
    assert.ok(Array.isArray((await root.json()).versions));
  });
});
