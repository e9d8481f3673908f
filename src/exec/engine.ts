/**
 * The snapshot engine: one `create-snapshots` or `expire-snapshots` run per call, and the plan
 * without acting. The daemon keeps one engine (and so one authenticated client) across runs.
 * Every caller builds it with {@link createEngine}: the CLI, the demo, the tests and the bench.
 */
import type { Clock } from "../clock.ts";
import {
  type CreatePlan,
  type ExpirePlan,
  findUnprotected,
  planCreate,
  planExpire,
  planOnDemand,
  type UnprotectedReport,
} from "../core/mod.ts";
import type { Logger } from "../log.ts";
import type { AlertSink } from "./alerts.ts";
import { type QuotaSet, type RequestScope, RequestStats } from "../openstack/mod.ts";
import { ENGINE_DEFAULTS, type EngineConfig } from "./config.ts";
import { runCreate } from "./create.ts";
import { runExpire } from "./expire.ts";
import { observe } from "./observe.ts";
import {
  type OnDemandRequest,
  type PreparedOnDemand,
  readVolumes,
  runOnDemand,
} from "./on_demand.ts";
import { type CloudPort, executeRun, newRunId, type RunContext, type RunDeps } from "./run.ts";
import type {
  Engine,
  EngineRunOptions,
  JobName,
  Observation,
  RunReport,
  RunSummary,
} from "./types.ts";

/** What {@link createEngine} needs. */
export interface EngineDeps {
  /** The cloud: an opened `Cloud`, or anything with its `blockStorage(scope)` and `stats()`. */
  cloud: CloudPort;
  clock: Clock;
  logger: Logger;
  /** Where finished runs go for alerting (an `AlertQueue`); none: no alerts. */
  alerts?: AlertSink;
  /** Run id generator (default `req-<uuid>`). */
  runId?: () => string;
}

/** A plan without acting: what `plan` and `--dry-run` show. */
export interface EnginePlan {
  create: CreatePlan;
  expire: ExpirePlan;
  observation: Observation;
}

const STEPS: Record<JobName, (run: RunContext) => Promise<void>> = {
  create: runCreate,
  expire: runExpire,
};

/** See the module doc. */
export class SnapshotEngine implements Engine {
  readonly config: EngineConfig;
  readonly #deps: RunDeps;

  constructor(deps: EngineDeps, config: Partial<EngineConfig> = {}) {
    this.config = { ...ENGINE_DEFAULTS, ...config };
    this.#deps = { ...deps, config: this.config };
  }

  run(job: JobName, options: EngineRunOptions = {}): Promise<RunReport> {
    return executeRun(job, this.#deps, options, STEPS[job]);
  }

  async create(options: EngineRunOptions = {}): Promise<RunSummary> {
    return (await this.run("create", options)).summary;
  }

  async expire(options: EngineRunOptions = {}): Promise<RunSummary> {
    return (await this.run("expire", options)).summary;
  }

  /** A scope of its own for a call outside any run (observe, plan, probe). */
  #scope(): RequestScope {
    return { requestId: this.#deps.runId?.() ?? newRunId(), stats: new RequestStats() };
  }

  async observe(): Promise<Observation> {
    return await observe(await this.#deps.cloud.blockStorage(this.#scope()), this.#deps.clock);
  }

  /** Observes once and plans both jobs at `now` (default: the clock's now). */
  async plan(now?: Temporal.Instant): Promise<EnginePlan> {
    const observation = await this.observe();
    const input = {
      now: now ?? this.#deps.clock.now(),
      volumes: observation.volumes,
      snapshots: observation.snapshots,
      stuckAfterMs: this.config.stuckAfterMs,
    };
    return { create: planCreate(input), expire: planExpire(input), observation };
  }

  /**
   * Reads the named volumes (one GET each) and plans on-demand snapshots of them at `now`; makes
   * nothing. The caller refuses bad input before {@link takeOnDemand}.
   */
  async prepareOnDemand(
    request: OnDemandRequest,
    now: Temporal.Instant = this.#deps.clock.now(),
  ): Promise<PreparedOnDemand> {
    const cinder = await this.#deps.cloud.blockStorage(this.#scope());
    const { volumes, missing } = await readVolumes(cinder, request.volumeIds);
    const plan = planOnDemand({
      now,
      volumes: request.volumeIds.flatMap((id) => volumes.get(id) ?? []),
      ...(request.policy ? { policy: request.policy } : {}),
      ...(request.retentionMs !== undefined ? { retentionMs: request.retentionMs } : {}),
      ...(request.name !== undefined ? { name: request.name } : {}),
    });
    return { plan, missing, volumes };
  }

  /** Takes a prepared on-demand plan as one create run (grouped, adopted, waited for). */
  takeOnDemand(prepared: PreparedOnDemand, options: EngineRunOptions = {}): Promise<RunReport> {
    return executeRun("create", this.#deps, options, (run) => runOnDemand(run, prepared.plan));
  }

  /** Lists every volume of the project (one paged listing) and finds those no policy protects. */
  async unprotected(): Promise<{ at: Temporal.Instant; report: UnprotectedReport }> {
    const cinder = await this.#deps.cloud.blockStorage(this.#scope());
    const volumes = await cinder.listVolumes();
    return { at: this.#deps.clock.now(), report: findUnprotected(volumes) };
  }

  async probe(): Promise<QuotaSet> {
    return await (await this.#deps.cloud.blockStorage(this.#scope())).getQuotaSet();
  }

  requestStats(): { byMethodStatus: Record<string, number>; byKind: Record<string, number> } {
    const s = this.#deps.cloud.stats();
    return { byMethodStatus: { ...s.byMethodStatus }, byKind: { ...s.byKind } };
  }
}

/**
 * The one way to build an engine.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { systemClock } from "../clock.ts";
 * import { nullLogger } from "../log.ts";
 * import { createEngine } from "./engine.ts";
 * // A cloud where nothing is subscribed: the run lists twice and has nothing to do.
 * const empty = { listVolumes: () => Promise.resolve([]), listSnapshots: () => Promise.resolve([]) };
 * const cloud = {
 *   blockStorage: () => Promise.resolve(empty as never),
 *   stats: () => ({ total: 0, byKind: {}, byMethodStatus: {} }),
 * };
 * const summary = await createEngine({ cloud, clock: systemClock, logger: nullLogger }).create();
 * assertEquals([summary.result, summary.counts.created], ["ok", 0]);
 * ```
 */
export function createEngine(deps: EngineDeps, config: Partial<EngineConfig> = {}): SnapshotEngine {
  return new SnapshotEngine(deps, config);
}
