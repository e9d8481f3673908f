/**
 * What a run of `create-snapshots` or `expire-snapshots` reports. Shared by the CLI (`--json`),
 * webhooks and the daemon (status page, metrics).
 */

export type JobName = "create" | "expire";

/** ok: everything planned succeeded; partial: some volume or snapshot failed or a policy was
 * invalid; failed: the run itself failed (auth, listing) and did nothing. */
export type RunResult = "ok" | "partial" | "failed";

export interface RunCounts {
  created: number;
  adopted: number;
  skipped: number;
  failed: number;
  deleted: number;
  kept: number;
  zombiesCleaned: number;
  invalidPolicies: number;
  /** Work not started because `--timeout` ran out. */
  notDone: number;
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

export type OutcomeStatus = "done" | "failed" | "pending" | "skipped" | "not_done" | "dry_run";

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
  /** API calls by kind ("GET volumes/detail", "POST snapshots", …). */
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
  actions: ActionOutcome[];
  /** Set when result is "failed". */
  error?: string;
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
  verdict: "OK" | "DUE" | "LATE" | "INVALID";
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
 * is reused across runs (token refreshed before expiry).
 */
export interface Engine {
  /** One `create-snapshots` run: observe, plan, act, report. Never throws for per-volume failures;
   * throws only when the run could not start (auth, listing) — then the summary is not produced. */
  create(options?: EngineRunOptions): Promise<RunSummary>;
  /** One `expire-snapshots` run (zombie sweep included). */
  expire(options?: EngineRunOptions): Promise<RunSummary>;
  /** Newest good snapshot per volume and policy, from the last observation (or a new one). */
  freshness(options?: { refresh?: boolean }): Promise<FreshnessEntry[]>;
  /** Recent snapshot events (created/expired/failed) for the timeline, newest last. */
  timeline(): TimelineEvent[];
  /** Authenticates if needed and makes one cheap Cinder call; throws when either fails. */
  probe(): Promise<void>;
  /** API requests so far, by method and status (for metrics). */
  requestStats(): { byMethodStatus: Record<string, number>; byKind: Record<string, number> };
}
