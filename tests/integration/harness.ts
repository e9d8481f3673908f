/**
 * The engine against the emulated cloud, in process: one emulator, engines built on clients opened
 * through clouds.yaml (no sockets), a ManualClock that auto-advances so waits, polls and backoffs
 * run instantly.
 */
import { stringify as yamlStringify } from "yaml";
import { ManualClock } from "../../src/clock.ts";
import { SNAPSHOT_KEYS } from "../../src/core/mod.ts";
import { createEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/mod.ts";
import type { SnapshotRec, VolumeRec } from "../../src/emulator/mod.ts";
import {
  type AlertSink,
  createEngine,
  type EngineConfig,
  type SnapshotEngine,
} from "../../src/exec/mod.ts";
import { MemoryLogger } from "../../src/log.ts";
import { openCloud } from "../../src/openstack/mod.ts";

export const START = "2026-01-15T12:00:00Z";

/** Daily policy at 00:00 UTC, 7 days retention (due at START: window 2026-01-15T00:00Z). */
export function dailyPolicy(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "x-snapsentry-managed": "true",
    "x-snapsentry-daily-enabled": "true",
    "x-snapsentry-daily-start-time": "00:00",
    "x-snapsentry-daily-timezone": "UTC",
    "x-snapsentry-daily-retention-days": "7",
    ...extra,
  };
}

/** Daily and weekly (Thursday, the START day) policies. */
export function dailyWeekly(): Record<string, string> {
  return dailyPolicy({
    "x-snapsentry-weekly-enabled": "true",
    "x-snapsentry-weekly-start-time": "00:00",
    "x-snapsentry-weekly-timezone": "UTC",
    "x-snapsentry-weekly-retention-days": "28",
    "x-snapsentry-weekly-start-day-of-week": "thursday",
  });
}

export interface Harness {
  emulator: Emulator;
  clock: ManualClock;
  logger: MemoryLogger;
  project: string;
  /** A new engine with its own authenticated client (a separate process, in effect). */
  engine(
    config?: Partial<EngineConfig>,
    options?: { cloud?: string; fetch?: typeof fetch; alerts?: AlertSink },
  ): Promise<SnapshotEngine>;
  /** Live snapshots of the demo project (settled). */
  snapshots(): SnapshotRec[];
  /** Managed snapshots in `creating` or `available`, by volume → policy → window start → count. */
  goodPerWindow(): Map<string, number>;
}

export function harness(
  options: EmulatorOptions & { start?: string } = {},
): Harness {
  const clock = new ManualClock(options.start ?? START, { autoAdvance: true });
  const emulator = createEmulator({ clock, snapshotDelayMs: 1000, ...options });
  const logger = new MemoryLogger();
  const project = emulator.seed.demoProjectId;
  // An operator credential scoped to the demo project (admin role there): may force-delete.
  emulator.grant(project, emulator.seed.adminUserId, "admin");
  const configs = emulator.cloudConfigs();
  const demoAdmin = {
    ...configs["emulator-admin"]!,
    auth: { ...configs["emulator-admin"]!.auth, project_name: "demo" },
  };
  const files: Record<string, string> = {
    "/virtual/clouds.yaml": yamlStringify({
      clouds: { ...configs, "emulator-demo-admin": demoAdmin },
    }),
  };
  const snapshots = () => emulator.snapshots(project);
  return {
    emulator,
    clock,
    logger,
    project,
    async engine(config = {}, opts = {}) {
      const cloud = await openCloud({
        cloudName: opts.cloud ?? "emulator",
        env: { OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml" },
        readTextFile: (p) => {
          const f = files[p];
          return f === undefined
            ? Promise.reject(new Deno.errors.NotFound(`No such file: ${p}`))
            : Promise.resolve(f);
        },
        fetch: opts.fetch ?? emulator.fetch,
        clock,
        logger,
        cwd: "/virtual",
        homeDir: "/virtual",
        random: () => 0.5,
      });
      return createEngine(
        { cloud, clock, logger, ...(opts.alerts ? { alerts: opts.alerts } : {}) },
        config,
      );
    },
    snapshots,
    goodPerWindow() {
      const out = new Map<string, number>();
      for (const s of snapshots()) {
        if (s.metadata[SNAPSHOT_KEYS.managed] !== "true") continue;
        if (s.status !== "available" && s.status !== "creating") continue;
        const key = `${s.volumeId} ${s.metadata[SNAPSHOT_KEYS.policyType]} ${
          s.metadata[SNAPSHOT_KEYS.windowStart]
        }`;
        out.set(key, (out.get(key) ?? 0) + 1);
      }
      return out;
    },
  };
}

/** Keys `volume policy windowStart` every volume × policy should have exactly one snapshot for. */
export function expectedWindows(
  volumes: VolumeRec[],
  policies: string[],
  windowStart: Record<string, string>,
): string[] {
  return volumes.flatMap((v) => policies.map((p) => `${v.id} ${p} ${windowStart[p]}`)).sort();
}

/** A managed snapshot as snapsentry would have stamped it (window key and the run's id). */
export function managedMeta(
  policy: string,
  windowStart: string,
  expiry: string,
  runId = "req-seeded",
): Record<string, string> {
  return {
    [SNAPSHOT_KEYS.managed]: "true",
    [SNAPSHOT_KEYS.policyType]: policy,
    [SNAPSHOT_KEYS.windowStart]: windowStart,
    [SNAPSHOT_KEYS.expiryDate]: expiry,
    [SNAPSHOT_KEYS.retentionDays]: "7",
    [SNAPSHOT_KEYS.runId]: runId,
  };
}
