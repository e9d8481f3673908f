/**
 * The daemon's parts wired together, with no I/O: the scheduler (whose jobs are engine runs), the
 * health tracker, the metrics, the history and the HTTP app, plus the one probe that keeps
 * readiness current. `startDaemon` adds the socket, the timers and the signals; the daemon tests
 * use this same assembly with a fake engine, so they test the production wiring.
 */
import { BUILD_INFO } from "../build_info.ts";
import type { Clock } from "../clock.ts";
import { describeError, errorCodeOf } from "../errors.ts";
import type { AlertQueue, Engine } from "../exec/mod.ts";
import type { Logger } from "../log.ts";
import { quotaNeed } from "../core/mod.ts";
import type { QuotaSet } from "../openstack/mod.ts";
import { type BuildInfo, createApp } from "./app.ts";
import { HealthTracker } from "./health.ts";
import { DaemonHistory } from "./history.ts";
import { DaemonMetrics, type ScrapeInput } from "./metrics.ts";
import type { DaemonOptions } from "./options.ts";
import { Scheduler } from "./scheduler.ts";

/** What the daemon is built from. */
export interface AssembleDeps {
  engine: Pick<Engine, "run" | "observe" | "probe" | "requestStats" | "unprotected">;
  clock: Clock;
  logger: Logger;
  build?: BuildInfo;
  /** The engine's zombie threshold, so the history's verdicts match the planner's. */
  stuckAfterMs?: number;
  /** The alert queue the engine's runs hand their summaries to (shown in /status). */
  alerts?: Pick<AlertQueue, "state" | "drain">;
  /** At shutdown, wait at most this long (and what is left of the budget) for alerts. */
  alertWaitMs?: number;
}

/** The assembled daemon. */
export interface DaemonParts {
  scheduler: Scheduler;
  health: HealthTracker;
  metrics: DaemonMetrics;
  history: DaemonHistory;
  /** The Hono app's fetch handler. */
  fetch: (request: Request) => Response | Promise<Response>;
  /**
   * One probe: authenticate if needed and make one cheap Cinder call (readiness), and, while the
   * history has no observation and no run is going, observe once so the page and metrics have
   * data before the first run; and, at most every `--unprotected-refresh`, list every volume for
   * the unprotected ones. Never throws.
   */
  probe(): Promise<void>;
  /** Marks the daemon as stopping: `/healthz` answers 503 and triggers are refused. */
  setStopping(): void;
}

/** Builds the parts; see the module doc. */
export function assembleDaemon(options: DaemonOptions, deps: AssembleDeps): DaemonParts {
  const { engine, clock } = deps;
  const logger = deps.logger.with({ component: "daemon" });
  const build = deps.build ?? BUILD_INFO;
  // Ready means a successful contact within the last probe interval (plus one interval of grace,
  // so a probe that takes a few seconds does not flap readiness).
  const health = new HealthTracker(clock, {
    staleAfterMs: 2 * options.probeIntervalSeconds * 1000,
  });
  const metrics = new DaemonMetrics({ perVolume: options.metricsPerVolume });
  const history = new DaemonHistory({
    clock,
    ...(deps.stuckAfterMs !== undefined ? { stuckAfterMs: deps.stuckAfterMs } : {}),
  });

  const scheduler = new Scheduler({
    schedules: options.schedules,
    clock,
    logger,
    run: (job, signal) => engine.run(job, { signal }),
    onRunFinished: (record, report) => {
      metrics.recordRun(record, report);
      // The run's own outcomes and its last view of the cloud: no second listing.
      if (report) history.recordRun(report);
      const at = Temporal.Instant.from(record.finishedAt);
      if (record.result === "failed") health.failure(record.errorCode ?? "unexpected_error", at);
      else health.success(at);
    },
  });

  // The quota set the newest successful probe read: with the history's policy load it gives the
  // quota gauges and the forecast at scrape time, for no extra call.
  let quota: QuotaSet | null = null;
  const quotaView = (): ScrapeInput["quota"] => {
    const load = history.load();
    const q = quota;
    if (!q || !load) return undefined;
    const view = (resource: "snapshots" | "gigabytes") => ({
      limit: q[resource].limit,
      inUse: q[resource].inUse,
      forecast: quotaNeed(load.forecast[resource], q[resource], load.managed[resource]),
    });
    return { snapshots: view("snapshots"), gigabytes: view("gigabytes") };
  };

  let stopping = false;
  const app = createApp({
    scheduler,
    history,
    engine,
    health,
    metrics,
    clock,
    logger,
    build,
    ...(options.apiToken !== undefined ? { apiToken: options.apiToken } : {}),
    ...(deps.alerts ? { alerts: deps.alerts } : {}),
    quota: quotaView,
    stopping: () => stopping,
  });

  // The unprotected volumes need a listing of every volume (runs list only subscribed ones): one
  // at most every refresh interval, tried again no sooner after a failure. Never per scrape.
  const refreshMs = options.unprotectedRefreshSeconds * 1000;
  let unprotectedTriedAt: Temporal.Instant | null = null;
  async function refreshUnprotected(): Promise<void> {
    if (refreshMs === 0 || scheduler.busy) return;
    const now = clock.now();
    if (
      unprotectedTriedAt &&
      Temporal.Instant.compare(now, unprotectedTriedAt.add({ milliseconds: refreshMs })) < 0
    ) return;
    unprotectedTriedAt = now;
    try {
      const { at, report } = await engine.unprotected();
      history.recordUnprotected(at, report);
      logger.info("unprotected_refreshed", {
        total: report.total,
        total_gigabytes: report.totalGigabytes,
      });
    } catch (error) {
      logger.warn("unprotected_listing_failed", {
        error_code: errorCodeOf(error),
        error: describeError(error),
      });
    }
  }

  let cloudDown = false;
  async function probe(): Promise<void> {
    try {
      quota = await engine.probe();
      health.success();
      if (cloudDown) logger.info("cloud_recovered", {});
      cloudDown = false;
    } catch (error) {
      health.failure(errorCodeOf(error));
      // Log the transition at warn and repeats at debug, so a long outage does not flood logs.
      (cloudDown ? logger.debug : logger.warn).call(logger, "cloud_probe_failed", {
        error_code: errorCodeOf(error),
        error: describeError(error),
      });
      cloudDown = true;
      return;
    }
    if (history.observedAt() === null && !scheduler.busy) {
      try {
        history.observe(await engine.observe());
      } catch (error) {
        logger.warn("observation_failed", {
          error_code: errorCodeOf(error),
          error: describeError(error),
        });
      }
    }
    await refreshUnprotected();
  }

  return {
    scheduler,
    health,
    metrics,
    history,
    fetch: app.fetch,
    probe,
    setStopping: () => {
      stopping = true;
    },
  };
}
