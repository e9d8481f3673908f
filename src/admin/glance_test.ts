/**
 * The Glance connection shares the transport's guards (issue 13, items 1 and 2): its token never
 * follows a redirect to another origin, same-origin redirects still work, and a body is read
 * under the byte cap. Real loopback servers; the admin cloud is a stub with a one-entry catalog.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../clock.ts";
import { type Cloud, defineCloudConfig } from "../openstack/mod.ts";
import { glanceConnection } from "./glance.ts";

const TOKEN = "glance-token-0123456789";

function serve(handler: (url: URL) => Response) {
  const seen: { path: string; token: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    seen.push({ path: url.pathname, token: req.headers.get("x-auth-token") });
    return handler(url);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

/** Just what glanceConnection reads of a Cloud: config, request id, token and catalog. */
function stubCloud(imageUrl: string): Cloud {
  return {
    config: defineCloudConfig({
      name: "admin",
      auth: { type: "token", authUrl: "http://keystone.invalid/v3", token: TOKEN },
    }),
    requestId: "req-00000000-0000-0000-0000-000000000001",
    session: {
      tokenInfo: () =>
        Promise.resolve({
          catalog: [{ type: "image", endpoints: [{ url: imageUrl, interface: "public" }] }],
        }),
      token: () => Promise.resolve(TOKEN),
      invalidate: () => {},
    },
  } as unknown as Cloud;
}

Deno.test("glanceConnection: the token never follows a cross-origin redirect", async () => {
  const evil = serve(() => Response.json({ namespaces: [] }));
  const glance = serve((url) => {
    if (url.pathname === "/v2/metadefs/namespaces") {
      return new Response(null, { status: 302, headers: { Location: `${evil.url}/steal` } });
    }
    if (url.pathname === "/v2/metadefs/moved") {
      return new Response(null, { status: 301, headers: { Location: "/v2/metadefs/here" } });
    }
    return Response.json({ here: true });
  });
  const conn = glanceConnection(stubCloud(glance.url), {
    fetch: (input, init) => fetch(input, init),
    clock: new ManualClock("2026-01-01T00:00:00Z"),
  });
  try {
    await assert.rejects(
      conn.request("GET", "/v2/metadefs/namespaces"),
      (e: unknown) => {
        assert.ok(e instanceof Error && "code" in e && e.code === "redirect_refused", String(e));
        assert.ok(e.message.includes(`${glance.url}/v2/metadefs/namespaces`), e.message);
        assert.ok(e.message.includes(`${evil.url}/steal`), e.message);
        return true;
      },
    );
    assert.equal(evil.seen.length, 0);
    const ok = await conn.request("GET", "/v2/metadefs/moved");
    assert.deepEqual(await ok.json(), { here: true });
    assert.deepEqual(glance.seen.at(-1), { path: "/v2/metadefs/here", token: TOKEN });
  } finally {
    conn.close();
    await glance.close();
    await evil.close();
  }
});

Deno.test("glanceConnection: a body over the cap is response_too_large", async () => {
  const glance = serve(() => new Response("x".repeat(4096)));
  const conn = glanceConnection(stubCloud(glance.url), {
    fetch: (input, init) => fetch(input, init),
    clock: new ManualClock("2026-01-01T00:00:00Z"),
    maxResponseBytes: 1024,
  });
  try {
    await assert.rejects(
      conn.request("GET", "/v2/metadefs/namespaces"),
      (e: unknown) =>
        e instanceof Error && "code" in e && e.code === "response_too_large" &&
        e.message.includes(`${glance.url}/v2/metadefs/namespaces`),
    );
  } finally {
    conn.close();
    await glance.close();
  }
});
