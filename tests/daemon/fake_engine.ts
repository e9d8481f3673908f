/**
 * A scriptable Engine for daemon tests: runs can be held open (to test overlap and shutdown),
 * made to fail, and their calls counted. Time comes from the injected clock.
 */
import type { Clock } from "../../src/clock.ts";
import type {
  Engine,
  EngineRunOptions,
  JobName,
  Observation,
  RunCounts,
  RunReport,
  RunSummary,
} from "../../src/exec/mod.ts";
import type { QuotaSet } from "../../src/openstack/mod.ts";
import { findUnprotected, type UnprotectedReport } from "../../src/core/mod.ts";

export const ZERO_COUNTS: RunCounts = {
  created: 0,
  adopted: 0,
  skipped: 0,
  failed: 0,
  deleted: 0,
  kept: 0,
  zombiesCleaned: 0,
  invalidPolicies: 0,
  notDone: 0,
  superseded: 0,
};

interface Gate {
  promise: Promise<void>;
  release: () => void;
}

function gate(): Gate {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

export class FakeEngine implements Engine {
  readonly clock: Clock;
  calls: Record<JobName | "probe", number> = { create: 0, expire: 0, probe: 0 };
  /** Runs in flight right now, by job. */
  inFlight: Record<JobName, number> = { create: 0, expire: 0 };
  /** Completed runs (not aborted), by job. */
  completed: Record<JobName, number> = { create: 0, expire: 0 };
  /** Aborted runs, by job. */
  aborted: Record<JobName, number> = { create: 0, expire: 0 };
  /** When set, the next runs of that job wait until `release(job)`. */
  #holds: Partial<Record<JobName, Gate>> = {};
  /** When set, runs of that job throw this. */
  runError: Partial<Record<JobName, Error>> = {};
  /** When set, probe() throws this. */
  probeError: Error | null = null;
  /** When true, probe() never settles (a cloud that accepts the connection and never answers). */
  probeHangs = false;
  counts: Record<JobName, Partial<RunCounts>> = {
    create: { created: 2, skipped: 1 },
    expire: { deleted: 1, kept: 3, zombiesCleaned: 1 },
  };
  /** What observe() and each run's report return as the cloud's view; default: empty. */
  observation: Omit<Observation, "at"> = { volumes: [], snapshots: [] };
  /** When set, observe() throws this. */
  observeError: Error | null = null;
  /** Calls of observe(). */
  observeCalls = 0;
  /** Every volume of the project, for unprotected(); default: none. */
  allVolumes: Observation["volumes"] = [];
  /** Calls of unprotected() (each one is a listing of every volume). */
  unprotectedCalls = 0;
  /** When set, unprotected() throws this. */
  unprotectedError: Error | null = null;
  stats: Record<string, number> = { "GET 200": 7, "POST 202": 2 };
  /** What probe() answers: the project's quota set. */
  quota: QuotaSet = {
    projectId: "project-1",
    snapshots: { limit: 10, inUse: 0, reserved: 0, allocated: 0 },
    gigabytes: { limit: 1000, inUse: 0, reserved: 0, allocated: 0 },
    volumes: { limit: 10, inUse: 0, reserved: 0, allocated: 0 },
    all: {},
  };

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Makes the following runs of `job` wait until `release(job)`. */
  hold(job: JobName): void {
    this.#holds[job] = gate();
  }

  /** Lets held runs of `job` finish. */
  release(job: JobName): void {
    const g = this.#holds[job];
    delete this.#holds[job];
    g?.release();
  }

  async run(job: JobName, options: EngineRunOptions = {}): Promise<RunReport> {
    this.calls[job]++;
    const started = this.clock.now();
    this.inFlight[job]++;
    try {
      const g = this.#holds[job];
      if (g) {
        await new Promise<void>((resolve, reject) => {
          g.promise.then(resolve);
          options.signal?.addEventListener("abort", () => {
            this.aborted[job]++;
            reject(new DOMException("run cancelled", "AbortError"));
          }, { once: true });
        });
      }
      const error = this.runError[job];
      if (error) throw error;
      const finished = this.clock.now();
      this.completed[job]++;
      const summary: RunSummary = {
        job,
        runId: `run-${job}-${this.calls[job]}`,
        startedAt: started.toString(),
        finishedAt: finished.toString(),
        durationMs: finished.epochMilliseconds - started.epochMilliseconds,
        result: "ok",
        dryRun: false,
        counts: { ...ZERO_COUNTS, ...this.counts[job] },
        apiCalls: {},
        apiCallsTotal: 0,
        actions: [],
        warnings: [],
      };
      return { summary, observation: { at: finished, ...this.observation } };
    } finally {
      this.inFlight[job]--;
    }
  }

  async create(options?: EngineRunOptions): Promise<RunSummary> {
    return (await this.run("create", options)).summary;
  }
  async expire(options?: EngineRunOptions): Promise<RunSummary> {
    return (await this.run("expire", options)).summary;
  }
  observe(): Promise<Observation> {
    this.observeCalls++;
    return this.observeError
      ? Promise.reject(this.observeError)
      : Promise.resolve({ at: this.clock.now(), ...this.observation });
  }
  probe(): Promise<QuotaSet> {
    this.calls.probe++;
    if (this.probeHangs) return new Promise<QuotaSet>(() => {});
    return this.probeError ? Promise.reject(this.probeError) : Promise.resolve(this.quota);
  }
  requestStats(): { byMethodStatus: Record<string, number>; byKind: Record<string, number> } {
    return { byMethodStatus: { ...this.stats }, byKind: {} };
  }
  unprotected(): Promise<{ at: Temporal.Instant; report: UnprotectedReport }> {
    this.unprotectedCalls++;
    if (this.unprotectedError) return Promise.reject(this.unprotectedError);
    return Promise.resolve({ at: this.clock.now(), report: findUnprotected(this.allVolumes) });
  }
}

/** Lets pending promise callbacks and zero-delay tasks run (no clock time passes). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}
