/** `status --warn/--crit`: a monitoring plugin's status line first, then the table. */
import assert from "node:assert/strict";
import { nagiosLine } from "../../src/cli/commands/status.ts";
import type { StatusReport } from "../../src/core/mod.ts";
import { emulatedCli } from "../helpers/cli.ts";

function volumes(e: ReturnType<typeof emulatedCli>, n: number, policy = "daily") {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(
      e.emulator.addVolume(e.emulator.seed.demoProjectId, {
        name: `vol-${i}`,
        metadata: {
          "x-snapsentry-managed": "true",
          [`x-snapsentry-${policy}-enabled`]: "true",
        },
      }).id,
    );
  }
  return ids;
}

Deno.test("status --warn/--crit prints the plugin line first: OK with every volume fresh", async () => {
  const e = emulatedCli();
  volumes(e, 41);
  assert.equal((await e.run(["create-snapshots"])).code, 0);
  const r = await e.run(["status", "--warn", "26h", "--crit", "50h"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines[0], "SNAPSENTRY OK - 41 volumes fresh | ok=41 warn=0 crit=0");
  assert.match(lines[1]!, /^VOLUME +NAME +SERVER +POLICY/, "then the table");
});

Deno.test("status --warn/--crit: WARNING and CRITICAL count volumes by their worst policy", async () => {
  const e = emulatedCli();
  volumes(e, 2);
  assert.equal((await e.run(["create-snapshots"])).code, 0);
  e.clock.advance(30 * 3600_000); // the daily snapshots are now 30 h old
  let r = await e.run(["status", "--warn", "26h", "--crit", "50h"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stdout.split("\n")[0],
    "SNAPSENTRY WARNING - 2 warning of 2 volumes | ok=0 warn=2 crit=0",
  );
  r = await e.run(["status", "--warn", "26h", "--crit", "28h"]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stdout.split("\n")[0],
    "SNAPSENTRY CRITICAL - 2 critical of 2 volumes | ok=0 warn=0 crit=2",
  );
});

Deno.test("status without --warn/--crit, and --json, have no plugin line", async () => {
  const e = emulatedCli();
  volumes(e, 1);
  const plain = await e.run(["status"]);
  assert.doesNotMatch(plain.stdout, /SNAPSENTRY/);
  const json = await e.run(["status", "--warn", "26h", "--json"]);
  assert.doesNotMatch(json.stdout, /SNAPSENTRY/);
  JSON.parse(json.stdout);
});

Deno.test("nagiosLine() covers no volumes, unknown policies and singulars", () => {
  const report = (entries: { volumeId: string; nagios: 0 | 1 | 2 | 3 }[], nagios: 0 | 1 | 2 | 3) =>
    ({ entries, nagios }) as unknown as StatusReport;
  assert.equal(
    nagiosLine(report([], 0)),
    "SNAPSENTRY OK - no subscribed volumes | ok=0 warn=0 crit=0",
  );
  assert.equal(
    nagiosLine(report([{ volumeId: "a", nagios: 0 }], 0)),
    "SNAPSENTRY OK - 1 volume fresh | ok=1 warn=0 crit=0",
  );
  assert.equal(
    nagiosLine(
      report([
        { volumeId: "a", nagios: 0 },
        { volumeId: "a", nagios: 3 },
        { volumeId: "b", nagios: 0 },
      ], 3),
    ),
    "SNAPSENTRY UNKNOWN - 1 with an invalid policy of 2 volumes | ok=1 warn=0 crit=0 unknown=1",
  );
  assert.equal(
    nagiosLine(
      report([
        { volumeId: "a", nagios: 3 },
        { volumeId: "a", nagios: 2 },
        { volumeId: "b", nagios: 1 },
        { volumeId: "c", nagios: 0 },
      ], 2),
    ),
    "SNAPSENTRY CRITICAL - 1 critical, 1 warning of 3 volumes | ok=1 warn=1 crit=1",
  );
});
