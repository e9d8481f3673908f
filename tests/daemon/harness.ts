/**
 * The daemon's real assembly (`assembleDaemon`, as `startDaemon` uses it) around a FakeEngine and
 * a ManualClock, without a socket.
 */
import { ManualClock } from "../../src/clock.ts";
import { SNAPSHOT_KEYS } from "../../src/core/mod.ts";
import { assembleDaemon, type DaemonHistory, resolveDaemonOptions } from "../../src/daemon/mod.ts";
import type { ActionOutcome, RunSummary } from "../../src/exec/mod.ts";
import { MemoryLogger } from "../../src/log.ts";
import type { Snapshot, Volume } from "../../src/openstack/mod.ts";
import { FakeEngine, ZERO_COUNTS } from "./fake_engine.ts";

export const START = "2026-01-15T12:03:00Z";

export function appHarness(
  options: { apiToken?: string; perVolume?: boolean; unprotectedRefreshSeconds?: number } = {},
) {
  const clock = new ManualClock(START);
  const engine = new FakeEngine(clock);
  const logger = new MemoryLogger();
  const daemon = assembleDaemon(
    resolveDaemonOptions({
      createSchedule: "*/10 * * * *",
      expireSchedule: "CRON_TZ=Europe/Berlin 0 3 * * *",
      metricsPerVolume: options.perVolume ?? true,
      probeIntervalSeconds: 30,
      ...(options.apiToken !== undefined ? { apiToken: options.apiToken } : {}),
      ...(options.unprotectedRefreshSeconds !== undefined
        ? { unprotectedRefreshSeconds: options.unprotectedRefreshSeconds }
        : {}),
    }, clock.now()),
    { engine, clock, logger, build: { version: "0.1.0", commit: "test", buildDate: "unknown" } },
  );
  return {
    clock,
    engine,
    logger,
    health: daemon.health,
    metrics: daemon.metrics,
    scheduler: daemon.scheduler,
    history: daemon.history,
    probe: daemon.probe,
    app: {
      fetch: daemon.fetch,
      request: (path: string, init?: RequestInit) =>
        Promise.resolve(daemon.fetch(new Request(`http://daemon${path}`, init))),
    },
    setStopping: daemon.setStopping,
  };
}

const V1 = "3f2a9c1e-0000-4000-8000-000000000001";
const V2 = "77c0ffee-0000-4000-8000-000000000002";

function volume(
  id: string,
  name: string,
  serverId: string | null,
  metadata: Record<string, string>,
) {
  return {
    id,
    name,
    status: serverId ? "in-use" : "available",
    size: 10,
    metadata: { "x-snapsentry-managed": "true", ...metadata },
    attachments: serverId
      ? [{
        attachmentId: `att-${id}`,
        serverId,
        hostName: null,
        device: "/dev/vdb",
        attachedAt: null,
      }]
      : [],
    multiattach: false,
    bootable: false,
    volumeType: null,
    availabilityZone: null,
    createdAt: Temporal.Instant.from("2025-12-01T00:00:00Z"),
    projectId: null,
  } satisfies Volume;
}

function snapshot(
  id: string,
  volumeId: string,
  policy: string,
  windowStart: string,
  createdAt: string,
) {
  return {
    id,
    name: `managed-${policy}-${volumeId}-${windowStart}`,
    description: null,
    volumeId,
    status: "available",
    size: 10,
    metadata: {
      [SNAPSHOT_KEYS.managed]: "true",
      [SNAPSHOT_KEYS.policyType]: policy,
      [SNAPSHOT_KEYS.windowStart]: windowStart,
      [SNAPSHOT_KEYS.expiryDate]: "2026-02-15T00:00:00Z",
    },
    createdAt: Temporal.Instant.from(createdAt),
    updatedAt: null,
    progress: "100%",
    projectId: null,
  } satisfies Snapshot;
}

/**
 * Two volumes, three policies, two weeks of events, fed to the history as the daemon feeds it (an
 * observation, then a run's outcomes): daily OK, weekly LATE (its newest snapshot is two windows
 * old), express DUE (never snapshotted), on a volume whose name is hostile HTML.
 */
export function sampleVolumes(history: DaemonHistory): void {
  const volumes = [
    volume(V1, "db-data", "9b1d0000-0000-4000-8000-00000000aaaa", {
      "x-snapsentry-daily-enabled": "true",
      "x-snapsentry-daily-start-time": "02:00",
      "x-snapsentry-weekly-enabled": "true",
      "x-snapsentry-weekly-start-time": "03:00",
      "x-snapsentry-weekly-start-day-of-week": "sunday",
    }),
    volume(V2, "<script>alert(1)</script>", null, {
      "x-snapsentry-express-enabled": "true",
      "x-snapsentry-express-interval-hours": "6",
    }),
  ];
  const snapshots = [
    snapshot("s-daily", V1, "daily", "2026-01-15T02:00:00Z", "2026-01-15T02:00:05Z"),
    snapshot("s-weekly", V1, "weekly", "2025-12-28T03:00:00Z", "2025-12-28T03:00:00Z"),
  ];
  history.observe({ at: Temporal.Instant.from(START), volumes, snapshots });
  const actions: ActionOutcome[] = [];
  for (let d = 13; d >= 0; d--) {
    const day = Temporal.Instant.from("2026-01-15T02:00:00Z").subtract({ hours: 24 * d });
    actions.push({
      kind: "create",
      status: d === 6 ? "failed" : "done",
      volumeId: V1,
      policy: "daily",
      snapshotId: `s-${d}`,
      reason: "",
      at: day.toString(),
    });
    if (d < 10) {
      actions.push({
        kind: "expire",
        status: "done",
        volumeId: V1,
        policy: "daily",
        snapshotId: `s-old-${d}`,
        reason: "",
        at: day.add({ minutes: 30 }).toString(),
      });
    }
  }
  actions.push({
    kind: "create",
    status: "failed",
    volumeId: V2,
    policy: "express",
    reason: "",
    at: "2026-01-14T09:00:00Z",
  });
  const summary: RunSummary = {
    job: "create",
    runId: "req-sample",
    startedAt: START,
    finishedAt: START,
    durationMs: 0,
    result: "partial",
    dryRun: false,
    counts: { ...ZERO_COUNTS },
    apiCalls: {},
    apiCallsTotal: 0,
    actions,
    warnings: [],
  };
  history.recordRun({ summary });
}
