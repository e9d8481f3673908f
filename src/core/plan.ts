/**
 * The planner: from "now" and one observation of the cloud (subscribed volumes, managed
 * snapshots), decide what `create-snapshots`, `expire-snapshots`, `status` and `plan` should do.
 * Pure and deterministic: the same input gives the same plan, whatever order the cloud listed
 * things in (entries are sorted by volume id, then policy order).
 *
 * @module
 */

import {
  formatRfc3339,
  formatUtc,
  type PolicyType,
  SNAPSHOT_DESCRIPTION,
  snapshotName,
} from "./naming.ts";
import {
  describePolicy,
  isPolicyEnabled,
  isSubscribed,
  parseVolumePolicies,
  type Policy,
  type PolicyIssue,
} from "./policy.ts";
import {
  parseSnapshotStamp,
  type SnapshotGroup,
  snapshotMetadata,
  type SnapshotStamp,
} from "./retention.ts";
import { intervalSeconds, nextWindow, type Window, windowAt } from "./window.ts";

/** A volume as the planner needs it (structurally a subset of the OpenStack `Volume`). */
export interface PlanVolume {
  id: string;
  name?: string;
  status: string;
  /** GiB. */
  size: number;
  metadata: Record<string, string>;
  attachments: readonly { serverId: string | null }[];
}

/** A snapshot as the planner needs it (structurally a subset of the OpenStack `Snapshot`). */
export interface PlanSnapshot {
  id: string;
  volumeId: string;
  status: string;
  metadata: Record<string, string>;
  createdAt: Temporal.Instant;
  size?: number;
  name?: string;
}

/** One observation of the cloud at `now`. */
export interface PlanInput {
  now: Temporal.Instant;
  /** Volumes; only those with `x-snapsentry-managed=true` are planned. */
  volumes: readonly PlanVolume[];
  /** Snapshots; only those with `x-snapsentry-managed=true` are ever considered. */
  snapshots: readonly PlanSnapshot[];
  /** A managed snapshot `creating` for longer than this is a zombie. Default 2 h. */
  stuckAfterMs?: number;
}

/** Default for {@link PlanInput.stuckAfterMs}: 2 hours. */
export const DEFAULT_STUCK_AFTER_MS = 2 * 3600 * 1000;

/** Volume statuses that allow a snapshot; any other status is skipped with a reason. */
export const SNAPSHOTTABLE_VOLUME_STATUSES: readonly string[] = ["available", "in-use"];

/** Snapshot statuses that count for a window (idempotency). */
export const GOOD_SNAPSHOT_STATUSES: readonly string[] = ["available", "creating"];

/** Where a volume's creates run: with its server's group, or in the sequential lane. */
export type Placement =
  | { kind: "server"; serverId: string }
  | { kind: "lane"; why: "unattached" | "multi-attached" };

/**
 * Group by attachment (as Go §5): exactly one distinct server → that server's group; none or more
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

/** Creates that go out together: one server's volumes, or the lane. */
export interface CreateGroup {
  /** `server:<id>` or `lane`. */
  key: string;
  kind: "server" | "lane";
  serverId: string | null;
  /** Entries with action `create` only, sorted by volume id then policy. */
  entries: CreateEntry[];
}

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
  const group: SnapshotGroup | null = entry.serverId
    ? { serverId: entry.serverId, windowStart: entry.window.start.toInstant() }
    : null;
  return {
    volumeId: entry.volumeId,
    name: snapshotName(entry.policy, entry.volumeId, entry.window.start),
    description: SNAPSHOT_DESCRIPTION,
    metadata: snapshotMetadata({ policy: entry.config, window: entry.window, createdAt, group }),
  };
}

/**
 * The snapshot among `snapshots` that satisfies a planned entry's window: a managed snapshot of
 * that volume and policy, `available` (preferred) or `creating`, placed in the window. For the
 * engine after a create failed ambiguously (timeout, 5xx, dropped connection): list the volume's
 * snapshots again and adopt what this returns instead of retrying the POST.
 */
export function findSatisfying(
  entry: Pick<CreateEntry, "volumeId" | "policy" | "window">,
  snapshots: readonly PlanSnapshot[],
): PlanSnapshot | undefined {
  if (!entry.window) return undefined;
  const startMs = entry.window.start.epochMilliseconds;
  const endMs = entry.window.end.epochMilliseconds;
  const candidates = indexManaged(snapshots.filter((s) => s.volumeId === entry.volumeId))
    .byVolumePolicy.get(`${entry.volumeId}\0${entry.policy}`) ?? [];
  return keeperOf(
    candidates.filter((m) => isGood(m) && startMs <= m.anchorMs && m.anchorMs < endMs),
  )?.snapshot;
}

const POLICY_ORDER: Record<PolicyType, number> = { express: 0, daily: 1, weekly: 2, monthly: 3 };

function byIdThenPolicy(
  a: { volumeId: string; policy: PolicyType },
  b: { volumeId: string; policy: PolicyType },
): number {
  return a.volumeId < b.volumeId
    ? -1
    : a.volumeId > b.volumeId
    ? 1
    : POLICY_ORDER[a.policy] - POLICY_ORDER[b.policy];
}

function cmpInstant(a: Temporal.Instant, b: Temporal.Instant): number {
  return Temporal.Instant.compare(a, b);
}

/**
 * Oldest first (created_at, then id): the order "keep the oldest good one" uses. Compared at
 * millisecond precision (Cinder reports microseconds; sub-millisecond ties fall to the id).
 */
function oldestFirst(a: ManagedSnapshot, b: ManagedSnapshot): number {
  return a.createdMs - b.createdMs ||
    (a.snapshot.id < b.snapshot.id ? -1 : a.snapshot.id > b.snapshot.id ? 1 : 0);
}

interface ManagedSnapshot {
  snapshot: PlanSnapshot;
  stamp: SnapshotStamp;
  createdMs: number;
  /** Epoch ms of the window anchor (window-start key, else created_at). */
  anchorMs: number;
}

/** Managed snapshots indexed by `volumeId \0 policy`. */
function indexManaged(
  snapshots: readonly PlanSnapshot[],
): { all: ManagedSnapshot[]; byVolumePolicy: Map<string, ManagedSnapshot[]> } {
  const all: ManagedSnapshot[] = [];
  const byVolumePolicy = new Map<string, ManagedSnapshot[]>();
  for (const snapshot of snapshots) {
    const stamp = parseSnapshotStamp(snapshot);
    if (!stamp.managed) continue;
    const m: ManagedSnapshot = {
      snapshot,
      stamp,
      createdMs: stamp.createdAt.epochMilliseconds,
      anchorMs: stamp.windowAnchor.epochMilliseconds,
    };
    all.push(m);
    if (!stamp.policy) continue;
    const key = `${snapshot.volumeId}\0${stamp.policy}`;
    const list = byVolumePolicy.get(key);
    if (list) list.push(m);
    else byVolumePolicy.set(key, [m]);
  }
  return { all, byVolumePolicy };
}

function isGood(m: ManagedSnapshot): boolean {
  return GOOD_SNAPSHOT_STATUSES.includes(m.snapshot.status);
}

/**
 * Good and not a zombie: a snapshot stuck in `creating` for `stuckAfterMs` or more is swept
 * (force-deleted), so it satisfies no window, or the run that removes it would leave the window
 * empty, and `status` would call a window OK that has nothing usable.
 */
function isLive(m: ManagedSnapshot, nowMs: number, stuckAfterMs: number): boolean {
  return isGood(m) && !(m.snapshot.status === "creating" && nowMs - m.createdMs >= stuckAfterMs);
}

/** The snapshot that satisfies a window: the oldest available one, else the oldest creating one. */
function keeperOf(inWindow: ManagedSnapshot[]): ManagedSnapshot | undefined {
  if (inWindow.length === 0) return undefined;
  const sorted = [...inWindow].sort(oldestFirst);
  return sorted.find((m) => m.snapshot.status === "available") ?? sorted[0];
}

/** A window with its bounds in epoch ms (boundaries are whole minutes, so ms compares exactly). */
interface Win {
  window: Window;
  startMs: number;
  endMs: number;
  label: string;
}

function contains(w: Win, ms: number): boolean {
  return w.startMs <= ms && ms < w.endMs;
}

/**
 * Windows memoised for one planning call: volumes usually share a handful of policies, so most
 * lookups hit a window already computed for another volume.
 */
class WindowMemo {
  #byPolicy = new Map<string, Win[]>();
  #ids = new WeakMap<Policy, string>();

  #id(p: Policy): string {
    let id = this.#ids.get(p);
    if (id === undefined) {
      id = p.type === "express"
        ? `express|${p.timezone}|${p.intervalHours}`
        : `${p.type}|${p.timezone}|${p.startTime.hour}:${p.startTime.minute}|${
          p.type === "weekly" ? p.dayOfWeek : p.type === "monthly" ? p.dayOfMonth : ""
        }`;
      this.#ids.set(p, id);
    }
    return id;
  }

  /** The window of `policy` containing the instant `ms` (epoch milliseconds). */
  at(policy: Policy, ms: number): Win {
    const id = this.#id(policy);
    let list = this.#byPolicy.get(id);
    if (!list) this.#byPolicy.set(id, list = []);
    for (let i = list.length - 1; i >= 0; i--) if (contains(list[i]!, ms)) return list[i]!;
    const window = windowAt(policy, Temporal.Instant.fromEpochMilliseconds(ms));
    const w: Win = {
      window,
      startMs: window.start.epochMilliseconds,
      endMs: window.end.epochMilliseconds,
      label: `${formatRfc3339(window.start)} – ${formatRfc3339(window.end)}`,
    };
    list.push(w);
    if (list.length > 256) list.shift();
    return w;
  }

  previous(policy: Policy, w: Win): Win {
    return this.at(policy, w.startMs - 1);
  }

  next(policy: Policy, w: Win): Win {
    return this.at(policy, w.endMs);
  }
}

function volumeLabel(v: PlanVolume): string {
  return v.name ?? "";
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
 * import { planCreate } from "./plan.ts";
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

  for (const volume of input.volumes) {
    if (!isSubscribed(volume)) continue;
    const parsed = parseVolumePolicies(volume);
    issues.push(...parsed.errors);
    const placement = placementOf(volume);
    const base = {
      volumeId: volume.id,
      volumeName: volumeLabel(volume),
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
      const mine = byVolumePolicy.get(`${volume.id}\0${policy.type}`) ?? [];
      const good = mine.filter((m) => isLive(m, nowMs, stuckAfterMs));
      if (good.length > 1) dedupe.push(...findDuplicates(memo, policy, volume.id, good));
      const keeper = keeperOf(good.filter((m) => contains(win, m.anchorMs)));
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
  return { now, entries, dedupe, groups: groupCreates(entries), issues };
}

/** Duplicates in every window of one volume + policy (good snapshots only). */
function findDuplicates(
  memo: WindowMemo,
  policy: Policy,
  volumeId: string,
  good: ManagedSnapshot[],
): DedupeAction[] {
  const sorted = [...good].sort((a, b) => a.anchorMs - b.anchorMs || oldestFirst(a, b));
  const out: DedupeAction[] = [];
  let i = 0;
  while (i < sorted.length) {
    const w = memo.at(policy, sorted[i]!.anchorMs);
    let j = i + 1;
    while (j < sorted.length && contains(w, sorted[j]!.anchorMs)) j++;
    if (j - i > 1) {
      // Raced runs stamp the same window start. Snapshots stamped with different starts were taken
      // for different windows of an earlier schedule (say every 6 h, now every 12 h): not
      // duplicates. Go-made ones carry no stamp and are placed by created_at, as before.
      const byStamp = new Map<number | undefined, ManagedSnapshot[]>();
      for (const m of sorted.slice(i, j)) {
        const key = m.stamp.windowStart?.epochMilliseconds;
        const list = byStamp.get(key);
        if (list) list.push(m);
        else byStamp.set(key, [m]);
      }
      for (const members of byStamp.values()) {
        if (members.length < 2) continue;
        const keeper = keeperOf(members)!;
        for (const m of members) {
          if (m === keeper || m.snapshot.status !== "available") continue;
          out.push({
            snapshotId: m.snapshot.id,
            volumeId,
            policy: policy.type,
            windowStart: w.window.start.toInstant(),
            keepId: keeper.snapshot.id,
            reason: `Duplicate of ${keeper.snapshot.id} in window ${w.label}`,
          });
        }
      }
    }
    i = j;
  }
  return out;
}

function groupCreates(entries: CreateEntry[]): CreateGroup[] {
  const servers = new Map<string, CreateEntry[]>();
  const lane: CreateEntry[] = [];
  for (const e of entries) {
    if (e.action !== "create") continue;
    if (e.serverId === null) lane.push(e);
    else {
      const list = servers.get(e.serverId);
      if (list) list.push(e);
      else servers.set(e.serverId, [e]);
    }
  }
  const groups: CreateGroup[] = [...servers.keys()].sort().map((serverId) => ({
    key: `server:${serverId}`,
    kind: "server" as const,
    serverId,
    entries: servers.get(serverId)!,
  }));
  if (lane.length > 0) groups.push({ key: "lane", kind: "lane", serverId: null, entries: lane });
  return groups;
}

/** What `expire-snapshots` does with one managed snapshot. */
export type ExpireAction = "expire" | "keep" | "zombie";

/** One managed snapshot of the expire plan. */
export interface ExpireEntry {
  snapshotId: string;
  volumeId: string;
  policy?: PolicyType;
  status: string;
  createdAt: Temporal.Instant;
  expiresAt?: Temporal.Instant;
  action: ExpireAction;
  /** Zombies only: true when a plain delete is refused (stuck `creating`, `error_deleting`). */
  force: boolean;
  reason: string;
}

/** A managed snapshot that needs a human: its expiry is missing or unreadable. */
export interface SnapshotIssue {
  snapshotId: string;
  volumeId: string;
  message: string;
}

/** The plan of `expire-snapshots`. */
export interface ExpirePlan {
  now: Temporal.Instant;
  /** One per managed snapshot, sorted by volume id, then created_at, then id. */
  entries: ExpireEntry[];
  issues: SnapshotIssue[];
  /** Snapshots without `x-snapsentry-managed=true`: never touched, only counted. */
  unmanaged: number;
}

/**
 * Plans `expire-snapshots` over managed snapshots only (`x-snapsentry-managed=true`):
 * - `deleting`: kept (already going);
 * - `error`: `zombie` (plain delete); `error_deleting`, or `creating` for `stuckAfterMs` or more:
 *   `zombie` with `force: true`; a younger `creating` one is kept;
 * - other non-`available` statuses: kept with the reason;
 * - `available`: `expire` once `now >= expiresAt`, unless the min-keep guard holds: while the
 *   volume exists, is subscribed and the policy is enabled, the newest available snapshot of that
 *   policy is kept until a newer available one exists;
 * - a missing or unreadable expiry: kept and reported in `issues`.
 */
export function planExpire(input: PlanInput): ExpirePlan {
  const { now } = input;
  const stuckAfterMs = input.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
  const { all } = indexManaged(input.snapshots);
  const unmanaged = input.snapshots.length - all.length;
  const volumes = new Map(input.volumes.map((v) => [v.id, v]));
  const nowMs = now.epochMilliseconds;
  // Expiries repeat (one per window), so their text is formatted once.
  const utcText = new Map<number, string>();
  const fmt = (t: Temporal.Instant) => {
    const ms = t.epochMilliseconds;
    let text = utcText.get(ms);
    if (text === undefined) utcText.set(ms, text = formatUtc(t));
    return text;
  };

  // The snapshot the min-keep guard keeps per volume + policy: in the newest window, the one the
  // create planner keeps when it removes duplicates (the oldest available one), so an expire run
  // and a concurrent create run's duplicate delete never remove both halves of a raced pair.
  const newest = new Map<string, ManagedSnapshot>();
  const available = new Map<string, ManagedSnapshot[]>();
  for (const m of all) {
    if (m.snapshot.status !== "available" || !m.stamp.policy) continue;
    const key = `${m.snapshot.volumeId}\0${m.stamp.policy}`;
    const list = available.get(key);
    if (list) list.push(m);
    else available.set(key, [m]);
    const cur = newest.get(key);
    if (
      !cur || cur.anchorMs < m.anchorMs || (cur.anchorMs === m.anchorMs && oldestFirst(m, cur) < 0)
    ) {
      newest.set(key, m);
    }
  }
  // Unstamped (Go-made) snapshots are placed by created_at: duplicates of one window have
  // different anchors, so find the window with the volume's policy and keep its oldest.
  const memo = new WindowMemo();
  for (const [key, m] of newest) {
    if (m.stamp.windowStart) continue;
    const v = volumes.get(m.snapshot.volumeId);
    const policy = v && parseVolumePolicies(v).policies.find((p) => p.type === m.stamp.policy);
    if (!policy) continue;
    const w = memo.at(policy, m.anchorMs);
    const keeper = keeperOf(
      available.get(key)!.filter((x) => !x.stamp.windowStart && contains(w, x.anchorMs)),
    );
    if (keeper) newest.set(key, keeper);
  }
  const guarded = (m: ManagedSnapshot): boolean => {
    if (!m.stamp.policy) return false;
    const v = volumes.get(m.snapshot.volumeId);
    if (!v || !isSubscribed(v) || !isPolicyEnabled(v.metadata, m.stamp.policy)) return false;
    return newest.get(`${m.snapshot.volumeId}\0${m.stamp.policy}`) === m;
  };

  const entries: ExpireEntry[] = [];
  const issues: SnapshotIssue[] = [];
  for (const m of all) {
    const s = m.snapshot;
    const e: ExpireEntry = {
      snapshotId: s.id,
      volumeId: s.volumeId,
      ...(m.stamp.policy ? { policy: m.stamp.policy } : {}),
      status: s.status,
      createdAt: m.stamp.createdAt,
      ...(m.stamp.expiresAt ? { expiresAt: m.stamp.expiresAt } : {}),
      action: "keep",
      force: false,
      reason: "",
    };
    const ageMs = nowMs - m.createdMs;
    switch (s.status) {
      case "deleting":
        e.reason = "Already being deleted";
        break;
      case "error":
        e.action = "zombie";
        e.reason = "Snapshot is in error; deleting it";
        break;
      case "error_deleting":
        e.action = "zombie";
        e.force = true;
        e.reason = "Snapshot is in error_deleting; force-deleting it";
        break;
      case "creating":
        if (ageMs >= stuckAfterMs) {
          e.action = "zombie";
          e.force = true;
          e.reason = `Snapshot stuck in creating for ${formatAge(ageMs / 1000)} (limit ${
            formatAge(stuckAfterMs / 1000)
          }); force-deleting it`;
        } else e.reason = "Still creating";
        break;
      case "available":
        if (!m.stamp.expiresAt) {
          e.reason = m.stamp.expiryError!;
          issues.push({ snapshotId: s.id, volumeId: s.volumeId, message: m.stamp.expiryError! });
        } else if (cmpInstant(now, m.stamp.expiresAt) < 0) {
          e.reason = `Expires at ${fmt(m.stamp.expiresAt)}`;
        } else if (guarded(m)) {
          e.reason = `Expired at ${
            fmt(m.stamp.expiresAt)
          } but kept by the min-keep guard: newest available ${m.stamp.policy} snapshot of volume ${s.volumeId}`;
        } else {
          e.action = "expire";
          e.reason = `Expired at ${fmt(m.stamp.expiresAt)}`;
        }
        break;
      default:
        e.reason = `Status "${s.status}"; only available snapshots expire`;
    }
    entries.push(e);
  }
  const createdMs = new Map(all.map((m) => [m.snapshot.id, m.createdMs]));
  entries.sort((a, b) =>
    (a.volumeId < b.volumeId ? -1 : a.volumeId > b.volumeId ? 1 : 0) ||
    createdMs.get(a.snapshotId)! - createdMs.get(b.snapshotId)! ||
    (a.snapshotId < b.snapshotId ? -1 : a.snapshotId > b.snapshotId ? 1 : 0)
  );
  return { now, entries, issues, unmanaged };
}

/** Freshness verdict of one volume + policy. */
export type Verdict = "OK" | "DUE" | "LATE" | "INVALID";

/** Nagios plugin exit codes: OK, WARNING, CRITICAL, UNKNOWN. */
export type NagiosCode = 0 | 1 | 2 | 3;

/** Age thresholds (seconds) of the newest available snapshot. */
export interface AgeThreshold {
  warnSeconds?: number;
  critSeconds?: number;
}

/** Input of {@link planStatus}: thresholds per policy type, or `all` for every policy. */
export interface StatusInput extends PlanInput {
  thresholds?: Partial<Record<PolicyType | "all", AgeThreshold>>;
}

/** One volume + policy of the status report. */
export interface StatusEntry {
  volumeId: string;
  volumeName: string;
  serverId: string | null;
  policy: PolicyType;
  /** `daily 08:00 Asia/Kolkata, keep 7 d`; null when invalid. */
  description: string | null;
  config?: Policy;
  /** Newest `available` managed snapshot of this policy. */
  newest: { snapshotId: string; createdAt: Temporal.Instant; ageSeconds: number } | null;
  window: Window | null;
  nextWindow: Window | null;
  /** Nominal window length, null when invalid. */
  intervalSeconds: number | null;
  verdict: Verdict;
  reason: string;
  /** This entry's Nagios code (see {@link planStatus}). */
  nagios: NagiosCode;
  issues?: PolicyIssue[];
}

/** The status report. */
export interface StatusReport {
  now: Temporal.Instant;
  entries: StatusEntry[];
  counts: Record<Verdict, number>;
  /** Overall Nagios code: CRITICAL if any, else WARNING if any, else UNKNOWN if any, else OK. */
  nagios: NagiosCode;
}

/**
 * Status per subscribed volume and policy. Verdicts:
 * - OK: the current window holds a good (`available` or `creating`) managed snapshot;
 * - DUE: it does not yet, but the previous window does, or the policy has never had a snapshot
 *   (a new subscription): the next run will create one;
 * - LATE: neither the current nor the previous window holds one although older snapshots exist:
 *   at least one whole window was missed;
 * - INVALID: the policy has bad values.
 *
 * Nagios code per entry: INVALID is UNKNOWN (3). Otherwise the worse of the verdict (LATE is
 * WARNING, OK and DUE are OK) and the age thresholds: the age of the newest available snapshot
 * (infinite when there is none) at or above `critSeconds` is CRITICAL, at or above `warnSeconds`
 * WARNING. Thresholds for a policy type override `all`.
 */
export function planStatus(input: StatusInput): StatusReport {
  const { now } = input;
  const nowMs = now.epochMilliseconds;
  const stuckAfterMs = input.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
  const memo = new WindowMemo();
  const { byVolumePolicy } = indexManaged(input.snapshots);
  const entries: StatusEntry[] = [];
  for (const volume of input.volumes) {
    if (!isSubscribed(volume)) continue;
    const parsed = parseVolumePolicies(volume);
    const placement = placementOf(volume);
    const base = {
      volumeId: volume.id,
      volumeName: volumeLabel(volume),
      serverId: placement.kind === "server" ? placement.serverId : null,
    };
    for (const type of parsed.invalid) {
      const own = parsed.errors.filter((e) => e.policy === type);
      entries.push({
        ...base,
        policy: type,
        description: null,
        newest: null,
        window: null,
        nextWindow: null,
        intervalSeconds: null,
        verdict: "INVALID",
        reason: own.map((e) => e.message).join("; "),
        nagios: 3,
        issues: own,
      });
    }
    for (const policy of parsed.policies) {
      const win = memo.at(policy, nowMs);
      const prev = memo.previous(policy, win);
      const window = win.window;
      const mine = byVolumePolicy.get(`${volume.id}\0${policy.type}`) ?? [];
      const good = mine.filter((m) => isLive(m, nowMs, stuckAfterMs));
      let newestAvailable: ManagedSnapshot | undefined;
      for (const m of good) {
        if (m.snapshot.status !== "available") continue;
        if (!newestAvailable || oldestFirst(newestAvailable, m) < 0) newestAvailable = m;
      }
      const current = keeperOf(good.filter((m) => contains(win, m.anchorMs)));
      const previous = keeperOf(good.filter((m) => contains(prev, m.anchorMs)));
      let verdict: Verdict;
      let reason: string;
      if (current) {
        verdict = "OK";
        reason = `Window ${win.label} has snapshot ${current.snapshot.id}`;
      } else if (previous) {
        verdict = "DUE";
        reason =
          `No snapshot yet for window ${win.label}; the previous window has ${previous.snapshot.id}`;
      } else if (mine.length === 0) {
        verdict = "DUE";
        reason = `No snapshot yet; the next run creates one for window ${win.label}`;
      } else {
        verdict = "LATE";
        reason = `No snapshot for window ${win.label} nor for the previous one, ${prev.label}`;
      }
      const ageSeconds = newestAvailable
        ? Number(now.epochNanoseconds - newestAvailable.stamp.createdAt.epochNanoseconds) / 1e9
        : Infinity;
      const threshold = input.thresholds?.[policy.type] ?? input.thresholds?.all;
      let nagios: NagiosCode = verdict === "LATE" ? 1 : 0;
      if (threshold?.critSeconds !== undefined && ageSeconds >= threshold.critSeconds) {
        nagios = 2;
        reason += `; newest available snapshot is ${
          Number.isFinite(ageSeconds) ? formatAge(ageSeconds) : "missing"
        } old (critical at ${formatAge(threshold.critSeconds)})`;
      } else if (threshold?.warnSeconds !== undefined && ageSeconds >= threshold.warnSeconds) {
        nagios = 1;
        reason += `; newest available snapshot is ${
          Number.isFinite(ageSeconds) ? formatAge(ageSeconds) : "missing"
        } old (warning at ${formatAge(threshold.warnSeconds)})`;
      }
      entries.push({
        ...base,
        policy: policy.type,
        description: describePolicy(policy),
        config: policy,
        newest: newestAvailable
          ? {
            snapshotId: newestAvailable.snapshot.id,
            createdAt: newestAvailable.stamp.createdAt,
            ageSeconds,
          }
          : null,
        window,
        nextWindow: memo.next(policy, win).window,
        intervalSeconds: intervalSeconds(policy),
        verdict,
        reason,
        nagios,
      });
    }
  }
  entries.sort(byIdThenPolicy);
  const counts: Record<Verdict, number> = { OK: 0, DUE: 0, LATE: 0, INVALID: 0 };
  for (const e of entries) counts[e.verdict]++;
  const codes = new Set(entries.map((e) => e.nagios));
  const nagios: NagiosCode = codes.has(2) ? 2 : codes.has(1) ? 1 : codes.has(3) ? 3 : 0;
  return { now, entries, counts, nagios };
}

/** `90061` → `1d 1h 1m`; under a minute gives seconds. */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds)) return "∞";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : ""].filter(Boolean).join(" ") ||
    "0m";
}

const AGE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Parses an age threshold such as `90m`, `25h`, `8d`, `2w` or `3600s` (a bare number is seconds)
 * into seconds. Throws RangeError with the expected forms.
 */
export function parseAgeSeconds(value: string, what = "age"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$/i.exec(value);
  if (!m || Number(m[1]) <= 0) {
    throw new RangeError(
      `Cannot parse ${what} "${value}": expected a positive age such as 90m, 25h, 8d or 2w`,
    );
  }
  return Number(m[1]) * AGE_UNITS[(m[2] || "s").toLowerCase()]!;
}

/** Quotas to compare a forecast with (Cinder limits; -1 or absent means unlimited). */
export interface ForecastQuota {
  /** `snapshots` limit. */
  snapshots?: number;
  /** `gigabytes` limit (Cinder counts volumes and snapshots together by default). */
  gigabytes?: number;
  /** Snapshots that count against the limit but are not snapsentry's. */
  otherSnapshots?: number;
  /** Gigabytes in use by volumes and by snapshots that are not snapsentry's. */
  otherGigabytes?: number;
}

/** Input of {@link forecast}. */
export interface ForecastInput {
  now: Temporal.Instant;
  volumes: readonly { id: string; name?: string; size: number; metadata: Record<string, string> }[];
  /** Horizon in days: the peak over the windows starting in `[now, now + days]`. */
  days: number;
  quota?: ForecastQuota;
}

/** Forecast of one volume. */
export interface ForecastVolume {
  volumeId: string;
  volumeName: string;
  sizeGb: number;
  policies: { policy: PolicyType; snapshots: number }[];
  snapshots: number;
  gigabytes: number;
}

/** Steady-state forecast of what the current policies hold. */
export interface Forecast {
  days: number;
  volumes: ForecastVolume[];
  totalSnapshots: number;
  totalGigabytes: number;
  /** Clear warnings when the forecast would not fit the quotas. */
  warnings: string[];
}

// Beyond this many windows per retention period the count is estimated arithmetically.
const MAX_SIMULATED_WINDOWS = 4000;

/**
 * How many snapshots of `policy` exist at once in steady state over the horizon: the peak, over
 * every window starting in `[now, now + days]`, of the windows `s` with `s <= t < s + retention`
 * (snapshots created at their window start, deleted at expiry). An expire run that lags creation
 * can briefly hold one more.
 */
export function steadyStateCount(policy: Policy, now: Temporal.Instant, days: number): number {
  const estimate = Math.ceil((policy.retentionDays * 86400) / intervalSeconds(policy));
  if (estimate > MAX_SIMULATED_WINDOWS) return estimate;
  const zone = policy.timezone;
  const horizonEnd = now.toZonedDateTimeISO(zone).add({ days: Math.max(0, days) }).toInstant();
  const from = now.toZonedDateTimeISO(zone).subtract({ days: policy.retentionDays }).toInstant();
  const starts: Temporal.Instant[] = [];
  let w = windowAt(policy, from);
  while (cmpInstant(w.start.toInstant(), horizonEnd) <= 0) {
    starts.push(w.start.toInstant());
    w = nextWindow(policy, w);
  }
  const expiries = starts.map((s) =>
    s.toZonedDateTimeISO(zone).add({ days: policy.retentionDays }).toInstant()
  );
  const currentStart = windowAt(policy, now).start.toInstant();
  let peak = 0;
  for (let i = 0; i < starts.length; i++) {
    const t = starts[i]!;
    if (cmpInstant(t, currentStart) < 0) continue; // only windows current at or after now
    let alive = 0;
    for (let j = i; j >= 0; j--) if (cmpInstant(t, expiries[j]!) < 0) alive++;
    peak = Math.max(peak, alive);
  }
  return Math.max(peak, 1);
}

/**
 * Forecasts the snapshot count and gigabytes the subscribed volumes' enabled policies hold (Cinder
 * charges a full volume size per snapshot by default), per volume and in total, and compares them
 * with the quotas.
 */
export function forecast(input: ForecastInput): Forecast {
  const cache = new Map<string, number>();
  const volumes: ForecastVolume[] = [];
  for (const v of input.volumes) {
    if (!isSubscribed(v)) continue;
    const { policies } = parseVolumePolicies(v);
    const per = policies.map((p) => {
      const key = JSON.stringify(p);
      let n = cache.get(key);
      if (n === undefined) {
        n = steadyStateCount(p, input.now, input.days);
        cache.set(key, n);
      }
      return { policy: p.type, snapshots: n };
    });
    const snapshots = per.reduce((a, p) => a + p.snapshots, 0);
    volumes.push({
      volumeId: v.id,
      volumeName: v.name ?? "",
      sizeGb: v.size,
      policies: per,
      snapshots,
      gigabytes: snapshots * v.size,
    });
  }
  volumes.sort((a, b) => (a.volumeId < b.volumeId ? -1 : a.volumeId > b.volumeId ? 1 : 0));
  const totalSnapshots = volumes.reduce((a, v) => a + v.snapshots, 0);
  const totalGigabytes = volumes.reduce((a, v) => a + v.gigabytes, 0);
  const warnings: string[] = [];
  const q = input.quota;
  if (q?.snapshots !== undefined && q.snapshots >= 0) {
    const need = totalSnapshots + (q.otherSnapshots ?? 0);
    if (need > q.snapshots) {
      warnings.push(
        `Snapshot quota too small: the policies hold ${totalSnapshots} snapshots${
          q.otherSnapshots ? ` and ${q.otherSnapshots} others exist` : ""
        }, ${need} in all, but the project allows ${q.snapshots}; raise the snapshots quota or shorten retention`,
      );
    }
  }
  if (q?.gigabytes !== undefined && q.gigabytes >= 0) {
    const need = totalGigabytes + (q.otherGigabytes ?? 0);
    if (need > q.gigabytes) {
      warnings.push(
        `Gigabytes quota too small: the policies hold ${totalGigabytes} GB of snapshots${
          q.otherGigabytes ? ` on top of ${q.otherGigabytes} GB of volumes and other snapshots` : ""
        }, ${need} GB in all, but the project allows ${q.gigabytes} GB; raise the gigabytes quota or shorten retention`,
      );
    }
  }
  return { days: input.days, volumes, totalSnapshots, totalGigabytes, warnings };
}
