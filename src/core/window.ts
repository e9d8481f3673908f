/**
 * Policy windows. Each policy cuts time into windows that tile it with no gap and no overlap, in
 * local wall-clock time of the policy zone: daily `[D@HH:MM, D+1@HH:MM)`, weekly from the most
 * recent weekday@HH:MM, monthly from day N@HH:MM (clamped to the month's length) to the next
 * month's, express slots starting at local 00/06/12/18 (00/08/16, 00/12). A boundary's wall time
 * that does not exist (spring-forward gap) or exists twice (fall-back) is resolved with Temporal's
 * `compatible` disambiguation, as RFC 5545 does: moved forward by the gap's length, or the earlier
 * instant. This fixes the Go tool's 1-hour gaps and overlaps on DST days (go-compatibility.md, Windows).
 *
 * Windows are computed from a sequence of boundary instants B(k), non-decreasing in k; the window
 * containing `now` is `[last B <= now, first B > now)`. Because next and previous windows are found
 * the same way, tiling holds by construction, even when a zone skips a whole day.
 *
 * @module
 */

import { formatRfc3339 } from "./naming.ts";
import type { Policy } from "./policy.ts";
import type { StartTime } from "./values.ts";

/** A policy window `[start, end)`, both in the policy zone. */
export interface Window {
  start: Temporal.ZonedDateTime;
  end: Temporal.ZonedDateTime;
}

/** A boundary index: a local date plus, for express, a slot number within that date. */
interface Cursor {
  date: Temporal.PlainDate;
  slot: number;
}

function atTime(
  date: Temporal.PlainDate,
  t: StartTime,
  timeZone: string,
): Temporal.ZonedDateTime {
  return date.toZonedDateTime({
    timeZone,
    plainTime: new Temporal.PlainTime(t.hour, t.minute),
  });
}

function monthBoundaryDate(ym: Temporal.PlainYearMonth, dayOfMonth: number): Temporal.PlainDate {
  return ym.toPlainDate({ day: Math.min(dayOfMonth, ym.daysInMonth) });
}

/** The boundary at cursor `c`. */
function boundary(policy: Policy, c: Cursor): Temporal.ZonedDateTime {
  switch (policy.type) {
    case "express":
      return atTime(c.date, { hour: c.slot * policy.intervalHours, minute: 0 }, policy.timezone);
    case "daily":
    case "weekly":
      return atTime(c.date, policy.startTime, policy.timezone);
    case "monthly":
      return atTime(
        monthBoundaryDate(c.date.toPlainYearMonth(), policy.dayOfMonth),
        policy.startTime,
        policy.timezone,
      );
  }
}

/** The cursor `steps` boundaries after `c` (negative: before). */
function step(policy: Policy, c: Cursor, steps: number): Cursor {
  switch (policy.type) {
    case "express": {
      const perDay = 24 / policy.intervalHours;
      const total = c.slot + steps;
      const days = Math.floor(total / perDay);
      return { date: c.date.add({ days }), slot: total - days * perDay };
    }
    case "daily":
      return { date: c.date.add({ days: steps }), slot: 0 };
    case "weekly":
      return { date: c.date.add({ days: 7 * steps }), slot: 0 };
    case "monthly": {
      // Keep the cursor on day 1 so month steps never clamp.
      const ym = c.date.toPlainYearMonth().add({ months: steps });
      return { date: ym.toPlainDate({ day: 1 }), slot: 0 };
    }
  }
}

/** A cursor whose boundary is near `local` (within one step), before correction. */
function guess(policy: Policy, local: Temporal.ZonedDateTime): Cursor {
  const date = local.toPlainDate();
  switch (policy.type) {
    case "express":
      return { date, slot: Math.floor(local.hour / policy.intervalHours) };
    case "daily":
      return { date, slot: 0 };
    case "weekly": {
      const back = (date.dayOfWeek - policy.dayOfWeek + 7) % 7;
      return { date: date.subtract({ days: back }), slot: 0 };
    }
    case "monthly":
      return { date: date.with({ day: 1 }), slot: 0 };
  }
}

// A handful of steps always suffices (at most one for ordinary zones, two when a zone skipped a
// whole day); the bound only guards against an infinite loop on impossible data.
const MAX_STEPS = 8;

/**
 * The window of `policy` that contains `now`: `start <= now < end`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { windowAt } from "./window.ts";
 * const w = windowAt(
 *   { type: "daily", enabled: true, retentionDays: 2, timezone: "Asia/Kolkata", startTime: { hour: 8, minute: 0 } },
 *   Temporal.Instant.from("2026-03-10T01:00:00Z"), // 06:30 in Kolkata: before today's 08:00
 * );
 * assertEquals(w.start.toString(), "2026-03-09T08:00:00+05:30[Asia/Kolkata]");
 * assertEquals(w.end.toString(), "2026-03-10T08:00:00+05:30[Asia/Kolkata]");
 * ```
 */
export function windowAt(policy: Policy, now: Temporal.Instant): Window {
  const nowNs = now.epochNanoseconds;
  let c = guess(policy, now.toZonedDateTimeISO(policy.timezone));
  let start = boundary(policy, c);
  for (let i = 0; start.epochNanoseconds > nowNs; i++) {
    if (i >= MAX_STEPS) throw new RangeError(`Cannot find the window of ${now} for ${policy.type}`);
    c = step(policy, c, -1);
    start = boundary(policy, c);
  }
  let next = step(policy, c, 1);
  let end = boundary(policy, next);
  for (let i = 0; end.epochNanoseconds <= nowNs; i++) {
    if (i >= MAX_STEPS) throw new RangeError(`Cannot find the window of ${now} for ${policy.type}`);
    c = next;
    start = end;
    next = step(policy, c, 1);
    end = boundary(policy, next);
  }
  return { start, end };
}

/** The window right after `window` (its start is `window.end`). */
export function nextWindow(policy: Policy, window: Window): Window {
  return windowAt(policy, window.end.toInstant());
}

/** The window right before `window` (its end is `window.start`). */
export function previousWindow(policy: Policy, window: Window): Window {
  return windowAt(policy, window.start.toInstant().subtract({ nanoseconds: 1 }));
}

/** True when `t` lies in `[window.start, window.end)`. */
export function windowContains(window: Window, t: Temporal.Instant): boolean {
  const ns = t.epochNanoseconds;
  return window.start.epochNanoseconds <= ns && ns < window.end.epochNanoseconds;
}

/**
 * The nominal window length in seconds (for metrics and forecasts): express its interval, daily
 * 86,400, weekly 604,800, monthly 30 days. Real windows differ on DST days and by month length.
 */
export function intervalSeconds(policy: Policy): number {
  switch (policy.type) {
    case "express":
      return policy.intervalHours * 3600;
    case "daily":
      return 86_400;
    case "weekly":
      return 7 * 86_400;
    case "monthly":
      return 30 * 86_400;
  }
}

/**
 * What makes two policies cut time into the same windows: the type, the zone and the boundary
 * fields, never the retention. Policies of many volumes that share this key share their windows,
 * which is what {@link WindowMemo} caches on.
 */
export function windowKey(p: Policy): string {
  switch (p.type) {
    case "express":
      return `express|${p.timezone}|${p.intervalHours}`;
    case "daily":
      return `daily|${p.timezone}|${p.startTime.hour}:${p.startTime.minute}`;
    case "weekly":
      return `weekly|${p.timezone}|${p.startTime.hour}:${p.startTime.minute}|${p.dayOfWeek}`;
    case "monthly":
      return `monthly|${p.timezone}|${p.startTime.hour}:${p.startTime.minute}|${p.dayOfMonth}`;
  }
}

/** A window with its bounds in epoch ms (boundaries are whole minutes, so ms compares exactly). */
export interface MemoWindow {
  window: Window;
  startMs: number;
  endMs: number;
  /** `start – end`, RFC 3339 in the policy zone, for reasons. */
  label: string;
}

/** True when the epoch-ms instant `ms` lies in `[w.start, w.end)`. */
export function memoContains(w: MemoWindow, ms: number): boolean {
  return w.startMs <= ms && ms < w.endMs;
}

/**
 * Windows memoised for one planning call: volumes usually share a handful of policies, so most
 * lookups hit a window already computed for another volume.
 */
export class WindowMemo {
  #byKey = new Map<string, MemoWindow[]>();
  #keys = new WeakMap<Policy, string>();

  #key(p: Policy): string {
    let key = this.#keys.get(p);
    if (key === undefined) this.#keys.set(p, key = windowKey(p));
    return key;
  }

  /** The window of `policy` containing the instant `ms` (epoch milliseconds). */
  at(policy: Policy, ms: number): MemoWindow {
    const key = this.#key(policy);
    let list = this.#byKey.get(key);
    if (!list) this.#byKey.set(key, list = []);
    for (let i = list.length - 1; i >= 0; i--) if (memoContains(list[i]!, ms)) return list[i]!;
    const window = windowAt(policy, Temporal.Instant.fromEpochMilliseconds(ms));
    const w: MemoWindow = {
      window,
      startMs: window.start.epochMilliseconds,
      endMs: window.end.epochMilliseconds,
      label: `${formatRfc3339(window.start)} – ${formatRfc3339(window.end)}`,
    };
    list.push(w);
    if (list.length > 256) list.shift();
    return w;
  }

  /** The window right before `w`. */
  previous(policy: Policy, w: MemoWindow): MemoWindow {
    return this.at(policy, w.startMs - 1);
  }

  /** The window right after `w`. */
  next(policy: Policy, w: MemoWindow): MemoWindow {
    return this.at(policy, w.endMs);
  }
}
