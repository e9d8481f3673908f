/**
 * One run from start to summary: its id (sent as the global `X-OpenStack-Request-ID` on every one
 * of its requests, and only its requests), its deadline (`--timeout`), its ledger, its cloud view,
 * the summary assembled from the ledger, the `run_started`/`run_finished` events and the hand-off
 * of the summary to the alert queue. The create and expire steps (`create.ts`, `expire.ts`) run inside it.
 */
import type { Clock } from "../clock.ts";
import { formatUtc } from "../core/mod.ts";
import { describeError, errorCodeOf, exitCodeFor, requestIdOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  type BlockStorageApi,
  type RequestScope,
  RequestStats,
  type RequestStatsSnapshot,
} from "../openstack/mod.ts";
import type { AlertSink } from "./alerts.ts";
import type { EngineConfig } from "./config.ts";
import { Ledger } from "./ledger.ts";
import type { CloudView } from "./observe.ts";
import { countsJson, runErrorJson } from "./report.ts";
import type {
  EngineRunOptions,
  JobName,
  RunError,
  RunReport,
  RunResult,
  RunSummary,
  RunWarning,
} from "./types.ts";

/**
 * The engine's narrow view of the cloud: a block-storage client per request scope (every request
 * of a run carries the run's id and is counted for the run), and the process-wide request counts.
 * `Cloud` from `src/openstack` is one.
 */
export interface CloudPort {
  blockStorage(scope: RequestScope): Promise<BlockStorageApi>;
  stats(): RequestStatsSnapshot;
}

/** What a run needs from the engine. */
export interface RunDeps {
  cloud: CloudPort;
  clock: Clock;
  logger: Logger;
  config: EngineConfig;
  /** Where a finished run's summary goes for alerting (delivered outside the run). */
  alerts?: AlertSink;
  /** Run id generator (default `req-<uuid>`). */
  runId?: () => string;
}

/** What the steps of one run share. */
export interface RunContext {
  readonly job: JobName;
  readonly runId: string;
  /** The instant the run plans for (`--now`, else its start). */
  readonly now: Temporal.Instant;
  readonly dryRun: boolean;
  readonly cinder: BlockStorageApi;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: EngineConfig;
  readonly ledger: Ledger;
  /** The run's view of the cloud, once it observed. */
  view?: CloudView;
  /** Reports something that needs a person without failing the run (logged once, summarised). */
  warn(warning: RunWarning, event: string): void;
  /** False once the run's deadline passed or it was cancelled: start no new work. */
  shouldStart(): boolean;
  /** The run's deadline (`--timeout`), if any: no retry waits past it. */
  readonly deadline?: Temporal.Instant;
  readonly signal?: AbortSignal;
}

/** A new run id: `req-<uuid>`, the form Cinder accepts as a global request id. */
export function newRunId(): string {
  return `req-${crypto.randomUUID()}`;
}

function runErrorOf(error: unknown): RunError {
  const requestId = requestIdOf(error);
  return {
    code: errorCodeOf(error),
    message: describeError(error),
    ...(requestId ? { requestId } : {}),
    ...(exitCodeFor(error) === 2 ? { config: true as const } : {}),
  };
}

function resultOf(summary: Pick<RunSummary, "counts" | "error">): RunResult {
  const c = summary.counts;
  if (summary.error) return "failed";
  return c.failed > 0 || c.invalidPolicies > 0 || c.notDone > 0 ? "partial" : "ok";
}

/** Runs `body` as one run of `job` and reports it; never throws. */
export async function executeRun(
  job: JobName,
  deps: RunDeps,
  options: EngineRunOptions,
  body: (run: RunContext) => Promise<void>,
): Promise<RunReport> {
  const { clock, config } = deps;
  const startedAt = clock.now();
  const runId = deps.runId?.() ?? newRunId();
  const stats = new RequestStats();
  const scope: RequestScope = { requestId: runId, stats };
  const logger = deps.logger.with({ run_id: runId, job });
  const ledger = new Ledger(clock, logger);
  const deadline = config.timeoutMs > 0
    ? startedAt.add({ milliseconds: config.timeoutMs })
    : undefined;
  const now = options.now ?? startedAt;
  const dryRun = options.dryRun ?? false;
  logger.info("run_started", { dry_run: dryRun, now: formatUtc(now) });
  let run: RunContext | undefined;
  let error: RunError | undefined;
  const warnings: RunWarning[] = [];
  try {
    const cinder = await deps.cloud.blockStorage(scope);
    run = {
      job,
      runId,
      now,
      dryRun,
      cinder,
      clock,
      logger,
      config,
      ledger,
      warn: (w, event) => {
        warnings.push(w);
        logger.warn(event, {
          code: w.code,
          volume_id: w.volumeId,
          snapshot_id: w.snapshotId,
          policy: w.policy,
          key: w.key,
          value: w.value,
          reason: w.message,
        });
      },
      shouldStart: () =>
        !options.signal?.aborted &&
        (deadline === undefined || Temporal.Instant.compare(clock.now(), deadline) < 0),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(deadline ? { deadline } : {}),
    };
    await body(run);
  } catch (e) {
    error = runErrorOf(e);
    logger.error("run_failed", {
      error: error.message,
      error_code: error.code,
      request_id: error.requestId,
    });
  }
  ledger.close("The run ended before this outcome was known");
  const finishedAt = clock.now();
  const calls = stats.snapshot();
  const counts = ledger.counts();
  const summary: RunSummary = {
    job,
    runId,
    startedAt: formatUtc(startedAt),
    finishedAt: formatUtc(finishedAt),
    durationMs: Number(finishedAt.since(startedAt).total("milliseconds")),
    result: resultOf({ counts, ...(error ? { error } : {}) }),
    dryRun,
    counts,
    apiCalls: calls.byKind,
    apiCallsTotal: calls.total,
    actions: ledger.actions(),
    warnings,
    ...(error ? { error } : {}),
  };
  logger.info("run_finished", {
    result: summary.result,
    duration_ms: summary.durationMs,
    ...countsJson(counts),
    warnings: warnings.length,
    api_calls: summary.apiCalls,
    api_calls_total: summary.apiCallsTotal,
    ...(error ? { error: runErrorJson(error) } : {}),
  });
  // Handed off, not awaited: a slow webhook receiver never holds the run.
  deps.alerts?.enqueue(summary);
  const observation = run?.view?.observation();
  return { summary, ...(observation ? { observation } : {}) };
}
