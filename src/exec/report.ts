/**
 * The machine form of a run (snake_case, as every machine-readable output of snapsentry): what
 * `create-snapshots --json` and `expire-snapshots --json` print, what `/status` shows of the last
 * run, and the count fields of the `run_finished` log event. Webhook payloads keep the Go tool's
 * shape instead (see `webhook.ts`).
 */
import type {
  ActionKind,
  ActionOutcome,
  JobName,
  OutcomeIssue,
  OutcomeStatus,
  RunCounts,
  RunError,
  RunResult,
  RunSummary,
  RunWarning,
} from "./types.ts";

/** {@link RunCounts} in machine form. */
export interface CountsJson {
  created: number;
  adopted: number;
  skipped: number;
  failed: number;
  deleted: number;
  kept: number;
  zombies_cleaned: number;
  invalid_policies: number;
  not_done: number;
  superseded: number;
}

/** {@link RunError} in machine form. */
export interface RunErrorJson {
  code: string;
  message: string;
  request_id?: string;
}

/** {@link ActionOutcome} in machine form (absent fields are left out). */
export interface ActionJson {
  kind: ActionKind;
  status: OutcomeStatus;
  volume_id?: string;
  volume_name?: string;
  server_id?: string | null;
  policy?: string;
  window_start?: string;
  window_end?: string;
  snapshot_id?: string;
  request_id?: string;
  reason: string;
  error?: string;
  error_code?: string;
  at?: string;
  cleanup?: boolean;
  issues?: OutcomeIssue[];
  expires_at?: string;
  retention_days?: number;
}

/** {@link RunSummary} in machine form. */
export interface SummaryJson {
  job: JobName;
  run_id: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  result: RunResult;
  dry_run: boolean;
  counts: CountsJson;
  api_calls: Record<string, number>;
  api_calls_total: number;
  actions: ActionJson[];
  warnings: WarningJson[];
  error?: RunErrorJson;
}

/** {@link RunWarning} in machine form. */
export interface WarningJson {
  code: string;
  message: string;
  volume_id?: string;
  snapshot_id?: string;
  policy?: string;
  key?: string;
  value?: string;
}

/** A warning with snake_case keys. */
export function warningJson(w: RunWarning): WarningJson {
  const out: WarningJson = { code: w.code, message: w.message };
  if (w.volumeId !== undefined) out.volume_id = w.volumeId;
  if (w.snapshotId !== undefined) out.snapshot_id = w.snapshotId;
  if (w.policy !== undefined) out.policy = w.policy;
  if (w.key !== undefined) out.key = w.key;
  if (w.value !== undefined) out.value = w.value;
  return out;
}

/** Counts with snake_case keys. */
export function countsJson(c: RunCounts): CountsJson {
  return {
    created: c.created,
    adopted: c.adopted,
    skipped: c.skipped,
    failed: c.failed,
    deleted: c.deleted,
    kept: c.kept,
    zombies_cleaned: c.zombiesCleaned,
    invalid_policies: c.invalidPolicies,
    not_done: c.notDone,
    superseded: c.superseded,
  };
}

/** A run error with snake_case keys. */
export function runErrorJson(e: RunError): RunErrorJson {
  return { code: e.code, message: e.message, ...(e.requestId ? { request_id: e.requestId } : {}) };
}

/** One outcome with snake_case keys. */
export function actionJson(a: ActionOutcome): ActionJson {
  const out: ActionJson = { kind: a.kind, status: a.status, reason: a.reason };
  if (a.volumeId !== undefined) out.volume_id = a.volumeId;
  if (a.volumeName !== undefined) out.volume_name = a.volumeName;
  if (a.serverId !== undefined) out.server_id = a.serverId;
  if (a.policy !== undefined) out.policy = a.policy;
  if (a.windowStart !== undefined) out.window_start = a.windowStart;
  if (a.windowEnd !== undefined) out.window_end = a.windowEnd;
  if (a.snapshotId !== undefined) out.snapshot_id = a.snapshotId;
  if (a.requestId !== undefined) out.request_id = a.requestId;
  if (a.error !== undefined) out.error = a.error;
  if (a.errorCode !== undefined) out.error_code = a.errorCode;
  if (a.at !== undefined) out.at = a.at;
  if (a.cleanup !== undefined) out.cleanup = a.cleanup;
  if (a.issues !== undefined) out.issues = a.issues;
  if (a.expiresAt !== undefined) out.expires_at = a.expiresAt;
  if (a.retentionDays !== undefined) out.retention_days = a.retentionDays;
  // The key order of the JSON: kind and status first, the reason after the ids.
  const { reason, ...rest } = out;
  return { ...rest, reason } as ActionJson;
}

/** A run summary with snake_case keys. */
export function summaryJson(s: RunSummary): SummaryJson {
  return {
    job: s.job,
    run_id: s.runId,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
    duration_ms: s.durationMs,
    result: s.result,
    dry_run: s.dryRun,
    counts: countsJson(s.counts),
    api_calls: s.apiCalls,
    api_calls_total: s.apiCallsTotal,
    actions: s.actions.map(actionJson),
    warnings: s.warnings.map(warningJson),
    ...(s.error ? { error: runErrorJson(s.error) } : {}),
  };
}
