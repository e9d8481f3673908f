/**
 * A `create-snapshots` run as named steps, in the order data flows:
 * observe → plan (`core/plan_create.ts`) → record what is planned but not done (invalid, skip) →
 * request the creates (server groups together, the lane beside them) → delete the duplicates the
 * plan found → wait for the new snapshots → remove duplicates an overlapping run made meanwhile →
 * sweep zombies and confirm every delete with one listing.
 */
import {
  type CreateEntry,
  type CreatePlan,
  type CreateRequest,
  createRequest,
  type DedupeAction,
  findSatisfying,
  formatUtc,
  planCreate,
  planExpire,
  type PlanInput,
  type ServerGroup,
  SNAPSHOT_KEYS,
} from "../core/mod.ts";
import {
  messageOf,
  OpenStackHttpError,
  QuotaExceededError,
  RetryExhaustedError,
  TransportError,
} from "../errors.ts";
import { requestIdOf } from "../errors.ts";
import { hasStatus, type Snapshot } from "../openstack/mod.ts";
import { recordNotStarted, sendDelete } from "./delete.ts";
import { sweepZombies } from "./expire.ts";
import type { Entry } from "./ledger.ts";
import { listPlanSnapshots, MANAGED_FILTER, observeForRun, planInputOf } from "./observe.ts";
import { settlePool } from "./pool.ts";
import type { RunContext } from "./run.ts";
import type { ActionOutcome } from "./types.ts";

/** The outcome fields of a planned entry. */
function entryOutcome(e: CreateEntry, kind: ActionOutcome["kind"]): Omit<ActionOutcome, "status"> {
  return {
    kind,
    volumeId: e.volumeId,
    volumeName: e.volumeName,
    serverId: e.serverId,
    policy: e.policy,
    ...(e.windowStart ? { windowStart: formatUtc(e.windowStart) } : {}),
    ...(e.windowEnd ? { windowEnd: formatUtc(e.windowEnd) } : {}),
    reason: e.reason,
  };
}

/** A create whose outcome is unknown: the request may have reached Cinder. */
function isAmbiguous(e: unknown): boolean {
  if (e instanceof QuotaExceededError) return false;
  if (e instanceof RetryExhaustedError) return true;
  if (e instanceof TransportError) return true;
  if (e instanceof OpenStackHttpError) return e.status >= 500;
  return e instanceof TypeError; // fetch's network failure
}

/** One `create-snapshots` run. */
export async function runCreate(run: RunContext): Promise<void> {
  const obs = await observeForRun(run);
  run.logger.info("observed", {
    volumes: obs.volumes.length,
    managed_snapshots: obs.snapshots.length,
  });
  const input = planInputOf(run, obs);
  const plan = planCreate(input);
  // Values read the way SnapSentry-Go read them: the policies work; each is reported once a run.
  for (const w of plan.warnings) {
    run.warn({
      code: "policy_normalised",
      message: w.message,
      volumeId: w.volumeId,
      policy: w.policy,
      key: w.key,
      value: w.value,
    }, "policy_normalised");
  }
  recordPlanned(run, plan);
  if (run.dryRun) return recordDryRun(run, plan, input);
  await requestCreates(run, plan);
  await deleteDuplicates(run, plan.dedupe);
  await waitForCreates(run);
  await deleteRacedDuplicates(run, input);
  // Zombies as the run found them at the start (its own new snapshots are not zombies); the
  // sweep's confirming listing also confirms the duplicate and cleanup deletes.
  await sweepZombies(run, planExpire(input).entries);
}

/** Invalid policies and skipped windows: final outcomes straight from the plan. */
function recordPlanned(run: RunContext, plan: CreatePlan): void {
  for (const e of plan.entries) {
    if (e.action === "invalid") {
      run.ledger.record({
        ...entryOutcome(e, "invalid"),
        status: "failed",
        issues: (e.issues ?? []).map((i) => ({
          key: i.key,
          value: i.value,
          expected: i.expected,
          message: i.message,
        })),
      });
    } else if (e.action === "skip") {
      run.ledger.record({
        ...entryOutcome(e, "skip"),
        status: "skipped",
        ...(e.satisfiedBy ? { snapshotId: e.satisfiedBy } : {}),
      });
    }
  }
}

function recordDryRun(run: RunContext, plan: CreatePlan, input: PlanInput): void {
  for (const g of plan.groups) {
    for (const e of g.entries) {
      run.ledger.record({ ...entryOutcome(e, "create"), status: "dry_run" });
    }
  }
  for (const d of plan.dedupe) run.ledger.record({ ...dedupeOutcome(d), status: "dry_run" });
  for (const z of planExpire(input).entries) {
    if (z.action !== "zombie") continue;
    run.ledger.record({
      kind: "zombie",
      status: "dry_run",
      volumeId: z.volumeId,
      ...(z.policy ? { policy: z.policy } : {}),
      snapshotId: z.snapshotId,
      reason: z.reason,
    });
  }
}

/**
 * Server groups in parallel (all of a group's requests go out together), the lane beside them
 * with its own, smaller parallelism.
 */
async function requestCreates(run: RunContext, plan: CreatePlan): Promise<void> {
  await requestGrouped(
    run,
    plan.groups,
    (e) => createOne(run, e),
    (e) => entryOutcome(e, "create"),
  );
}

/**
 * Sends `create` for every entry of `groups` as a run does: server groups in parallel (a group's
 * requests all at once), the lane beside them with its own parallelism; what the deadline kept
 * from starting is recorded not done. Shared by runs and on-demand snapshots.
 */
export async function requestGrouped<T>(
  run: RunContext,
  groups: readonly ServerGroup<T>[],
  create: (e: T) => Promise<void>,
  outcomeOf: (e: T) => Omit<ActionOutcome, "status">,
): Promise<void> {
  const servers = groups.filter((g) => g.kind === "server");
  const lane = groups.find((g) => g.kind === "lane")?.entries ?? [];
  const [grouped, laneResult] = await Promise.all([
    settlePool(servers, run.config.concurrency, async (g) => {
      run.logger.debug("group_started", { server_id: g.serverId, volumes: g.entries.length });
      await Promise.all(g.entries.map(create));
    }, run.shouldStart),
    settlePool(lane, run.config.laneConcurrency, create, run.shouldStart),
  ]);
  const notStarted = [...grouped.notStarted.flatMap((g) => g.entries), ...laneResult.notStarted];
  for (const e of notStarted) recordNotStarted(run, outcomeOf(e));
}

/** POSTs one snapshot; after an ambiguous failure, adopts what Cinder made instead of retrying. */
function createOne(run: RunContext, e: CreateEntry): Promise<void> {
  const req = createRequest(e, run.clock.now());
  return postSnapshot(run, {
    request: req,
    outcome: entryOutcome(e, "create"),
    // The window's snapshots of the volume, by the planner's rule: the oldest available one,
    // else the oldest creating one.
    adoptFilter: {
      [SNAPSHOT_KEYS.policyType]: e.policy,
      [SNAPSHOT_KEYS.windowStart]: req.metadata[SNAPSHOT_KEYS.windowStart]!,
    },
    pick: (listed) =>
      findSatisfying(e, listed, {
        now: run.clock.now(),
        stuckAfterMs: run.config.stuckAfterMs,
      }) as Snapshot | undefined,
  });
}

/** One snapshot create: its request, the outcome to record, and how to find it if unclear. */
export interface SnapshotPost {
  request: CreateRequest;
  /** The outcome fields (kind `create`); `adopt` is recorded with the same fields. */
  outcome: Omit<ActionOutcome, "status">;
  /** After an ambiguous failure, the volume's snapshots are listed with these metadata too. */
  adoptFilter: Record<string, string>;
  /** The snapshot among those listed that the create made, if any. */
  pick: (listed: Snapshot[]) => Snapshot | undefined;
}

/**
 * POSTs one snapshot stamped with the run's id and records it pending. After an ambiguous
 * failure (timeout, 5xx, dropped connection) it lists what Cinder made and adopts it instead of
 * repeating the POST; any other failure is recorded (a 413 as `quota_exceeded`). Never throws.
 */
export async function postSnapshot(run: RunContext, post: SnapshotPost): Promise<void> {
  const req = post.request;
  try {
    const snap = await run.cinder.createSnapshot({
      volumeId: req.volumeId,
      name: req.name,
      description: req.description,
      metadata: { ...req.metadata, [SNAPSHOT_KEYS.runId]: run.runId },
      force: true,
      ...(run.deadline ? { deadline: run.deadline } : {}),
    });
    run.view?.upsert([snap]);
    run.ledger.record({
      ...post.outcome,
      status: "pending",
      snapshotId: snap.id,
      ...(snap.requestId ? { requestId: snap.requestId } : {}),
    });
  } catch (error) {
    if (isAmbiguous(error) && await adopt(run, post, error)) return;
    const requestId = requestIdOf(error);
    const quota = error instanceof QuotaExceededError;
    run.ledger.record({
      ...post.outcome,
      status: "failed",
      error: quota ? `Quota exceeded: ${error.serverMessage ?? error.message}` : messageOf(error),
      ...(quota ? { errorCode: "quota_exceeded" } : {}),
      ...(requestId ? { requestId } : {}),
    });
  }
}

/** Lists the volume's matching snapshots after a create failed ambiguously; adopts one. */
async function adopt(run: RunContext, post: SnapshotPost, error: unknown): Promise<boolean> {
  const { volumeId, policy } = post.outcome;
  run.logger.warn("snapshot_create_uncertain", {
    volume_id: volumeId,
    policy,
    error: messageOf(error),
    request_id: requestIdOf(error),
  });
  let listed: Snapshot[];
  try {
    listed = await run.cinder.listSnapshots({
      volumeId: post.request.volumeId,
      metadata: { ...MANAGED_FILTER, ...post.adoptFilter },
    });
  } catch (listError) {
    run.logger.warn("adopt_listing_failed", {
      volume_id: volumeId,
      policy,
      error: messageOf(listError),
    });
    return false;
  }
  const adopted = post.pick(listed);
  if (!adopted) return false;
  run.view?.upsert([adopted]);
  // Counted once it is available, as a create is: one that fails counts as failed only.
  run.ledger.record({
    ...post.outcome,
    kind: "adopt",
    status: adopted.status === "available" ? "done" : "pending",
    snapshotId: adopted.id,
    reason: `Create answered "${messageOf(error)}" but Cinder made ${adopted.id}; adopted`,
  });
  return true;
}

function dedupeOutcome(d: DedupeAction): Omit<ActionOutcome, "status"> {
  return {
    kind: "dedupe",
    volumeId: d.volumeId,
    policy: d.policy,
    windowStart: formatUtc(d.windowStart),
    snapshotId: d.snapshotId,
    reason: d.reason,
  };
}

/** Deletes duplicates one after another (the confirming listing comes at the end of the run). */
async function deleteDuplicates(run: RunContext, dedupe: readonly DedupeAction[]): Promise<void> {
  for (const d of dedupe) {
    const o = dedupeOutcome(d);
    await sendDelete(run, {
      kind: "dedupe",
      snapshotId: d.snapshotId,
      volumeId: d.volumeId,
      policy: d.policy,
      windowStart: o.windowStart!,
      reason: d.reason,
    });
  }
}

/**
 * Waits until every snapshot this run requested or adopted leaves `creating`. Each poll is ONE
 * listing: the snapshots stamped with this run's id (`x-snapsentry-snapshot-run-id`, a
 * server-side metadata filter), so `error` is seen at the first poll and the listing stays as
 * small as the run. A snapshot adopted from another run does not carry our id; it is read with one
 * GET when it is not in the listing. A snapshot still `creating` at the timeout is left alone and
 * reported: the next run adopts it.
 */
export async function waitForCreates(run: RunContext): Promise<void> {
  const open = new Set(run.ledger.pending((o) => o.kind === "create" || o.kind === "adopt"));
  if (open.size === 0) return;
  const { clock, config } = run;
  const deadline = clock.now().add({ milliseconds: config.waitTimeoutMs });
  while (open.size > 0 && Temporal.Instant.compare(clock.now(), deadline) < 0) {
    await clock.sleep(config.pollIntervalMs);
    // A failed poll is not the snapshots' failure: log it and poll again until the deadline.
    let seen: Map<string, Snapshot>;
    try {
      seen = new Map(
        (await run.cinder.listSnapshots({
          metadata: { ...MANAGED_FILTER, [SNAPSHOT_KEYS.runId]: run.runId },
        })).map((s) => [s.id, s]),
      );
    } catch (e) {
      run.logger.warn("snapshot_poll_failed", { error: messageOf(e), pending: open.size });
      continue;
    }
    run.view?.upsert(seen.values());
    for (const o of [...open]) {
      let s = seen.get(o.snapshotId!);
      if (!s) {
        try {
          s = await run.cinder.getSnapshot(o.snapshotId!);
          run.view?.upsert([s]);
        } catch (e) {
          if (!hasStatus(e, 404)) {
            run.logger.warn("snapshot_poll_failed", {
              snapshot_id: o.snapshotId,
              error: messageOf(e),
            });
            continue;
          }
          run.view?.remove(o.snapshotId!);
        }
      }
      if (s?.status === "creating") continue;
      open.delete(o);
      await settleCreate(run, o, s);
    }
  }
  for (const o of open) {
    run.ledger.settle(o, "failed", {
      reason: `Still creating after ${Math.round(config.waitTimeoutMs / 1000)} s; ` +
        "left alone, the next run adopts it",
      error: "wait timeout",
      errorCode: "wait_timeout",
    });
  }
}

/** Records the final state of a snapshot the run waited for; deletes its own that went to error. */
async function settleCreate(run: RunContext, o: Entry, s: Snapshot | undefined): Promise<void> {
  if (s?.status === "available") return run.ledger.settle(o, "done");
  if (s?.status !== "error") {
    const keeper = await keeperOfWindow(run, o);
    if (keeper) {
      // An overlapping run removed it as a duplicate: the window has its snapshot.
      return run.ledger.settle(o, "superseded", {
        reason: `${o.reason}; removed as a duplicate of ${keeper} (another run's), which holds ` +
          "the window",
      });
    }
    return run.ledger.settle(o, "failed", {
      error: s ? `Snapshot is ${s.status}` : "Snapshot disappeared",
    });
  }
  run.ledger.settle(o, "failed", { error: "Snapshot went to error" });
  await sendDelete(run, {
    kind: "zombie",
    snapshotId: o.snapshotId!,
    ...(o.volumeId ? { volumeId: o.volumeId } : {}),
    ...(o.policy ? { policy: o.policy } : {}),
    ...(o.windowStart ? { windowStart: o.windowStart } : {}),
    reason: "Snapshot of this run went to error; deleting it",
    cleanup: true,
  });
}

/**
 * Another snapshot of the outcome's volume, policy and window that is available: the keeper an
 * overlapping run kept when it removed this run's snapshot as a duplicate. One listing, made only
 * when a run's own snapshot went away while the run waited for it.
 */
async function keeperOfWindow(run: RunContext, o: Entry): Promise<string | undefined> {
  if (!o.volumeId || !o.policy || !o.windowStart) return undefined;
  try {
    const listed = await run.cinder.listSnapshots({
      volumeId: o.volumeId,
      metadata: {
        ...MANAGED_FILTER,
        [SNAPSHOT_KEYS.policyType]: o.policy,
        [SNAPSHOT_KEYS.windowStart]: o.windowStart,
      },
    });
    run.view?.upsert(listed);
    return listed.find((s) => s.id !== o.snapshotId && s.status === "available")?.id;
  } catch (e) {
    run.logger.warn("window_listing_failed", { volume_id: o.volumeId, error: messageOf(e) });
    return undefined;
  }
}

/**
 * Overlapping runs: another run may have snapshotted the same windows while this one did. When
 * this run created anything, one more listing finds such duplicates now and deletes the newer
 * available ones (the planner keeps the oldest available one, so two racing runs choose the same
 * keeper), and two overlapping runs end with one snapshot per window. A run that created nothing
 * pays nothing. A duplicate this run already tried to delete is not tried twice.
 */
async function deleteRacedDuplicates(run: RunContext, input: PlanInput): Promise<void> {
  const actions = run.ledger.actions();
  const touched = new Set(
    actions.filter((a) => (a.kind === "create" || a.kind === "adopt") && a.status === "done")
      .map((a) => a.volumeId),
  );
  if (touched.size === 0 || !run.shouldStart()) return;
  let snapshots: Snapshot[];
  try {
    snapshots = await listPlanSnapshots(run.cinder);
  } catch (e) {
    run.logger.warn("dedupe_listing_failed", { error: messageOf(e), request_id: requestIdOf(e) });
    return;
  }
  run.view?.replaceSnapshots(snapshots, run.clock.now());
  const tried = new Set(actions.filter((a) => a.kind === "dedupe").map((a) => a.snapshotId));
  const more = planCreate({ ...input, snapshots }).dedupe.filter((d) =>
    touched.has(d.volumeId) && !tried.has(d.snapshotId)
  );
  if (more.length > 0) run.logger.info("raced_duplicates_found", { count: more.length });
  await deleteDuplicates(run, more);
}
