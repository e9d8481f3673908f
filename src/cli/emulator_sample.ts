/**
 * The sample the `emulator` command seeds: its shape (servers × volumes, shared, unattached), an
 * optional policy on every volume (the keys `subscribe` writes, with the policy's defaults) and
 * managed snapshots for that policy's windows, stamped as a run would have stamped them. The
 * windows and stamps come from the core, so the seeded cloud is what snapsentry itself would have
 * left behind (the benchmarks rely on that to make "nothing due" and "all due" exact).
 */
import {
  type Policy,
  policyFromOptions,
  policyToMetadata,
  type PolicyType,
  previousWindow,
  SNAPSHOT_DESCRIPTION,
  SNAPSHOT_KEYS,
  snapshotMetadata,
  snapshotName,
  type Window,
  windowAt,
} from "../core/mod.ts";
import type { Emulator } from "../emulator/mod.ts";

/** What to seed. */
export interface SampleSpec {
  servers: number;
  volumesPerServer: number;
  shared: number;
  unattached: number;
  /** Subscribe every volume to this policy (its defaults), or leave them unsubscribed. */
  policy?: PolicyType;
  /** Managed snapshots per volume, one per window (needs `policy`). */
  snapshotsPerVolume?: number;
  /**
   * How many windows before the current one the newest seeded snapshot is for: 0 takes the
   * current window (nothing is due), 1 leaves the current window due, more ages every snapshot.
   */
  windowsBack?: number;
}

/** What was seeded. */
export interface SampleCounts {
  volumes: number;
  snapshots: number;
}

/**
 * The `count` windows of `policy` ending `back` windows before the one holding `now`, newest
 * first.
 */
export function seedWindows(
  policy: Policy,
  now: Temporal.Instant,
  count: number,
  back: number,
): Window[] {
  let w = windowAt(policy, now);
  for (let i = 0; i < back; i++) w = previousWindow(policy, w);
  const out: Window[] = [];
  for (let i = 0; i < count; i++) {
    out.push(w);
    w = previousWindow(policy, w);
  }
  return out;
}

/** Seeds the sample into the emulator's demo project. */
export function seedEmulatorSample(emulator: Emulator, spec: SampleSpec): SampleCounts {
  const policy = spec.policy ? policyFromOptions(spec.policy, {}) : undefined;
  const { volumes } = emulator.seedSample(emulator.seed.demoProjectId, {
    servers: spec.servers,
    volumesPerServer: spec.volumesPerServer,
    shared: spec.shared,
    unattached: spec.unattached,
    ...(policy ? { metadata: policyToMetadata(policy) } : {}),
  });
  const perVolume = spec.snapshotsPerVolume ?? 0;
  if (!policy || perVolume === 0) return { volumes: volumes.length, snapshots: 0 };
  const now = emulator.clock.now();
  // Taken a minute into its window, as a run on the hour would; never in the future.
  const windows = seedWindows(policy, now, perVolume, spec.windowsBack ?? 0).map((window) => {
    const start = window.start.toInstant();
    const minute = start.add({ minutes: 1 });
    const createdAt = Temporal.Instant.compare(minute, now) < 0 ? minute : now;
    return {
      window,
      createdAt,
      lane: snapshotMetadata({ policy, window, createdAt }),
      // The stamp is the same for every group but for the server id (set per volume below).
      grouped: snapshotMetadata({ policy, window, createdAt, group: { serverId: "" } }),
    };
  });
  let snapshots = 0;
  for (const v of volumes) {
    // A volume attached to exactly one server is snapshotted with that server's group.
    const serverId = !v.multiattach && v.attachments.length === 1
      ? v.attachments[0]!.serverId
      : undefined;
    for (const { window, createdAt, lane, grouped } of windows) {
      emulator.addSnapshot({
        volumeId: v.id,
        name: snapshotName(policy.type, v.id, window.start),
        description: SNAPSHOT_DESCRIPTION,
        createdAt,
        metadata: serverId === undefined
          ? lane
          : { ...grouped, [SNAPSHOT_KEYS.groupServer]: serverId },
      });
      snapshots++;
    }
  }
  return { volumes: volumes.length, snapshots };
}
