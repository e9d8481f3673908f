/**
 * The daemon's process lifecycle: listen first (so a busy port fails before any run), then probe
 * the cloud on a timer, start the schedule loops and subscribe to shutdown signals; on SIGTERM or
 * SIGINT stop scheduling, let the run in flight finish within `--shutdown-timeout`, and exit.
 *
 * Exit codes (`DaemonHandle.done`): 0 after a graceful shutdown; 1 when the shutdown timeout cut
 * a run short; 128+signal (130 for SIGINT, 143 for SIGTERM) when a second signal forced an
 * immediate exit.
 */
import { BUILD_INFO } from "../build_info.ts";
import { describeError, SnapsentryError } from "../errors.ts";
import { isLoopbackHost } from "../net.ts";
import { assembleDaemon, type AssembleDeps } from "./assemble.ts";
import type { HealthTracker } from "./health.ts";
import type { DaemonHistory } from "./history.ts";
import type { DaemonMetrics } from "./metrics.ts";
import { type BindAddress, type DaemonOptions, formatBindAddress } from "./options.ts";
import type { Scheduler } from "./scheduler.ts";

export type ShutdownSignal = "SIGINT" | "SIGTERM";

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

export interface DaemonDeps extends AssembleDeps {
  /** Subscribes to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal?: (handler: (signal: ShutdownSignal) => void) => () => void;
  /** Aborting it starts a graceful shutdown (like a first signal). Ignored when `onSignal` is
   * given (both usually report the same process signal). */
  signal?: AbortSignal;
  /** Default: `denoServe`. */
  serve?: ServeFn;
}

export interface DaemonHandle {
  /** The bound address (with the real port when 0 was asked). */
  address: BindAddress;
  /** `http://host:port` for the bound address. */
  url: string;
  scheduler: Scheduler;
  health: HealthTracker;
  metrics: DaemonMetrics;
  history: DaemonHistory;
  /** The Hono app's fetch handler (tests). */
  fetch: (request: Request) => Response | Promise<Response>;
  /** Starts a graceful shutdown (as a first signal would). Returns `done`. */
  stop(reason?: string): Promise<number>;
  /** Resolves with the process exit code once the daemon has stopped. */
  done: Promise<number>;
}

/**
 * Starts the daemon: listens first (so a busy port fails before any run), then probes the cloud,
 * starts the schedule loops and subscribes to shutdown signals.
 * @throws SnapsentryError when the address cannot be bound
 */
export function startDaemon(options: DaemonOptions, deps: DaemonDeps): DaemonHandle {
  const { clock } = deps;
  const logger = deps.logger.with({ component: "daemon" });
  const parts = assembleDaemon(options, deps);
  const { scheduler } = parts;
  const probeMs = options.probeIntervalSeconds * 1000;

  const serve = deps.serve ?? denoServe;
  const where = formatBindAddress(options.bind);
  let server: ServerHandle;
  try {
    server = serve(options.bind, parts.fetch);
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

  // Periodic probe: readiness, recovery when a cloud that was down comes back, and the history's
  // first observation.
  const probeStop = new AbortController();
  let probeLoop: Promise<void> = Promise.resolve();
  const runProbes = async () => {
    while (!probeStop.signal.aborted) {
      await parts.probe();
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
    parts.setStopping();
    logger.info("shutdown_started", {
      reason,
      runs_in_flight: scheduler.busy,
      timeout_s: options.shutdownTimeoutSeconds,
    });
    scheduler.stop();
    probeStop.abort();
    const timeout = new AbortController();
    const budgetMs = options.shutdownTimeoutSeconds * 1000;
    const deadline = clock.now().add({ milliseconds: budgetMs });
    const timedOut = clock.sleep(budgetMs, timeout.signal).then(() => true, () => false);
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
      // A probe in flight (no cancel signal; a cloud that never answers holds it for every
      // retry's timeout) gets what is left of the budget, then is abandoned.
      await Promise.race([probeLoop, timedOut]);
      // Alerts of the last runs: a bounded wait, then they are abandoned (and counted).
      if (deps.alerts) {
        const leftMs = deadline.epochMilliseconds - clock.now().epochMilliseconds;
        await deps.alerts.drain(Math.max(0, Math.min(leftMs, deps.alertWaitMs ?? leftMs)));
      }
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
    create_timezone: options.schedules.create.timezone,
    create_timezone_source: options.schedules.create.timezoneSource,
    expire_schedule: options.schedules.expire.expression,
    expire_timezone: options.schedules.expire.timezone,
    expire_timezone_source: options.schedules.expire.timezoneSource,
    create_next_run: status[0]?.nextRuns[0],
    expire_next_run: status[1]?.nextRuns[0],
    run_at_start: options.runAtStart,
    trigger_routes: options.apiToken !== undefined,
    version: (deps.build ?? BUILD_INFO).version,
  });
  if (options.apiToken !== undefined && !isLoopbackHost(options.bind.hostname)) {
    // The endpoint speaks plain HTTP: the bearer token crosses the network as it is.
    logger.warn("trigger_token_without_tls", {
      bind_address: where,
      hint: "put a TLS-terminating proxy (or a Kubernetes NetworkPolicy, as the orchestrator " +
        "writes) in front, or bind 127.0.0.1 and trigger from this host",
    });
  }

  return {
    address,
    url,
    scheduler,
    health: parts.health,
    metrics: parts.metrics,
    history: parts.history,
    fetch: parts.fetch,
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
