/**
 * The transport's guards against hostile or broken servers, on real loopback sockets: credentials
 * never follow a redirect to another origin, an auth POST follows no redirect at all, and every
 * answer is read under a byte cap (issue 13, items 1 and 2).
 */
import assert from "node:assert/strict";
import { SnapsentryError } from "../errors.ts";
import { MemoryLogger } from "../log.ts";
import { loopback } from "./_loopback.ts";
import { SteppingClock } from "./_testing.ts";
import { defineCloudConfig } from "./clouds_yaml.ts";
import { DEFAULT_MAX_RESPONSE_BYTES } from "./guarded_fetch.ts";
import { HttpTransport, type HttpTransportOptions } from "./http.ts";
import { KeystoneSession } from "./keystone.ts";
import { RedirectError, ResponseTooLargeError } from "./net_errors.ts";

const TOKEN = "tok-secret-0123456789";

function transport(options: Partial<HttpTransportOptions> = {}) {
  return new HttpTransport({ clock: new SteppingClock(), random: () => 0, ...options });
}

Deno.test("redirects: credentials never cross origins", async (t) => {
  const evil = loopback(() => Response.json({ volumes: [] }));
  const cinder = loopback((_req, url) => {
    if (url.pathname === "/v3/p/volumes/detail") {
      return new Response(null, {
        status: 307,
        headers: { Location: `${evil.url}/collect?from=cinder` },
      });
    }
    if (url.pathname === "/v3/p/moved") {
      return new Response(null, { status: 308, headers: { Location: "/v3/p/here" } });
    }
    if (url.pathname === "/v3/p/here") return Response.json({ ok: true });
    if (url.pathname === "/v3/p/post-303") {
      return new Response(null, { status: 303, headers: { Location: "/v3/p/here" } });
    }
    if (url.pathname === "/v3/p/loop") {
      return new Response(null, { status: 302, headers: { Location: "/v3/p/loop" } });
    }
    return new Response("not found", { status: 404 });
  });
  try {
    await t.step(
      "a 307 to another port is refused, naming both URLs; nothing is sent there",
      async () => {
        await assert.rejects(
          transport().request({
            method: "GET",
            url: `${cinder.url}/v3/p/volumes/detail`,
            headers: { "X-Auth-Token": TOKEN },
            expected: [200],
          }),
          (e: unknown) => {
            assert.ok(e instanceof RedirectError, String(e));
            assert.equal(e.code, "redirect_refused");
            assert.ok(e.message.includes(`${cinder.url}/v3/p/volumes/detail`), e.message);
            assert.ok(e.message.includes(`${evil.url}/collect?from=cinder`), e.message);
            assert.match(e.message, /another origin/);
            assert.ok(e.hint && /auth_url|endpoint/.test(e.hint));
            return true;
          },
        );
        assert.equal(evil.seen.length, 0, "the other origin got no request, so no token");
        // Final, not retried: a GET is retried on network errors, but this is not one.
        assert.equal(cinder.seen.filter((s) => s.path === "/v3/p/volumes/detail").length, 1);
      },
    );

    await t.step("a same-origin 308 is followed with the token and the body", async () => {
      const r = await transport().request({
        method: "PUT",
        url: `${cinder.url}/v3/p/moved`,
        headers: { "X-Auth-Token": TOKEN },
        json: { a: 1 },
        expected: [200],
      });
      assert.deepEqual(r.body, { ok: true });
      const here = cinder.seen.at(-1)!;
      assert.deepEqual([here.method, here.path, here.token, here.body], [
        "PUT",
        "/v3/p/here",
        TOKEN,
        '{"a":1}',
      ]);
    });

    await t.step("a 303 after a POST becomes a GET without the body", async () => {
      await transport().request({
        method: "POST",
        url: `${cinder.url}/v3/p/post-303`,
        json: { secret: "x" },
        expected: [200],
      });
      const here = cinder.seen.at(-1)!;
      assert.deepEqual([here.method, here.body], ["GET", ""]);
    });

    await t.step("a redirect loop stops after 5 hops", async () => {
      const before = cinder.seen.length;
      await assert.rejects(
        transport().request({ method: "GET", url: `${cinder.url}/v3/p/loop`, expected: [200] }),
        (e: unknown) =>
          e instanceof RedirectError && e.code === "too_many_redirects" &&
          /more than 5 times/.test(e.message),
      );
      assert.equal(cinder.seen.length - before, 6);
    });
  } finally {
    await cinder.close();
    await evil.close();
  }
});

Deno.test("redirects: a Keystone auth POST follows none, not even on its own origin", async () => {
  const password = "Pa55-redirected-secret";
  const keystone = loopback((_req, url) =>
    url.pathname === "/v3/auth/tokens"
      ? new Response(null, { status: 307, headers: { Location: "/v3/auth/tokens-elsewhere" } })
      : Response.json({ error: { message: "should never be asked" } }, { status: 500 })
  );
  try {
    const clock = new SteppingClock();
    const logger = new MemoryLogger();
    const session = new KeystoneSession({
      config: defineCloudConfig({
        name: "prod",
        auth: {
          type: "password",
          authUrl: `${keystone.url}/v3`,
          username: "admin",
          userDomainName: "Default",
          password,
          projectId: "p1",
        },
      }),
      transport: new HttpTransport({ clock, logger, random: () => 0 }),
      logger,
      clock,
    });
    await assert.rejects(session.token(), (e: unknown) => {
      assert.ok(e instanceof RedirectError, String(e));
      assert.equal(e.code, "redirect_refused");
      assert.match(e.message, /authentication requests never follow a redirect/);
      assert.ok(e.message.includes(`${keystone.url}/v3/auth/tokens-elsewhere`), e.message);
      assert.ok(!e.message.includes(password));
      return true;
    });
    // One POST: not repeated, and the redirect target never saw the password.
    assert.deepEqual(keystone.seen.map((s) => `${s.method} ${s.path}`), ["POST /v3/auth/tokens"]);
  } finally {
    await keystone.close();
  }
});

Deno.test("every answer is bounded by a byte cap", async (t) => {
  const MiB = 1024 * 1024;
  let streamed = 0;
  const server = loopback((_req, url) => {
    if (url.pathname === "/endless") {
      // The 1 GiB answer of the security review, made endless: it only stops when we stop.
      const chunk = new TextEncoder().encode('{"volumes": [' + " ".repeat(64 * 1024));
      return new Response(
        new ReadableStream({
          pull(c) {
            streamed += chunk.byteLength;
            c.enqueue(chunk);
          },
        }),
        { headers: { "Content-Type": "application/json" } },
      );
    }
    if (url.pathname === "/declared") return new Response(new Uint8Array(3 * MiB));
    return Response.json({ small: true });
  });
  try {
    await t.step("the default is 64 MiB", () => {
      assert.equal(DEFAULT_MAX_RESPONSE_BYTES, 64 * MiB);
      assert.equal(transport().maxResponseBytes, 64 * MiB);
    });

    await t.step("an endless body fails with response_too_large, once, not retried", async () => {
      const tr = transport({ maxResponseBytes: 2 * MiB });
      await assert.rejects(
        tr.request({ method: "GET", url: `${server.url}/endless?limit=1000`, expected: [200] }),
        (e: unknown) => {
          assert.ok(e instanceof ResponseTooLargeError, String(e));
          assert.equal(e.code, "response_too_large");
          assert.ok(e.message.includes(`${server.url}/endless?limit=1000`), e.message);
          assert.match(e.message, /over the limit of 2 MiB per response/);
          return true;
        },
      );
      assert.equal(server.seen.filter((s) => s.path.startsWith("/endless")).length, 1);
      assert.ok(streamed < 64 * MiB, `read stopped early (${streamed} bytes streamed)`);
    });

    await t.step("a declared Content-Length over the cap fails before reading", async () => {
      await assert.rejects(
        transport({ maxResponseBytes: MiB }).request({
          method: "GET",
          url: `${server.url}/declared`,
          expected: [200],
        }),
        (e: unknown) =>
          e instanceof SnapsentryError && e.code === "response_too_large" &&
          /declares 3 MiB/.test(e.message),
      );
    });

    await t.step("answers under the cap are read as before", async () => {
      const r = await transport({ maxResponseBytes: 1024 }).request({
        method: "GET",
        url: `${server.url}/small`,
        expected: [200],
      });
      assert.deepEqual(r.body, { small: true });
    });
  } finally {
    await server.close();
  }
});
