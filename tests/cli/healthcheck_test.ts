/** `healthcheck`: exit 0 when /healthz answers 200, 1 otherwise (Docker's HEALTHCHECK contract). */
import assert from "node:assert/strict";
import { DEFAULT_HEALTHCHECK_URL } from "../../src/cli/commands/healthcheck.ts";
import { cli } from "../helpers/cli.ts";

async function withServer(
  handler: (req: Request) => Response | Promise<Response>,
  fn: (base: string) => Promise<void>,
) {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    handler,
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    ac.abort();
    await server.finished;
  }
}

const real = { fetch: globalThis.fetch.bind(globalThis) };

Deno.test("healthcheck exits 0 on 200 and prints the answer; needs no cloud", async () => {
  let userAgent: string | null = null;
  await withServer((req) => {
    userAgent = req.headers.get("user-agent");
    return new URL(req.url).pathname === "/healthz"
      ? Response.json({ status: "ok" })
      : new Response("no", { status: 404 });
  }, async (base) => {
    const r = await cli(["healthcheck", "--url", `${base}/healthz`], { ...real, env: {} });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `OK ${base}/healthz: 200 {"status":"ok"}\n`);
    assert.match(userAgent ?? "", /^snapsentry\//);
  });
});

Deno.test("healthcheck exits 1 when the daemon answers 503, is not there, or hangs", async (t) => {
  await t.step("503 (stopping)", async () => {
    await withServer(() => Response.json({ status: "stopping" }, { status: 503 }), async (base) => {
      const r = await cli(["healthcheck", "--url", `${base}/healthz`], real);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /Cannot confirm the daemon's health at ".*\/healthz": it answered 503/,
      );
    });
  });
  await t.step("nothing listening", async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const r = await cli(["healthcheck", "--url", `http://127.0.0.1:${port}/healthz`], real);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot reach the daemon at "http:\/\/127\.0\.0\.1:\d+\/healthz"/);
  });
  await t.step("no answer within --max-time", async () => {
    let release = () => {};
    const hung = new Promise<void>((r) => (release = r));
    await withServer(async () => {
      await hung;
      return new Response("late");
    }, async (base) => {
      const started = performance.now();
      const r = await cli(
        ["healthcheck", "--url", `${base}/healthz`, "--max-time", "300ms"],
        real,
      );
      release();
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no answer within 300 ms/);
      assert.ok(performance.now() - started < 5000);
    });
  });
});

Deno.test("healthcheck's default URL is the daemon's container address; a bad URL exits 2", async () => {
  assert.equal(DEFAULT_HEALTHCHECK_URL, "http://127.0.0.1:8080/healthz");
  const r = await cli(["healthcheck", "--url", "localhost:8080"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Cannot check "localhost:8080": expected an http\(s\) URL/);
  const t = await cli(["healthcheck", "--max-time", "soon"]);
  assert.equal(t.code, 2);
});
