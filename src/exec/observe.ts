/**
 * Observing the cloud: one paged listing of subscribed volumes (server-side filter
 * `x-snapsentry-managed=true`) and one of the project's snapshots per observation, never a listing
 * per volume. A run keeps what it learns afterwards (its polls, its confirming listings) in a
 * {@link CloudView}, so the view at the end of the run is the cloud as the run left it, at no
 * extra call: that is what the daemon's history is fed with.
 */
import type { Clock } from "../clock.ts";
import {
  findOtherManager,
  formatUtc,
  MANAGED_KEY,
  type OtherManager,
  planExpire,
  type PlanInput,
  planStatus,
} from "../core/mod.ts";
import type { BlockStorageApi, Snapshot, Volume } from "../openstack/mod.ts";
import type { RunContext } from "./run.ts";
import type { FreshnessEntry, Observation } from "./types.ts";

/**
 * The server-side filter of the volume listing, and of listings of snapsentry's own snapshots
 * (which it always stamps `x-snapsentry-managed=true`).
 */
export const MANAGED_FILTER: Readonly<Record<string, string>> = { [MANAGED_KEY]: "true" };

/** Lists subscribed volumes and the project's snapshots: one paged listing each, in parallel. */
export async function observe(cinder: BlockStorageApi, clock: Clock): Promise<Observation> {
  const [volumes, snapshots] = await Promise.all([
    cinder.listVolumes({ metadata: { ...MANAGED_FILTER } }),
    listPlanSnapshots(cinder),
  ]);
  return { at: clock.now(), volumes, snapshots };
}

/**
 * Every snapshot of the project (one paged listing). Not filtered by `x-snapsentry-managed` on the
 * server: the Go tool took `True`, `1` or `t` there as managed too (its ParseBool forms), which
 * Cinder's exact-match filter cannot express; the planners pick the managed ones.
 */
export function listPlanSnapshots(cinder: BlockStorageApi): Promise<Snapshot[]> {
  return cinder.listSnapshots();
}

/** What a run knows of the cloud, kept current by its later listings. */
export class CloudView {
  #at: Temporal.Instant;
  readonly #volumes: Volume[];
  #snapshots: Map<string, Snapshot>;

  constructor(obs: Observation) {
    this.#at = obs.at;
    this.#volumes = obs.volumes;
    this.#snapshots = new Map(obs.snapshots.map((s) => [s.id, s]));
  }

  /** A full listing of managed snapshots: it replaces what the view knew. */
  replaceSnapshots(snapshots: readonly Snapshot[], at: Temporal.Instant): void {
    this.#snapshots = new Map(snapshots.map((s) => [s.id, s]));
    this.#at = at;
  }

  /** A partial listing or single reads (this run's own snapshots): updates those snapshots. */
  upsert(snapshots: Iterable<Snapshot>): void {
    for (const s of snapshots) this.#snapshots.set(s.id, s);
  }

  /** A snapshot found gone. */
  remove(id: string): void {
    this.#snapshots.delete(id);
  }

  observation(): Observation {
    return { at: this.#at, volumes: this.#volumes, snapshots: [...this.#snapshots.values()] };
  }
}

/** What the daemon keeps of one observation: freshness rows and what needs a human. */
export interface ObservationDigest {
  freshness: FreshnessEntry[];
  /** Policy values read the way the Go tool read them (status warnings). */
  policyWarnings: number;
  /** Managed snapshots whose expiry is missing or unreadable (kept until a human acts). */
  unreadableExpiries: number;
  /** Another tool still creating managed snapshots, if any. */
  otherManager: OtherManager | null;
}

/**
 * Newest good snapshot and verdict per subscribed volume and policy at `now`, and the notes for
 * a human, from one observation (the planners once per observation).
 */
export function digestObservation(
  obs: Observation,
  now: Temporal.Instant,
  stuckAfterMs?: number,
): ObservationDigest {
  const input = {
    now,
    volumes: obs.volumes,
    snapshots: obs.snapshots,
    ...(stuckAfterMs !== undefined ? { stuckAfterMs } : {}),
  };
  const report = planStatus(input);
  return {
    freshness: report.entries.map((e) => ({
      volumeId: e.volumeId,
      volumeName: e.volumeName,
      serverId: e.serverId,
      policy: e.policy,
      newestSnapshotAt: e.newest ? formatUtc(e.newest.createdAt) : null,
      intervalSeconds: e.intervalSeconds ?? 0,
      verdict: e.verdict,
    })),
    policyWarnings: report.warnings.length,
    unreadableExpiries: planExpire(input).issues.length,
    otherManager: findOtherManager(obs.snapshots) ?? null,
  };
}

/**
 * The observation step of a run: observes, makes it the run's view, and says once when another
 * tool is still creating managed snapshots on the project (both fill the same windows).
 */
export async function observeForRun(run: RunContext): Promise<Observation> {
  const obs = await observe(run.cinder, run.clock);
  run.view = new CloudView(obs);
  const other = findOtherManager(obs.snapshots);
  if (other) {
    run.warn({
      code: "another_snapshot_manager_active",
      message: `${other.count} managed snapshot(s) without snapsentry's stamps were made after ` +
        `snapsentry's first snapshot here (${formatUtc(other.since)}), the newest ` +
        `${other.snapshotId} at ${formatUtc(other.createdAt)}: another tool (SnapSentry-Go?) ` +
        "is still creating; stop it, or every window gets two snapshots",
      snapshotId: other.snapshotId,
      volumeId: other.volumeId,
    }, "another_snapshot_manager_active");
  }
  return obs;
}

/** The planners' input for a run: its instant, its observation, its zombie threshold. */
export function planInputOf(run: RunContext, obs: Observation): PlanInput {
  return {
    now: run.now,
    volumes: obs.volumes,
    snapshots: obs.snapshots,
    stuckAfterMs: run.config.stuckAfterMs,
  };
}
