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
import type { Engine, FreshnessEntry, JobName } from "../exec/types.ts";
import type { Logger } from "../log.ts";
import type { HealthTracker } from "./health.ts";
import { CONTENT_TYPE, type DaemonMetrics } from "./metrics.ts";
import { renderStatusPage } from "./page.ts";
import type { Scheduler } from "./scheduler.ts";

export interface BuildInfo {
  version: string;
  commit: string;
  buildDate: string;
}

export interface AppDeps {
  scheduler: Pick<Scheduler, "status" | "trigger" | "alive">;
  engine: Pick<Engine, "freshness" | "timeline" | "requestStats">;
  health: HealthTracker;
  metrics: DaemonMetrics;
  clock: Clock;
  logger: Logger;
  build: BuildInfo;
  /** When set, enables the trigger routes guarded by this bearer token. */
  apiToken?: string;
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

/** Builds the Hono app. */
export function createApp(deps: AppDeps): Hono {
  const { scheduler, engine, health, metrics, clock, logger, build } = deps;
  const app = new Hono();

  app.use(async function securityHeaders(c, next) {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });

  /** Freshness rows from the engine's last observation; null when the cloud cannot answer. */
  async function freshness(): Promise<FreshnessEntry[] | null> {
    try {
      return await engine.freshness({ refresh: false });
    } catch (error) {
      logger.warn("freshness_unavailable", { error: describeError(error) });
      return null;
    }
  }

  app.get("/healthz", (c) => {
    if (deps.stopping?.()) return c.json({ status: "stopping" }, 503);
    if (!scheduler.alive) return c.json({ status: "scheduler_stopped" }, 503);
    return c.json({ status: "ok" }, 200);
  });

  app.get("/readyz", (c) => {
    const r = health.readiness();
    return c.json(r, r.ready ? 200 : 503);
  });

  app.get("/status", (c) => {
    const r = health.readiness();
    return c.json({
      version: build.version,
      now: clock.now().toString(),
      ready: r.ready,
      readiness: r,
      jobs: scheduler.status().map((j) => {
        const { lastRun, ...rest } = j;
        // The error text stays in the logs; clients see its stable code only.
        const { error: _omit, ...last } = lastRun ?? { error: undefined };
        return { ...rest, lastRun: lastRun ? last : null };
      }),
    });
  });

  app.get("/metrics", async (c) => {
    const body = metrics.render({
      now: clock.now(),
      ready: health.readiness().ready,
      freshness: metrics.perVolume ? await freshness() : null,
      requestStats: engine.requestStats(),
      build,
    });
    return c.body(body, 200, { "Content-Type": CONTENT_TYPE });
  });

  app.get("/", async (c) => {
    const page = renderStatusPage({
      now: clock.now(),
      version: build.version,
      readiness: health.readiness(),
      jobs: scheduler.status(),
      freshness: await freshness(),
      timeline: engine.timeline(),
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
