/**
 * The daemon's HTTP surface (Hono, served by `Deno.serve`):
 * - `GET /healthz` process and scheduler alive (200) or stopping (503);
 * - `GET /readyz` 200 when the last cloud contact succeeded recently, else 503 with a reason;
 * - `GET /status` JSON: each job's schedule, last run, next runs;
 * - `GET /metrics` Prometheus text format 0.0.4;
 * - `GET /` read-only HTML status page;
 * - `POST /run/create`, `POST /run/expire` only when an API token is configured, with
 *   `Authorization: Bearer <token>`. Without a token these routes do not exist (404).
 * Nothing else changes state. Errors map to responses in one place (`onError`): clients get a
 * bare code, never an internal message.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Clock } from "../clock.ts";
import { describeError } from "../errors.ts";
import { type AlertState, countsJson, type Engine, type JobName } from "../exec/mod.ts";
import type { Logger } from "../log.ts";
import type { HealthTracker, Readiness } from "./health.ts";
import type { DaemonHistory } from "./history.ts";
import { CONTENT_TYPE, type DaemonMetrics, type ScrapeInput } from "./metrics.ts";
import { renderStatusPage } from "./page.ts";
import type { JobStatus, Scheduler } from "./scheduler.ts";

export interface BuildInfo {
  version: string;
  commit: string;
  buildDate: string;
}

export interface AppDeps {
  scheduler: Pick<Scheduler, "status" | "trigger" | "alive">;
  /** Freshness and timeline: served from memory, never by calling the cloud. */
  history: Pick<
    DaemonHistory,
    "freshness" | "timeline" | "observedAt" | "otherManager" | "notes" | "unprotected"
  >;
  engine: Pick<Engine, "requestStats">;
  health: HealthTracker;
  metrics: DaemonMetrics;
  clock: Clock;
  logger: Logger;
  build: BuildInfo;
  /** When set, enables the trigger routes guarded by this bearer token. */
  apiToken?: string;
  /** The alert queue, when webhooks are configured: its delivery state is in /status. */
  alerts?: { state(): AlertState };
  /** The quota gauges at scrape time (from the newest probe and observation), if known. */
  quota?: () => ScrapeInput["quota"];
  /** True once shutdown began: /healthz answers 503. */
  stopping?: () => boolean;
}

const encoder = new TextEncoder();

/** Compares two strings in time independent of where they differ (both are hashed first, so the
 * length of the secret does not leak either). */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

// The page has inline CSS and SVG only: nothing else may load or run.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Readiness in its machine form (snake_case). */
export function readinessJson(r: Readiness): Record<string, unknown> {
  if (r.ready) return { ready: true, last_success_at: r.lastSuccessAt };
  return {
    ready: false,
    reason: r.reason,
    ...(r.errorCode ? { error_code: r.errorCode } : {}),
    last_success_at: r.lastSuccessAt,
    ...(r.lastFailureAt ? { last_failure_at: r.lastFailureAt } : {}),
  };
}

/** The alert queue's delivery state in its machine form (snake_case). */
export function alertStateJson(a: AlertState): Record<string, unknown> {
  return {
    queued: a.queued,
    delivering: a.delivering,
    sent: a.sent,
    failed: a.failed,
    dropped: a.dropped,
    abandoned: a.abandoned,
    last_sent_at: a.lastSentAt,
    last_failure_at: a.lastFailureAt,
  };
}

/**
 * A job's status in its machine form (snake_case). The last run's error text stays in the logs;
 * clients see its stable code only.
 */
export function jobStatusJson(j: JobStatus): Record<string, unknown> {
  const last = j.lastRun;
  return {
    job: j.job,
    schedule: j.schedule,
    timezone: j.timezone,
    timezone_source: j.timezoneSource,
    running: j.running,
    running_since: j.runningSince,
    last_run: last
      ? {
        trigger: last.trigger,
        ...(last.runId ? { run_id: last.runId } : {}),
        started_at: last.startedAt,
        finished_at: last.finishedAt,
        duration_ms: last.durationMs,
        result: last.result,
        ...(last.counts ? { counts: countsJson(last.counts) } : {}),
        ...(last.warnings ? { warnings: last.warnings } : {}),
        ...(last.errorCode ? { error_code: last.errorCode } : {}),
      }
      : null,
    next_runs: j.nextRuns,
    skipped_overlaps: j.skippedOverlaps,
  };
}

/** Builds the Hono app. */
export function createApp(deps: AppDeps): Hono {
  const { scheduler, history, engine, health, metrics, clock, logger, build } = deps;
  const app = new Hono();

  app.use(async function securityHeaders(c, next) {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });

  app.get("/healthz", (c) => {
    if (deps.stopping?.()) return c.json({ status: "stopping" }, 503);
    if (!scheduler.alive) return c.json({ status: "scheduler_stopped" }, 503);
    return c.json({ status: "ok" }, 200);
  });

  app.get("/readyz", (c) => {
    const r = health.readiness();
    return c.json(readinessJson(r), r.ready ? 200 : 503);
  });

  app.get("/status", (c) => {
    const r = health.readiness();
    const observed = history.observedAt();
    return c.json({
      version: build.version,
      now: clock.now().toString(),
      ready: r.ready,
      readiness: readinessJson(r),
      observed_at: observed ? observed.toString() : null,
      another_snapshot_manager: (() => {
        const o = history.otherManager();
        return o
          ? {
            snapshot_id: o.snapshotId,
            volume_id: o.volumeId,
            created_at: o.createdAt.toString(),
            count: o.count,
          }
          : null;
      })(),
      jobs: scheduler.status().map(jobStatusJson),
      alerts: deps.alerts ? alertStateJson(deps.alerts.state()) : null,
      unprotected: (() => {
        const u = history.unprotected();
        return u
          ? {
            count: u.report.total,
            total_gigabytes: u.report.totalGigabytes,
            refreshed_at: u.at.toString(),
          }
          : null;
      })(),
    });
  });

  app.get("/metrics", (c) => {
    const body = metrics.render({
      now: clock.now(),
      ready: health.readiness().ready,
      freshness: metrics.perVolume ? history.freshness() : null,
      requestStats: engine.requestStats(),
      build,
      jobs: scheduler.status(),
      ...(deps.alerts ? { alerts: deps.alerts.state() } : {}),
      ...(() => {
        const quota = deps.quota?.();
        return quota ? { quota } : {};
      })(),
      ...(() => {
        const notes = history.notes();
        return notes ? { notes } : {};
      })(),
      ...(() => {
        const u = history.unprotected();
        return u ? { unprotected: { volumes: u.report.total, refreshedAt: u.at } } : {};
      })(),
    });
    return c.body(body, 200, { "Content-Type": CONTENT_TYPE });
  });

  app.get("/", (c) => {
    const page = renderStatusPage({
      now: clock.now(),
      version: build.version,
      readiness: health.readiness(),
      jobs: scheduler.status(),
      freshness: history.freshness(),
      timeline: history.timeline(),
      otherManager: history.otherManager(),
      unprotected: history.unprotected(),
    });
    c.header("Content-Security-Policy", PAGE_CSP);
    return c.html(page);
  });

  const token = deps.apiToken;
  if (token !== undefined && token !== "") {
    const trigger = (job: JobName) => async (c: import("hono").Context) => {
      const header = c.req.header("Authorization") ?? "";
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m || !(await constantTimeEqual(m[1]!, token))) {
        logger.warn("trigger_refused", {
          job,
          reason: m ? "wrong_token" : "missing_token",
        });
        return c.json({ error: "unauthorized" }, 401, {
          "WWW-Authenticate": 'Bearer realm="snapsentry"',
        });
      }
      if (deps.stopping?.()) return c.json({ error: "stopping" }, 503);
      const result = scheduler.trigger(job, "manual");
      if (!result.started) {
        return result.reason === "running"
          ? c.json({ error: "already_running", job }, 409)
          : c.json({ error: "stopping" }, 503);
      }
      logger.info("trigger_accepted", { job });
      return c.json({ job, status: "started" }, 202);
    };
    app.post("/run/create", trigger("create"));
    app.post("/run/expire", trigger("expire"));
  }

  app.notFound((c) => c.json({ error: "not_found" }, 404));

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    logger.error("http_error", {
      method: c.req.method,
      path: c.req.path,
      error: describeError(error),
    });
    return c.json({ error: "internal_error" }, 500);
  });

  return app;
}
