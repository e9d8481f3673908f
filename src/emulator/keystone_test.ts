import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import {
  authBody,
  BASE,
  cinder,
  type Json,
  keystone,
  login,
  newEmulator,
  postToken,
} from "./test_helpers.ts";

Deno.test("keystone auth", async (t) => {
  await t.step("password by name and domain, project by name: token, roles, catalog", async () => {
    const { e, clock } = newEmulator();
    const s = await login(e, "demo");
    assert.match(s.token, /^gAAAAA/);
    const tok = s.body.token;
    assert.deepEqual(tok.methods, ["password"]);
    assert.equal(tok.project.id, e.seed.demoProjectId);
    assert.equal(tok.project.domain.id, "default");
    assert.equal(tok.user.name, "demo");
    assert.deepEqual(tok.roles.map((r: Json) => r.name).sort(), ["member", "reader"]);
    assert.equal(tok.expires_at, "2026-03-01T13:00:00.000000Z");
    assert.equal(tok.issued_at, clock.now().toString().replace("Z", ".000000Z"));
    const types = tok.catalog.map((c: Json) => c.type).sort();
    assert.deepEqual(types, ["block-storage", "identity", "image", "volumev3"]);
    for (const svc of tok.catalog) {
      assert.deepEqual(svc.endpoints.map((ep: Json) => ep.interface).sort(), [
        "admin",
        "internal",
        "public",
      ]);
      for (const ep of svc.endpoints) assert.equal(ep.region_id, "RegionOne");
    }
    const vol = tok.catalog.find((c: Json) => c.type === "volumev3");
    assert.equal(vol.endpoints[0].url, `${BASE}/volume/v3/${e.seed.demoProjectId}`);
  });

  await t.step("password by user id, project by id", async () => {
    const { e } = newEmulator();
    const res = await postToken(
      e,
      authBody(
        {
          methods: ["password"],
          password: { user: { id: e.seed.adminUserId, password: e.seed.adminPassword } },
        },
        { project: { id: e.seed.adminProjectId } },
      ),
    );
    assert.equal(res.status, 201);
    assert.equal((await res.json()).token.roles[0].name, "admin");
  });

  await t.step("bad password is 401 with Keystone's error body", async () => {
    const { e } = newEmulator();
    const res = await postToken(
      e,
      authBody({
        methods: ["password"],
        password: { user: { name: "demo", domain: { name: "Default" }, password: "nope" } },
      }),
    );
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      error: {
        code: 401,
        title: "Unauthorized",
        message: "The request you have made requires authentication.",
      },
    });
  });

  await t.step("scope to a project without a role is 401", async () => {
    const { e } = newEmulator();
    const res = await postToken(
      e,
      authBody(
        {
          methods: ["password"],
          password: { user: { id: e.seed.demoUserId, password: e.seed.demoPassword } },
        },
        { project: { id: e.seed.adminProjectId } },
      ),
    );
    assert.equal(res.status, 401);
  });

  await t.step("application credential by id and by name + user", async () => {
    const { e } = newEmulator();
    const byId = await login(e, "appcred");
    assert.deepEqual(byId.body.token.methods, ["application_credential"]);
    assert.equal(byId.body.token.application_credential.id, e.seed.appCredId);
    assert.equal(byId.projectId, e.seed.demoProjectId);
    const byName = await postToken(
      e,
      authBody({
        methods: ["application_credential"],
        application_credential: {
          name: e.seed.appCredName,
          secret: e.seed.appCredSecret,
          user: { name: "demo", domain: { id: "default" } },
        },
      }),
    );
    assert.equal(byName.status, 201);
    const wrong = await postToken(
      e,
      authBody({
        methods: ["application_credential"],
        application_credential: { id: e.seed.appCredId, secret: "wrong" },
      }),
    );
    assert.equal(wrong.status, 401);
  });

  await t.step("token method rescopes and keeps the original expiry", async () => {
    const { e, clock } = newEmulator();
    const s = await login(e, "demo");
    clock.advance({ minutes: 10 });
    const res = await postToken(
      e,
      authBody({ methods: ["token"], token: { id: s.token } }, {
        project: { id: e.seed.demoProjectId },
      }),
    );
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.deepEqual(body.token.methods, ["token"]);
    assert.equal(body.token.expires_at, s.body.token.expires_at);
  });

  await t.step("tokens expire after the configured lifetime", async () => {
    const { e, clock } = newEmulator({ tokenLifetimeMs: 60_000 });
    const s = await login(e, "demo");
    assert.equal((await cinder(e, s, "GET", "/volumes")).status, 200);
    clock.advance(60_000);
    const res = await cinder(e, s, "GET", "/volumes");
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 401);
  });

  await t.step("cloudsYaml profiles authenticate", async () => {
    const { e } = newEmulator();
    const doc = parseYaml(e.cloudsYaml());
    assert.deepEqual(Object.keys(doc.clouds).sort(), [
      "emulator",
      "emulator-admin",
      "emulator-appcred",
    ]);
    assert.equal(doc.clouds.emulator.auth.auth_url, `${BASE}/identity/v3`);
    const ac = doc.clouds["emulator-appcred"];
    assert.equal(ac.auth_type, "v3applicationcredential");
    const res = await postToken(
      e,
      authBody({
        methods: ["application_credential"],
        application_credential: {
          id: ac.auth.application_credential_id,
          secret: ac.auth.application_credential_secret,
        },
      }),
    );
    assert.equal(res.status, 201);
    assert.equal(
      parseYaml(e.cloudsYaml({ baseUrl: "http://127.0.0.1:9999" })).clouds.emulator.auth.auth_url,
      "http://127.0.0.1:9999/identity/v3",
    );
  });
});

Deno.test("keystone admin API", async (t) => {
  await t.step("projects filtered by tags, tags-any, name; member gets 403", async () => {
    const { e } = newEmulator();
    e.addProject({ name: "p1", tags: ["a", "b"] });
    e.addProject({ name: "p2", tags: ["b"] });
    const admin = await login(e, "admin");
    const names = async (q: string) =>
      (await (await keystone(e, admin.token, "GET", `/projects${q}`)).json()).projects
        .map((p: Json) => p.name).sort();
    assert.deepEqual(await names("?tags=a,b"), ["p1"]);
    assert.deepEqual(await names("?tags-any=a,snapsentry"), ["demo", "p1"]);
    assert.deepEqual(await names("?tags=b&name=p2"), ["p2"]);
    assert.deepEqual(await names("?domain_id=default&tags=b"), ["p1", "p2"]);
    const member = await login(e, "demo");
    const res = await keystone(e, member.token, "GET", "/projects?tags=a");
    assert.equal(res.status, 403);
    assert.match((await res.json()).error.message, /identity:list_projects/);
  });

  await t.step("users, roles and grants", async () => {
    const { e } = newEmulator();
    const admin = await login(e, "admin");
    const created = await keystone(e, admin.token, "POST", "/users", {
      user: { name: "svc", password: "pw", domain_id: "default" },
    });
    assert.equal(created.status, 201);
    const user = (await created.json()).user;
    const roles = await (await keystone(e, admin.token, "GET", "/roles?name=member")).json();
    assert.equal(roles.roles.length, 1);
    const grant = await keystone(
      e,
      admin.token,
      "PUT",
      `/projects/${e.seed.demoProjectId}/users/${user.id}/roles/${roles.roles[0].id}`,
    );
    assert.equal(grant.status, 204);
    const list = await (await keystone(e, admin.token, "GET", "/users?name=svc")).json();
    assert.equal(list.users[0].id, user.id);
    const patched = await keystone(e, admin.token, "PATCH", `/users/${user.id}`, {
      user: { password: "pw2" },
    });
    assert.equal(patched.status, 200);
    const ok = await postToken(
      e,
      authBody(
        { methods: ["password"], password: { user: { id: user.id, password: "pw2" } } },
        { project: { id: e.seed.demoProjectId } },
      ),
    );
    assert.equal(ok.status, 201);
    const member = await login(e, "demo");
    assert.equal(
      (await keystone(e, member.token, "POST", "/users", { user: { name: "x" } })).status,
      403,
    );
  });

  await t.step("a user creates, lists and deletes its own application credentials", async () => {
    const { e } = newEmulator();
    const s = await login(e, "demo");
    const uid = e.seed.demoUserId;
    const res = await keystone(e, s.token, "POST", `/users/${uid}/application_credentials`, {
      application_credential: {
        name: "ro",
        access_rules: [{ path: "/v3/*/snapshots/**", method: "GET", service: "volumev3" }],
      },
    });
    assert.equal(res.status, 201);
    const cred = (await res.json()).application_credential;
    assert.ok(cred.secret.length >= 20, "a secret is generated");
    assert.equal(cred.project_id, e.seed.demoProjectId);
    assert.equal(cred.access_rules[0].service, "volumev3");
    const list = await (await keystone(e, s.token, "GET", `/users/${uid}/application_credentials`))
      .json();
    assert.deepEqual(
      list.application_credentials.map((a: Json) => a.name).sort(),
      ["ro", "snapsentry-demo"],
    );
    assert.equal(list.application_credentials[0].secret, undefined);
    const other = await keystone(
      e,
      s.token,
      "POST",
      `/users/${e.seed.adminUserId}/application_credentials`,
      { application_credential: { name: "x" } },
    );
    assert.equal(other.status, 403);
    const del = await keystone(
      e,
      s.token,
      "DELETE",
      `/users/${uid}/application_credentials/${cred.id}`,
    );
    assert.equal(del.status, 204);
    const auth = await postToken(
      e,
      authBody({
        methods: ["application_credential"],
        application_credential: { id: cred.id, secret: cred.secret },
      }),
    );
    assert.equal(auth.status, 401);
  });

  await t.step("access rules are enforced on Cinder calls (401 outside the rules)", async () => {
    const { e } = newEmulator();
    const cred = e.addApplicationCredential({
      userId: e.seed.demoUserId,
      projectId: e.seed.demoProjectId,
      name: "snap-reader",
      secret: "s3cret-value-123",
      accessRules: [{ path: "/v3/*/snapshots/**", method: "GET", service: "volumev3" }],
    });
    const res = await postToken(
      e,
      authBody({
        methods: ["application_credential"],
        application_credential: { id: cred.id, secret: "s3cret-value-123" },
      }),
    );
    const s = {
      token: res.headers.get("X-Subject-Token")!,
      projectId: e.seed.demoProjectId,
      body: {},
    };
    assert.equal((await cinder(e, s, "GET", "/snapshots/detail")).status, 200);
    assert.equal((await cinder(e, s, "GET", "/volumes/detail")).status, 401);
    assert.equal(
      (await cinder(e, s, "POST", "/snapshots", { body: { snapshot: { volume_id: "x" } } })).status,
      401,
    );
  });
});
