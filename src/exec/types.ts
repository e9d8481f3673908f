/**
 * What a run of `create-snapshots` or `expire-snapshots` reports, and the engine as its callers
 * (the CLI and the daemon) see it. These are the in-process shapes (camelCase); `report.ts` turns
 * a summary into its machine form (snake_case) for `--json` and the daemon.
 */
import type { UnprotectedReport } from "../core/mod.ts";
import type { QuotaSet, Snapshot, Volume } from "../openstack/mod.ts";

export type JobName = "create" | "expire";

/** ok: everything planned succeeded; partial: some volume or snapshot failed or a policy was
 * invalid; failed: the run itself failed (auth, listing) and did nothing. */
export type RunResult = "ok" | "partial" | "failed";

/** Counts of a run, derived from its ledger (never incremented by hand). */
export interface RunCounts {
  created: number;
  adopted: number;
  skipped: number;
  failed: number;
  deleted: number;
  kept: number;
  zombiesCleaned: number;
  invalidPolicies: number;
  /** Work not started because `--timeout` ran out or the run was cancelled. */
  notDone: number;
  /**
   * Actions another run's work made moot: a delete of a snapshot another run had already deleted,
   * a create whose snapshot another run removed as a duplicate while the window kept its keeper.
   * Neither a failure nor a create or delete of this run.
   */
  superseded: number;
}

export type ActionKind =
  | "create"
  | "adopt"
  | "skip"
  | "invalid"
  | "expire"
  | "keep"
  | "dedupe"
  | "zombie";

/** `pending` only while the run waits (a create not yet available, a delete not yet confirmed). */
export type OutcomeStatus =
  | "done"
  | "failed"
  | "pending"
  | "skipped"
  | "not_done"
  | "dry_run"
  | "superseded";

/** One bad value of an invalid policy (`invalid` outcomes). */
export interface OutcomeIssue {
  key: string;
  value: string;
  expected: string;
  message: string;
}

/** One action of the plan and what became of it. */
export interface ActionOutcome {
  kind: ActionKind;
  status: OutcomeStatus;
  volumeId?: string;
  volumeName?: string;
  serverId?: string | null;
  policy?: string;
  /** RFC 3339 UTC. */
  windowStart?: string;
  windowEnd?: string;
  snapshotId?: string;
  requestId?: string;
  reason: string;
  error?: string;
  /** A stable code for a failure: `quota_exceeded`, `wait_timeout`, `delete_unconfirmed`, … */
  errorCode?: string;
  /** RFC 3339 UTC: when the outcome became final (or was recorded, for pending ones). */
  at?: string;
  /**
   * A delete of a snapshot this run created that went to `error`: its create already counts as
   * failed, so a failure of the cleanup is not counted again.
   */
  cleanup?: boolean;
  /** The bad values of an `invalid` policy. */
  issues?: OutcomeIssue[];
  /** Expire and zombie outcomes: the snapshot's expiry (RFC 3339 UTC) and retention days. */
  expiresAt?: string;
  retentionDays?: number;
}

/**
 * Something a run saw that needs a person but is not a failure (the run's result stays "ok"): a
 * managed snapshot whose expiry cannot be read (kept, never deleted), a policy value read the way
 * the Go tool read it.
 */
export interface RunWarning {
  /** `expiry_unreadable`, `policy_normalised`, … */
  code: string;
  message: string;
  volumeId?: string;
  snapshotId?: string;
  policy?: string;
  key?: string;
  value?: string;
}

/** Why a run failed as a whole: a stable code (`auth_error`, `transport_error`, `config_error`…). */
export interface RunError {
  code: string;
  /** One redacted line. */
  message: string;
  requestId?: string;
  /**
   * True when the run failed on its input before any change (a configuration refused, such as a
   * region the catalog lacks): the commands exit 2 for it, as for a usage error.
   */
  config?: true;
}

export interface RunSummary {
  job: JobName;
  runId: string;
  /** RFC 3339 UTC. */
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  result: RunResult;
  dryRun: boolean;
  counts: RunCounts;
  /** This run's API calls by kind ("GET volumes/detail", "POST snapshots", …). */
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
  actions: ActionOutcome[];
  /** What needs a person without failing the run. */
  warnings: RunWarning[];
  /** Set when result is "failed". */
  error?: RunError;
}

/** One observation of the cloud: subscribed volumes and managed snapshots. */
export interface Observation {
  at: Temporal.Instant;
  volumes: Volume[];
  snapshots: Snapshot[];
}

/** A finished run and the cloud as it last saw it (what the daemon's history is fed with). */
export interface RunReport {
  summary: RunSummary;
  /** The run's last view of the cloud; absent when the run could not observe. */
  observation?: Observation;
}

/** Newest good snapshot per volume and policy, for freshness metrics and the status page. */
export interface FreshnessEntry {
  volumeId: string;
  volumeName: string;
  serverId: string | null;
  policy: string;
  /** RFC 3339 UTC, or null when the policy has no available snapshot yet. */
  newestSnapshotAt: string | null;
  /** The policy's window length in seconds (its expected snapshot interval). */
  intervalSeconds: number;
  verdict: "OK" | "CREATING" | "DUE" | "LATE" | "INVALID";
}

/** A volume's snapshot event for the daemon's 14-day timeline. */
export interface TimelineEvent {
  volumeId: string;
  policy?: string;
  /** RFC 3339 UTC. */
  at: string;
  kind: "created" | "expired" | "failed";
  snapshotId?: string;
}

export interface EngineRunOptions {
  signal?: AbortSignal;
  dryRun?: boolean;
  /** Replay instant; default: the clock's now. */
  now?: Temporal.Instant;
}

/**
 * The snapshot engine as the daemon and the CLI use it: one authenticated client lives inside and
 * is reused across runs (token refreshed before expiry). Runs never throw: a run that could not
 * start or observe returns a summary with result "failed" and its error.
 */
export interface Engine {
  /** One run of `job`: observe, plan, act, report; with the run's last view of the cloud. */
  run(job: JobName, options?: EngineRunOptions): Promise<RunReport>;
  /** One `create-snapshots` run. */
  create(options?: EngineRunOptions): Promise<RunSummary>;
  /** One `expire-snapshots` run (zombie sweep included). */
  expire(options?: EngineRunOptions): Promise<RunSummary>;
  /** One observation (two paged listings); throws when the cloud cannot be read. */
  observe(): Promise<Observation>;
  /**
   * Authenticates if needed and makes one cheap Cinder call (the project's quota set, which the
   * daemon also exports); throws when either fails.
   */
  probe(): Promise<QuotaSet>;
  /** API requests of the process so far, by method and status and by kind (for metrics). */
  requestStats(): { byMethodStatus: Record<string, number>; byKind: Record<string, number> };
  /**
   * One paged listing of every volume of the project, and those no enabled, valid policy
   * protects; throws when the cloud cannot be read.
   */
  unprotected(): Promise<{ at: Temporal.Instant; report: UnprotectedReport }>;
}
