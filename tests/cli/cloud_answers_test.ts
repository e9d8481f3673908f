/**
 * Exit codes of what the client finds in a cloud's answers, through the CLI on the emulated
 * cloud: a malformed answer is a failure (exit 1, `bad_response`), never a raw JavaScript error
 * and never exit 2; a region the catalog lacks is a configuration error (exit 2).
 */
import assert from "node:assert/strict";
import { stringify as yamlStringify } from "yaml";
import { emulatedCli } from "../helpers/cli.ts";

Deno.test("status: a token whose expires_at is not a time exits 1 with bad_response", async () => {
  const c = emulatedCli();
  const corrupting = async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await c.emulator.fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!url.pathname.endsWith("/auth/tokens")) return res;
    const body = await res.json();
    body.token.expires_at = "not-a-time";
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
  const r = await c.run(["status"], { fetch: corrupting });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^error: Cannot read the answer to POST http:\/\/emulator\.snapsentry\.invalid\/identity\/v3\/auth\/tokens: token\.expires_at is string "not-a-time", expected an ISO 8601 time \(request id req-[0-9a-f-]+\)/,
  );
  assert.doesNotMatch(r.stderr, /RangeError|TypeError|Temporal/);
});

Deno.test("status: a region the catalog lacks exits 2 naming cloud, region and regions", async () => {
  const c = emulatedCli();
  const configs = c.emulator.cloudConfigs();
  configs.emulator!.region_name = "RegionTwo";
  const yaml = yamlStringify({ clouds: configs });
  const r = await c.run(["status"], { readTextFile: () => Promise.resolve(yaml) });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /region "RegionTwo"\) in cloud "emulator": catalog offers /);
  assert.match(r.stderr, /hint: set region_name in clouds\.yaml to a region .* \("RegionOne"\)/);
});

Deno.test("status: a volume name with terminal escapes prints inert; --json keeps it exact", async () => {
  const c = emulatedCli();
  const name = "db\x1b[2J\x1b]0;pwned\x07\nOK fake";
  c.emulator.addVolume(c.emulator.seed.demoProjectId, {
    name,
    metadata: {
      "x-snapsentry-managed": "true",
      "x-snapsentry-daily-enabled": "true",
    },
  });
  const text = await c.run(["status"]);
  assert.equal(text.code, 0, text.stderr);
  assert.ok(!text.stdout.includes("\x1b"), "no raw ESC on stdout");
  assert.ok(text.stdout.includes(String.raw`db\x1b[2J\x1b]0;pwned\x07\nOK fake`), text.stdout);
  const json = await c.run(["status", "--json"]);
  assert.equal(JSON.parse(json.stdout).entries[0].volume_name, name);
});

Deno.test("--max-pages and --max-response-size bound what one listing may read", async (t) => {
  const e = emulatedCli();
  const project = e.emulator.seed.demoProjectId;
  for (let i = 0; i < 1001; i++) {
    e.emulator.addVolume(project, {
      name: `v${i}`,
      metadata: { "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" },
    });
  }
  await t.step("two pages of volumes pass the default, not --max-pages 1", async () => {
    assert.equal((await e.run(["status", "--json"])).code, 0);
    const r = await e.run(["--max-pages", "1", "status"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /passed 1 pages and the server still sends a next link/);
    const env = await e.run(["status"], {
      env: { OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml", SNAPSENTRY_MAX_PAGES: "1" },
    });
    assert.equal(env.code, 1);
  });
  await t.step("an answer over --max-response-size is response_too_large", async () => {
    const r = await e.run(["--max-response-size", "1MiB", "status"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /1 MiB|1048576/);
    assert.match(r.stderr, /Cannot read the answer to GET .*volumes\/detail/);
  });
  await t.step("bad values exit 2 before any call", async () => {
    for (
      const [flag, value, expected] of [
        ["--max-pages", "0", /--max-pages "0": expected a whole number from 1/],
        ["--max-response-size", "64MB", /expected a size from 1MiB to 4GiB such as 64MiB/],
        ["--max-response-size", "512KiB", /expected a size from 1MiB/],
      ] as const
    ) {
      const before = e.emulator.requestCounts().total;
      const r = await e.run([flag, value, "status"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
      assert.equal(e.emulator.requestCounts().total, before);
    }
  });
});

// Every control character but newline (C0, DEL, C1), built from code points so the pattern holds
// no raw control character itself.
const UNSAFE = new RegExp(
  `[${String.fromCharCode(0)}-${String.fromCharCode(9)}${String.fromCharCode(11)}-${
    String.fromCharCode(31)
  }${String.fromCharCode(0x7f)}-${String.fromCharCode(0x9f)}]`,
);

Deno.test("cloud data cannot drive the terminal through run lines or error lines", async () => {
  const e = emulatedCli();
  const project = e.emulator.seed.demoProjectId;
  e.emulator.setQuota(project, { snapshots: 0 }); // the create fails: its line names the volume
  e.emulator.addVolume(project, {
    name: "db\x1b[2J\x1b]0;owned\x07\u009b31m",
    metadata: { "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" },
  });
  const run = await e.run(["create-snapshots"]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /db\\x1b\[2J/);
  assert.doesNotMatch(run.stdout, UNSAFE);

  // A server error message with control characters, on stderr.
  const hostile: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.includes("/volumes/detail")) return e.emulator.fetch(input, init);
    return Promise.resolve(
      new Response(
        JSON.stringify({ badRequest: { code: 400, message: "bad\x1b[31m\nerror: forged line" } }),
        { status: 400, headers: { "content-type": "application/json" } },
      ),
    );
  };
  const status = await e.run(["status"], { fetch: hostile });
  assert.equal(status.code, 1, status.stderr);
  assert.doesNotMatch(status.stderr, UNSAFE);
  assert.equal(status.stderr.trimEnd().split("\n").length, 1, status.stderr);
  assert.match(status.stderr, /bad\\x1b\[31m\\nerror: forged line/);
});
