/**
 * Status verdicts per subscribed volume and policy (OK, CREATING, DUE, LATE, INVALID) with the age of the
 * newest good snapshot and Nagios codes for `status --warn/--crit`.
 *
 * @module
 */

import {
  byIdThenPolicy,
  indexManaged,
  isLive,
  keeperOf,
  type ManagedSnapshot,
  oldestFirst,
  volumePolicyKey,
} from "./_snapshots.ts";
import { formatAge } from "./duration.ts";
import type { PolicyType } from "./naming.ts";
import {
  describePolicy,
  isSubscribed,
  parseVolumePolicies,
  type Policy,
  type PolicyIssue,
  type PolicyWarning,
} from "./policy.ts";
import { placementOf } from "./plan_create.ts";
import { holdLapsed, isHeld } from "./retention.ts";
import { DEFAULT_STUCK_AFTER_MS, type PlanInput } from "./types.ts";
import { intervalSeconds, memoContains, type Window, WindowMemo } from "./window.ts";

/** Freshness verdict of one volume + policy. */
export type Verdict = "OK" | "CREATING" | "DUE" | "LATE" | "INVALID";

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
  /** Managed snapshots of this volume and policy that a hold protects now. */
  held: number;
  /** This entry's Nagios code (see {@link planStatus}). */
  nagios: NagiosCode;
  issues?: PolicyIssue[];
  /** This policy's values read the way the Go tool read them (its verdict stands). */
  warnings?: PolicyWarning[];
}

/** A managed snapshot with a hold (active, or lapsed and not yet cleared by an expire run). */
export interface HeldSnapshot {
  snapshotId: string;
  volumeId: string;
  policy?: PolicyType;
  status: string;
  until?: Temporal.Instant;
  reason?: string;
  /** The hold's end has passed: it protects nothing any more. */
  lapsed: boolean;
}

/** The status report. */
export interface StatusReport {
  now: Temporal.Instant;
  entries: StatusEntry[];
  /** Every managed snapshot with a hold, by volume id then snapshot id. */
  held: HeldSnapshot[];
  /** Values read the way the Go tool read them, of every entry (see `StatusEntry.warnings`). */
  warnings: PolicyWarning[];
  counts: Record<Verdict, number>;
  /** Overall Nagios code: CRITICAL if any, else WARNING if any, else UNKNOWN if any, else OK. */
  nagios: NagiosCode;
}

/**
 * Status per subscribed volume and policy. Verdicts:
 * - OK: the current window holds an `available` managed snapshot;
 * - CREATING: the current window's only snapshot is still `creating` (younger than
 *   `stuckAfterMs`; older ones are zombies and count for nothing);
 * - DUE: it does not yet, but the previous window does, or the policy has never had a snapshot
 *   (a new subscription): the next run will create one;
 * - LATE: neither the current nor the previous window holds one although older snapshots exist:
 *   at least one whole window was missed;
 * - INVALID: the policy has bad values.
 *
 * Nagios code per entry: INVALID is UNKNOWN (3). Otherwise the worse of the verdict (LATE is
 * WARNING; OK, CREATING and DUE are OK) and the age thresholds: the age of the newest available snapshot
 * (infinite when there is none) at or above `critSeconds` is CRITICAL, at or above `warnSeconds`
 * WARNING. Thresholds for a policy type override `all`.
 */
export function planStatus(input: StatusInput): StatusReport {
  const { now } = input;
  const nowMs = now.epochMilliseconds;
  const stuckAfterMs = input.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
  const memo = new WindowMemo();
  const { all, byVolumePolicy } = indexManaged(input.snapshots);
  const entries: StatusEntry[] = [];
  const held: HeldSnapshot[] = [];
  for (const m of all) {
    const h = m.stamp.hold;
    if (!h || m.snapshot.status === "deleting") continue;
    held.push({
      snapshotId: m.snapshot.id,
      volumeId: m.snapshot.volumeId,
      ...(m.stamp.policy ? { policy: m.stamp.policy } : {}),
      status: m.snapshot.status,
      ...(h.until ? { until: h.until } : {}),
      ...(h.reason ? { reason: h.reason } : {}),
      lapsed: holdLapsed(m.stamp, now),
    });
  }
  held.sort((a, b) =>
    a.volumeId < b.volumeId
      ? -1
      : a.volumeId > b.volumeId
      ? 1
      : a.snapshotId < b.snapshotId
      ? -1
      : a.snapshotId > b.snapshotId
      ? 1
      : 0
  );
  for (const volume of input.volumes) {
    if (!isSubscribed(volume)) continue;
    const parsed = parseVolumePolicies(volume);
    const placement = placementOf(volume);
    const base = {
      volumeId: volume.id,
      volumeName: volume.name ?? "",
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
        held: (byVolumePolicy.get(volumePolicyKey(volume.id, type)) ?? [])
          .filter((m) => isHeld(m.stamp, now)).length,
        nagios: 3,
        issues: own,
      });
    }
    for (const policy of parsed.policies) {
      const noted = parsed.warnings.filter((w) => w.policy === policy.type);
      const win = memo.at(policy, nowMs);
      const prev = memo.previous(policy, win);
      const window = win.window;
      const mine = byVolumePolicy.get(volumePolicyKey(volume.id, policy.type)) ?? [];
      const good = mine.filter((m) => isLive(m, nowMs, stuckAfterMs));
      let newestAvailable: ManagedSnapshot | undefined;
      for (const m of good) {
        if (m.snapshot.status !== "available") continue;
        if (!newestAvailable || oldestFirst(newestAvailable, m) < 0) newestAvailable = m;
      }
      const current = keeperOf(good.filter((m) => memoContains(win, m.anchorMs)));
      const previous = keeperOf(good.filter((m) => memoContains(prev, m.anchorMs)));
      let verdict: Verdict;
      let reason: string;
      if (current?.snapshot.status === "available") {
        verdict = "OK";
        reason = `Window ${win.label} has snapshot ${current.snapshot.id}`;
      } else if (current) {
        verdict = "CREATING";
        reason = `Window ${win.label} has snapshot ${current.snapshot.id}, creating for ${
          formatAge((nowMs - current.createdMs) / 1000)
        }`;
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
        held: mine.filter((m) => isHeld(m.stamp, now)).length,
        nagios,
        ...(noted.length > 0 ? { warnings: noted } : {}),
      });
    }
  }
  entries.sort(byIdThenPolicy);
  const counts: Record<Verdict, number> = { OK: 0, CREATING: 0, DUE: 0, LATE: 0, INVALID: 0 };
  for (const e of entries) counts[e.verdict]++;
  const codes = new Set(entries.map((e) => e.nagios));
  const nagios: NagiosCode = codes.has(2) ? 2 : codes.has(1) ? 1 : codes.has(3) ? 3 : 0;
  const warnings = entries.flatMap((e) => e.warnings ?? []);
  return { now, entries, held, warnings, counts, nagios };
}
