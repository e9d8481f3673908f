/**
 * A region the catalog does not have is a configuration error (issue 16): exit 2, naming the
 * cloud, the region asked and the regions the catalog offers.
 */
import assert from "node:assert/strict";
import { ConfigError, EndpointNotFoundError, exitCodeFor } from "../errors.ts";
import { AUTH_URL, PROJECT_ID, standardCloud, SteppingClock } from "./_testing.ts";
import { defineCloudConfig, openCloud } from "./mod.ts";

Deno.test("a region the catalog lacks is a configuration error naming the regions offered", async () => {
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now());
  const config = defineCloudConfig({
    name: "prod",
    auth: {
      type: "password",
      authUrl: AUTH_URL,
      username: "admin",
      userDomainName: "Default",
      password: "Tr0ub4dor&3-long",
      projectId: PROJECT_ID,
    },
    regionName: "RegionTwo",
  });
  const os = await openCloud({ config, fetch: cloud.fetch, clock });
  await assert.rejects(os.blockStorage(), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(e instanceof EndpointNotFoundError);
    assert.equal(e.code, "endpoint_not_found");
    assert.equal(exitCodeFor(e), 2);
    assert.match(
      e.message,
      /^Cannot find a block-storage endpoint \(interface "public", region "RegionTwo"\) in cloud "prod": catalog offers /,
    );
    assert.equal(
      e.hint,
      'set region_name in clouds.yaml to a region the catalog offers for block-storage ("RegionOne", "RegionThree"), or set block_storage_endpoint_override',
    );
    return true;
  });
});
