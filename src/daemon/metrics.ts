/**
 * Prometheus metrics in the text exposition format 0.0.4. Counters accumulate from finished runs
 * (`DaemonMetrics.recordRun`); per-volume freshness gauges are rebuilt from the engine's current
 * view on every scrape, so series of volumes that disappeared (or lost their policy) vanish by
 * themselves.
 *
 * `snapsentry_run_duration_seconds` is a histogram (buckets below), so both "how long do runs
 * take" and "how long did the last run take" (`rate(_sum)/rate(_count)`) can be answered.
 */
import type { FreshnessEntry, JobName, RunResult } from "../exec/mod.ts";
import { redactText } from "../redact.ts";
import type { RunRecord } from "./scheduler.ts";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Upper bounds (seconds) of the run duration histogram. */
export const DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600] as const;

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

/** The process's view needed at scrape time. */
export interface ScrapeInput {
  now: Temporal.Instant;
  ready: boolean;
  /** Freshness rows, or null when they could not be read (then no per-volume series). */
  freshness: FreshnessEntry[] | null;
  requestStats: { byMethodStatus: Record<string, number> };
  build: { version: string; commit: string; buildDate: string };
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
  #runs = new Map<string, number>();
  /** Failed runs by job and error code. */
  #failures = new Map<string, number>();
  #duration: Record<JobName, Histogram>;
  #lastSuccess: Partial<Record<JobName, number>> = {};
  #lastDurationSeconds: Partial<Record<JobName, number>> = {};
  #snapshots = { created: 0, adopted: 0, deleted: 0, failed: 0, zombiesCleaned: 0 };

  constructor(options: { perVolume?: boolean } = {}) {
    this.perVolume = options.perVolume ?? true;
    const empty = (): Histogram => ({
      buckets: DURATION_BUCKETS_SECONDS.map(() => 0),
      sum: 0,
      count: 0,
    });
    this.#duration = { create: empty(), expire: empty() };
  }

  /** Adds a finished run to the counters. */
  recordRun(record: RunRecord): void {
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
    if (record.result !== "failed") {
      this.#lastSuccess[record.job] = Date.parse(record.finishedAt) / 1000;
    }
    const c = record.counts;
    if (c) {
      this.#snapshots.created += c.created;
      this.#snapshots.adopted += c.adopted;
      this.#snapshots.deleted += c.deleted;
      this.#snapshots.failed += c.failed;
      this.#snapshots.zombiesCleaned += c.zombiesCleaned;
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

    const runs = fam("snapsentry_runs_total", "counter", "Finished runs by job and result");
    for (const job of JOBS) {
      for (const result of RESULTS) {
        runs.sample(this.#runs.get(`${job}\u0000${result}`) ?? 0, { job, result });
      }
    }

    const failures = fam(
      "snapsentry_run_failures_total",
      "counter",
      "Runs that failed as a whole, by job and error code (auth_error, transport_error, …)",
    );
    for (const [key, n] of [...this.#failures].sort(([a], [b]) => a.localeCompare(b))) {
      const [job, code] = key.split("\u0000");
      failures.sample(n, { job: job!, code: code! });
    }

    const dur = fam(
      "snapsentry_run_duration_seconds",
      "histogram",
      "Duration of finished runs by job",
    );
    for (const job of JOBS) {
      const h = this.#duration[job];
      DURATION_BUCKETS_SECONDS.forEach((le, i) =>
        dur.sample(h.buckets[i]!, { job, le: String(le) }, "_bucket")
      );
      dur.sample(h.count, { job, le: "+Inf" }, "_bucket");
      dur.sample(h.sum, { job }, "_sum");
      dur.sample(h.count, { job }, "_count");
    }

    const lastDur = fam(
      "snapsentry_last_run_duration_seconds",
      "gauge",
      "Duration of the last finished run by job",
    );
    for (const job of JOBS) {
      const v = this.#lastDurationSeconds[job];
      if (v !== undefined) lastDur.sample(v, { job });
    }

    const last = fam(
      "snapsentry_last_success_timestamp_seconds",
      "gauge",
      "Unix time of the end of the last run that was not failed, by job",
    );
    for (const job of JOBS) {
      const v = this.#lastSuccess[job];
      if (v !== undefined) last.sample(v, { job });
    }

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

    if (this.perVolume) {
      const age = fam(
        "snapsentry_newest_snapshot_age_seconds",
        "gauge",
        "Age of the newest available snapshot per volume and policy; +Inf when there is none yet",
      );
      const interval = fam(
        "snapsentry_policy_interval_seconds",
        "gauge",
        "The policy's expected snapshot interval; alert when age > 2 * interval",
      );
      const seen = new Set<string>();
      for (const e of input.freshness ?? []) {
        const id = `${e.volumeId}\u0000${e.policy}`;
        if (seen.has(id)) continue; // one series per volume and policy
        seen.add(id);
        const labels = { volume_id: e.volumeId, policy: e.policy };
        const at = e.newestSnapshotAt === null ? NaN : Date.parse(e.newestSnapshotAt);
        const ageSeconds = Number.isNaN(at)
          ? Infinity
          : Math.max(0, (input.now.epochMilliseconds - at) / 1000);
        age.sample(ageSeconds, labels);
        interval.sample(e.intervalSeconds, labels);
      }
    }

    return families.map((f) => f.lines.join("\n")).join("\n") + "\n";
  }
}
