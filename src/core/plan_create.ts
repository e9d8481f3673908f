/**
 * The create planner: for every subscribed volume and each of its policies, whether
 * `create-snapshots` should take a snapshot for the current window, skip it (already there, or
 * the volume's status forbids it) or report the policy invalid; the raced duplicates to delete;
 * and the creates grouped by server (all volumes of one server go out together) and the lane.
 * Pure and deterministic: the same input gives the same plan whatever order the cloud listed
 * things in (entries are sorted by volume id, then policy order).
 *
 * @module
 */

import {
  byIdThenPolicy,
  cmpInstant,
  indexManaged,
  isGood,
  isLive,
  keeperOf,
  type ManagedSnapshot,
  volumePolicyKey,
} from "./_snapshots.ts";
import { type PolicyType, SNAPSHOT_DESCRIPTION, snapshotName } from "./naming.ts";
import {
  isSubscribed,
  parseVolumePolicies,
  type Policy,
  type PolicyIssue,
  type PolicyWarning,
} from "./policy.ts";
import { isHeld, type SnapshotGroup, snapshotMetadata } from "./retention.ts";
import {
  DEFAULT_STUCK_AFTER_MS,
  type PlanInput,
  type PlanSnapshot,
  type PlanVolume,
  SNAPSHOTTABLE_VOLUME_STATUSES,
} from "./types.ts";
import { memoContains, type Window, WindowMemo } from "./window.ts";

/** Where a volume's creates run: with its server's group, or in the sequential lane. */
export type Placement =
  | { kind: "server"; serverId: string }
  | { kind: "lane"; why: "unattached" | "multi-attached" };

/**
 * Group by attachment (as Go did: go-compatibility.md, Server groups): exactly one distinct server → that server's group; none or more
 * than one → the lane. Attachments without a server id are ignored.
 */
export function placementOf(volume: Pick<PlanVolume, "attachments">): Placement {
  const servers = new Set<string>();
  for (const a of volume.attachments) if (a.serverId) servers.add(a.serverId);
  if (servers.size === 1) return { kind: "server", serverId: [...servers][0]! };
  return { kind: "lane", why: servers.size === 0 ? "unattached" : "multi-attached" };
}

/** What `create-snapshots` does for one volume and policy. */
export type CreateAction = "create" | "skip" | "invalid";

/** One volume + policy of the create plan. */
export interface CreateEntry {
  volumeId: string;
  volumeName: string;
  /** The single server the volume is attached to, or null (lane). */
  serverId: string | null;
  placement: Placement;
  policy: PolicyType;
  /** The parsed policy; absent when invalid. */
  config?: Policy;
  /** The current window; absent when the policy is invalid. */
  window?: Window;
  windowStart?: Temporal.Instant;
  windowEnd?: Temporal.Instant;
  action: CreateAction;
  reason: string;
  /** The snapshot that already satisfies the window (skip). */
  satisfiedBy?: string;
  /** The policy's issues (invalid). */
  issues?: PolicyIssue[];
}

/** A duplicate snapshot in a window: delete it, keep `keepId`. Only `available` ones are listed. */
export interface DedupeAction {
  snapshotId: string;
  volumeId: string;
  policy: PolicyType;
  windowStart: Temporal.Instant;
  keepId: string;
  reason: string;
}

/** Requests that go out together: one server's volumes, or the lane. */
export interface ServerGroup<T> {
  /** `server:<id>` or `lane`. */
  key: string;
  kind: "server" | "lane";
  serverId: string | null;
  entries: T[];
}

/** Creates that go out together; entries with action `create` only, sorted by volume id then policy. */
export type CreateGroup = ServerGroup<CreateEntry>;

/** The plan of `create-snapshots`. */
export interface CreatePlan {
  now: Temporal.Instant;
  /** One per subscribed volume and policy (enabled or invalid), sorted. */
  entries: CreateEntry[];
  dedupe: DedupeAction[];
  /** Server groups sorted by server id, then the lane; only groups with creates. */
  groups: CreateGroup[];
  /** Every policy issue of every subscribed volume. */
  issues: PolicyIssue[];
  /** Values read the way the Go tool read them (the policies work; each needs a look). */
  warnings: PolicyWarning[];
}

/** The create request for a planned entry: name, description and metadata stamped at `createdAt`. */
export interface CreateRequest {
  volumeId: string;
  name: string;
  description: string;
  metadata: Record<string, string>;
}

/**
 * Builds the create request of a `create` entry; call it when the request is sent, with the
 * engine's clock, since the expiry is anchored at `max(window start, createdAt)`.
 */
export function createRequest(entry: CreateEntry, createdAt: Temporal.Instant): CreateRequest {
  if (entry.action !== "create" || !entry.config || !entry.window) {
    throw new TypeError(`createRequest() needs a create entry, got ${entry.action}`);
  }
  return policyRequest(entry.config, entry.volumeId, entry.window, entry.serverId, createdAt);
}

/**
 * The create request of a snapshot of `volumeId` for `window` of `policy`: the one stamp every
 * policy snapshot gets, whether a run or `snapshot --policy` takes it (name, description, the
 * expiry and window keys, the group keys when the volume is in a server group).
 */
export function policyRequest(
  policy: Policy,
  volumeId: string,
  window: Window,
  serverId: string | null,
  createdAt: Temporal.Instant,
): CreateRequest {
  const group: SnapshotGroup | null = serverId
    ? { serverId, windowStart: window.start.toInstant() }
    : null;
  return {
    volumeId,
    name: snapshotName(policy.type, volumeId, window.start),
    description: SNAPSHOT_DESCRIPTION,
    metadata: snapshotMetadata({ policy, window, createdAt, group }),
  };
}

/**
 * The snapshot among `snapshots` that satisfies a planned entry's window: a managed snapshot of
 * that volume and policy, `available` (preferred) or `creating`, placed in the window, by the
 * planner's own rule: one stuck in `creating` for `stuckAfterMs` or more at `now` is a zombie
 * and satisfies nothing. For the engine after a create failed ambiguously (timeout, 5xx, dropped
 * connection): list the volume's snapshots again and adopt what this returns instead of
 * retrying the POST.
 */
export function findSatisfying(
  entry: Pick<CreateEntry, "volumeId" | "policy" | "window">,
  snapshots: readonly PlanSnapshot[],
  at?: { now: Temporal.Instant; stuckAfterMs?: number },
): PlanSnapshot | undefined {
  if (!entry.window) return undefined;
  const startMs = entry.window.start.epochMilliseconds;
  const endMs = entry.window.end.epochMilliseconds;
  const candidates = indexManaged(snapshots.filter((s) => s.volumeId === entry.volumeId))
    .byVolumePolicy.get(volumePolicyKey(entry.volumeId, entry.policy)) ?? [];
  const usable = at
    ? (m: ManagedSnapshot) =>
      isLive(m, at.now.epochMilliseconds, at.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS)
    : isGood;
  return keeperOf(
    candidates.filter((m) => usable(m) && startMs <= m.anchorMs && m.anchorMs < endMs),
  )?.snapshot;
}

/**
 * Plans `create-snapshots`: for every subscribed volume and each of its enabled or invalid
 * policies, `create` when the current window holds no good managed snapshot (one stuck in `creating`
 * for `stuckAfterMs` or more is a zombie, not good), else `skip`;
 * `invalid` for a policy with bad values. Volumes whose status forbids a snapshot are skipped with
 * the reason. Duplicates (a window of one volume and policy holding more than one good managed
 * snapshot, from raced runs) are listed in `dedupe`: the oldest available one is kept (else the
 * oldest creating one), the other `available` ones are deleted; `creating` duplicates wait for a
 * later run, since Cinder will not delete a snapshot that is still being created.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { planCreate } from "./plan_create.ts";
 * const plan = planCreate({
 *   now: Temporal.Instant.from("2026-03-10T12:00:00Z"),
 *   volumes: [{
 *     id: "v1", status: "in-use", size: 10, attachments: [{ serverId: "s1" }],
 *     metadata: { "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" },
 *   }],
 *   snapshots: [],
 * });
 * assertEquals(plan.entries.map((e) => [e.policy, e.action]), [["daily", "create"]]);
 * assertEquals(plan.groups[0]?.key, "server:s1");
 * ```
 */
export function planCreate(input: PlanInput): CreatePlan {
  const { now } = input;
  const nowMs = now.epochMilliseconds;
  const stuckAfterMs = input.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
  const memo = new WindowMemo();
  const { byVolumePolicy } = indexManaged(input.snapshots);
  const entries: CreateEntry[] = [];
  const dedupe: DedupeAction[] = [];
  const issues: PolicyIssue[] = [];
  const warnings: PolicyWarning[] = [];

  for (const volume of input.volumes) {
    if (!isSubscribed(volume)) continue;
    const parsed = parseVolumePolicies(volume);
    issues.push(...parsed.errors);
    warnings.push(...parsed.warnings);
    const placement = placementOf(volume);
    const base = {
      volumeId: volume.id,
      volumeName: volume.name ?? "",
      serverId: placement.kind === "server" ? placement.serverId : null,
      placement,
    };
    for (const type of parsed.invalid) {
      const own = parsed.errors.filter((e) => e.policy === type);
      entries.push({
        ...base,
        policy: type,
        action: "invalid",
        reason: own.map((e) => e.message).join("; "),
        issues: own,
      });
    }
    const statusOk = SNAPSHOTTABLE_VOLUME_STATUSES.includes(volume.status);
    for (const policy of parsed.policies) {
      const win = memo.at(policy, nowMs);
      const window = win.window;
      const mine = byVolumePolicy.get(volumePolicyKey(volume.id, policy.type)) ?? [];
      const good = mine.filter((m) => isLive(m, nowMs, stuckAfterMs));
      if (good.length > 1) dedupe.push(...findDuplicates(memo, policy, volume.id, good, now));
      const keeper = keeperOf(good.filter((m) => memoContains(win, m.anchorMs)));
      const entry: CreateEntry = {
        ...base,
        policy: policy.type,
        config: policy,
        window,
        windowStart: window.start.toInstant(),
        windowEnd: window.end.toInstant(),
        action: "create",
        reason: `No snapshot yet for window ${win.label}`,
      };
      if (keeper) {
        entry.action = "skip";
        entry.satisfiedBy = keeper.snapshot.id;
        entry.reason =
          `Window ${win.label} already has snapshot ${keeper.snapshot.id} (${keeper.snapshot.status})`;
      } else if (!statusOk) {
        entry.action = "skip";
        entry.reason = `Volume status "${volume.status}" does not allow a snapshot (only ${
          SNAPSHOTTABLE_VOLUME_STATUSES.join(" or ")
        }); retried at the next run`;
      }
      entries.push(entry);
    }
  }
  entries.sort(byIdThenPolicy);
  dedupe.sort((a, b) =>
    byIdThenPolicy(a, b) || cmpInstant(a.windowStart, b.windowStart) ||
    (a.snapshotId < b.snapshotId ? -1 : 1)
  );
  return { now, entries, dedupe, groups: groupCreates(entries), issues, warnings };
}

/**
 * Raced duplicates of one volume + policy: more than one good snapshot that snapsentry stamped for
 * the same window (window key and run id both present), as two overlapping runs leave them. The
 * oldest available one is kept (else the oldest creating one); the other available ones go.
 * Only those: a snapshot without snapsentry's stamps (the Go tool's, or one made by hand with the
 * keys) is deleted only by its own expiry, however many share its window, and snapshots stamped
 * with different window starts were taken for different windows of an earlier schedule (every
 * 6 h, now every 12 h): none of them is a duplicate. A snapshot taken on demand was wanted as
 * it is: it is neither a duplicate nor the keeper. A held one is never deleted.
 */
function findDuplicates(
  memo: WindowMemo,
  policy: Policy,
  volumeId: string,
  good: ManagedSnapshot[],
  now: Temporal.Instant,
): DedupeAction[] {
  const byStart = new Map<number, ManagedSnapshot[]>();
  for (const m of good) {
    if (!m.stamp.windowStart || !m.stamp.runId || m.stamp.onDemand) continue;
    const key = m.stamp.windowStart.epochMilliseconds;
    const list = byStart.get(key);
    if (list) list.push(m);
    else byStart.set(key, [m]);
  }
  const out: DedupeAction[] = [];
  for (const [startMs, members] of byStart) {
    if (members.length < 2) continue;
    const keeper = keeperOf(members)!;
    const label = memo.at(policy, startMs).label;
    for (const m of members) {
      if (m === keeper || m.snapshot.status !== "available" || isHeld(m.stamp, now)) continue;
      out.push({
        snapshotId: m.snapshot.id,
        volumeId,
        policy: policy.type,
        windowStart: m.stamp.windowStart!,
        keepId: keeper.snapshot.id,
        reason: `Duplicate of ${keeper.snapshot.id} in window ${label} (raced runs)`,
      });
    }
  }
  return out;
}

function groupCreates(entries: CreateEntry[]): CreateGroup[] {
  return groupByServer(entries.filter((e) => e.action === "create"));
}

/**
 * Groups requests by the one server their volume is attached to (sorted by server id), then the
 * lane (multi-attached and unattached volumes), keeping the entries' order within each group.
 */
export function groupByServer<T extends { serverId: string | null }>(
  entries: readonly T[],
): ServerGroup<T>[] {
  const servers = new Map<string, T[]>();
  const lane: T[] = [];
  for (const e of entries) {
    if (e.serverId === null) lane.push(e);
    else {
      const list = servers.get(e.serverId);
      if (list) list.push(e);
      else servers.set(e.serverId, [e]);
    }
  }
  const groups: ServerGroup<T>[] = [...servers.keys()].sort().map((serverId) => ({
    key: `server:${serverId}`,
    kind: "server" as const,
    serverId,
    entries: servers.get(serverId)!,
  }));
  if (lane.length > 0) groups.push({ key: "lane", kind: "lane", serverId: null, entries: lane });
  return groups;
}
