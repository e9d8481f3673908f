/**
 * The `emulator` command's sample: the snapshots it seeds are what snapsentry itself would have
 * left, so a run on it finds exactly what `--windows-back` says (nothing due, every window due,
 * everything expired), and bad flag combinations are usage errors.
 */
import assert from "node:assert/strict";
import { sampleSpecOf } from "../../src/cli/commands/emulator.ts";
import { seedEmulatorSample } from "../../src/cli/emulator_sample.ts";
import { UsageError } from "../../src/errors.ts";
import { harness } from "./harness.ts";

const SHAPE = { servers: 3, volumesPerServer: 2, shared: 1, unattached: 2 };

Deno.test("a sample seeded for the current window has nothing due", async () => {
  const h = harness();
  const seeded = seedEmulatorSample(h.emulator, {
    ...SHAPE,
    policy: "daily",
    snapshotsPerVolume: 2,
    windowsBack: 0,
  });
  assert.deepEqual(seeded, { volumes: 9, snapshots: 18 });
  const summary = await (await h.engine()).create();
  assert.equal(summary.counts.created, 0);
  assert.equal(summary.result, "ok");
});

Deno.test("a sample one window back has every volume's current window due", async () => {
  const h = harness();
  seedEmulatorSample(h.emulator, {
    ...SHAPE,
    policy: "daily",
    snapshotsPerVolume: 1,
    windowsBack: 1,
  });
  const summary = await (await h.engine()).create();
  assert.equal(summary.counts.created, 9);
  assert.equal(summary.counts.failed, 0);
});

Deno.test("a sample three windows back is expired but for each volume's newest", async () => {
  const h = harness();
  seedEmulatorSample(h.emulator, {
    ...SHAPE,
    policy: "daily",
    snapshotsPerVolume: 2,
    windowsBack: 3,
  });
  const summary = await (await h.engine()).expire();
  assert.equal(summary.counts.deleted, 9);
});

Deno.test("sampleSpecOf refuses flag combinations that cannot mean anything", () => {
  const refused = (flags: Parameters<typeof sampleSpecOf>[0], pattern: RegExp) =>
    assert.throws(
      () => sampleSpecOf(flags),
      (e) => e instanceof UsageError && pattern.test(e.message),
    );
  refused({ volumes: "10", servers: "2" }, /--volumes with --servers/);
  refused({ shared: "1" }, /--shared "1" without --servers/);
  refused({ snapshotsPerVolume: "2" }, /without --policy/);
  refused({ policy: "hourly" }, /--policy "hourly": expected/);
  refused({ policy: "daily", windowsBack: "1" }, /--windows-back without --snapshots-per-volume/);
  refused({ servers: "100000", volumesPerServer: "2" }, /Cannot seed 200000 volumes/);
  assert.deepEqual(sampleSpecOf({ volumes: "12" }), {
    servers: 3,
    volumesPerServer: 3,
    shared: 1,
    unattached: 2,
  });
});
