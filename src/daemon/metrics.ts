/**
 * Prometheus metrics in the text exposition format 0.0.4. Counters accumulate from finished runs
 * (`DaemonMetrics.recordRun`); per-volume freshness gauges are rebuilt from the engine's current
 * view on every scrape, so series of volumes that disappeared (or lost their policy) vanish by
 * themselves.
 *
 * Label names never collide with the labels Prometheus attaches to every target (`job`,
 * `instance`, and the Prometheus Operator's `namespace`, `service`, `pod`, `container`,
 * `endpoint`): a colliding label is renamed `exported_<name>` at ingestion, and an alert on it then
 * matches nothing. So the snapsentry job of a run is the label `run` ("create", "expire").
 *
 * Freshness is a timestamp (`snapsentry_newest_snapshot_timestamp_seconds`, Prometheus's
 * convention for "when did X last happen") beside the policy's interval, so an alert is
 * `time() - timestamp > 2 * interval`. The age gauge this replaced is gone: it was computed at
 * scrape time (so it said nothing between scrapes), and its +Inf for "no snapshot yet" broke
 * every sum and average over it. A policy with no snapshot yet has no timestamp series; alert on
 * it with `interval unless timestamp`.
 *
 * `snapsentry_run_duration_seconds` is a histogram (buckets below), so both "how long do runs
 * take" and "how long did the last run take" (`rate(_sum)/rate(_count)`) can be answered. The
 * `process_*` families are the ones Prometheus client libraries export, read from /proc on Linux.
 */
import type { AlertState, FreshnessEntry, JobName, RunReport, RunResult } from "../exec/mod.ts";
import { redactText } from "../redact.ts";
import { type ProcessStats, readProcessStats } from "./process_stats.ts";
import type { JobStatus, RunRecord } from "./scheduler.ts";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Upper bounds (seconds) of the run duration histogram. */
export const DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600] as const;

/** The runs (the daemon's two jobs); the label is `run`, never `job` (see the module doc). */
const JOBS: readonly JobName[] = ["create", "expire"];
const RESULTS: readonly RunResult[] = ["ok", "partial", "failed"];

/** Escapes a label value: backslash, double quote and newline (exposition format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text: backslash and newline. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Formats a sample value: integers plainly, infinities as +Inf/-Inf, NaN as NaN. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

type Labels = Record<string, string>;

/** Builds one metric family: HELP, TYPE, samples. */
class Family {
  readonly lines: string[];
  constructor(readonly name: string, type: "counter" | "gauge" | "histogram", help: string) {
    this.lines = [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`];
  }
  sample(value: number, labels: Labels = {}, suffix = ""): this {
    const pairs = Object.entries(labels).map(([k, v]) =>
      // Secrets never reach labels: every value passes the redaction layer.
      `${k}="${escapeLabelValue(redactText(v))}"`
    );
    const labelText = pairs.length > 0 ? `{${pairs.join(",")}}` : "";
    this.lines.push(`${this.name}${suffix}${labelText} ${formatValue(value)}`);
    return this;
  }
}

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/** Project quota and the steady-state forecast of what the policies hold (`plan --days`). */
export interface QuotaView {
  /** Cinder's limit; -1 means unlimited. */
  limit: number;
  inUse: number;
  /** Snapshots (or gigabytes) the current policies hold at once in steady state. */
  forecast: number;
}

/** The process's view needed at scrape time. */
export interface ScrapeInput {
  now: Temporal.Instant;
  ready: boolean;
  /** Freshness rows, or null when they could not be read (then no per-volume series). */
  freshness: FreshnessEntry[] | null;
  requestStats: { byMethodStatus: Record<string, number> };
  build: { version: string; commit: string; buildDate: string };
  /** The scheduler's jobs (next runs, run in flight), when the caller passes them. */
  jobs?: Pick<JobStatus, "job" | "running" | "nextRuns" | "skippedOverlaps">[];
  /** The webhook alert queue's delivery state, when webhooks are configured. */
  alerts?: AlertState;
  /** Quota and forecast per resource, when the daemon has read them. */
  quota?: Partial<Record<"snapshots" | "gigabytes", QuotaView>>;
  /** What needs a human in the newest observation, once there is one. */
  notes?: {
    policyWarnings: number;
    unreadableExpiries: number;
    otherManagerSnapshots: number;
  };
  /** Volumes no enabled, valid policy protects, once the daemon has listed them. */
  unprotected?: { volumes: number; refreshedAt: Temporal.Instant };
}

/** Splits a request-stats key such as "GET 200" (also "GET:200", "GET/200") into labels. */
export function splitMethodStatus(key: string): { method: string; status: string } {
  const m = /^([A-Za-z]+)[\s:/_-]+(\w+)$/.exec(key.trim());
  if (m) return { method: m[1]!.toUpperCase(), status: m[2]! };
  return { method: key.trim() || "unknown", status: "unknown" };
}

/** Counters accumulated from finished runs, plus rendering. */
export class DaemonMetrics {
  readonly perVolume: boolean;
  readonly #processStats: () => ProcessStats;
  #runs = new Map<string, number>();
  /** Failed runs by run and error code. */
  #failures = new Map<string, number>();
  /** Failed actions by run, kind and error code (quota_exceeded, wait_timeout, …). */
  #actionFailures = new Map<string, number>();
  #duration: Record<JobName, Histogram>;
  #lastSuccess: Partial<Record<JobName, number>> = {};
  #lastRun: Partial<Record<JobName, number>> = {};
  #lastDurationSeconds: Partial<Record<JobName, number>> = {};
  /** Zombies the last run of each job found and could not clean. */
  #zombiesLeft: Record<JobName, number> = { create: 0, expire: 0 };
  #snapshots = { created: 0, adopted: 0, deleted: 0, failed: 0, zombiesCleaned: 0 };

  constructor(options: { perVolume?: boolean; processStats?: () => ProcessStats } = {}) {
    this.perVolume = options.perVolume ?? true;
    this.#processStats = options.processStats ?? readProcessStats;
    const empty = (): Histogram => ({
      buckets: DURATION_BUCKETS_SECONDS.map(() => 0),
      sum: 0,
      count: 0,
    });
    this.#duration = { create: empty(), expire: empty() };
  }

  /** Adds a finished run to the counters; with its report, also its failed actions. */
  recordRun(record: RunRecord, report?: RunReport): void {
    const key = `${record.job}\u0000${record.result}`;
    this.#runs.set(key, (this.#runs.get(key) ?? 0) + 1);
    if (record.result === "failed") {
      const f = `${record.job}\u0000${record.errorCode ?? "unexpected_error"}`;
      this.#failures.set(f, (this.#failures.get(f) ?? 0) + 1);
    }
    const seconds = Math.max(0, record.durationMs) / 1000;
    const h = this.#duration[record.job];
    DURATION_BUCKETS_SECONDS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
    this.#lastDurationSeconds[record.job] = seconds;
    const finished = Date.parse(record.finishedAt) / 1000;
    this.#lastRun[record.job] = finished;
    if (record.result !== "failed") this.#lastSuccess[record.job] = finished;
    const c = record.counts;
    if (c) {
      this.#snapshots.created += c.created;
      this.#snapshots.adopted += c.adopted;
      this.#snapshots.deleted += c.deleted;
      this.#snapshots.failed += c.failed;
      this.#snapshots.zombiesCleaned += c.zombiesCleaned;
    }
    if (report) {
      let zombiesLeft = 0;
      for (const a of report.summary.actions) {
        if (a.kind === "zombie" && (a.status === "failed" || a.status === "pending")) zombiesLeft++;
        if (a.status !== "failed" || a.cleanup) continue;
        const k = `${record.job}\u0000${a.kind}\u0000${a.errorCode ?? "unknown"}`;
        this.#actionFailures.set(k, (this.#actionFailures.get(k) ?? 0) + 1);
      }
      // A run that failed as a whole saw nothing: keep the last count it could make.
      if (record.result !== "failed") this.#zombiesLeft[record.job] = zombiesLeft;
    }
  }

  /** Renders every family in exposition format 0.0.4 (ends with a newline). */
  render(input: ScrapeInput): string {
    const families: Family[] = [];
    const fam = (name: string, type: "counter" | "gauge" | "histogram", help: string) => {
      const f = new Family(name, type, help);
      families.push(f);
      return f;
    };
    const perRun = (name: string, help: string, values: Partial<Record<JobName, number>>) => {
      const f = fam(name, "gauge", help);
      for (const run of JOBS) {
        const v = values[run];
        if (v !== undefined) f.sample(v, { run });
      }
    };

    fam("snapsentry_up", "gauge", "1 while the daemon is serving").sample(1);
    fam(
      "snapsentry_ready",
      "gauge",
      "1 when the last authentication succeeded and Cinder answered recently (see /readyz)",
    ).sample(input.ready ? 1 : 0);
    fam("snapsentry_build_info", "gauge", "Build information; the value is always 1").sample(1, {
      version: input.build.version,
      commit: input.build.commit,
      build_date: input.build.buildDate,
      deno: typeof Deno !== "undefined" ? Deno.version.deno : "unknown",
    });

    const runs = fam("snapsentry_runs_total", "counter", "Finished runs by run and result");
    for (const run of JOBS) {
      for (const result of RESULTS) {
        runs.sample(this.#runs.get(`${run}\u0000${result}`) ?? 0, { run, result });
      }
    }

    const failures = fam(
      "snapsentry_run_failures_total",
      "counter",
      "Runs that failed as a whole, by run and error code (auth_error, transport_error, …)",
    );
    for (const [key, n] of [...this.#failures].sort(([a], [b]) => a.localeCompare(b))) {
      const [run, code] = key.split("\u0000");
      failures.sample(n, { run: run!, code: code! });
    }

    const actionFailures = fam(
      "snapsentry_action_failures_total",
      "counter",
      "Failed actions by run, kind (create, expire, zombie, dedupe) and code (quota_exceeded, …)",
    );
    for (const [key, n] of [...this.#actionFailures].sort(([a], [b]) => a.localeCompare(b))) {
      const [run, kind, code] = key.split("\u0000");
      actionFailures.sample(n, { run: run!, kind: kind!, code: code! });
    }

    const dur = fam(
      "snapsentry_run_duration_seconds",
      "histogram",
      "Duration of finished runs by run",
    );
    for (const run of JOBS) {
      const h = this.#duration[run];
      DURATION_BUCKETS_SECONDS.forEach((le, i) =>
        dur.sample(h.buckets[i]!, { run, le: String(le) }, "_bucket")
      );
      dur.sample(h.count, { run, le: "+Inf" }, "_bucket");
      dur.sample(h.sum, { run }, "_sum");
      dur.sample(h.count, { run }, "_count");
    }

    perRun(
      "snapsentry_last_run_duration_seconds",
      "Duration of the last finished run by run",
      this.#lastDurationSeconds,
    );
    perRun(
      "snapsentry_last_run_timestamp_seconds",
      "Unix time of the end of the last finished run (any result), by run",
      this.#lastRun,
    );
    perRun(
      "snapsentry_last_success_timestamp_seconds",
      "Unix time of the end of the last run that was not failed, by run",
      this.#lastSuccess,
    );
    if (input.jobs) {
      const next: Partial<Record<JobName, number>> = {};
      const running: Partial<Record<JobName, number>> = {};
      const skipped = fam(
        "snapsentry_skipped_runs_total",
        "counter",
        "Scheduled runs skipped because the previous run of the same job was still going",
      );
      for (const j of input.jobs) {
        const at = j.nextRuns[0] === undefined ? NaN : Date.parse(j.nextRuns[0]);
        if (!Number.isNaN(at)) next[j.job] = at / 1000;
        running[j.job] = j.running ? 1 : 0;
        skipped.sample(j.skippedOverlaps, { run: j.job });
      }
      perRun("snapsentry_next_run_timestamp_seconds", "Unix time of the next scheduled run", next);
      perRun("snapsentry_run_in_progress", "1 while a run of this job is going", running);
    }
    perRun(
      "snapsentry_zombies_uncleaned",
      "Zombie snapshots (error, stuck creating) the last run found and could not clean",
      this.#zombiesLeft,
    );

    const s = this.#snapshots;
    fam("snapsentry_snapshots_created_total", "counter", "Snapshots created").sample(s.created);
    fam(
      "snapsentry_snapshots_adopted_total",
      "counter",
      "Orphan snapshots adopted instead of creating a second one",
    ).sample(s.adopted);
    fam("snapsentry_snapshots_deleted_total", "counter", "Expired snapshots deleted").sample(
      s.deleted,
    );
    fam(
      "snapsentry_snapshots_failed_total",
      "counter",
      "Snapshot creations or deletions that failed",
    )
      .sample(s.failed);
    fam("snapsentry_zombies_cleaned_total", "counter", "Zombie snapshots cleaned up").sample(
      s.zombiesCleaned,
    );

    const api = fam(
      "snapsentry_api_requests_total",
      "counter",
      "OpenStack API requests by method and HTTP status",
    );
    const merged = new Map<string, { method: string; status: string; n: number }>();
    for (const [key, n] of Object.entries(input.requestStats.byMethodStatus)) {
      const { method, status } = splitMethodStatus(key);
      const id = `${method} ${status}`;
      const prev = merged.get(id);
      if (prev) prev.n += n;
      else merged.set(id, { method, status, n });
    }
    for (
      const { method, status, n } of [...merged.values()].sort((a, b) =>
        a.method.localeCompare(b.method) || a.status.localeCompare(b.status)
      )
    ) api.sample(n, { method, status });

    if (input.alerts) {
      const a = input.alerts;
      const sent = fam(
        "snapsentry_webhook_alerts_total",
        "counter",
        "Webhook alerts by outcome: sent, failed (retries ran out), dropped (queue full), abandoned (at exit)",
      );
      for (
        const [result, n] of Object.entries({
          sent: a.sent,
          failed: a.failed,
          dropped: a.dropped,
          abandoned: a.abandoned,
        })
      ) sent.sample(n, { result });
      fam("snapsentry_webhook_alerts_queued", "gauge", "Webhook alerts waiting for delivery")
        .sample(a.queued);
    }

    if (input.notes) {
      fam(
        "snapsentry_policy_warnings",
        "gauge",
        "Policy values read the way SnapSentry-Go read them (octal, hex, legacy keys); `snapsentry status` names them",
      ).sample(input.notes.policyWarnings);
      fam(
        "snapsentry_snapshots_expiry_unreadable",
        "gauge",
        "Managed snapshots whose expiry key is missing or unreadable: kept until a human acts",
      ).sample(input.notes.unreadableExpiries);
      fam(
        "snapsentry_other_manager_snapshots",
        "gauge",
        "Managed snapshots another tool (SnapSentry-Go?) made after snapsentry's first one here; above 0 means two managers",
      ).sample(input.notes.otherManagerSnapshots);
    }

    if (input.unprotected) {
      fam(
        "snapsentry_unprotected_volumes",
        "gauge",
        "Volumes of the project that no enabled, valid policy protects (status --unprotected); refreshed at most every --unprotected-refresh",
      ).sample(input.unprotected.volumes);
      fam(
        "snapsentry_unprotected_refresh_timestamp_seconds",
        "gauge",
        "Unix time of the listing snapsentry_unprotected_volumes comes from",
      ).sample(input.unprotected.refreshedAt.epochMilliseconds / 1000);
    }

    if (input.quota) {
      const limit = fam(
        "snapsentry_quota_limit",
        "gauge",
        "The project's Cinder quota by resource (snapshots, gigabytes); -1 = unlimited",
      );
      const inUse = fam("snapsentry_quota_in_use", "gauge", "Cinder quota usage by resource");
      const forecast = fam(
        "snapsentry_quota_forecast",
        "gauge",
        "What the project needs at once in steady state: the policies' snapshots plus what else is in use (plan --days)",
      );
      for (const resource of ["snapshots", "gigabytes"] as const) {
        const q = input.quota[resource];
        if (!q) continue;
        limit.sample(q.limit, { resource });
        inUse.sample(q.inUse, { resource });
        forecast.sample(q.forecast, { resource });
      }
    }

    if (this.perVolume) {
      const newest = fam(
        "snapsentry_newest_snapshot_timestamp_seconds",
        "gauge",
        "Unix time the newest available snapshot of the volume and policy was created; absent when there is none yet",
      );
      const interval = fam(
        "snapsentry_policy_interval_seconds",
        "gauge",
        "The policy's expected snapshot interval; alert when time() - newest > 2 * interval",
      );
      const seen = new Set<string>();
      for (const e of input.freshness ?? []) {
        const id = `${e.volumeId}\u0000${e.policy}`;
        if (seen.has(id)) continue; // one series per volume and policy
        seen.add(id);
        const labels = { volume_id: e.volumeId, policy: e.policy };
        const at = e.newestSnapshotAt === null ? NaN : Date.parse(e.newestSnapshotAt);
        if (!Number.isNaN(at)) newest.sample(at / 1000, labels);
        interval.sample(e.intervalSeconds, labels);
      }
    }

    this.#renderProcess(fam);
    return families.map((f) => f.lines.join("\n")).join("\n") + "\n";
  }

  #renderProcess(fam: (n: string, t: "counter" | "gauge", h: string) => Family): void {
    let p: ProcessStats;
    try {
      p = this.#processStats();
    } catch {
      return;
    }
    const one = (name: string, type: "counter" | "gauge", help: string, v: number | undefined) => {
      if (v !== undefined && Number.isFinite(v)) fam(name, type, help).sample(v);
    };
    one(
      "process_cpu_seconds_total",
      "counter",
      "Total user and system CPU time spent in seconds",
      p.cpuSecondsTotal,
    );
    one("process_open_fds", "gauge", "Number of open file descriptors", p.openFds);
    one("process_max_fds", "gauge", "Maximum number of open file descriptors", p.maxFds);
    one(
      "process_virtual_memory_bytes",
      "gauge",
      "Virtual memory size in bytes",
      p.virtualMemoryBytes,
    );
    one(
      "process_resident_memory_bytes",
      "gauge",
      "Resident memory size in bytes",
      p.residentMemoryBytes,
    );
    one(
      "process_start_time_seconds",
      "gauge",
      "Start time of the process since unix epoch in seconds",
      p.startTimeSeconds,
    );
  }
}
