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
