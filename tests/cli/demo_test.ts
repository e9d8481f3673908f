/**
 * The demo end to end (in process, on its emulated cloud): its simulated month shows a hold that
 * outlives its snapshot's expiry and is reported once when it ends, and a restore to a new volume.
 */
import assert from "node:assert/strict";
import { systemClock } from "../../src/clock.ts";
import { cli } from "../helpers/cli.ts";

Deno.test("demo: a held snapshot outlives its expiry, a volume is restored mid-month", async () => {
  const r = await cli(["demo", "--days", "20"], { clock: systemClock });
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /=== Hold a snapshot for an audit: kept 12 days although its policy keeps 3/);
  assert.match(
    out,
    /\$ snapsentry hold --snapshot-id \S+ --until \S+ --reason "quarter-end audit"/,
  );
  assert.match(
    out,
    /Held snapshot \S+ of volume \S+ until 2026-04-01T06:00:\d\dZ: quarter-end audit/,
  );
  assert.match(
    out,
    /The held snapshot \S+ of \S+ \(expiry 2026-03-23T\S+\) was kept until its hold ended at \S+; the expire run at \S+ reported that once and deleted it at \S+\./,
  );
  assert.match(out, /=== Day 16: restore \S+ as it was at \S+ \(a new volume\)/);
  assert.match(
    out,
    /Restored snapshot \S+ \(created \S+\) of volume \S+ to new volume \S+: available/,
  );
  assert.match(out, /The volume restored on the way, \S+-restored, is available/);
  assert.match(
    out,
    /\S+-restored\s+\d+ GiB\s+available\s+-\s+No policy \(restored from snapshot \S+\)/,
  );
  assert.match(out, /The hand-made snapshot "manual-before-upgrade" is available, untouched\./);
});
