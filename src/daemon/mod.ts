/**
 * Daemon mode: create and expire runs on cron schedules, plus an HTTP endpoint for health,
 * readiness, status, metrics and a read-only status page.
 *
 * This layer owns the schedule loop, the HTTP app, the history of what runs saw, and the process
 * lifecycle (listen, signals, graceful shutdown). It talks to the cloud only through the `Engine`
 * interface (`src/exec`) and must not import `src/cli` (which knows argv and exit codes). Files:
 * `options.ts` (flags and defaults), `schedule.ts` + `scheduler.ts` (cron and the job loop),
 * `history.ts` (freshness and timeline, fed by runs), `health.ts`, `metrics.ts`, `app.ts` +
 * `page.ts` (HTTP), `assemble.ts` (the wiring, no I/O), `daemon.ts` (`startDaemon`).
 *
 * @module
 */
export {
  type AppDeps,
  type BuildInfo,
  constantTimeEqual,
  createApp,
  jobStatusJson,
  readinessJson,
} from "./app.ts";
export { assembleDaemon, type AssembleDeps, type DaemonParts } from "./assemble.ts";
export {
  type DaemonDeps,
  type DaemonHandle,
  denoServe,
  type ServeFn,
  type ServerHandle,
  type ShutdownSignal,
  startDaemon,
} from "./daemon.ts";
export { HealthTracker, type NotReadyReason, type Readiness } from "./health.ts";
export { DaemonHistory, type HistoryOptions, TIMELINE_DAYS } from "./history.ts";
export {
  CONTENT_TYPE as METRICS_CONTENT_TYPE,
  DaemonMetrics,
  DURATION_BUCKETS_SECONDS,
  escapeLabelValue,
  type ScrapeInput,
} from "./metrics.ts";
export {
  type BindAddress,
  type DaemonOptions,
  type DaemonOptionsInput,
  DEFAULT_BIND_ADDRESS,
  DEFAULT_CREATE_SCHEDULE,
  DEFAULT_EXPIRE_SCHEDULE,
  DEFAULT_PROBE_INTERVAL_SECONDS,
  DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
  DEFAULT_UNPROTECTED_REFRESH_SECONDS,
  formatBindAddress,
  MIN_API_TOKEN_LENGTH,
  parseBindAddress,
  resolveDaemonOptions,
} from "./options.ts";
export { type PageData, renderStatusPage, renderTimeline } from "./page.ts";
export {
  parseSchedule,
  type ParseScheduleOptions,
  parseScheduleTimezone,
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
