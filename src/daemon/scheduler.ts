/**
 * The daemon's job loop: one loop per job sleeps on the injected Clock until the job's next cron
 * instant, then starts a run unless the previous run of the same job is still going (then the
 * tick is skipped and logged, like the Go tool's gocron singleton mode). The create and expire
 * jobs run independently, so they may overlap each other.
 */
import type { Clock } from "../clock.ts";
import { describeError, errorCodeOf } from "../errors.ts";
import type { JobName, RunCounts, RunReport, RunResult } from "../exec/mod.ts";
import type { Logger } from "../log.ts";
import type { Schedule } from "./schedule.ts";

export const JOB_NAMES: readonly JobName[] = ["create", "expire"];

/** Why a run started. */
export type RunTrigger = "schedule" | "start" | "manual";

/** A finished (or failed-to-start) run as the daemon remembers it. */
export interface RunRecord {
  job: JobName;
  trigger: RunTrigger;
  runId?: string;
  /** RFC 3339 UTC. */
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  result: RunResult;
  counts?: RunCounts;
  /** Warnings of the run by code (`expiry_unreadable`: 3, …); they do not fail the run. */
  warnings?: Record<string, number>;
  /** Stable error code when the run failed (e.g. "auth_error", "transport_error"). */
  errorCode?: string;
  /** Redacted one-line error, for logs and the local status page. */
  error?: string;
}

/** What `/status` and the status page show for a job. */
export interface JobStatus {
  job: JobName;
  schedule: string;
  timezone: string;
  /** Where the zone came from: `CRON_TZ`, `--schedule-timezone`, `TZ`, `host` or `UTC`. */
  timezoneSource: string;
  running: boolean;
  /** RFC 3339 UTC start of the run in flight. */
  runningSince: string | null;
  lastRun: RunRecord | null;
  /** The next three scheduled instants, RFC 3339 UTC (empty once stopped). */
  nextRuns: string[];
  skippedOverlaps: number;
}

/** Runs one job; the daemon passes the engine's `run`. */
export type JobRunner = (job: JobName, signal: AbortSignal) => Promise<RunReport>;

export interface SchedulerOptions {
  schedules: Record<JobName, Schedule>;
  run: JobRunner;
  clock: Clock;
  logger: Logger;
  /** Called after every run, successful or not (metrics, readiness, history). */
  onRunFinished?: (record: RunRecord, report?: RunReport) => void;
}

interface JobState {
  running: Promise<RunRecord> | null;
  runningSince: Temporal.Instant | null;
  lastRun: RunRecord | null;
  skippedOverlaps: number;
}

/** Result of asking a job to run now. */
export type TriggerResult =
  | { started: true; done: Promise<RunRecord> }
  | { started: false; reason: "running" | "stopped" };

export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #jobs: Record<JobName, JobState>;
  /** Aborts the loops' sleeps on stop(). */
  readonly #stop = new AbortController();
  /** Aborts runs in flight when shutdown runs out of time. */
  readonly #cancelRuns = new AbortController();
  #loops: Promise<void>[] = [];
  #started = false;

  constructor(options: SchedulerOptions) {
    this.#opts = options;
    const fresh = (): JobState => ({
      running: null,
      runningSince: null,
      lastRun: null,
      skippedOverlaps: 0,
    });
    this.#jobs = { create: fresh(), expire: fresh() };
  }

  /** True from start() until stop(): the loops are waiting for their next tick. */
  get alive(): boolean {
    return this.#started && !this.#stop.signal.aborted;
  }

  /** Starts both loops; with `runAtStart`, runs both jobs once right away. */
  start(options: { runAtStart?: boolean } = {}): void {
    if (this.#started) throw new TypeError("Scheduler already started");
    this.#started = true;
    const from = this.#opts.clock.now();
    for (const job of JOB_NAMES) {
      if (options.runAtStart) this.trigger(job, "start");
      this.#loops.push(this.#loop(job, from));
    }
  }

  /** Stops scheduling new runs; runs in flight continue (see `drain`). */
  stop(): void {
    if (!this.#stop.signal.aborted) this.#stop.abort(new DOMException("stopped", "AbortError"));
  }

  /** Resolves when the loops have exited and no run is in flight. */
  async drain(): Promise<void> {
    await Promise.all(this.#loops);
    await Promise.all(JOB_NAMES.map((j) => this.#jobs[j].running).filter((p) => p !== null));
  }

  /** Aborts runs in flight (shutdown timeout). */
  cancelRuns(): void {
    if (!this.#cancelRuns.signal.aborted) {
      this.#cancelRuns.abort(new DOMException("shutdown timeout", "AbortError"));
    }
  }

  /** Whether any run is in flight. */
  get busy(): boolean {
    return JOB_NAMES.some((j) => this.#jobs[j].running !== null);
  }

  /** Starts a run of `job` now unless one is going or the scheduler stopped. */
  trigger(job: JobName, trigger: RunTrigger): TriggerResult {
    if (this.#stop.signal.aborted) return { started: false, reason: "stopped" };
    const state = this.#jobs[job];
    if (state.running) {
      state.skippedOverlaps++;
      this.#opts.logger.warn("job_skipped_overlap", {
        job,
        trigger,
        running_since: state.runningSince?.toString(),
      });
      return { started: false, reason: "running" };
    }
    const done = this.#execute(job, trigger);
    state.running = done;
    return { started: true, done };
  }

  /** Each job's schedule, last run and next runs. */
  status(): JobStatus[] {
    const now = this.#opts.clock.now();
    return JOB_NAMES.map((job) => {
      const state = this.#jobs[job];
      const schedule = this.#opts.schedules[job];
      return {
        job,
        schedule: schedule.expression,
        timezone: schedule.timezone,
        timezoneSource: schedule.timezoneSource,
        running: state.running !== null,
        runningSince: state.runningSince?.toString() ?? null,
        lastRun: state.lastRun,
        nextRuns: this.#stop.signal.aborted
          ? []
          : schedule.nextRuns(now, 3).map((i) => i.toString()),
        skippedOverlaps: state.skippedOverlaps,
      };
    });
  }

  async #loop(job: JobName, start: Temporal.Instant): Promise<void> {
    const { clock, logger } = this.#opts;
    const schedule = this.#opts.schedules[job];
    let from = start;
    while (!this.#stop.signal.aborted) {
      const next = schedule.nextAfter(from);
      if (next === null) {
        logger.warn("job_schedule_exhausted", { job, schedule: schedule.expression });
        return;
      }
      logger.debug("job_scheduled", {
        job,
        schedule: schedule.expression,
        next_run: next.toString(),
      });
      const waitMs = next.epochMilliseconds - clock.now().epochMilliseconds;
      try {
        if (waitMs > 0) await clock.sleep(waitMs, this.#stop.signal);
      } catch {
        return; // stopped
      }
      if (this.#stop.signal.aborted) return;
      this.trigger(job, "schedule");
      // Never catch up on ticks missed while the process was suspended: continue from now. Using
      // the later of the tick and now also guards against a timer that fires a little early.
      const now = clock.now();
      from = Temporal.Instant.compare(now, next) > 0 ? now : next;
    }
  }

  async #execute(job: JobName, trigger: RunTrigger): Promise<RunRecord> {
    const { clock, logger } = this.#opts;
    const state = this.#jobs[job];
    const started = clock.now();
    state.runningSince = started;
    logger.info("job_started", { job, trigger });
    // Let the caller store `running` before the run can finish synchronously.
    await Promise.resolve();
    let record: RunRecord;
    let report: RunReport | undefined;
    try {
      report = await this.#opts.run(job, this.#cancelRuns.signal);
      const summary = report.summary;
      record = {
        job,
        trigger,
        runId: summary.runId,
        startedAt: summary.startedAt,
        finishedAt: summary.finishedAt,
        durationMs: summary.durationMs,
        result: summary.result,
        counts: summary.counts,
      };
      if (summary.warnings.length > 0) {
        const byCode: Record<string, number> = {};
        for (const w of summary.warnings) byCode[w.code] = (byCode[w.code] ?? 0) + 1;
        record.warnings = byCode;
      }
      if (summary.error) {
        record.error = summary.error.message;
        record.errorCode = summary.error.code;
      }
    } catch (error) {
      const finished = clock.now();
      record = {
        job,
        trigger,
        startedAt: started.toString(),
        finishedAt: finished.toString(),
        durationMs: finished.epochMilliseconds - started.epochMilliseconds,
        result: "failed",
        errorCode: errorCodeOf(error),
        error: describeError(error),
      };
    }
    state.lastRun = record;
    state.running = null;
    state.runningSince = null;
    const fields = {
      job,
      trigger,
      result: record.result,
      duration_ms: record.durationMs,
      ...(record.counts ?? {}),
      ...(record.error !== undefined ? { error: record.error, error_code: record.errorCode } : {}),
    };
    if (record.result === "failed") logger.error("job_failed", fields);
    else logger.info("job_finished", fields);
    try {
      this.#opts.onRunFinished?.(record, report);
    } catch (error) {
      logger.error("run_hook_failed", { job, error: describeError(error) });
    }
    return record;
  }
}
