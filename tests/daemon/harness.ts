/** Builds a daemon app around a FakeEngine and a ManualClock, without a socket. */
import { ManualClock } from "../../src/clock.ts";
import {
  createApp,
  DaemonMetrics,
  HealthTracker,
  parseSchedule,
  Scheduler,
} from "../../src/daemon/mod.ts";
import type { FreshnessEntry, TimelineEvent } from "../../src/exec/types.ts";
import { MemoryLogger } from "../../src/log.ts";
import { FakeEngine } from "./fake_engine.ts";

export const START = "2026-01-15T12:03:00Z";

export function appHarness(options: { apiToken?: string; perVolume?: boolean } = {}) {
  const clock = new ManualClock(START);
  const engine = new FakeEngine(clock);
  const logger = new MemoryLogger();
  const health = new HealthTracker(clock, { staleAfterMs: 60_000 });
  const metrics = new DaemonMetrics({ perVolume: options.perVolume ?? true });
  const scheduler = new Scheduler({
    schedules: {
      create: parseSchedule("*/10 * * * *"),
      expire: parseSchedule("CRON_TZ=Europe/Berlin 0 3 * * *"),
    },
    clock,
    logger,
    run: (job, signal) => job === "create" ? engine.create({ signal }) : engine.expire({ signal }),
    onRunFinished: (r) => {
      metrics.recordRun(r);
      if (r.result === "failed") health.failure(r.errorCode ?? "run_failed");
      else health.success(Temporal.Instant.from(r.finishedAt));
    },
  });
  let stopping = false;
  const app = createApp({
    scheduler,
    engine,
    health,
    metrics,
    clock,
    logger,
    build: { version: "0.1.0", commit: "test", buildDate: "unknown" },
    ...(options.apiToken !== undefined ? { apiToken: options.apiToken } : {}),
    stopping: () => stopping,
  });
  return {
    clock,
    engine,
    logger,
    health,
    metrics,
    scheduler,
    app,
    setStopping(v: boolean) {
      stopping = v;
    },
  };
}

/** Two volumes, three policies, two weeks of events: what the status page test looks at. */
export function sampleVolumes(engine: FakeEngine): void {
  const rows: FreshnessEntry[] = [
    {
      volumeId: "3f2a9c1e-0000-4000-8000-000000000001",
      volumeName: "db-data",
      serverId: "9b1d0000-0000-4000-8000-00000000aaaa",
      policy: "daily",
      newestSnapshotAt: "2026-01-15T02:00:05Z",
      intervalSeconds: 86400,
      verdict: "OK",
    },
    {
      volumeId: "3f2a9c1e-0000-4000-8000-000000000001",
      volumeName: "db-data",
      serverId: "9b1d0000-0000-4000-8000-00000000aaaa",
      policy: "weekly",
      newestSnapshotAt: "2026-01-04T03:00:00Z",
      intervalSeconds: 604800,
      verdict: "LATE",
    },
    {
      volumeId: "77c0ffee-0000-4000-8000-000000000002",
      volumeName: "<script>alert(1)</script>",
      serverId: null,
      policy: "express",
      newestSnapshotAt: null,
      intervalSeconds: 3600,
      verdict: "DUE",
    },
  ];
  engine.freshnessRows = rows;
  const events: TimelineEvent[] = [];
  for (let d = 13; d >= 0; d--) {
    const day = Temporal.Instant.from("2026-01-15T02:00:00Z").subtract({ hours: 24 * d });
    events.push({
      volumeId: rows[0]!.volumeId,
      policy: "daily",
      at: day.toString(),
      kind: d === 6 ? "failed" : "created",
    });
    if (d < 10) {
      events.push({
        volumeId: rows[0]!.volumeId,
        policy: "daily",
        at: day.add({ minutes: 30 }).toString(),
        kind: "expired",
      });
    }
  }
  events.push({
    volumeId: rows[2]!.volumeId,
    policy: "express",
    at: "2026-01-14T09:00:00Z",
    kind: "failed",
  });
  engine.events = events;
}
