/**
 * The snapshot engine: observe once, plan purely (`src/core`), execute with bounded concurrency,
 * report. One run of `create-snapshots` or `expire-snapshots` is one call of `create()` or
 * `expire()`; the daemon keeps one engine (and so one authenticated client) across runs.
 *
 * Observation is one paged listing of subscribed volumes (server-side filter
 * `x-snapsentry-managed=true`) and one paged listing of managed snapshots per run, never a listing
 * per volume. Waiting for new snapshots polls with listings filtered by status, not one GET per
 * snapshot.
 */
import type { Clock } from "../clock.ts";
import {
  type CreateEntry,
  type CreatePlan,
  createRequest,
  type DedupeAction,
  DEFAULT_STUCK_AFTER_MS,
  type ExpireEntry,
  type ExpirePlan,
  findSatisfying,
  formatUtc,
  MANAGED_KEY,
  planCreate,
  planExpire,
  type PlanInput,
  planStatus,
  SNAPSHOT_KEYS,
} from "../core/mod.ts";
import {
  OpenStackHttpError,
  QuotaExceededError,
  RetryExhaustedError,
  TransportError,
} from "../errors.ts";
import type { Logger } from "../log.ts";
import type {
  BlockStorageApi,
  MutationResult,
  RequestStatsSnapshot,
  Snapshot,
  Volume,
} from "../openstack/types.ts";
import { hasStatus } from "../openstack/mod.ts";
import { settlePool } from "./pool.ts";
import type {
  ActionOutcome,
  Engine,
  EngineRunOptions,
  FreshnessEntry,
  JobName,
  RunCounts,
  RunSummary,
  TimelineEvent,
} from "./types.ts";
import { notifyRun, type WebhookConfig } from "./webhook.ts";

const MANAGED_FILTER = { [MANAGED_KEY]: "true" } as const;
const TIMELINE_DAYS = 14;
const TIMELINE_MAX_EVENTS = 50_000;
const NOT_STARTED = "Not started: the run timeout was reached";

export interface EngineConfig {
  /** Server groups snapshotted in parallel. Default 8. */
  concurrency: number;
  /** Parallelism of the lane (multi-attached and unattached volumes). Default 1 (sequential). */
  laneConcurrency: number;
  /** How long a run waits for new snapshots to become available. Default 10 min. */
  waitTimeoutMs: number;
  /** Time between polls while waiting. Default 5 s. */
  pollIntervalMs: number;
  /** A managed snapshot `creating` for longer is a zombie. Default 2 h. */
  stuckAfterMs: number;
  /** Global `--timeout`: stop starting new work after this long. 0 = none. */
  timeoutMs: number;
  /** Delete concurrency of expire runs. Default 8. */
  deleteConcurrency: number;
  webhook?: WebhookConfig;
}

export const ENGINE_DEFAULTS: EngineConfig = {
  concurrency: 8,
  laneConcurrency: 1,
  waitTimeoutMs: 10 * 60_000,
  pollIntervalMs: 5_000,
  stuckAfterMs: DEFAULT_STUCK_AFTER_MS,
  timeoutMs: 0,
  deleteConcurrency: 8,
};

export interface EngineDeps {
  /** The authenticated block-storage client (negotiated once, reused). */
  blockStorage: () => Promise<BlockStorageApi>;
  /** Request counts of the underlying transport. */
  stats: () => RequestStatsSnapshot;
  clock: Clock;
  logger: Logger;
  /** For webhooks. */
  fetch?: typeof fetch;
  /** Run id generator (default `req-<uuid>`). */
  runId?: () => string;
  /**
   * Called with each run's id at its start, so the transport sends it as the global
   * `X-OpenStack-Request-ID` and Cinder's logs of the whole run share it.
   */
  useRequestId?: (runId: string) => void;
}

export interface Observation {
  at: Temporal.Instant;
  volumes: Volume[];
  snapshots: Snapshot[];
}

function emptyCounts(): RunCounts {
  return {
    created: 0,
    adopted: 0,
    skipped: 0,
    failed: 0,
    deleted: 0,
    kept: 0,
    zombiesCleaned: 0,
    invalidPolicies: 0,
    notDone: 0,
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function requestIdOf(e: unknown): string | undefined {
  if (e instanceof RetryExhaustedError) return requestIdOf(e.cause);
  return e instanceof OpenStackHttpError ? e.requestId : undefined;
}

/** A create whose outcome is unknown: the request may have reached Cinder. */
function isAmbiguous(e: unknown): boolean {
  if (e instanceof QuotaExceededError) return false;
  if (e instanceof RetryExhaustedError) return true;
  if (e instanceof TransportError) return true;
  if (e instanceof OpenStackHttpError) return e.status >= 500;
  return e instanceof TypeError; // fetch's network failure
}

function diffCounts(before: Record<string, number>, after: Record<string, number>) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/** The engine. See the module doc. */
export class SnapshotEngine implements Engine {
  readonly config: EngineConfig;
  #deps: EngineDeps;
  #last?: Observation;
  #timeline: TimelineEvent[] = [];

  constructor(deps: EngineDeps, config: Partial<EngineConfig> = {}) {
    this.#deps = deps;
    this.config = { ...ENGINE_DEFAULTS, ...config };
  }

  requestStats() {
    const s = this.#deps.stats();
    return { byMethodStatus: { ...s.byMethodStatus }, byKind: { ...s.byKind } };
  }

  async probe(): Promise<void> {
    const cinder = await this.#deps.blockStorage();
    await cinder.getQuotaSet();
  }

  timeline(): TimelineEvent[] {
    this.#trimTimeline();
    return [...this.#timeline];
  }

  async freshness(options: { refresh?: boolean } = {}): Promise<FreshnessEntry[]> {
    if (options.refresh || !this.#last) await this.observe(await this.#deps.blockStorage());
    const obs = this.#last!;
    const report = planStatus({
      now: this.#deps.clock.now(),
      volumes: obs.volumes,
      snapshots: obs.snapshots,
    });
    return report.entries.map((e) => ({
      volumeId: e.volumeId,
      volumeName: e.volumeName,
      serverId: e.serverId,
      policy: e.policy,
      newestSnapshotAt: e.newest ? formatUtc(e.newest.createdAt) : null,
      intervalSeconds: e.intervalSeconds ?? 0,
      verdict: e.verdict,
    }));
  }

  /** Lists subscribed volumes and managed snapshots: one paged listing each. */
  async observe(cinder?: BlockStorageApi): Promise<Observation> {
    cinder ??= await this.#deps.blockStorage();
    const [volumes, snapshots] = await Promise.all([
      cinder.listVolumes({ metadata: { ...MANAGED_FILTER } }),
      cinder.listSnapshots({ metadata: { ...MANAGED_FILTER } }),
    ]);
    const obs = { at: this.#deps.clock.now(), volumes, snapshots };
    this.#last = obs;
    this.#seedTimeline(obs);
    return obs;
  }

  /** Plans without acting: what `plan` and `--dry-run` show. */
  async planNow(
    now?: Temporal.Instant,
  ): Promise<{ create: CreatePlan; expire: ExpirePlan; observation: Observation }> {
    const obs = await this.observe(await this.#deps.blockStorage());
    const input = {
      now: now ?? this.#deps.clock.now(),
      volumes: obs.volumes,
      snapshots: obs.snapshots,
      stuckAfterMs: this.config.stuckAfterMs,
    };
    return { create: planCreate(input), expire: planExpire(input), observation: obs };
  }

  /** The last observation (volumes and snapshots), if any. */
  lastObservation(): Observation | undefined {
    return this.#last;
  }

  #seedTimeline(obs: Observation): void {
    const horizon = this.#deps.clock.now().subtract({ hours: 24 * TIMELINE_DAYS });
    const known = new Set(
      this.#timeline.filter((e) => e.kind === "created").map((e) => e.snapshotId),
    );
    for (const s of obs.snapshots) {
      if (known.has(s.id) || Temporal.Instant.compare(s.createdAt, horizon) < 0) continue;
      if (s.status !== "available" && s.status !== "creating") continue;
      const policy = s.metadata[SNAPSHOT_KEYS.policyType];
      this.#timeline.push({
        volumeId: s.volumeId,
        ...(policy ? { policy } : {}),
        at: formatUtc(s.createdAt),
        kind: "created",
        snapshotId: s.id,
      });
    }
    this.#trimTimeline();
  }

  #record(event: TimelineEvent): void {
    this.#timeline.push(event);
    // Trim in batches: trimming on every event made a 10,000-snapshot run quadratic.
    if (this.#timeline.length > 2 * TIMELINE_MAX_EVENTS) this.#trimTimeline();
  }

  /** Drops events older than the horizon and keeps the newest ones, sorted by time. */
  #trimTimeline(): void {
    // `at` is formatUtc output (fixed-width RFC 3339 UTC), so strings compare as instants.
    const horizon = formatUtc(this.#deps.clock.now().subtract({ hours: 24 * TIMELINE_DAYS }));
    this.#timeline = this.#timeline
      .filter((e) => e.at >= horizon)
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
      .slice(-TIMELINE_MAX_EVENTS);
  }

  create(options: EngineRunOptions = {}): Promise<RunSummary> {
    return this.#run("create", options, (ctx) => this.#create(ctx));
  }

  expire(options: EngineRunOptions = {}): Promise<RunSummary> {
    return this.#run("expire", options, (ctx) => this.#expire(ctx));
  }

  async #run(
    job: JobName,
    options: EngineRunOptions,
    body: (ctx: RunContext) => Promise<void>,
  ): Promise<RunSummary> {
    const { clock } = this.#deps;
    const startedAt = clock.now();
    const runId = this.#deps.runId?.() ?? `req-${crypto.randomUUID()}`;
    this.#deps.useRequestId?.(runId);
    const logger = this.#deps.logger.with({ run_id: runId, job });
    const statsBefore = this.#deps.stats();
    const deadline = this.config.timeoutMs > 0
      ? startedAt.add({ milliseconds: this.config.timeoutMs })
      : undefined;
    const ctx: RunContext = {
      job,
      runId,
      now: options.now ?? startedAt,
      dryRun: options.dryRun ?? false,
      logger,
      actions: [],
      counts: emptyCounts(),
      toConfirm: [],
      shouldStart: () =>
        !options.signal?.aborted &&
        (deadline === undefined || Temporal.Instant.compare(clock.now(), deadline) < 0),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    logger.info("run_started", { dry_run: ctx.dryRun, now: formatUtc(ctx.now) });
    let error: string | undefined;
    try {
      await body(ctx);
    } catch (e) {
      error = errorText(e);
      logger.error("run_failed", { error, request_id: requestIdOf(e) });
    }
    const finishedAt = clock.now();
    const statsAfter = this.#deps.stats();
    const apiCalls = diffCounts(statsBefore.byKind, statsAfter.byKind);
    const c = ctx.counts;
    const result = error !== undefined
      ? "failed"
      : c.failed > 0 || c.invalidPolicies > 0 || c.notDone > 0
      ? "partial"
      : "ok";
    const summary: RunSummary = {
      job,
      runId,
      startedAt: formatUtc(startedAt),
      finishedAt: formatUtc(finishedAt),
      durationMs: Number(finishedAt.since(startedAt).total("milliseconds")),
      result,
      dryRun: ctx.dryRun,
      counts: c,
      apiCalls,
      apiCallsTotal: statsAfter.total - statsBefore.total,
      actions: ctx.actions,
      ...(error !== undefined ? { error } : {}),
    };
    logger.info("run_finished", {
      result,
      duration_ms: summary.durationMs,
      ...c,
      api_calls: apiCalls,
      api_calls_total: summary.apiCallsTotal,
      ...(error !== undefined ? { error } : {}),
    });
    if (this.config.webhook && !ctx.dryRun) {
      await notifyRun(summary, this.config.webhook, {
        fetch: this.#deps.fetch ?? globalThis.fetch,
        clock,
        logger,
      });
    }
    return summary;
  }

  // ---------------------------------------------------------------- create

  async #create(ctx: RunContext): Promise<void> {
    const cinder = await this.#deps.blockStorage();
    const obs = await this.observe(cinder);
    ctx.logger.info("observed", {
      volumes: obs.volumes.length,
      managed_snapshots: obs.snapshots.length,
    });
    const input = {
      now: ctx.now,
      volumes: obs.volumes,
      snapshots: obs.snapshots,
      stuckAfterMs: this.config.stuckAfterMs,
    };
    const plan = planCreate(input);

    for (const e of plan.entries) {
      if (e.action === "invalid") {
        ctx.counts.invalidPolicies++;
        for (const issue of e.issues ?? []) {
          ctx.logger.warn("policy_invalid", {
            volume_id: e.volumeId,
            policy: e.policy,
            key: issue.key,
            value: issue.value,
            expected: issue.expected,
            reason: issue.message,
          });
        }
        ctx.actions.push(outcome(e, "invalid", "failed", e.reason));
      } else if (e.action === "skip") {
        ctx.counts.skipped++;
        // A window already satisfied is routine (debug); a volume whose status forbids a snapshot
        // is worth an operator's eye (info), though it does not fail the run.
        ctx.logger[e.satisfiedBy ? "debug" : "info"](
          "snapshot_skipped",
          entryFields(e, { reason: e.reason, snapshot_id: e.satisfiedBy }),
        );
        ctx.actions.push({
          ...outcome(e, "skip", "skipped", e.reason),
          ...(e.satisfiedBy ? { snapshotId: e.satisfiedBy } : {}),
        });
      }
    }

    if (ctx.dryRun) {
      for (const g of plan.groups) {
        for (const e of g.entries) ctx.actions.push(outcome(e, "create", "dry_run", e.reason));
      }
      for (const d of plan.dedupe) {
        ctx.actions.push({
          kind: "dedupe",
          status: "dry_run",
          volumeId: d.volumeId,
          policy: d.policy,
          windowStart: formatUtc(d.windowStart),
          snapshotId: d.snapshotId,
          reason: d.reason,
        });
      }
      for (const z of planExpire(input).entries.filter((x) => x.action === "zombie")) {
        ctx.actions.push(expireOutcome(z, "zombie", "dry_run", z.reason));
      }
      return;
    }

    // Creates: server groups in parallel (all of a group's requests go out together), the lane
    // beside them with its own, smaller parallelism.
    const pending = new Map<string, ActionOutcome>();
    const serverGroups = plan.groups.filter((g) => g.kind === "server");
    const lane = plan.groups.find((g) => g.kind === "lane")?.entries ?? [];
    const runCreate = (e: CreateEntry) => this.#createOne(cinder, ctx, e, pending);
    await Promise.all([
      settlePool(serverGroups, this.config.concurrency, async (g) => {
        ctx.logger.debug("group_started", { server_id: g.serverId, volumes: g.entries.length });
        await Promise.all(g.entries.map(runCreate));
      }, ctx.shouldStart).then(({ notStarted }) => {
        for (const g of notStarted) for (const e of g.entries) this.#notDone(ctx, e);
      }),
      settlePool(lane, this.config.laneConcurrency, runCreate, ctx.shouldStart).then(
        ({ notStarted }) => {
          for (const e of notStarted) this.#notDone(ctx, e);
        },
      ),
    ]);

    const dedupeDeletes = await this.#deleteDuplicates(cinder, ctx, plan.dedupe);
    await this.#waitForPending(cinder, ctx, pending, ctx.runId);
    dedupeDeletes.push(...await this.#dedupeAfterCreates(cinder, ctx, input, dedupeDeletes));
    // Zombie sweep with the observation made at the start (new snapshots are not zombies); its
    // confirming listing also confirms the duplicate deletes.
    await this.#sweepZombies(cinder, ctx, planExpire(input).entries, dedupeDeletes);
  }

  #notDone(ctx: RunContext, e: CreateEntry): void {
    ctx.counts.notDone++;
    ctx.logger.warn("snapshot_not_started", entryFields(e, { reason: "run timeout reached" }));
    ctx.actions.push(outcome(e, "create", "not_done", NOT_STARTED));
  }

  async #createOne(
    cinder: BlockStorageApi,
    ctx: RunContext,
    e: CreateEntry,
    pending: Map<string, ActionOutcome>,
  ): Promise<void> {
    const req = createRequest(e, this.#deps.clock.now());
    try {
      const snap = await cinder.createSnapshot({
        volumeId: req.volumeId,
        name: req.name,
        description: req.description,
        metadata: { ...req.metadata, [SNAPSHOT_KEYS.runId]: ctx.runId },
        force: true,
      });
      const o: ActionOutcome = {
        ...outcome(e, "create", "pending", e.reason),
        snapshotId: snap.id,
        ...(snap.requestId ? { requestId: snap.requestId } : {}),
      };
      ctx.actions.push(o);
      pending.set(snap.id, o);
      ctx.logger.info(
        "snapshot_requested",
        entryFields(e, { snapshot_id: snap.id, request_id: snap.requestId }),
      );
    } catch (error) {
      if (isAmbiguous(error)) {
        // The POST may have reached Cinder: look for what it made before calling this a failure.
        ctx.logger.warn(
          "snapshot_create_uncertain",
          entryFields(e, {
            error: errorText(error),
            request_id: requestIdOf(error),
          }),
        );
        try {
          const listed = await cinder.listSnapshots({
            volumeId: e.volumeId,
            metadata: {
              ...MANAGED_FILTER,
              [SNAPSHOT_KEYS.policyType]: e.policy,
              [SNAPSHOT_KEYS.windowStart]: req.metadata[SNAPSHOT_KEYS.windowStart]!,
            },
          });
          // The planner's rule: the oldest available one, else the oldest creating one.
          const adopted = findSatisfying(e, listed);
          if (adopted) {
            const available = adopted.status === "available";
            const o: ActionOutcome = {
              ...outcome(
                e,
                "adopt",
                available ? "done" : "pending",
                `Create answered "${errorText(error)}" but Cinder made ${adopted.id}; adopted`,
              ),
              snapshotId: adopted.id,
            };
            ctx.actions.push(o);
            // Counted once it is available, as a create is: one that fails counts as failed only.
            if (available) {
              ctx.counts.adopted++;
              this.#recordCreated(e, adopted.id);
            } else pending.set(adopted.id, o);
            ctx.logger.info("snapshot_adopted", entryFields(e, { snapshot_id: adopted.id }));
            return;
          }
        } catch (listError) {
          ctx.logger.warn("adopt_listing_failed", entryFields(e, { error: errorText(listError) }));
        }
      }
      ctx.counts.failed++;
      const message = error instanceof QuotaExceededError
        ? `Quota exceeded: ${error.serverMessage ?? error.message}`
        : errorText(error);
      ctx.actions.push({
        ...outcome(e, "create", "failed", e.reason),
        error: message,
        ...(requestIdOf(error) ? { requestId: requestIdOf(error)! } : {}),
      });
      ctx.logger.error(
        "snapshot_create_failed",
        entryFields(e, {
          error: message,
          request_id: requestIdOf(error),
          error_code: error instanceof QuotaExceededError ? "quota_exceeded" : undefined,
        }),
      );
      this.#record({
        volumeId: e.volumeId,
        policy: e.policy,
        at: formatUtc(this.#deps.clock.now()),
        kind: "failed",
      });
    }
  }

  #recordCreated(e: { volumeId: string; policy?: string }, snapshotId: string): void {
    this.#record({
      volumeId: e.volumeId,
      ...(e.policy ? { policy: e.policy } : {}),
      at: formatUtc(this.#deps.clock.now()),
      kind: "created",
      snapshotId,
    });
  }

  /**
   * Waits until every pending snapshot leaves `creating`. Each poll is ONE listing: the snapshots
   * stamped with this run's id (`x-snapsentry-snapshot-run-id`, a server-side metadata filter), so
   * `error` is seen at the first poll and the listing stays as small as the run. A snapshot adopted
   * from another run does not carry our id; it is read with one GET when it is not in the listing.
   * A snapshot still `creating` at the timeout is left alone and reported: the next run adopts it.
   */
  async #waitForPending(
    cinder: BlockStorageApi,
    ctx: RunContext,
    pending: Map<string, ActionOutcome>,
    runId: string,
  ): Promise<void> {
    if (pending.size === 0) return;
    const { clock } = this.#deps;
    const deadline = clock.now().add({ milliseconds: this.config.waitTimeoutMs });
    const open = new Map(pending);
    while (open.size > 0 && Temporal.Instant.compare(clock.now(), deadline) < 0) {
      await clock.sleep(this.config.pollIntervalMs);
      // A failed poll is not the snapshots' failure: log it and poll again until the deadline.
      let seen: Map<string, Snapshot>;
      try {
        seen = new Map(
          (await cinder.listSnapshots({
            metadata: { ...MANAGED_FILTER, [SNAPSHOT_KEYS.runId]: runId },
          })).map((s) => [s.id, s]),
        );
      } catch (e) {
        ctx.logger.warn("snapshot_poll_failed", { error: errorText(e), pending: open.size });
        continue;
      }
      for (const [id, o] of [...open]) {
        let s: Snapshot | undefined = seen.get(id);
        if (!s) {
          try {
            s = await cinder.getSnapshot(id);
          } catch (e) {
            if (!hasStatus(e, 404)) {
              ctx.logger.warn("snapshot_poll_failed", { ...outcomeFields(o), error: errorText(e) });
              continue;
            }
          }
        }
        if (s?.status === "creating") continue;
        open.delete(id);
        await this.#settle(cinder, ctx, id, o, s);
      }
    }
    for (const o of open.values()) {
      ctx.counts.failed++;
      o.reason = `Still creating after ${Math.round(this.config.waitTimeoutMs / 1000)} s; ` +
        "left alone, the next run adopts it";
      o.error = "wait timeout";
      ctx.logger.warn("snapshot_still_creating", outcomeFields(o));
    }
  }

  /** Records the final state of a snapshot this run was waiting for. */
  async #settle(
    cinder: BlockStorageApi,
    ctx: RunContext,
    id: string,
    o: ActionOutcome,
    s: Snapshot | undefined,
  ): Promise<void> {
    if (s?.status === "available") {
      o.status = "done";
      if (o.kind === "create") ctx.counts.created++;
      else ctx.counts.adopted++;
      ctx.logger.info(
        o.kind === "adopt" ? "snapshot_adopted_available" : "snapshot_created",
        outcomeFields(o),
      );
      this.#recordCreated({ volumeId: o.volumeId!, ...(o.policy ? { policy: o.policy } : {}) }, id);
    } else if (s?.status === "error") {
      this.#failPending(ctx, o, "Snapshot went to error");
      await this.#deleteOwn(cinder, ctx, o, "Snapshot of this run went to error; deleting it");
    } else {
      this.#failPending(ctx, o, s ? `Snapshot is ${s.status}` : "Snapshot disappeared");
    }
  }

  #failPending(ctx: RunContext, o: ActionOutcome, why: string): void {
    if (o.status === "failed") return;
    o.status = "failed";
    o.error = why;
    ctx.counts.failed++;
    ctx.logger.error("snapshot_create_failed", { ...outcomeFields(o), error: why });
    this.#record({
      volumeId: o.volumeId!,
      ...(o.policy ? { policy: o.policy } : {}),
      at: formatUtc(this.#deps.clock.now()),
      kind: "failed",
      ...(o.snapshotId ? { snapshotId: o.snapshotId } : {}),
    });
  }

  /** Deletes duplicates; returns the accepted deletes, for confirmation by the sweep. */
  /**
   * Overlapping runs: another run may have snapshotted the same windows while this one did. When
   * this run created anything, one more listing finds such duplicates now and deletes the newer
   * available ones (the planner keeps the oldest available one, so two racing runs choose the
   * same keeper), and two overlapping runs end with one snapshot per window. A run that created
   * nothing pays nothing.
   */
  async #dedupeAfterCreates(
    cinder: BlockStorageApi,
    ctx: RunContext,
    input: PlanInput,
    alreadyDeleted: ActionOutcome[],
  ): Promise<ActionOutcome[]> {
    const touched = new Set(
      ctx.actions.filter((a) => (a.kind === "create" || a.kind === "adopt") && a.status === "done")
        .map((a) => a.volumeId),
    );
    if (touched.size === 0 || !ctx.shouldStart()) return [];
    let snapshots: Snapshot[];
    try {
      snapshots = await cinder.listSnapshots({ metadata: { ...MANAGED_FILTER } });
    } catch (e) {
      ctx.logger.warn("dedupe_listing_failed", { error: errorText(e), request_id: requestIdOf(e) });
      return [];
    }
    const done = new Set(alreadyDeleted.map((o) => o.snapshotId));
    const more = planCreate({ ...input, snapshots }).dedupe.filter((d) =>
      touched.has(d.volumeId) && !done.has(d.snapshotId)
    );
    if (more.length > 0) ctx.logger.info("raced_duplicates_found", { count: more.length });
    return await this.#deleteDuplicates(cinder, ctx, more);
  }

  async #deleteDuplicates(
    cinder: BlockStorageApi,
    ctx: RunContext,
    dedupe: readonly DedupeAction[],
  ): Promise<ActionOutcome[]> {
    const accepted: ActionOutcome[] = [];
    for (const d of dedupe) {
      const o: ActionOutcome = {
        kind: "dedupe",
        status: "done",
        volumeId: d.volumeId,
        policy: d.policy,
        windowStart: formatUtc(d.windowStart),
        snapshotId: d.snapshotId,
        reason: d.reason,
      };
      if (!ctx.shouldStart()) {
        this.#notStarted(ctx, o);
        continue;
      }
      const sent = await this.#sendDelete(
        ctx,
        o,
        () => cinder.deleteSnapshot(d.snapshotId),
        "duplicate_delete_failed",
      );
      if (sent) accepted.push(o);
    }
    return accepted;
  }

  // ---------------------------------------------------------------- expire

  async #expire(ctx: RunContext): Promise<void> {
    const cinder = await this.#deps.blockStorage();
    const obs = await this.observe(cinder);
    const plan = planExpire({
      now: ctx.now,
      volumes: obs.volumes,
      snapshots: obs.snapshots,
      stuckAfterMs: this.config.stuckAfterMs,
    });
    ctx.logger.info("observed", {
      volumes: obs.volumes.length,
      managed_snapshots: obs.snapshots.length,
      unmanaged_snapshots: plan.unmanaged,
    });
    for (const issue of plan.issues) {
      ctx.logger.warn("snapshot_expiry_unreadable", {
        snapshot_id: issue.snapshotId,
        volume_id: issue.volumeId,
        reason: issue.message,
      });
    }
    for (const e of plan.entries) {
      if (e.action === "keep") {
        ctx.counts.kept++;
        ctx.actions.push(expireOutcome(e, "keep", "skipped", e.reason));
      }
    }
    const expiring = plan.entries.filter((e) => e.action === "expire");
    if (ctx.dryRun) {
      for (const e of plan.entries) {
        if (e.action !== "keep") ctx.actions.push(expireOutcome(e, e.action, "dry_run", e.reason));
      }
      return;
    }
    const deleted: ActionOutcome[] = [];
    const { notStarted } = await settlePool(expiring, this.config.deleteConcurrency, async (e) => {
      const o = expireOutcome(e, "expire", "done", e.reason);
      const sent = await this.#sendDelete(
        ctx,
        o,
        () => cinder.deleteSnapshot(e.snapshotId),
        "snapshot_delete_failed",
      );
      if (sent) deleted.push(o);
    }, ctx.shouldStart);
    for (const e of notStarted) this.#notStarted(ctx, expireOutcome(e, "expire", "done", e.reason));
    await this.#sweepZombies(cinder, ctx, plan.entries, deleted);
  }

  /**
   * Deletes this run's zombies (managed `error` → delete; stuck `creating` or `error_deleting` →
   * force-delete, resetting the status first when Cinder refuses), then confirms every delete of
   * the run with one listing: gone or `deleting`, never assumed.
   */
  async #sweepZombies(
    cinder: BlockStorageApi,
    ctx: RunContext,
    entries: ExpireEntry[],
    alreadyDeleted: ActionOutcome[] = [],
  ): Promise<void> {
    const zombies = entries.filter((e) => e.action === "zombie");
    const toConfirm = [...alreadyDeleted, ...ctx.toConfirm];
    // Deletes of the run's own failed snapshots: the create already counts as failed.
    const counted = (o: ActionOutcome) => !ctx.toConfirm.includes(o);
    for (const z of zombies) {
      const o = expireOutcome(z, "zombie", "done", z.reason);
      if (!ctx.shouldStart()) {
        this.#notStarted(ctx, o);
        continue;
      }
      const sent = await this.#sendDelete(
        ctx,
        o,
        () => this.#removeZombie(cinder, z),
        "zombie_cleanup_failed",
        { describe: permissionHint },
      );
      if (sent) toConfirm.push(o);
    }
    if (toConfirm.length === 0) return;
    let after: Map<string, Snapshot>;
    try {
      after = new Map(
        (await cinder.listSnapshots({ metadata: { ...MANAGED_FILTER } })).map((s) => [s.id, s]),
      );
    } catch (e) {
      // Never assumed: a delete that cannot be confirmed is reported as failed.
      for (const o of toConfirm) {
        o.status = "failed";
        o.error = `Delete accepted but not confirmed: ${errorText(e)}`;
        if (counted(o)) ctx.counts.failed++;
        ctx.logger.error("snapshot_delete_unconfirmed", { ...outcomeFields(o), error: o.error });
      }
      return;
    }
    for (const o of toConfirm) {
      const s = after.get(o.snapshotId!);
      if (!s || s.status === "deleting" || s.status === "deleted") {
        if (o.kind === "zombie") ctx.counts.zombiesCleaned++;
        else ctx.counts.deleted++;
        ctx.logger.info(
          o.kind === "zombie"
            ? "zombie_cleaned"
            : o.kind === "dedupe"
            ? "duplicate_deleted"
            : "snapshot_deleted",
          outcomeFields(o),
        );
        if (o.kind === "expire") {
          this.#record({
            volumeId: o.volumeId!,
            ...(o.policy ? { policy: o.policy } : {}),
            at: formatUtc(this.#deps.clock.now()),
            kind: "expired",
            snapshotId: o.snapshotId!,
          });
        }
      } else {
        o.status = "failed";
        o.error = `Delete accepted but the snapshot is ${s.status}`;
        if (counted(o)) ctx.counts.failed++;
        ctx.logger.error("snapshot_delete_unconfirmed", { ...outcomeFields(o), status: s.status });
      }
    }
  }

  async #removeZombie(cinder: BlockStorageApi, z: ExpireEntry): Promise<MutationResult> {
    if (!z.force) return await cinder.deleteSnapshot(z.snapshotId);
    try {
      return await cinder.forceDeleteSnapshot(z.snapshotId);
    } catch (error) {
      // Some clouds refuse force-delete from a given status; reset to error, then delete.
      if (error instanceof OpenStackHttpError && (error.status === 400 || error.status === 409)) {
        await cinder.resetSnapshotStatus(z.snapshotId, "error");
        return await cinder.deleteSnapshot(z.snapshotId);
      }
      throw error;
    }
  }

  /**
   * Deletes a snapshot of this run that went to `error`; the delete is confirmed with the sweep's
   * listing at the end of the run (counted as a zombie cleaned then).
   */
  async #deleteOwn(
    cinder: BlockStorageApi,
    ctx: RunContext,
    created: ActionOutcome,
    why: string,
  ): Promise<void> {
    const o: ActionOutcome = {
      kind: "zombie",
      status: "done",
      ...(created.volumeId ? { volumeId: created.volumeId } : {}),
      ...(created.policy ? { policy: created.policy } : {}),
      ...(created.windowStart ? { windowStart: created.windowStart } : {}),
      snapshotId: created.snapshotId!,
      reason: why,
    };
    // The create already counts as failed, so a refused delete is not counted again (the next
    // sweep retries it).
    const sent = await this.#sendDelete(
      ctx,
      o,
      () => cinder.deleteSnapshot(o.snapshotId!),
      "zombie_cleanup_failed",
      { describe: permissionHint, count: false },
    );
    if (sent) ctx.toConfirm.push(o);
  }

  /**
   * Sends one delete (never throws) and records the outcome: on success its request id (the delete
   * is confirmed later by the sweep's listing); on failure the error, counted as failed unless
   * `count` is false, and logged as `failEvent`. Returns whether Cinder accepted the delete.
   */
  async #sendDelete(
    ctx: RunContext,
    o: ActionOutcome,
    send: () => Promise<MutationResult | void>,
    failEvent: string,
    options: { describe?: (e: unknown) => string; count?: boolean } = {},
  ): Promise<boolean> {
    let sent = false;
    try {
      withRequestId(o, await send());
      sent = true;
    } catch (error) {
      o.status = "failed";
      o.error = (options.describe ?? errorText)(error);
      const rid = requestIdOf(error);
      if (rid) o.requestId = rid;
      const counted = options.count ?? true;
      if (counted) ctx.counts.failed++;
      ctx.logger[counted ? "error" : "warn"](failEvent, { ...outcomeFields(o), error: o.error });
    }
    ctx.actions.push(o);
    return sent;
  }

  /** Reports an action the run timeout kept from starting. */
  #notStarted(ctx: RunContext, o: ActionOutcome): void {
    o.status = "not_done";
    o.reason = NOT_STARTED;
    ctx.counts.notDone++;
    ctx.actions.push(o);
  }
}

interface RunContext {
  job: JobName;
  runId: string;
  now: Temporal.Instant;
  dryRun: boolean;
  logger: Logger;
  actions: ActionOutcome[];
  counts: RunCounts;
  /** Deletes accepted during the run, confirmed by the sweep's listing. */
  toConfirm: ActionOutcome[];
  shouldStart: () => boolean;
  signal?: AbortSignal;
}

function outcome(
  e: CreateEntry,
  kind: ActionOutcome["kind"],
  status: ActionOutcome["status"],
  reason: string,
): ActionOutcome {
  return {
    kind,
    status,
    volumeId: e.volumeId,
    volumeName: e.volumeName,
    serverId: e.serverId,
    policy: e.policy,
    ...(e.windowStart ? { windowStart: formatUtc(e.windowStart) } : {}),
    ...(e.windowEnd ? { windowEnd: formatUtc(e.windowEnd) } : {}),
    reason,
  };
}

function expireOutcome(
  e: ExpireEntry,
  kind: ActionOutcome["kind"],
  status: ActionOutcome["status"],
  reason: string,
): ActionOutcome {
  return {
    kind,
    status,
    volumeId: e.volumeId,
    ...(e.policy ? { policy: e.policy } : {}),
    snapshotId: e.snapshotId,
    reason,
  };
}

/** Copies a mutating call's request id onto its outcome. */
function withRequestId(o: ActionOutcome, r: MutationResult | void): void {
  if (r && r.requestId) o.requestId = r.requestId;
}

function entryFields(e: CreateEntry, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    volume_id: e.volumeId,
    policy: e.policy,
    server_id: e.serverId,
    window_start: e.windowStart ? formatUtc(e.windowStart) : undefined,
    window_end: e.windowEnd ? formatUtc(e.windowEnd) : undefined,
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
  return out;
}

function outcomeFields(o: ActionOutcome): Record<string, unknown> {
  const out: Record<string, unknown> = {
    volume_id: o.volumeId,
    policy: o.policy,
    snapshot_id: o.snapshotId,
    window_start: o.windowStart,
    reason: o.reason,
    request_id: o.requestId,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** A 403 on force-delete or reset-status names the policy the credential lacks. */
function permissionHint(e: unknown): string {
  if (e instanceof OpenStackHttpError && e.status === 403) {
    return `${e.message}: the credential lacks Cinder's snapshot admin actions ` +
      `(policies "volume_extension:snapshot_admin_actions:force_delete" and ` +
      `"volume_extension:snapshot_admin_actions:reset_status", admin by default); ` +
      "ask an operator to delete it or grant those policies";
  }
  return errorText(e);
}
