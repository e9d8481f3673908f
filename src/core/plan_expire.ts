/**
 * The expire planner: what `expire-snapshots` does with each managed snapshot (expire, keep, or
 * clean up as a zombie), with the min-keep guard that never deletes the newest good snapshot of a
 * policy that is still in force, count-based retention (`retention-count`), and holds (a held
 * snapshot is never deleted; a lapsed hold is reported so the run can clear it).
 *
 * @module
 */

import {
  cmpInstant,
  indexManaged,
  keeperOf,
  type ManagedSnapshot,
  oldestFirst,
  volumePolicyKey,
} from "./_snapshots.ts";
import { formatAge } from "./duration.ts";
import { formatUtc, type PolicyType, VOLUME_KEYS } from "./naming.ts";
import {
  isPolicyEnabled,
  isSubscribed,
  parseVolumePolicies,
  type Policy,
  type VolumePolicies,
} from "./policy.ts";
import { holdLapsed, isHeld, type SnapshotStamp } from "./retention.ts";
import { DEFAULT_STUCK_AFTER_MS, type PlanInput } from "./types.ts";
import { memoContains, WindowMemo } from "./window.ts";

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
  /** The retention days stamped on the snapshot, when readable. */
  retentionDays?: number;
  action: ExpireAction;
  /** Zombies only: true when a plain delete is refused (stuck `creating`, `error_deleting`). */
  force: boolean;
  /** Why an `expire` goes: its expiry passed, or it is beyond its policy's retention count. */
  cause?: "expiry" | "count";
  /** True while a hold protects the snapshot (it is kept, whatever its state). */
  held?: boolean;
  reason: string;
}

/** A hold whose end has passed: it protects nothing now, and is reported once. */
export interface LapsedHold {
  snapshotId: string;
  volumeId: string;
  until: Temporal.Instant;
  reason?: string;
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
  /** Holds that have lapsed at `now` (the run reports each and marks it, so once only). */
  lapsedHolds: LapsedHold[];
  /** Snapshots without `x-snapsentry-managed=true`: never touched, only counted. */
  unmanaged: number;
}

/** "Held until 2026-03-01T00:00:00Z (before the upgrade)", for reasons. */
export function describeHold(stamp: Pick<SnapshotStamp, "hold">): string {
  const h = stamp.hold;
  if (!h) return "Not held";
  const end = h.until ? `until ${formatUtc(h.until)}` : "with no end";
  return `Held ${end}${h.reason ? ` (${h.reason})` : ""}`;
}

/**
 * Plans `expire-snapshots` over managed snapshots only (`x-snapsentry-managed=true`):
 * - `deleting`: kept (already going);
 * - `error`: `zombie` (plain delete); `error_deleting`, or `creating` for `stuckAfterMs` or more:
 *   `zombie` with `force: true` when snapsentry stamped it (its window key); kept when it did
 *   not (the Go tool's, or another tool's: an available one goes by its own expiry only);
 *   a younger `creating` one is kept;
 * - other non-`available` statuses: kept with the reason;
 * - `available`: `expire` once `now >= expiresAt` (cause `expiry`), or when the volume's policy
 *   has a retention count and the snapshot is not among the newest N available snapshots of that
 *   volume and policy that are not held (cause `count`); with a count and no retention days the
 *   expiry is not used (count only). Either way the min-keep guard holds: while the volume exists,
 *   is subscribed and the policy is enabled, the newest available snapshot of that policy is kept
 *   until a newer available one exists;
 * - a missing or unreadable expiry: kept and reported in `issues`;
 * - held (any status): kept; a hold that has lapsed holds nothing and is listed in `lapsedHolds`.
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
    const key = volumePolicyKey(m.snapshot.volumeId, m.stamp.policy);
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
      available.get(key)!.filter((x) => !x.stamp.windowStart && memoContains(w, x.anchorMs)),
    );
    if (keeper) newest.set(key, keeper);
  }
  const guarded = (m: ManagedSnapshot): boolean => {
    if (!m.stamp.policy) return false;
    const v = volumes.get(m.snapshot.volumeId);
    if (!v || !isSubscribed(v) || !isPolicyEnabled(v.metadata, m.stamp.policy)) return false;
    return newest.get(volumePolicyKey(m.snapshot.volumeId, m.stamp.policy)) === m;
  };

  // Count retention: per volume and policy with a count, the available snapshots that are not
  // held, newest window first (the guard's pick first within a window); those past the count go.
  const parsed = new Map<string, VolumePolicies | null>();
  const policyOf = (volumeId: string, type: PolicyType): Policy | undefined => {
    if (!parsed.has(volumeId)) {
      const v = volumes.get(volumeId);
      parsed.set(volumeId, v && isSubscribed(v) ? parseVolumePolicies(v) : null);
    }
    return parsed.get(volumeId)?.policies.find((p) => p.type === type);
  };
  const rank = new Map<ManagedSnapshot, { index: number; count: number; policy: Policy }>();
  for (const [key, list] of available) {
    const first = list[0]!;
    const policy = policyOf(first.snapshot.volumeId, first.stamp.policy!);
    if (policy?.retentionCount === undefined) continue;
    const counted = list.filter((m) => !isHeld(m.stamp, now)).sort((a, b) =>
      b.anchorMs - a.anchorMs || oldestFirst(a, b)
    );
    const keeper = newest.get(key);
    if (keeper && counted.includes(keeper)) {
      counted.splice(counted.indexOf(keeper), 1);
      counted.unshift(keeper);
    }
    counted.forEach((m, index) => rank.set(m, { index, count: policy.retentionCount!, policy }));
  }
  const countKey = (p: Policy) => `${VOLUME_KEYS[p.type].retentionCount}=${p.retentionCount}`;

  const entries: ExpireEntry[] = [];
  const issues: SnapshotIssue[] = [];
  const lapsedHolds: LapsedHold[] = [];
  for (const m of all) {
    const s = m.snapshot;
    const e: ExpireEntry = {
      snapshotId: s.id,
      volumeId: s.volumeId,
      ...(m.stamp.policy ? { policy: m.stamp.policy } : {}),
      status: s.status,
      createdAt: m.stamp.createdAt,
      ...(m.stamp.expiresAt ? { expiresAt: m.stamp.expiresAt } : {}),
      ...(m.stamp.retentionDays !== undefined ? { retentionDays: m.stamp.retentionDays } : {}),
      action: "keep",
      force: false,
      reason: "",
    };
    const ageMs = nowMs - m.createdMs;
    // Made by snapsentry (stamped with its window, or taken on demand): only then is a stuck one
    // ours to force.
    const ours = m.stamp.windowStart !== undefined || m.stamp.onDemand;
    if (m.stamp.hold?.untilError) {
      issues.push({ snapshotId: s.id, volumeId: s.volumeId, message: m.stamp.hold.untilError });
    }
    if (isHeld(m.stamp, now)) {
      e.held = true;
      e.reason = `${describeHold(m.stamp)}: never deleted while held`;
      entries.push(e);
      continue;
    }
    if (holdLapsed(m.stamp, now) && s.status !== "deleting") {
      lapsedHolds.push({
        snapshotId: s.id,
        volumeId: s.volumeId,
        until: m.stamp.hold!.until!,
        ...(m.stamp.hold!.reason ? { reason: m.stamp.hold!.reason } : {}),
      });
    }
    const ranked = rank.get(m);
    const beyondCount = ranked !== undefined && ranked.index >= ranked.count;
    const countOnly = ranked?.policy.countOnly === true;
    const guardText = () =>
      `kept by the min-keep guard: newest available ${m.stamp.policy} snapshot of volume ${s.volumeId}`;
    switch (s.status) {
      case "deleting":
        e.reason = "Already being deleted";
        break;
      case "error":
        e.action = "zombie";
        e.reason = "Snapshot is in error; deleting it";
        break;
      case "error_deleting":
        if (!ours) {
          e.reason = "In error_deleting, but not stamped by snapsentry: left to its owner";
          break;
        }
        e.action = "zombie";
        e.force = true;
        e.reason = "Snapshot is in error_deleting; force-deleting it";
        break;
      case "creating":
        if (ageMs >= stuckAfterMs && !ours) {
          e.reason = `Creating for ${
            formatAge(ageMs / 1000)
          }, but not stamped by snapsentry: left to its owner`;
        } else if (ageMs >= stuckAfterMs) {
          e.action = "zombie";
          e.force = true;
          e.reason = `Snapshot stuck in creating for ${formatAge(ageMs / 1000)} (limit ${
            formatAge(stuckAfterMs / 1000)
          }); force-deleting it`;
        } else e.reason = "Still creating";
        break;
      case "available": {
        const countText = ranked
          ? `${countOnly ? "count only: " : ""}#${
            ranked.index + 1
          } of the newest ${ranked.count} ` +
            `(${countKey(ranked.policy)})`
          : "";
        if (!m.stamp.expiresAt) {
          e.reason = m.stamp.expiryError!;
          issues.push({ snapshotId: s.id, volumeId: s.volumeId, message: m.stamp.expiryError! });
        } else if (!countOnly && cmpInstant(now, m.stamp.expiresAt) >= 0) {
          if (guarded(m)) e.reason = `Expired at ${fmt(m.stamp.expiresAt)} but ${guardText()}`;
          else {
            e.action = "expire";
            e.cause = "expiry";
            e.reason = `Expired at ${fmt(m.stamp.expiresAt)}`;
          }
        } else if (beyondCount) {
          const text = `Beyond the newest ${ranked.count} available ${m.stamp.policy} snapshots ` +
            `of volume ${s.volumeId} (${countKey(ranked.policy)}): #${ranked.index + 1}`;
          if (guarded(m)) e.reason = `${text}, but ${guardText()}`;
          else {
            e.action = "expire";
            e.cause = "count";
            e.reason = text;
          }
        } else if (countOnly) {
          e.reason = `Kept by count, ${countText}`;
        } else {
          e.reason = `Expires at ${fmt(m.stamp.expiresAt)}${countText ? `; ${countText}` : ""}`;
        }
        break;
      }
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
  return { now, entries, issues, lapsedHolds, unmanaged };
}
