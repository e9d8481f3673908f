/**
 * Daemon mode: create and expire runs on cron schedules, plus an HTTP endpoint for health,
 * readiness, status, metrics and a read-only status page.
 *
 * This layer owns the schedule loop, the HTTP app and the process lifecycle (listen, signals,
 * graceful shutdown). It talks to the cloud only through the `Engine` interface (`src/exec`) and
 * must not import `src/cli` (which knows argv and exit codes) or `src/core` internals.
 *
 * Exit codes (`DaemonHandle.done`): 0 after a graceful shutdown; 1 when the shutdown timeout cut
 * a run short; 128+signal (130 for SIGINT, 143 for SIGTERM) when a second signal forced an
 * immediate exit.
 */
import { BUILD_INFO } from "../build_info.ts";
import type { Clock } from "../clock.ts";
import { describeError, SnapsentryError, UsageError } from "../errors.ts";
import type { Engine, JobName } from "../exec/types.ts";
import type { Logger } from "../log.ts";
import { type BuildInfo, createApp } from "./app.ts";
import { HealthTracker } from "./health.ts";
import { DaemonMetrics } from "./metrics.ts";
import { parseSchedule, parseTimezone, type Schedule } from "./schedule.ts";
import { Scheduler } from "./scheduler.ts";

export { type AppDeps, type BuildInfo, constantTimeEqual, createApp } from "./app.ts";
export { HealthTracker, type NotReadyReason, type Readiness } from "./health.ts";
export {
  CONTENT_TYPE as METRICS_CONTENT_TYPE,
  DaemonMetrics,
  DURATION_BUCKETS_SECONDS,
  escapeLabelValue,
  type ScrapeInput,
} from "./metrics.ts";
export { formatAge, type PageData, renderStatusPage, renderTimeline } from "./page.ts";
export {
  parseSchedule,
  type ParseScheduleOptions,
  parseTimezone,
  type Schedule,
} from "./schedule.ts";
export {
  JOB_NAMES,
  type JobRunner,
  type JobStatus,
  type RunRecord,
  type RunTrigger,
  Scheduler,
  type SchedulerOptions,
  type TriggerResult,
} from "./scheduler.ts";

export type ShutdownSignal = "SIGINT" | "SIGTERM";

export const DEFAULT_CREATE_SCHEDULE = "*/10 * * * *";
export const DEFAULT_EXPIRE_SCHEDULE = "0 */6 * * *";
export const DEFAULT_BIND_ADDRESS = "127.0.0.1:8080";
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 60;
export const DEFAULT_PROBE_INTERVAL_SECONDS = 30;

export interface BindAddress {
  hostname: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces, as Go's net.Listen reads it).
 * @throws UsageError
 */
export function parseBindAddress(text: string): BindAddress {
  const fail = (why: string): never => {
    throw new UsageError(`Cannot use --bind-address "${text}": ${why}`);
  };
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s\[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return fail('expected HOST:PORT, such as "127.0.0.1:8080" or "0.0.0.0:8080"');
  const port = Number(m![3]);
  if (port > 65535) fail("the port must be between 0 and 65535");
  const host = m![1] ?? m![2] ?? "";
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}

/** Formats a bind address for messages and URLs. */
export function formatBindAddress(a: BindAddress): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

/** Daemon options as given by the user (strings are validated by `resolveDaemonOptions`). */
export interface DaemonOptionsInput {
  createSchedule?: string;
  expireSchedule?: string;
  bindAddress?: string;
  /** IANA zone for schedules without a CRON_TZ=/TZ= prefix. Default UTC. */
  scheduleTimezone?: string;
  runAtStart?: boolean;
  shutdownTimeoutSeconds?: number;
  metricsPerVolume?: boolean;
  /** SNAPSENTRY_API_TOKEN: enables POST /run/{create,expire}. */
  apiToken?: string;
  probeIntervalSeconds?: number;
}

/** Validated daemon options. */
export interface DaemonOptions {
  schedules: Record<JobName, Schedule>;
  bind: BindAddress;
  runAtStart: boolean;
  shutdownTimeoutSeconds: number;
  metricsPerVolume: boolean;
  apiToken?: string;
  probeIntervalSeconds: number;
}

/** Minimum API token length: a short bearer token on a network port is guessable. */
export const MIN_API_TOKEN_LENGTH = 16;

/**
 * Validates every option before anything starts.
 * @throws UsageError naming the flag and the value
 */
export function resolveDaemonOptions(
  input: DaemonOptionsInput,
  anchor?: Temporal.Instant,
): DaemonOptions {
  const timezone = input.scheduleTimezone === undefined
    ? "UTC"
    : parseTimezone(input.scheduleTimezone);
  const schedules = {
    create: parseSchedule(input.createSchedule ?? DEFAULT_CREATE_SCHEDULE, {
      flag: "--create-schedule",
      timezone,
      ...(anchor ? { anchor } : {}),
    }),
    expire: parseSchedule(input.expireSchedule ?? DEFAULT_EXPIRE_SCHEDULE, {
      flag: "--expire-schedule",
      timezone,
      ...(anchor ? { anchor } : {}),
    }),
  };
  const bind = parseBindAddress(input.bindAddress ?? DEFAULT_BIND_ADDRESS);
  const shutdown = input.shutdownTimeoutSeconds ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  if (!Number.isFinite(shutdown) || shutdown < 0) {
    throw new UsageError(
      `Cannot use --shutdown-timeout "${shutdown}": expected a whole number of seconds (0 or more)`,
    );
  }
  const probe = input.probeIntervalSeconds ?? DEFAULT_PROBE_INTERVAL_SECONDS;
  if (!Number.isFinite(probe) || probe <= 0) {
    throw new RangeError(`probeIntervalSeconds must be positive, got ${probe}`);
  }
  const options: DaemonOptions = {
    schedules,
    bind,
    runAtStart: input.runAtStart ?? false,
    shutdownTimeoutSeconds: shutdown,
    metricsPerVolume: input.metricsPerVolume ?? true,
    probeIntervalSeconds: probe,
  };
  if (input.apiToken !== undefined && input.apiToken !== "") {
    if (input.apiToken.length < MIN_API_TOKEN_LENGTH) {
      // Never echo the token itself.
      throw new UsageError(
        `Cannot use SNAPSENTRY_API_TOKEN: it has ${input.apiToken.length} characters, expected at least ${MIN_API_TOKEN_LENGTH}; generate one with "openssl rand -hex 32"`,
      );
    }
    options.apiToken = input.apiToken;
  }
  return options;
}

/** A listening server as `startDaemon` needs it. */
export interface ServerHandle {
  /** The address actually bound (port resolved when 0 was asked). */
  addr: BindAddress;
  /** Stops accepting connections and waits for open ones to finish. */
  shutdown(): Promise<void>;
}

export type ServeFn = (
  bind: BindAddress,
  handler: (request: Request) => Response | Promise<Response>,
) => ServerHandle;

/** The real server: `Deno.serve`. Throws `Deno.errors.AddrInUse` etc. synchronously. */
export const denoServe: ServeFn = (bind, handler) => {
  const server = Deno.serve(
    { hostname: bind.hostname, port: bind.port, onListen: () => {} },
    handler,
  );
  const addr = server.addr as Deno.NetAddr;
  return {
    addr: { hostname: addr.hostname, port: addr.port },
    shutdown: () => server.shutdown(),
  };
};

export interface DaemonDeps {
  engine: Engine;
  clock: Clock;
  logger: Logger;
  /** Subscribes to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal?: (handler: (signal: ShutdownSignal) => void) => () => void;
  /** Aborting it starts a graceful shutdown (like a first signal). Ignored when `onSignal` is
   * given (both usually report the same process signal). */
  signal?: AbortSignal;
  /** Default: `denoServe`. */
  serve?: ServeFn;
  build?: BuildInfo;
}

export interface DaemonHandle {
  /** The bound address (with the real port when 0 was asked). */
  address: BindAddress;
  /** `http://host:port` for the bound address. */
  url: string;
  scheduler: Scheduler;
  health: HealthTracker;
  metrics: DaemonMetrics;
  /** The Hono app's fetch handler (tests). */
  fetch: (request: Request) => Response | Promise<Response>;
  /** Starts a graceful shutdown (as a first signal would). Returns `done`. */
  stop(reason?: string): Promise<number>;
  /** Resolves with the process exit code once the daemon has stopped. */
  done: Promise<number>;
}

function errorCode(error: unknown): string {
  return error instanceof SnapsentryError ? error.code : "unexpected_error";
}

/**
 * Starts the daemon: listens first (so a busy port fails before any run), then probes the cloud,
 * starts the schedule loops and subscribes to shutdown signals.
 * @throws SnapsentryError when the address cannot be bound
 */
export function startDaemon(options: DaemonOptions, deps: DaemonDeps): DaemonHandle {
  const { engine, clock } = deps;
  const logger = deps.logger.with({ component: "daemon" });
  const build = deps.build ?? BUILD_INFO;
  const probeMs = options.probeIntervalSeconds * 1000;
  // Ready means a successful contact within the last probe interval (plus one interval of grace,
  // so a probe that takes a few seconds does not flap readiness).
  const health = new HealthTracker(clock, { staleAfterMs: 2 * probeMs });
  const metrics = new DaemonMetrics({ perVolume: options.metricsPerVolume });

  const scheduler = new Scheduler({
    schedules: options.schedules,
    clock,
    logger,
    run: (job, signal) => job === "create" ? engine.create({ signal }) : engine.expire({ signal }),
    onRunFinished: (record) => {
      metrics.recordRun(record);
      const at = Temporal.Instant.from(record.finishedAt);
      if (record.result === "failed") health.failure(record.errorCode ?? "run_failed", at);
      else {
        health.success(at);
        refreshFreshness();
      }
    },
  });

  // The page and the freshness gauges read the engine's last observation, which a run takes
  // before it acts. Observe once more after each run so they show what the run just did, without
  // listing the whole project on every scrape.
  let refreshing: Promise<void> = Promise.resolve();
  function refreshFreshness(): void {
    refreshing = refreshing.then(async () => {
      try {
        await engine.freshness({ refresh: true });
      } catch (error) {
        logger.debug("freshness_refresh_failed", {
          error_code: errorCode(error),
          error: describeError(error),
        });
      }
    });
  }

  let stopping = false;
  const app = createApp({
    scheduler,
    engine,
    health,
    metrics,
    clock,
    logger,
    build,
    ...(options.apiToken !== undefined ? { apiToken: options.apiToken } : {}),
    stopping: () => stopping,
  });

  const serve = deps.serve ?? denoServe;
  const where = formatBindAddress(options.bind);
  let server: ServerHandle;
  try {
    server = serve(options.bind, app.fetch);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new SnapsentryError(
        `Cannot listen on ${where}: address already in use; pass --bind-address HOST:PORT`,
        { code: "addr_in_use", cause: error },
      );
    }
    if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
      throw new SnapsentryError(
        `Cannot listen on ${where}: permission denied; use a port above 1023 or grant the permission`,
        { code: "listen_denied", cause: error },
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new SnapsentryError(
        `Cannot listen on ${where}: no such local address; pass --bind-address with an address of this host`,
        { code: "addr_not_available", cause: error },
      );
    }
    throw new SnapsentryError(`Cannot listen on ${where}: ${describeError(error)}`, {
      code: "listen_failed",
      cause: error,
    });
  }
  const address = server.addr;
  const url = `http://${formatBindAddress(address)}`;

  // Periodic probe: readiness, and recovery when a cloud that was down comes back.
  const probeStop = new AbortController();
  let cloudDown = false;
  async function probeOnce(): Promise<void> {
    try {
      await engine.probe();
      health.success();
      if (cloudDown) logger.info("cloud_recovered", {});
      cloudDown = false;
    } catch (error) {
      health.failure(errorCode(error));
      // Log the transition at warn and repeats at debug, so a long outage does not flood logs.
      (cloudDown ? logger.debug : logger.warn).call(logger, "cloud_probe_failed", {
        error_code: errorCode(error),
        error: describeError(error),
      });
      cloudDown = true;
    }
  }
  let probeLoop: Promise<void> = Promise.resolve();
  const runProbes = async () => {
    while (!probeStop.signal.aborted) {
      await probeOnce();
      try {
        await clock.sleep(probeMs, probeStop.signal);
      } catch {
        return;
      }
    }
  };

  // Subscribe to signals before anything runs: a SIGTERM that arrives during start-up must
  // not hit the runtime's default action (exit without draining).
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let finished = false;
  const finish = (code: number) => {
    if (finished) return;
    finished = true;
    unsubscribe();
    abortSignal?.removeEventListener("abort", onAbort);
    resolveDone(code);
  };

  async function shutdown(reason: string): Promise<void> {
    stopping = true;
    logger.info("shutdown_started", {
      reason,
      runs_in_flight: scheduler.busy,
      timeout_s: options.shutdownTimeoutSeconds,
    });
    scheduler.stop();
    probeStop.abort();
    const timeout = new AbortController();
    const timedOut = clock.sleep(options.shutdownTimeoutSeconds * 1000, timeout.signal)
      .then(() => true, () => false);
    const timedOutFirst = await Promise.race([scheduler.drain().then(() => false), timedOut]);
    let code = 0;
    if (timedOutFirst) {
      logger.error("shutdown_timeout", {
        timeout_s: options.shutdownTimeoutSeconds,
        message: "runs in flight were cancelled",
      });
      scheduler.cancelRuns();
      code = 1;
    } else {
      // A probe or freshness refresh in flight (no cancel signal; a cloud that never answers
      // holds it for every retry's timeout) gets what is left of the budget, then is abandoned.
      await Promise.race([Promise.all([probeLoop, refreshing]), timedOut]);
    }
    timeout.abort();
    await server.shutdown().catch(() => {});
    logger.info("shutdown_complete", { exit_code: code });
    finish(code);
  }

  let signals = 0;
  let shutdownPromise: Promise<void> | null = null;
  const onShutdownSignal = (sig: ShutdownSignal) => {
    signals++;
    if (signals === 1) {
      shutdownPromise = shutdown(sig);
      return;
    }
    // Second signal: the operator wants out now.
    const code = 128 + (sig === "SIGINT" ? 2 : 15);
    logger.warn("shutdown_forced", { signal: sig, exit_code: code });
    scheduler.cancelRuns();
    void server.shutdown().catch(() => {});
    finish(code);
  };
  const unsubscribe = deps.onSignal?.(onShutdownSignal) ?? (() => {});
  const onAbort = () => {
    if (!shutdownPromise) {
      signals++;
      shutdownPromise = shutdown("abort");
    }
  };
  // The abort signal is the fallback for embedders without signal subscription; with both, the
  // same SIGTERM would arrive twice and be taken for a second, forcing signal.
  const abortSignal = deps.onSignal ? undefined : deps.signal;
  if (abortSignal?.aborted) onAbort();
  else abortSignal?.addEventListener("abort", onAbort, { once: true });

  probeLoop = runProbes();
  scheduler.start({ runAtStart: options.runAtStart });
  const status = scheduler.status();
  logger.info("daemon_started", {
    url,
    create_schedule: options.schedules.create.expression,
    expire_schedule: options.schedules.expire.expression,
    timezone: options.schedules.create.timezone,
    create_next_run: status[0]?.nextRuns[0],
    expire_next_run: status[1]?.nextRuns[0],
    run_at_start: options.runAtStart,
    trigger_routes: options.apiToken !== undefined,
    version: build.version,
  });

  return {
    address,
    url,
    scheduler,
    health,
    metrics,
    fetch: app.fetch,
    stop(reason = "stop") {
      if (!shutdownPromise) {
        signals++;
        shutdownPromise = shutdown(reason);
      }
      return done;
    },
    done,
  };
}
