import assert from "node:assert/strict";
import { AuthError } from "../errors.ts";
import { MemoryLogger } from "../log.ts";
import {
  AUTH_URL,
  fixture,
  json,
  PROJECT_ID,
  standardCloud,
  SteppingClock,
  tokenResponse,
} from "./_testing.ts";
import { type CloudAuth, defineCloudConfig } from "./clouds_yaml.ts";
import { type FetchLike, HttpTransport } from "./http.ts";
import { authRequestBody, identityV3Url, KeystoneSession } from "./keystone.ts";

function session(auth: CloudAuth, fetch: FetchLike, clock = new SteppingClock()) {
  const logger = new MemoryLogger();
  const transport = new HttpTransport({ fetch, clock, logger, random: () => 0 });
  const config = defineCloudConfig({ name: "prod", auth });
  return { session: new KeystoneSession({ config, transport, logger, clock }), clock, logger };
}

const PASSWORD: CloudAuth = {
  type: "password",
  authUrl: AUTH_URL,
  username: "admin",
  userDomainName: "Default",
  password: "correct-horse-battery",
  projectName: "admin",
  projectDomainId: "default",
};

Deno.test("authRequestBody() for each auth type", async (t) => {
  await t.step("password with project scope by name", () => {
    assert.deepEqual(authRequestBody(PASSWORD), {
      auth: {
        identity: {
          methods: ["password"],
          password: {
            user: { name: "admin", domain: { name: "Default" }, password: "correct-horse-battery" },
          },
        },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    });
  });
  await t.step("password by user id with domain scope", () => {
    assert.deepEqual(
      authRequestBody({
        type: "password",
        authUrl: AUTH_URL,
        userId: "u1",
        password: "pw-12345",
        domainName: "Corp",
      }),
      {
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { id: "u1", password: "pw-12345" } },
          },
          scope: { domain: { name: "Corp" } },
        },
      },
    );
  });
  await t.step("application credential by id and by name", () => {
    assert.deepEqual(
      authRequestBody({
        type: "v3applicationcredential",
        authUrl: AUTH_URL,
        id: "423f19a4",
        secret: "rEaqvJka48mpv",
      }),
      {
        auth: {
          identity: {
            methods: ["application_credential"],
            application_credential: { id: "423f19a4", secret: "rEaqvJka48mpv" },
          },
        },
      },
    );
    assert.deepEqual(
      authRequestBody({
        type: "v3applicationcredential",
        authUrl: AUTH_URL,
        name: "monitoring",
        username: "demo",
        userDomainId: "default",
        secret: "rEaqvJka48mpv",
      }),
      {
        auth: {
          identity: {
            methods: ["application_credential"],
            application_credential: {
              name: "monitoring",
              user: { name: "demo", domain: { id: "default" } },
              secret: "rEaqvJka48mpv",
            },
          },
        },
      },
    );
  });
  await t.step("token with project id scope", () => {
    assert.deepEqual(
      authRequestBody({ type: "token", authUrl: AUTH_URL, token: "gAAAAABtok", projectId: "p1" }),
      {
        auth: {
          identity: { methods: ["token"], token: { id: "gAAAAABtok" } },
          scope: { project: { id: "p1" } },
        },
      },
    );
  });
});

Deno.test("identityV3Url() finds the v3 API", () => {
  assert.equal(identityV3Url("https://k.example.com:5000/v3/"), "https://k.example.com:5000/v3");
  assert.equal(identityV3Url("https://k.example.com:5000"), "https://k.example.com:5000/v3");
  assert.equal(
    identityV3Url("https://k.example.com/identity"),
    "https://k.example.com/identity/v3",
  );
  assert.equal(identityV3Url("https://k.example.com:5000/v2.0"), "https://k.example.com:5000/v3");
});

Deno.test("KeystoneSession authenticates each auth type", async (t) => {
  for (
    const [name, auth, file] of [
      ["password", PASSWORD, "keystone/auth-password-project-scoped-response.json"],
      [
        "application credential",
        {
          type: "v3applicationcredential",
          authUrl: AUTH_URL,
          id: "423f19a4ac1e4f48bbb4180756e6eb6c",
          secret: "rEaqvJka48mpv",
        },
        "keystone/auth-application-credential-response.json",
      ],
      ["token", {
        type: "token",
        authUrl: AUTH_URL,
        token: "gAAAAABold-token",
        projectId: PROJECT_ID,
      }, "keystone/auth-password-project-scoped-response.json"],
    ] as const
  ) {
    await t.step(name, async () => {
      const clock = new SteppingClock();
      const cloud = standardCloud(() => clock.now());
      cloud.on(
        "POST",
        /^\/v3\/auth\/tokens$/,
        () => tokenResponse("tok-fresh-1", "2026-03-01T11:00:00Z", file),
      );
      const { session: s } = session(auth as CloudAuth, cloud.fetch, clock);
      assert.equal(await s.token(), "tok-fresh-1");
      const info = await s.tokenInfo();
      assert.ok(info.projectId);
      assert.ok(info.catalog.length > 0);
      assert.equal(cloud.requests[0]!.url.href, `${AUTH_URL}/auth/tokens`);
      assert.deepEqual(cloud.requests[0]!.body, authRequestBody(auth as CloudAuth));
    });
  }
});

Deno.test("KeystoneSession refreshes before expiry", async () => {
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now(), { lifetimeMin: 10 });
  const { session: s } = session(PASSWORD, cloud.fetch, clock);
  assert.equal(await s.token(), "tok-1-abcdef");
  clock.manual.advance({ minutes: 7 }); // 3 min left: still fine
  assert.equal(await s.token(), "tok-1-abcdef");
  clock.manual.advance({ seconds: 61 }); // 119 s left: refresh
  assert.equal(await s.token(), "tok-2-abcdef");
  assert.equal(cloud.issued.length, 2);
});

Deno.test("KeystoneSession retries exactly once after a 401, with one shared re-auth", async () => {
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now());
  let calls = 0;
  cloud.on("GET", /\/volumes\/detail$/, (req) => {
    calls++;
    return req.headers.get("x-auth-token") === "tok-2-abcdef"
      ? json({ volumes: [] })
      : json(fixture("keystone/fault-401.json"), 401);
  });
  const { session: s, logger } = session(PASSWORD, cloud.fetch, clock);
  const url = `http://23.253.248.171:8776/v3/${PROJECT_ID}/volumes/detail`;
  await s.token();
  // Three concurrent callers all see a 401 and share one re-auth.
  const results = await Promise.all(
    [1, 2, 3].map(() => s.request({ method: "GET", url, expected: [200] })),
  );
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
  assert.equal(cloud.issued.length, 2);
  assert.equal(calls, 6);
  assert.equal(logger.events("token_refresh").length, 3);

  // A second 401 after the retry is final: no loop.
  cloud.on("GET", /\/volumes\/detail$/, () => json(fixture("keystone/fault-401.json"), 401));
  await assert.rejects(
    s.request({ method: "GET", url, expected: [200] }),
    (e: unknown) => (e as { status?: number }).status === 401,
  );
  assert.equal(cloud.issued.length, 3);
});

Deno.test("KeystoneSession auth failures are clear", async (t) => {
  await t.step("401 names the user and the cloud", async () => {
    const cloud = standardCloud(() => Temporal.Now.instant());
    cloud.on("POST", /auth\/tokens/, () => json(fixture("keystone/fault-401.json"), 401));
    const { session: s } = session(PASSWORD, cloud.fetch);
    await assert.rejects(s.token(), (e: unknown) => {
      assert.ok(e instanceof AuthError);
      assert.equal(
        e.message,
        'Cannot authenticate user "admin" in cloud "prod": Keystone rejected the credentials (401)',
      );
      return true;
    });
  });
  await t.step("401 for an application credential names it", async () => {
    const cloud = standardCloud(() => Temporal.Now.instant());
    cloud.on("POST", /auth\/tokens/, () => json(fixture("keystone/fault-401.json"), 401));
    const { session: s } = session({
      type: "v3applicationcredential",
      authUrl: AUTH_URL,
      id: "ac-42",
      secret: "zzzz-secret",
    }, cloud.fetch);
    await assert.rejects(
      s.token(),
      /Cannot authenticate application credential "ac-42" in cloud "prod": Keystone rejected the credentials/,
    );
  });
  await t.step("404 says auth_url is wrong", async () => {
    const cloud = standardCloud(() => Temporal.Now.instant());
    cloud.on("POST", /auth\/tokens/, () => json(null, 404));
    const { session: s } = session(PASSWORD, cloud.fetch);
    await assert.rejects(
      s.token(),
      (e: unknown) =>
        e instanceof AuthError && /does not exist \(404\)/.test(e.message) &&
        /auth_url/.test(e.hint ?? ""),
    );
  });
  await t.step("an unreachable Keystone says so", async () => {
    const { session: s } = session(
      PASSWORD,
      () => Promise.reject(new TypeError("Connection refused")),
    );
    await assert.rejects(
      s.token(),
      (e: unknown) =>
        e instanceof AuthError &&
        /^Cannot reach Keystone at http:\/\/23\.253\.248\.171:5000\/v3 for cloud "prod"/.test(
          e.message,
        ),
    );
  });
  await t.step("an unscoped token is refused", async () => {
    const cloud = standardCloud(() => Temporal.Now.instant());
    cloud.on("POST", /auth\/tokens/, () => {
      const body = fixture("keystone/auth-password-project-scoped-response.json");
      delete body.token.project;
      delete body.token.catalog;
      return json(body, 201, { "X-Subject-Token": "tok-unscoped-1" });
    });
    const { session: s } = session(PASSWORD, cloud.fetch);
    await assert.rejects(s.token(), /Keystone issued an unscoped token/);
  });
});
