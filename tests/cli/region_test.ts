/**
 * Region choice as python-openstackclient makes it: `--region` (alias `--os-region-name`), then
 * SNAPSENTRY_REGION, then OS_REGION_NAME; a region the cloud does not list is a configuration
 * error (exit 2) listing those it does; `doctor` says which region and where it came from. Also
 * the User-Agent every request carries.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { USER_AGENT } from "../../src/cli/cloud.ts";
import type { CliDeps } from "../../src/cli/mod.ts";
import { ManualClock } from "../../src/clock.ts";
import { createEmulator } from "../../src/emulator/mod.ts";
import { cli } from "../helpers/cli.ts";

const PATH = "/virtual/clouds.yaml";

/** The emulator's member cloud, rewritten with a `regions` list (the catalog has RegionOne). */
function regionalCli() {
  const clock = new ManualClock("2026-01-15T12:00:00Z", { autoAdvance: true });
  const emulator = createEmulator({ clock, snapshotDelayMs: 1000 });
  const cloud = { ...emulator.cloudConfigs().emulator } as Record<string, unknown>;
  delete cloud.region_name;
  cloud.regions = ["RegionOne", "RegionTwo"];
  const files: Record<string, string> = { [PATH]: stringify({ clouds: { prod: cloud } }) };
  const seen: Headers[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    seen.push(new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)));
    return emulator.fetch(input, init);
  };
  const run = (argv: string[], env: Record<string, string> = {}, extra: Partial<CliDeps> = {}) =>
    cli(argv, {
      clock,
      fetch,
      env: { OS_CLIENT_CONFIG_FILE: PATH, ...env },
      readTextFile: (p) =>
        files[p] === undefined
          ? Promise.reject(new Deno.errors.NotFound(p))
          : Promise.resolve(files[p]!),
      ...extra,
    });
  return { emulator, run, seen };
}

Deno.test("--region and its fallbacks choose the region; doctor says where it came from", async (t) => {
  const cases: [string, string[], Record<string, string>, string][] = [
    ["the first of regions by default", [], {}, `the first of regions in ${PATH}`],
    ["--region", ["--region", "RegionOne"], {}, "--region"],
    ["--os-region-name", ["--os-region-name", "RegionOne"], {}, "--os-region-name"],
    ["SNAPSENTRY_REGION", [], { SNAPSENTRY_REGION: "RegionOne" }, "SNAPSENTRY_REGION"],
    ["OS_REGION_NAME", [], { OS_REGION_NAME: "RegionOne" }, "OS_REGION_NAME"],
    [
      "SNAPSENTRY_REGION before OS_REGION_NAME",
      [],
      { SNAPSENTRY_REGION: "RegionOne", OS_REGION_NAME: "RegionTwo" },
      "SNAPSENTRY_REGION",
    ],
    ["the flag before the variables", ["--region", "RegionOne"], {
      OS_REGION_NAME: "RegionTwo",
    }, "--region"],
  ];
  for (const [name, flags, env, from] of cases) {
    await t.step(name, async () => {
      const { run } = regionalCli();
      const json = await run(["--cloud", "prod", ...flags, "doctor", "--json"], env);
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout);
      assert.deepEqual(report.region, {
        name: "RegionOne",
        from,
        known: ["RegionOne", "RegionTwo"],
      });
      const text = await run(["--cloud", "prod", ...flags, "doctor"], env);
      assert.match(
        text.stdout,
        new RegExp(
          `^Region: +RegionOne \\(from ${
            from.replace(/[./]/g, "\\$&")
          }\\); cloud regions: RegionOne, RegionTwo$`,
          "m",
        ),
      );
    });
  }
});

Deno.test("a region the cloud does not list exits 2 naming those it does; nothing is sent", async (t) => {
  for (
    const [argv, env, from] of [
      [["--region", "RegionThree"], {}, "--region"],
      [[], { OS_REGION_NAME: "regionone" }, "OS_REGION_NAME"],
    ] as const
  ) {
    await t.step(from, async () => {
      const { run, emulator } = regionalCli();
      const r = await run(["--cloud", "prod", ...argv, "status"], { ...env });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `Cannot use region "${
            env.OS_REGION_NAME ?? "RegionThree"
          }" with cloud "prod" \\(/virtual/clouds\\.yaml\\): valid regions are "RegionOne", "RegionTwo" \\(the region came from ${from}\\)`,
        ),
      );
      assert.match(r.stderr, /case-sensitive/);
      assert.equal(emulator.requestCounts().total, 0);
    });
  }
});

Deno.test("a listed region the catalog lacks is a configuration error too (exit 2)", async (t) => {
  for (
    const cmd of [["doctor"], ["status"], [
      "subscribe",
      "daily",
      "--volume-id",
      "v1",
      "--start-time",
      "01:00",
    ]]
  ) {
    await t.step(cmd[0]!, async () => {
      const { run } = regionalCli();
      const r = await run(["--cloud", "prod", "--region", "RegionTwo", ...cmd]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /Cannot find a block-storage endpoint .*region "RegionTwo"\) in cloud "prod": catalog offers .* \(the region came from --region\)/,
      );
      assert.match(
        r.stderr,
        /hint: set region_name in clouds\.yaml to a region the catalog offers/,
      );
    });
  }
});

Deno.test("a run whose region the catalog lacks fails before any change, with exit 2", async (t) => {
  for (const job of ["create-snapshots", "expire-snapshots"]) {
    await t.step(job, async () => {
      const { run } = regionalCli();
      const r = await run(["--cloud", "prod", "--region", "RegionTwo", job]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /failed: .*\nerror \(endpoint_not_found\): Cannot find a block-storage endpoint .*region "RegionTwo"\) .*\(the region came from --region\)/s,
      );
      const json = await run(["--cloud", "prod", "--region", "RegionTwo", job, "--json"]);
      assert.equal(json.code, 2);
      const summary = JSON.parse(json.stdout);
      assert.equal(summary.result, "failed");
      assert.equal(summary.error.code, "endpoint_not_found");
    });
  }
});

Deno.test("a garbage auth_url exits 2 naming the file, the cloud and the key", async () => {
  const files: Record<string, string> = {
    [PATH]:
      "clouds:\n  prod:\n    auth_url: not a url\n    username: u\n    password: pw-123456\n" +
      "    user_domain_name: Default\n    project_name: p\n    project_domain_name: Default\n",
  };
  const r = await cli(["--cloud", "prod", "status"], {
    env: { OS_CLIENT_CONFIG_FILE: PATH },
    readTextFile: (p) =>
      files[p] === undefined
        ? Promise.reject(new Deno.errors.NotFound(p))
        : Promise.resolve(files[p]!),
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /Cannot use auth_url "not a url" of cloud "prod" in \/virtual\/clouds\.yaml: it is not an http\(s\) URL/,
  );
});

Deno.test("every request carries User-Agent: snapsentry/<version> Deno/<version>", async () => {
  const { run, seen } = regionalCli();
  const r = await run(["--cloud", "prod", "doctor"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(USER_AGENT, /^snapsentry\/\d+\.\d+\.\d+\S* Deno\/\d+\.\d+\.\d+$/);
  assert.ok(seen.length >= 3, `${seen.length} requests`);
  for (const h of seen) assert.equal(h.get("user-agent"), USER_AGENT);
});
