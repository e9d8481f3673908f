import assert from "node:assert/strict";
import { EndpointNotFoundError } from "../errors.ts";
import { fixture } from "./_testing.ts";
import { expandEndpointTemplate, normaliseInterface, selectEndpoint } from "./catalog.ts";
import type { WireCatalogService } from "./wire_types.ts";

const CATALOG: WireCatalogService[] =
  fixture("keystone/auth-password-project-scoped-response.json").token.catalog;

Deno.test("selectEndpoint()", async (t) => {
  await t.step("finds block storage through its aliases (volumev3), skipping volumev2", () => {
    assert.deepEqual(
      selectEndpoint(CATALOG, { serviceType: "block-storage", interface: "public" }),
      {
        serviceType: "volumev3",
        interface: "public",
        region: "RegionOne",
        url: "http://23.253.248.171:8776/v3/a6944d763bf64ee6a275f1263fae0352",
        overridden: false,
      },
    );
  });
  await t.step("selects by interface and region", () => {
    assert.equal(
      selectEndpoint(CATALOG, {
        serviceType: "block-storage",
        interface: "public",
        region: "RegionThree",
      }).url,
      "http://198.51.100.7:8776/v3/a6944d763bf64ee6a275f1263fae0352",
    );
    assert.equal(
      selectEndpoint(CATALOG, {
        serviceType: "volumev3",
        interface: "internal",
        region: "RegionOne",
      }).url,
      "http://23.253.248.171:8776/v3/a6944d763bf64ee6a275f1263fae0352",
    );
  });
  await t.step("the first alias present wins", () => {
    const both: WireCatalogService[] = [
      { type: "volume", endpoints: [{ url: "http://old/v3/p", interface: "public", region: "R" }] },
      {
        type: "block-storage",
        endpoints: [{ url: "http://new/v3/p", interface: "public", region: "R" }],
      },
    ];
    assert.equal(
      selectEndpoint(both, { serviceType: "block-storage", interface: "public" }).url,
      "http://new/v3/p",
    );
  });
  await t.step("says what it searched for and what the catalog offers", () => {
    assert.throws(
      () =>
        selectEndpoint(CATALOG, {
          serviceType: "block-storage",
          interface: "internal",
          region: "RegionTwo",
        }),
      (e: unknown) => {
        assert.ok(e instanceof EndpointNotFoundError);
        assert.equal(
          e.message,
          'Cannot find a block-storage endpoint (interface "internal", region "RegionTwo"): catalog offers "volumev3 internal RegionOne", "volumev3 admin RegionOne", "volumev3 public RegionOne", "volumev3 public RegionThree"',
        );
        return true;
      },
    );
  });
  await t.step("without the service at all, lists the service types offered", () => {
    assert.throws(
      () =>
        selectEndpoint(CATALOG.filter((s) => s.type !== "volumev3"), {
          serviceType: "block-storage",
          interface: "public",
        }),
      /catalog has no service of type "block-storage", "volumev3", "volume", "block-store"; it offers "identity", "volumev2", "image"/,
    );
  });
});

Deno.test("normaliseInterface() and expandEndpointTemplate()", () => {
  assert.equal(normaliseInterface("publicURL"), "public");
  assert.equal(normaliseInterface("internalURL"), "internal");
  assert.equal(normaliseInterface("Admin"), "admin");
  assert.equal(normaliseInterface("private"), undefined);
  assert.equal(
    expandEndpointTemplate("http://c:8776/v3/%(project_id)s", "p1"),
    "http://c:8776/v3/p1",
  );
  assert.equal(
    expandEndpointTemplate("http://c:8776/v3/$(tenant_id)s", "p1"),
    "http://c:8776/v3/p1",
  );
});
