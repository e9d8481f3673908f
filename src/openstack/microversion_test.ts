import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { fixture } from "./_testing.ts";
import {
  compareMicroversions,
  microversionHeaders,
  negotiateMicroversion,
  parseVersionDocument,
  versionDocumentUrl,
} from "./microversion.ts";

Deno.test("parseVersionDocument()", async (t) => {
  await t.step("reads the versions list (GET /v3/ and GET /)", () => {
    assert.deepEqual(parseVersionDocument(fixture("cinder/version-show-response.json")), {
      min: "3.0",
      max: "3.59",
    });
    assert.deepEqual(parseVersionDocument(fixture("cinder/versions-response.json")), {
      min: "3.0",
      max: "3.59",
    });
  });
  await t.step("reads the single version form", () => {
    assert.deepEqual(
      parseVersionDocument({
        version: { id: "v3.0", min_version: "3.0", version: "3.70", status: "CURRENT" },
      }),
      { min: "3.0", max: "3.70" },
    );
  });
  await t.step("no v3 is an error", () => {
    assert.throws(
      () => parseVersionDocument({ versions: [{ id: "v2.0", version: "" }] }),
      /lists no v3 API \(found "v2.0"\)/,
    );
  });
});

Deno.test("negotiateMicroversion()", async (t) => {
  await t.step("server above ours: ours", () => {
    assert.deepEqual(negotiateMicroversion({ serverMin: "3.0", serverMax: "3.71" }), {
      min: "3.0",
      max: "3.71",
      chosen: "3.70",
    });
  });
  await t.step("server below ours: the server's", () => {
    assert.equal(negotiateMicroversion({ serverMin: "3.0", serverMax: "3.59" }).chosen, "3.59");
  });
  await t.step("compares (major, minor) as pairs, not as decimals", () => {
    assert.equal(negotiateMicroversion({ serverMin: "3.0", serverMax: "3.100" }).chosen, "3.70");
    assert.equal(negotiateMicroversion({ serverMin: "3.0", serverMax: "3.9" }).chosen, "3.9");
    assert.ok(compareMicroversions("3.10", "3.9") > 0);
  });
  await t.step("a pinned version in range is used", () => {
    assert.equal(
      negotiateMicroversion({ serverMin: "3.0", serverMax: "3.70", pinned: "3.50" }).chosen,
      "3.50",
    );
  });
  await t.step("a pinned version out of range is a ConfigError", () => {
    assert.throws(
      () => negotiateMicroversion({ serverMin: "3.0", serverMax: "3.59", pinned: "3.66" }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          'Cannot use block-storage API version "3.66" from clouds.yaml: the server supports 3.0 to 3.59',
    );
  });
});

Deno.test("versionDocumentUrl() and headers", () => {
  assert.equal(
    versionDocumentUrl("http://host:8776/v3/a6944d763bf64ee6a275f1263fae0352"),
    "http://host:8776/v3/",
  );
  assert.equal(versionDocumentUrl("https://h/volume/v3/p1/"), "https://h/volume/v3/");
  assert.deepEqual(microversionHeaders("3.60"), {
    "OpenStack-API-Version": "volume 3.60",
    "X-OpenStack-Volume-API-Version": "3.60",
  });
});
