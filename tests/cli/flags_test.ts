/** The one flag grammar: every duration flag takes it; bad values exit 2 before any API call. */
import assert from "node:assert/strict";
import { durationFlag, engineConfigFrom, intFlag, timeoutFlag } from "../../src/cli/flags.ts";
import { UsageError } from "../../src/errors.ts";
import { emulatedCli } from "../helpers/cli.ts";

Deno.test("every duration flag takes the one grammar (and --timeout keeps bare seconds)", async () => {
  const e = emulatedCli();
  e.emulator.addVolume(e.emulator.seed.demoProjectId, {
    name: "v",
    metadata: { "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" },
  });
  const r = await e.run([
    "--timeout",
    "8m",
    "create-snapshots",
    "--wait-timeout",
    "1h30m",
    "--stuck-after",
    "1d",
    "--dry-run",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).dry_run, true);
  const globals = { logLevel: "info", logFormat: "json", timeoutMs: timeoutFlag("480") } as const;
  assert.equal(globals.timeoutMs, 480_000, "a bare --timeout is seconds, as in the Go tool");
  assert.deepEqual(
    engineConfigFrom(globals, { waitTimeout: "1h30m", stuckAfter: "1d" }).config,
    {
      concurrency: 8,
      laneConcurrency: 1,
      timeoutMs: 480_000,
      waitTimeoutMs: 5_400_000,
      stuckAfterMs: 86_400_000,
    },
  );
  // Accepted: status runs and answers with a Nagios code (the daily window has no snapshot yet).
  const status = await e.run(["status", "--warn", "daily=26h", "--crit", "1d12h"]);
  assert.equal(status.stderr, "");
  assert.match(status.stdout, /1 DUE/);
  assert.ok([0, 1, 2].includes(status.code));
});

Deno.test("bad numbers and durations are refused with the flag, the value and the grammar", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--timeout", "soon", "create-snapshots"], /Cannot use --timeout "soon": expected a duration/],
    [
      ["create-snapshots", "--stuck-after", "0"],
      /Cannot use --stuck-after "0": expected at least 1m/,
    ],
    [
      ["create-snapshots", "--concurrency", "9".repeat(400)],
      /Cannot use --concurrency "9{400}": expected a whole number from 1 to 1000/,
    ],
    [["daemon", "--shutdown-timeout", "1 minute"], /Cannot use --shutdown-timeout "1 minute"/],
    [["daemon", "--metrics-per-volume=maybe"], /Cannot use --metrics-per-volume "maybe"/],
    [["status", "--warn", "daily=never"], /Cannot use --warn "never": expected a duration/],
  ];
  for (const [argv, message] of cases) {
    await t.step(argv.join(" ").slice(0, 60), async () => {
      const e = emulatedCli();
      const r = await e.run(argv);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.equal(e.emulator.requestCounts().total, 0, "nothing was sent");
    });
  }
});

Deno.test("durationFlag() and intFlag() throw UsageError naming the flag", () => {
  assert.equal(durationFlag("--shutdown-timeout", "90s"), 90_000);
  assert.throws(() => durationFlag("--x", "1y"), UsageError);
  assert.equal(intFlag("--days", "30", { min: 1, max: 3660 }), 30);
  assert.throws(() => intFlag("--days", "1e3"), /Cannot use --days "1e3"/);
  assert.throws(() => intFlag("--days", "-1"), UsageError);
});
