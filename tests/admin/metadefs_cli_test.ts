import assert from "node:assert/strict";
import { glanceConnection } from "../../src/admin/glance.ts";
import {
  createGlanceMetadefsApi,
  METADEF_NAMESPACE,
  SNAPSENTRY_METADEF_PROPERTIES,
} from "../../src/admin/metadefs.ts";
import { defineCloudConfig, openCloud } from "../../src/openstack/mod.ts";
import { adminWorld } from "./harness.ts";

const PROPERTY_COUNT = Object.keys(SNAPSENTRY_METADEF_PROPERTIES).length;

Deno.test("admin metadefs install|show|uninstall on the emulated Glance", async (t) => {
  const w = adminWorld();
  const glanceCalls = () => w.os.requestLog.filter((e) => e.path.startsWith("/image/v2/metadefs/"));

  await t.step("show before install: exit 1 and a hint", async () => {
    const r = await w.run(["admin", "metadefs", "show"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /OS::Cinder::Snapsentry is not installed; run: snapsentry admin/);
  });

  await t.step("install creates the namespace and every property", async () => {
    const r = await w.run(["admin", "metadefs", "install", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.namespace, "created");
    assert.equal(result.resourceTypeAssociated, true);
    assert.equal(result.created.length, PROPERTY_COUNT);
    assert.equal(result.changed, true);
    // Every Glance call went to the catalog's image endpoint (<base>/image/v2/…).
    assert.ok(glanceCalls().length > PROPERTY_COUNT);
  });

  await t.step("install twice changes nothing", async () => {
    const writesBefore = glanceCalls().filter((e) => e.method !== "GET").length;
    const r = await w.run(["admin", "metadefs", "install"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${METADEF_NAMESPACE} is up to date (${PROPERTY_COUNT} properties)\n`);
    assert.equal(glanceCalls().filter((e) => e.method !== "GET").length, writesBefore);
  });

  await t.step("show prints the namespace and properties; --json is the document", async () => {
    const r = await w.run(["admin", "metadefs", "show"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^OS::Cinder::Snapsentry \(SnapSentry - Snapshot Lifecycle Manager\)/);
    assert.match(r.stdout, /resource types: OS::Cinder::Volume/);
    assert.match(r.stdout, /x-snapsentry-daily-retention-days\s+integer\s+2\s/);
    const j = await w.run(["admin", "metadefs", "show", "--json"]);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.namespace, METADEF_NAMESPACE);
    assert.deepEqual(
      Object.keys(doc.properties).sort(),
      Object.keys(SNAPSENTRY_METADEF_PROPERTIES).sort(),
    );
  });

  await t.step("a member may not uninstall: 403 with a clear message, exit 1", async () => {
    const r = await w.run(["admin", "metadefs", "uninstall"], { cloud: "emulator" });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Cannot uninstall metadata definitions "OS::Cinder::Snapsentry" in cloud "emulator": Glance refused \(403\)/,
    );
  });

  await t.step("uninstall removes it; a second uninstall has nothing to do", async () => {
    const r = await w.run(["admin", "metadefs", "uninstall"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${METADEF_NAMESPACE} removed\n`);
    const again = await w.run(["admin", "metadefs", "uninstall", "--json"]);
    assert.equal(again.code, 0);
    assert.deepEqual(JSON.parse(again.stdout), { deleted: false });
    const show = await w.run(["admin", "metadefs", "show"]);
    assert.equal(show.code, 1);
  });

  await t.step("--help of each subcommand has an example", async () => {
    for (const sub of ["install", "show", "uninstall"]) {
      const r = await w.run(["admin", "metadefs", sub, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Example/);
    }
  });
});

Deno.test("glanceConnection uses the catalog's image endpoint and re-authenticates after a 401", async () => {
  const w = adminWorld();
  w.os.baseUrl = "http://cloud.example:8080/prefix";
  const seen: string[] = [];
  const fetchSpy = (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request && init === undefined ? input : new Request(input, init);
    seen.push(`${req.method} ${req.url}`);
    return w.os.fetch(req);
  };
  const cloud = await openCloud({
    config: defineCloudConfig({
      name: "admin",
      auth: {
        type: "password",
        authUrl: `${w.os.baseUrl}/identity/v3`,
        username: "admin",
        password: w.os.seed.adminPassword,
        projectName: "admin",
        userDomainName: "Default",
        projectDomainName: "Default",
      },
      regionName: "RegionOne",
    }),
    fetch: fetchSpy,
    clock: w.clock,
  });
  const glance = glanceConnection(cloud, { fetch: fetchSpy, clock: w.clock });
  const api = createGlanceMetadefsApi(glance.request);
  assert.equal(await api.getNamespace(METADEF_NAMESPACE), undefined);
  assert.equal((await glance.endpoint()).url, "http://cloud.example:8080/prefix/image");
  assert.ok(
    seen.includes(
      "GET http://cloud.example:8080/prefix/image/v2/metadefs/namespaces/OS%3A%3ACinder%3A%3ASnapsentry",
    ),
    seen.join("\n"),
  );
  const authsBefore = cloud.session.authCount;
  w.os.expireTokens();
  assert.equal(await api.getNamespace(METADEF_NAMESPACE), undefined);
  assert.equal(cloud.session.authCount, authsBefore + 1);
  glance.close();
  cloud.close();
});
