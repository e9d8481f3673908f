/**
 * What the daemon remembers between runs, for the status page and the per-volume metrics: the
 * freshness rows (newest good snapshot and verdict per volume and policy), the policies' quota
 * load, a 14-day timeline of snapshot events, and the newest list of unprotected volumes. It is fed by what the daemon already has: each run's outcomes (created,
 * expired, failed) and the run's last view of the cloud, plus one observation at start. It never
 * calls the cloud, so a page view or a scrape costs no API call.
 *
 * Freshness is computed once per observation (the status planner is not cheap at 10,000 volumes);
 * ages are recomputed at each scrape from the newest snapshot's time, which is cheap.
 */
import type { Clock } from "../clock.ts";
import {
  forecast,
  formatUtc,
  type ManagedUsage,
  managedUsage,
  type OtherManager,
  SNAPSHOT_KEYS,
  type UnprotectedReport,
} from "../core/mod.ts";
import {
  digestObservation,
  type FreshnessEntry,
  type Observation,
  type RunReport,
  type TimelineEvent,
} from "../exec/mod.ts";

export const TIMELINE_DAYS = 14;
/** The horizon of the daemon's quota forecast (as `plan --days 30`). */
export const FORECAST_DAYS = 30;

/** What needs a human, counted in the newest observation (for the metrics). */
export interface HistoryNotes {
  policyWarnings: number;
  unreadableExpiries: number;
  otherManagerSnapshots: number;
}

/** What the policies hold in steady state, and what the managed snapshots use now. */
export interface PolicyLoad {
  /** Snapshots and gigabytes the enabled policies hold at once in steady state. */
  forecast: ManagedUsage;
  /** The managed snapshots of the newest observation. */
  managed: ManagedUsage;
}
const TIMELINE_MAX_EVENTS = 50_000;

export interface HistoryOptions {
  clock: Clock;
  /** The engine's zombie threshold, so verdicts match the planner's. */
  stuckAfterMs?: number;
}

/** See the module doc. */
export class DaemonHistory {
  readonly #clock: Clock;
  readonly #stuckAfterMs: number | undefined;
  #freshness: FreshnessEntry[] | null = null;
  #otherManager: OtherManager | null = null;
  #load: PolicyLoad | null = null;
  #notes: HistoryNotes | null = null;
  #observedAt: Temporal.Instant | null = null;
  #timeline: TimelineEvent[] = [];
  #known = new Set<string>();
  #unprotected: { at: Temporal.Instant; report: UnprotectedReport } | null = null;

  constructor(options: HistoryOptions) {
    this.#clock = options.clock;
    this.#stuckAfterMs = options.stuckAfterMs;
  }

  /** Freshness rows from the newest observation; null before the first one. */
  freshness(): FreshnessEntry[] | null {
    return this.#freshness;
  }

  /** Another tool still creating managed snapshots, as the newest observation showed. */
  otherManager(): OtherManager | null {
    return this.#otherManager;
  }

  /** The policies' steady-state load and the managed snapshots' use, from the newest observation. */
  load(): PolicyLoad | null {
    return this.#load;
  }

  /** Counts of what needs a human in the newest observation; null before the first one. */
  notes(): HistoryNotes | null {
    return this.#notes;
  }

  /** The newest listing of the volumes no policy protects; null before the first one. */
  unprotected(): { at: Temporal.Instant; report: UnprotectedReport } | null {
    return this.#unprotected;
  }

  /** Takes in a listing of every volume's protection (made at most every refresh interval). */
  recordUnprotected(at: Temporal.Instant, report: UnprotectedReport): void {
    this.#unprotected = { at, report };
  }

  /** When the newest observation was made; null before the first one. */
  observedAt(): Temporal.Instant | null {
    return this.#observedAt;
  }

  /** Recent snapshot events, oldest first. */
  timeline(): TimelineEvent[] {
    this.#trim();
    return [...this.#timeline];
  }

  /** Takes in a finished run: its outcomes become events, its last view the freshness. */
  recordRun(report: RunReport): void {
    for (const a of report.summary.actions) {
      if (!a.volumeId || !a.at) continue;
      let kind: TimelineEvent["kind"] | undefined;
      if (a.kind === "create" || a.kind === "adopt") {
        kind = a.status === "done" ? "created" : a.status === "failed" ? "failed" : undefined;
      } else if (a.kind === "expire" && a.status === "done") kind = "expired";
      if (!kind) continue;
      if (kind === "created" && a.snapshotId) {
        if (this.#known.has(a.snapshotId)) continue;
        this.#known.add(a.snapshotId);
      }
      this.#timeline.push({
        volumeId: a.volumeId,
        ...(a.policy ? { policy: a.policy } : {}),
        at: a.at,
        kind,
        ...(a.snapshotId ? { snapshotId: a.snapshotId } : {}),
      });
    }
    if (report.observation) this.observe(report.observation);
    else if (this.#timeline.length > 2 * TIMELINE_MAX_EVENTS) this.#trim();
  }

  /**
   * Takes in an observation: the freshness rows are computed from it once, and snapshots made
   * within the timeline's horizon that the timeline does not know yet (made before the daemon
   * started, or by another process) are added as created.
   */
  observe(obs: Observation): void {
    const digest = digestObservation(obs, obs.at, this.#stuckAfterMs);
    this.#freshness = digest.freshness;
    this.#otherManager = digest.otherManager;
    this.#notes = {
      policyWarnings: digest.policyWarnings,
      unreadableExpiries: digest.unreadableExpiries,
      otherManagerSnapshots: digest.otherManager?.count ?? 0,
    };
    const fc = forecast({ now: obs.at, volumes: obs.volumes, days: FORECAST_DAYS });
    this.#load = {
      forecast: { snapshots: fc.totalSnapshots, gigabytes: fc.totalGigabytes },
      managed: managedUsage(obs.snapshots),
    };
    this.#observedAt = obs.at;
    const horizon = this.#clock.now().subtract({ hours: 24 * TIMELINE_DAYS });
    for (const s of obs.snapshots) {
      if (this.#known.has(s.id) || Temporal.Instant.compare(s.createdAt, horizon) < 0) continue;
      if (s.status !== "available" && s.status !== "creating") continue;
      this.#known.add(s.id);
      const policy = s.metadata[SNAPSHOT_KEYS.policyType];
      this.#timeline.push({
        volumeId: s.volumeId,
        ...(policy ? { policy } : {}),
        at: formatUtc(s.createdAt),
        kind: "created",
        snapshotId: s.id,
      });
    }
    this.#trim();
  }

  /** Drops events older than the horizon and keeps the newest ones, sorted by time. */
  #trim(): void {
    // `at` is fixed-width RFC 3339 UTC with whole seconds, so strings compare as instants.
    const horizon = formatUtc(this.#clock.now().subtract({ hours: 24 * TIMELINE_DAYS }));
    this.#timeline = this.#timeline
      .filter((e) => e.at >= horizon)
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
      .slice(-TIMELINE_MAX_EVENTS);
    const live = new Set(this.#timeline.map((e) => e.snapshotId));
    if (this.#known.size > 2 * live.size + 1000) {
      this.#known = new Set([...this.#known].filter((id) => live.has(id)));
    }
  }
}
