import assert from "node:assert/strict";
import type { Emulator } from "./emulator.ts";
import { BASE, type Json, login, newEmulator } from "./test_helpers.ts";

async function glance(
  e: Emulator,
  token: string,
  method: string,
  path: string,
  body?: Json,
): Promise<Response> {
  return await e.fetch(`${BASE}/image/v2/metadefs${path}`, {
    method,
    headers: {
      "X-Auth-Token": token,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

Deno.test("glance metadefs", async (t) => {
  await t.step("namespace lifecycle, resource types and properties", async () => {
    const { e } = newEmulator();
    const admin = await login(e, "admin");
    const ns = "OS::Snapsentry";
    assert.equal((await glance(e, admin.token, "GET", `/namespaces/${ns}`)).status, 404);
    const created = await glance(e, admin.token, "POST", "/namespaces", {
      namespace: ns,
      display_name: "snapsentry",
      visibility: "public",
      protected: false,
      resource_type_associations: [{ name: "OS::Cinder::Volume", properties_target: "volume" }],
    });
    assert.equal(created.status, 201);
    const dup = await glance(e, admin.token, "POST", "/namespaces", { namespace: ns });
    assert.equal(dup.status, 409);
    await dup.body?.cancel();
    const prop = await glance(e, admin.token, "POST", `/namespaces/${ns}/properties`, {
      name: "x-snapsentry-daily",
      title: "Daily",
      type: "string",
      enum: ["true", "false"],
    });
    assert.equal(prop.status, 201);
    const upd = await glance(
      e,
      admin.token,
      "PUT",
      `/namespaces/${ns}/properties/x-snapsentry-daily`,
      {
        name: "x-snapsentry-daily",
        title: "Daily snapshots",
        type: "string",
      },
    );
    assert.equal((await upd.json()).title, "Daily snapshots");
    const got = await (await glance(e, admin.token, "GET", `/namespaces/${ns}`)).json();
    assert.equal(got.properties["x-snapsentry-daily"].title, "Daily snapshots");
    assert.equal(got.resource_type_associations[0].name, "OS::Cinder::Volume");
    const assoc = await glance(e, admin.token, "POST", `/namespaces/${ns}/resource_types`, {
      name: "OS::Glance::Image",
    });
    assert.equal(assoc.status, 201);
    const listed =
      await (await glance(e, admin.token, "GET", "/namespaces?resource_types=OS::Glance::Image"))
        .json();
    assert.deepEqual(listed.namespaces.map((n: Json) => n.namespace), [ns]);
    const member = await login(e, "demo");
    assert.equal((await glance(e, member.token, "GET", `/namespaces/${ns}`)).status, 200);
    const denied = await glance(e, member.token, "DELETE", `/namespaces/${ns}`);
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
    assert.equal(
      (await glance(e, admin.token, "DELETE", `/namespaces/${ns}/properties/x-snapsentry-daily`))
        .status,
      204,
    );
    assert.equal((await glance(e, admin.token, "DELETE", `/namespaces/${ns}`)).status, 204);
    const gone = await glance(e, admin.token, "GET", `/namespaces/${ns}`);
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  });
});
