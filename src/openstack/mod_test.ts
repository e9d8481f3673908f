import assert from "node:assert/strict";
import { AuthError, ConfigError, describeError, EndpointNotFoundError } from "../errors.ts";
import { createLogger, MemoryLogger } from "../log.ts";
import { AUTH_URL, fixture, json, PROJECT_ID, standardCloud, SteppingClock } from "./_testing.ts";
import { createTlsHttpClient, defineCloudConfig, openCloud, resolveCloudConfig } from "./mod.ts";

const CONFIG = () =>
  defineCloudConfig({
    name: "prod",
    auth: {
      type: "password",
      authUrl: AUTH_URL,
      username: "admin",
      userDomainName: "Default",
      password: "Tr0ub4dor&3-long",
      projectId: PROJECT_ID,
    },
  });

function cinderRoutes(cloud: ReturnType<typeof standardCloud>) {
  cloud.on(
    "GET",
    /\/volumes\/detail$/,
    () => json(fixture("cinder/volumes-list-detailed-response.json")),
  );
  cloud.on(
    "GET",
    /\/os-quota-sets\//,
    () => json(fixture("cinder/quotas-show-usage-response.json")),
  );
  return cloud;
}

Deno.test("openCloud() end to end on wire fixtures", async (t) => {
  await t.step("negotiates once and reports endpoint, microversion and stats", async () => {
    const clock = new SteppingClock();
    const cloud = cinderRoutes(standardCloud(() => clock.now()));
    const os = await openCloud({
      config: CONFIG(),
      fetch: cloud.fetch,
      clock,
      requestId: "req-aaaaaaaa-0000-0000-0000-000000000000",
    });
    const [a, b] = await Promise.all([os.blockStorage(), os.blockStorage()]);
    assert.equal(a, b);
    assert.equal(a.microversion, "3.59");
    assert.deepEqual(await os.microversion(), { min: "3.0", max: "3.59", chosen: "3.59" });
    assert.deepEqual(await os.blockStorageEndpoint(), {
      serviceType: "volumev3",
      interface: "public",
      region: "RegionOne",
      url: `http://23.253.248.171:8776/v3/${PROJECT_ID}`,
      overridden: false,
    });
    assert.equal((await a.listVolumes()).length, 1);
    assert.equal((await a.getQuotaSet()).snapshots.limit, 10);
    assert.deepEqual(os.stats(), {
      total: 4,
      byKind: {
        "GET os-quota-sets": 1,
        "GET versions": 1,
        "GET volumes/detail": 1,
        "POST auth/tokens": 1,
      },
      byMethodStatus: { "GET 200": 3, "POST 201": 1 },
    });
    assert.equal(cloud.requests.find((r) => r.url.pathname === "/v3/")!.url.port, "8776");
    assert.ok(
      cloud.requests.every((r) =>
        r.headers.get("x-openstack-request-id") === "req-aaaaaaaa-0000-0000-0000-000000000000"
      ),
    );
  });

  await t.step("a server above our maximum gets 3.70; a pinned version is used", async () => {
    const clock = new SteppingClock();
    const cloud = cinderRoutes(standardCloud(() => clock.now(), { versionMax: "3.71" }));
    const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });
    assert.equal((await os.blockStorage()).microversion, "3.70");
    const pinned = CONFIG();
    pinned.blockStorage.apiVersion = "3.44";
    const os2 = await openCloud({ config: pinned, fetch: cloud.fetch, clock });
    assert.equal((await os2.blockStorage()).microversion, "3.44");
    const tooHigh = CONFIG();
    tooHigh.blockStorage.apiVersion = "3.72";
    const os3 = await openCloud({ config: tooHigh, fetch: cloud.fetch, clock });
    await assert.rejects(os3.blockStorage(), ConfigError);
  });

  await t.step(
    "endpoint override with %(project_id)s, and a project-less URL gets the project",
    async () => {
      const clock = new SteppingClock();
      const cloud = cinderRoutes(standardCloud(() => clock.now()));
      cloud.on(
        "GET",
        /^\/volume\/v3\/?$/,
        () => json(fixture("cinder/version-show-response.json")),
      );
      const config = CONFIG();
      config.blockStorage.endpointOverride = "https://cinder.example.com/volume/v3/%(project_id)s";
      const os = await openCloud({ config, fetch: cloud.fetch, clock });
      const ep = await os.blockStorageEndpoint();
      assert.equal(ep.url, `https://cinder.example.com/volume/v3/${PROJECT_ID}`);
      assert.equal(ep.overridden, true);
      await (await os.blockStorage()).listVolumes();
      assert.equal(
        cloud.requests.at(-1)!.url.href.split("?")[0],
        `https://cinder.example.com/volume/v3/${PROJECT_ID}/volumes/detail`,
      );

      const bare = CONFIG();
      bare.blockStorage.endpointOverride = "https://cinder.example.com/volume/v3";
      const os2 = await openCloud({ config: bare, fetch: cloud.fetch, clock });
      assert.equal(
        (await os2.blockStorageEndpoint()).url,
        `https://cinder.example.com/volume/v3/${PROJECT_ID}`,
      );
    },
  );

  await t.step("a region the catalog lacks is an EndpointNotFoundError", async () => {
    const clock = new SteppingClock();
    const cloud = standardCloud(() => clock.now());
    const config = CONFIG();
    config.regionName = "RegionTwo";
    const os = await openCloud({ config, fetch: cloud.fetch, clock });
    await assert.rejects(
      os.blockStorage(),
      (e: unknown) => e instanceof EndpointNotFoundError && /region "RegionTwo"/.test(e.message),
    );
  });

  await t.step("loads clouds.yaml through the injected reader", async () => {
    const clock = new SteppingClock();
    const cloud = standardCloud(() => clock.now());
    const os = await openCloud({
      cloudName: "prod",
      env: { HOME: "/home/x" },
      cwd: "/nowhere",
      readTextFile: (p) =>
        p === "/home/x/.config/openstack/clouds.yaml"
          ? Promise.resolve(
            `clouds:\n  prod:\n    auth:\n      auth_url: ${AUTH_URL}\n      user_id: u1\n      password: yaml-pass-1\n      project_id: ${PROJECT_ID}\n    api_timeout: 9\n`,
          )
          : Promise.reject(new Deno.errors.NotFound(p)),
      fetch: cloud.fetch,
      clock,
    });
    assert.equal(os.config.name, "prod");
    assert.equal(os.transport.timeoutMs, 9000);
  });
});

Deno.test("IdentityClient admin calls", async (t) => {
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now());
  const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });

  await t.step("lists projects by tag, following links.next", async () => {
    const page1 = fixture("keystone/projects-list-response.json");
    cloud.on("GET", /^\/v3\/projects$/, (r) => {
      if (r.url.searchParams.get("marker")) {
        return json({
          links: { next: null, previous: null, self: "x" },
          projects: [{ ...page1.projects[0], id: "p-last", name: "last", tags: ["snapsentry"] }],
        });
      }
      return json({
        ...page1,
        links: {
          ...page1.links,
          next:
            "http://localhost:5000/v3/projects?tags=snapsentry&marker=fdb8424c4e4f4c0ba32c52e2de3bd80e",
        },
      });
    });
    const projects = await os.identity.listProjects({ tags: ["snapsentry"] });
    assert.equal(projects.length, 9);
    assert.equal(projects.at(-1)!.name, "last");
    assert.deepEqual(projects.at(-1)!.tags, ["snapsentry"]);
    const reqs = cloud.requests.filter((r) => r.url.pathname === "/v3/projects");
    assert.ok(reqs.every((r) => r.url.searchParams.get("tags") === "snapsentry"));
  });

  await t.step("403 on listing projects says the credential may not list them", async () => {
    cloud.on(
      "GET",
      /^\/v3\/projects$/,
      () => json(fixture("keystone/fault-403-list-projects.json"), 403),
    );
    await assert.rejects(os.identity.listProjects({ tags: ["x"] }), (e: unknown) => {
      assert.ok(e instanceof AuthError);
      assert.equal(e.code, "forbidden");
      assert.match(
        e.message,
        /^Cannot list projects in cloud "prod": the credential is not allowed to \(403\)/,
      );
      return true;
    });
  });

  await t.step("users, roles, assignments and application credentials", async () => {
    cloud.on(
      "GET",
      /^\/v3\/users\/u1$/,
      () =>
        json({ user: { id: "u1", name: "snapsentry-p1", domain_id: "default", enabled: true } }),
    );
    cloud.on(
      "POST",
      /^\/v3\/users$/,
      (r) =>
        json(
          { user: { id: "u2", name: r.body.user.name, domain_id: "default", enabled: true } },
          201,
        ),
    );
    cloud.on("PATCH", /^\/v3\/users\/u2$/, () => json({ user: { id: "u2", name: "n" } }));
    cloud.on(
      "GET",
      /^\/v3\/roles$/,
      () => json({ roles: [{ id: "r1", name: "member", domain_id: null }], links: { next: null } }),
    );
    cloud.on(
      "PUT",
      /^\/v3\/projects\/p1\/users\/u2\/roles\/r1$/,
      () => new Response(null, { status: 204 }),
    );
    cloud.on(
      "POST",
      /^\/v3\/users\/u2\/application_credentials$/,
      () => json(fixture("keystone/application-credential-create-response.json"), 201),
    );
    cloud.on("GET", /^\/v3\/users\/u2\/application_credentials$/, () => {
      const c =
        fixture("keystone/application-credential-create-response.json").application_credential;
      delete c.secret;
      return json({ application_credentials: [c], links: { next: null } });
    });
    cloud.on("DELETE", /^\/v3\/users\/u2\/application_credentials\/.+$/, () => json(null, 404));

    assert.equal((await os.identity.getUser("u1")).name, "snapsentry-p1");
    const u = await os.identity.createUser({ name: "snapsentry-p1", password: "new-user-pass-9" });
    assert.equal(u.id, "u2");
    await os.identity.setUserPassword("u2", "rotated-pass-10");
    assert.deepEqual(await os.identity.listRoles("member"), [{
      id: "r1",
      name: "member",
      domainId: null,
    }]);
    await os.identity.assignProjectRole("p1", "u2", "r1");
    const created = await os.identity.createApplicationCredential("u2", {
      name: "monitoring",
      roles: [{ name: "Reader" }],
      expiresAt: Temporal.Instant.from("2018-02-27T18:30:59Z"),
      unrestricted: false,
      accessRules: [{ service: "block-storage", method: "GET", path: "/v3/*/volumes/detail" }],
    });
    assert.equal(created.secret, "rEaqvJka48mpv");
    assert.equal(created.expiresAt!.toString(), "2018-02-27T18:30:59Z");
    const sent = cloud.requests.at(-1)!.body.application_credential;
    assert.deepEqual(sent, {
      name: "monitoring",
      roles: [{ name: "Reader" }],
      expires_at: "2018-02-27T18:30:59Z",
      unrestricted: false,
      access_rules: [{ service: "block-storage", method: "GET", path: "/v3/*/volumes/detail" }],
    });
    const listed = await os.identity.listApplicationCredentials("u2");
    assert.equal(listed[0]!.secret, undefined);
    await os.identity.deleteApplicationCredential("u2", "58d61ff8e6e34accb35874016d1dba8b");
  });
});

Deno.test("no secret reaches a debug log line or an error message", async () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", write: (l) => lines.push(l) });
  const memory = new MemoryLogger();
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now(), { lifetimeMin: 3 });
  cinderRoutes(cloud);
  cloud.on(
    "POST",
    /\/snapshots$/,
    (r) =>
      json({
        badRequest: {
          message: `echo ${JSON.stringify(r.body)} token ${r.headers.get("x-auth-token")}`,
        },
      }, 400),
  );
  const text = `clouds:
  prod:
    auth:
      auth_url: ${AUTH_URL}
      username: admin
      user_domain_name: Default
      password: "Pa55-w0rd-very-secret"
      project_id: ${PROJECT_ID}
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: ${AUTH_URL}
      application_credential_id: ac1
      application_credential_secret: "AppCred-Secret-XYZ"
`;
  const config = resolveCloudConfig({
    files: { clouds: { path: "/c/clouds.yaml", text } },
    env: {},
    cloud: "prod",
  });
  const errors: string[] = [];
  for (const log of [logger, memory]) {
    const os = await openCloud({ config, fetch: cloud.fetch, clock, logger: log });
    const bs = await os.blockStorage();
    await bs.listVolumes();
    clock.manual.advance({ minutes: 2 }); // forces a refresh: a second token
    await bs.getQuotaSet();
    try {
      await bs.createSnapshot({ volumeId: "v", name: "n", metadata: {} });
    } catch (e) {
      errors.push(
        describeError(e, true),
        JSON.stringify((e as { bodyExcerpt?: string }).bodyExcerpt),
      );
    }
  }
  const badAuth = standardCloud(() => clock.now());
  badAuth.on(
    "POST",
    /auth\/tokens/,
    (r) => json({ error: { message: `bad ${JSON.stringify(r.body)}` } }, 401),
  );
  const os = await openCloud({ config, fetch: badAuth.fetch, clock, logger: memory });
  await os.blockStorage().catch((e) => errors.push(describeError(e, true)));

  const everything = [...lines, ...memory.entries.map((e) => JSON.stringify(e)), ...errors].join(
    "\n",
  );
  assert.ok(lines.some((l) => l.includes('"event":"http_request"')), "debug lines were written");
  assert.ok(cloud.issued.length >= 4, "tokens were issued and must be scrubbed");
  for (const secret of ["Pa55-w0rd-very-secret", "AppCred-Secret-XYZ", ...cloud.issued]) {
    assert.ok(
      !everything.includes(secret),
      `secret ${secret.slice(0, 3)}… leaked: ${
        everything.split("\n").filter((l) => l.includes(secret)).join("\n")
      }`,
    );
  }
  assert.match(everything, /\[REDACTED\]/);
});

Deno.test("createTlsHttpClient()", () => {
  assert.equal(createTlsHttpClient({}), undefined);
  assert.throws(
    () => createTlsHttpClient({ caCertFile: "/etc/ca.pem", caCerts: ["not a pem"] }),
    (e: unknown) => e instanceof ConfigError && /cacert \/etc\/ca\.pem/.test(e.message),
  );
});

Deno.test("cacert from clouds.yaml is really used for TLS", async () => {
  const dir = new URL("../../tests/fixtures/client/tls/", import.meta.url);
  const read = (name: string) => Deno.readTextFileSync(new URL(name, dir));
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      cert: read("server.pem"),
      key: read("server.key"),
      onListen: () => {},
    },
    () =>
      Response.json({
        versions: [{ id: "v3.0", status: "CURRENT", min_version: "3.0", version: "3.70" }],
      }),
  );
  try {
    const url = `https://localhost:${server.addr.port}/v3/`;
    const withCa = createTlsHttpClient({ caCertFile: "ca.pem", caCerts: [read("ca.pem")] })!;
    try {
      const r = await fetch(url, { client: withCa } as RequestInit);
      assert.equal(r.status, 200);
      await r.body?.cancel();
    } finally {
      withCa.close();
    }
    await assert.rejects(fetch(url).then((r) => r.body?.cancel()));
  } finally {
    await server.shutdown();
  }
});
