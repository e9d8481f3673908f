/**
 * The steady-state forecast: how many snapshots and gigabytes the current policies hold at once,
 * per volume and in total, compared with the project's Cinder quotas (`plan --days N`).
 *
 * @module
 */

import { cmpInstant } from "./_snapshots.ts";
import type { PolicyType } from "./naming.ts";
import { isSubscribed, parseVolumePolicies, type Policy } from "./policy.ts";
import { parseSnapshotStamp } from "./retention.ts";
import { intervalSeconds, nextWindow, windowAt } from "./window.ts";

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
 * can briefly hold one more. A retention count caps it; with a count only, it is the count.
 */
export function steadyStateCount(policy: Policy, now: Temporal.Instant, days: number): number {
  // A count caps what the days hold (both: past the days OR beyond the count); count only: the
  // count is what is held.
  if (policy.countOnly) return policy.retentionCount!;
  const byDays = steadyStateByDays(policy, now, days);
  return policy.retentionCount === undefined ? byDays : Math.min(byDays, policy.retentionCount);
}

function steadyStateByDays(policy: Policy, now: Temporal.Instant, days: number): number {
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

/** Snapshots and gigabytes of the managed snapshots in a listing (what snapsentry's side uses). */
export interface ManagedUsage {
  snapshots: number;
  gigabytes: number;
}

/**
 * Counts the managed snapshots of a listing that may hold any snapshot of the project (the
 * observation is unfiltered), so a quota's use can be split into the policies' part and the rest.
 */
export function managedUsage(
  snapshots: readonly {
    id: string;
    size: number;
    metadata: Record<string, string>;
    createdAt: Temporal.Instant;
  }[],
): ManagedUsage {
  let count = 0;
  let gigabytes = 0;
  for (const s of snapshots) {
    if (!parseSnapshotStamp(s).managed) continue;
    count++;
    gigabytes += s.size;
  }
  return { snapshots: count, gigabytes };
}

/** A quota's limit and use (Cinder's `limit`, -1 = unlimited, and `in_use`). */
export interface QuotaFigure {
  limit: number;
  inUse: number;
}

/**
 * What the project needs of a quota in steady state: the policies' forecast plus what is in use
 * but not managed by them (other snapshots; for gigabytes also the volumes). This is the figure
 * {@link forecast}'s warnings compare with the limit.
 */
export function quotaNeed(forecastTotal: number, quota: QuotaFigure, managed: number): number {
  return forecastTotal + Math.max(0, quota.inUse - managed);
}
