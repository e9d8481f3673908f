/**
 * Secrets through the client (issue 13): a password with `"` and `\` that Keystone echoes back
 * JSON-escaped does not leak into the error, its body excerpt or the logs; a credential too short
 * to redact is warned about when the cloud is opened.
 */
import assert from "node:assert/strict";
import { describeError, OpenStackHttpError } from "../errors.ts";
import { MemoryLogger } from "../log.ts";
import { escapedForms, redact } from "../redact.ts";
import { AUTH_URL, FakeCloud, json, PROJECT_ID, standardCloud, SteppingClock } from "./_testing.ts";
import { defineCloudConfig, openCloud } from "./mod.ts";

const PASSWORD = 'Tr0"ub\\4dor&3';

Deno.test("a password echoed JSON-escaped by Keystone does not leak", async () => {
  const cloud = new FakeCloud();
  // Keystone (or a proxy) quoting the request back, as JSON: `"` becomes `\"`, `\` becomes `\\`.
  cloud.on("POST", /^\/v3\/auth\/tokens$/, (req) =>
    json(
      {
        error: {
          code: 400,
          title: "Bad Request",
          message: `Invalid input for field 'identity': ${JSON.stringify(req.body)}`,
        },
      },
      400,
    ));
  const logger = new MemoryLogger();
  const os = await openCloud({
    config: defineCloudConfig({
      name: "prod",
      auth: {
        type: "password",
        authUrl: AUTH_URL,
        username: "admin",
        userDomainName: "Default",
        password: PASSWORD,
        projectId: PROJECT_ID,
      },
    }),
    fetch: cloud.fetch,
    clock: new SteppingClock(),
    logger,
  });
  const error = await os.blockStorage().then(() => undefined, (e) => e);
  assert.ok(error instanceof Error, "auth failed");
  const inner = (error as { cause?: unknown }).cause;
  assert.ok(inner instanceof OpenStackHttpError);
  const everything = [
    describeError(error, true),
    inner.bodyExcerpt ?? "",
    inner.serverMessage ?? "",
    JSON.stringify(redact(inner)),
    JSON.stringify(logger.entries),
  ].join("\n");
  assert.match(inner.bodyExcerpt ?? "", /Invalid input/, "the excerpt is there, redacted");
  for (const form of [PASSWORD, ...escapedForms(PASSWORD), "ub\\\\4dor", 'Tr0\\"ub']) {
    assert.ok(!everything.includes(form), `leaked as ${form}:\n${everything}`);
  }
});

Deno.test("openCloud warns about a credential too short to be redacted", async () => {
  const logger = new MemoryLogger();
  const cloud = await openCloud({
    config: defineCloudConfig({
      name: "prod",
      auth: { type: "password", authUrl: "http://k.invalid/v3", username: "u", password: "abc" },
    }),
    fetch: () => Promise.reject(new TypeError("offline")),
    logger,
  });
  const [warning] = logger.events("secret_too_short");
  assert.ok(warning, "warned");
  assert.equal(warning.level, "warn");
  assert.equal(warning.cloud, "prod");
  assert.equal(warning.field, "auth.password");
  assert.match(String(warning.message), /shorter than 4 characters/);
  assert.ok(!JSON.stringify(logger.entries).includes('"abc"'), "the value is not logged");
  cloud.close();

  const quiet = new MemoryLogger();
  (await openCloud({
    config: defineCloudConfig({
      name: "prod",
      auth: { type: "password", authUrl: "http://k.invalid/v3", username: "u", password: "abcd" },
    }),
    logger: quiet,
  })).close();
  assert.equal(quiet.events("secret_too_short").length, 0);
});

Deno.test("credentials over plain HTTP to another host are warned about once per origin", async () => {
  const logger = new MemoryLogger();
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now());
  const os = await openCloud({
    config: defineCloudConfig({
      name: "prod",
      auth: {
        type: "password",
        authUrl: AUTH_URL, // http://23.253.248.171:5000/v3; the catalog's Cinder is http too
        username: "admin",
        userDomainName: "Default",
        password: "long-enough-pw",
        projectId: PROJECT_ID,
      },
    }),
    fetch: cloud.fetch,
    clock,
    logger,
  });
  await os.blockStorageEndpoint();
  await os.blockStorageEndpoint();
  const warned = logger.events("credentials_in_cleartext");
  assert.deepEqual(warned.map((w) => [w.url, w.sends]), [
    ["http://23.253.248.171:5000", "password"],
    ["http://23.253.248.171:8776", "token"],
  ]);
  assert.match(String(warned[0]!.message), /use the https:\/\/ URL/);
  os.close();

  // Loopback, the emulated cloud's reserved .invalid name, and https stay quiet.
  for (
    const authUrl of ["http://127.0.0.1:5000/v3", "http://k.invalid/v3", "https://k.example/v3"]
  ) {
    const quiet = new MemoryLogger();
    (await openCloud({
      config: defineCloudConfig({
        name: "prod",
        auth: { type: "password", authUrl, username: "u", password: "abcd-long" },
      }),
      logger: quiet,
    })).close();
    assert.equal(quiet.events("credentials_in_cleartext").length, 0, authUrl);
  }
});
