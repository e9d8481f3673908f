/**
 * A model of SnapSentry-Go's create and expire workflows, to produce exactly the history it
 * leaves behind (go-compatibility.md; the reference's §3 and §4): its windows built with Go's
 * `time.Date` (a wall time in a DST gap moves by the zone's own rule: forwards east of UTC,
 * backwards west of it; absolute 24 h / 168 h / N h durations), its "only the newest available
 * snapshot counts" check, its skip when `now` falls outside the computed window (fall-back days),
 * its names, description and metadata keys, and its expiry (window start + retention calendar
 * days, wall clock kept).
 *
 * Time is epoch milliseconds; Temporal is used only to find each zone's offset periods, so a
 * year of a daemon ticking every 10 minutes runs in well under a second.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A zone's UTC offsets over a span of time, as Go's `Location.lookup` sees them. */
export class GoZone {
  readonly name: string;
  /** Period starts (ms) with their offsets (ms); the first period starts at -Infinity. */
  readonly #starts: number[] = [-Infinity];
  readonly #offsets: number[] = [];

  constructor(name: string, fromMs: number, toMs: number) {
    this.name = name;
    let z = Temporal.Instant.fromEpochMilliseconds(fromMs).toZonedDateTimeISO(name);
    this.#offsets.push(z.offsetNanoseconds / 1e6);
    for (;;) {
      const next = z.getTimeZoneTransition("next");
      if (!next || next.epochMilliseconds > toMs) break;
      this.#starts.push(next.epochMilliseconds);
      this.#offsets.push(next.offsetNanoseconds / 1e6);
      z = next;
    }
  }

  /** The offset period holding instant `ms`: its offset and bounds. */
  period(ms: number): { offset: number; start: number; end: number } {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= ms) lo = mid;
      else hi = mid - 1;
    }
    return {
      offset: this.#offsets[lo]!,
      start: this.#starts[lo]!,
      end: this.#starts[lo + 1] ?? Infinity,
    };
  }

  offsetAt(ms: number): number {
    return this.period(ms).offset;
  }

  /** Go's `time.Date(y, m, d, hh, mm, 0, 0, loc)` (month and day may overflow, as in Go). */
  date(y: number, m: number, d: number, hh: number, mm: number): number {
    const wall = Date.UTC(y, m - 1, d, hh, mm);
    const p = this.period(wall);
    let offset = p.offset;
    const utc = wall - offset;
    if (utc < p.start || utc >= p.end) offset = this.offsetAt(utc);
    return wall - offset;
  }

  /** The local calendar fields of instant `ms`. */
  local(ms: number): { y: number; m: number; d: number; hh: number; mm: number; day: number } {
    const wall = ms + this.offsetAt(ms);
    const t = new Date(wall);
    return {
      y: t.getUTCFullYear(),
      m: t.getUTCMonth() + 1,
      d: t.getUTCDate(),
      hh: t.getUTCHours(),
      mm: t.getUTCMinutes(),
      day: Math.floor(wall / DAY),
    };
  }

  /** RFC 3339 with the zone's offset (`Z` for a zero offset), as Go formats names. */
  rfc3339(ms: number): string {
    const offset = this.offsetAt(ms);
    const wall = new Date(ms + offset).toISOString().slice(0, 19);
    if (offset === 0) return `${wall}Z`;
    const sign = offset < 0 ? "-" : "+";
    const abs = Math.abs(offset) / MINUTE;
    const hh = String(Math.floor(abs / 60)).padStart(2, "0");
    const mm = String(abs % 60).padStart(2, "0");
    return `${wall}${sign}${hh}:${mm}`;
  }
}

export type GoPolicyType = "daily" | "weekly" | "monthly" | "express";

export interface GoPolicy {
  type: GoPolicyType;
  zone: GoZone;
  /** Start time (daily, weekly, monthly). */
  hh: number;
  mm: number;
  /** Weekly: 0 = Sunday … 6 = Saturday. */
  weekday?: number;
  /** Monthly: the day Go reads (the start-day key; the CLI's key is never read: day 1). */
  day?: number;
  /** Express: 6, 8 or 12; may change over time (see `GoVolume.intervalFrom`). */
  intervalHours?: number;
  retentionDays: number;
}

export interface GoVolume {
  id: string;
  policies: GoPolicy[];
  /** Express only: from this instant on, the interval is this many hours (a metadata change). */
  intervalChange?: { atMs: number; hours: number };
}

export interface GoSnapshot {
  id: string;
  volumeId: string;
  policy: GoPolicyType;
  name: string;
  createdMs: number;
  windowStartMs: number;
  expiryMs: number;
  metadata: Record<string, string>;
  deleted: boolean;
}

const rfcUtc = (ms: number) => new Date(ms).toISOString().slice(0, 19) + "Z";

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Go's window at `now`: `[start, end)`, or null when `now` falls outside it (a DST edge). */
export function goWindow(
  p: GoPolicy,
  now: number,
  intervalHours = p.intervalHours ?? 6,
): { start: number; end: number } | null {
  const z = p.zone;
  const l = z.local(now);
  let P: number;
  let D: number;
  switch (p.type) {
    case "daily":
      P = z.date(l.y, l.m, l.d, p.hh, p.mm);
      D = DAY;
      break;
    case "weekly": {
      const today = ((l.day % 7) + 4 + 7) % 7; // 1970-01-01 was a Thursday (4)
      const shift = (p.weekday ?? 0) - today;
      P = z.date(l.y, l.m, l.d + shift, p.hh, p.mm);
      D = 7 * DAY;
      break;
    }
    case "monthly": {
      const day = Math.min(Math.max(p.day ?? 1, 1), 31);
      const at = (y: number, m: number) => {
        const norm = new Date(Date.UTC(y, m - 1, 1));
        const ny = norm.getUTCFullYear();
        const nm = norm.getUTCMonth() + 1;
        return z.date(ny, nm, Math.min(day, daysInMonth(ny, nm)), p.hh, p.mm);
      };
      const thisTarget = at(l.y, l.m);
      const win = now < thisTarget
        ? { start: at(l.y, l.m - 1), end: thisTarget }
        : { start: thisTarget, end: at(l.y, l.m + 1) };
      return win.start <= now && now < win.end ? win : null;
    }
    case "express": {
      const slot = Math.floor(l.hh / intervalHours) * intervalHours;
      P = z.date(l.y, l.m, l.d, 0, 0) + slot * HOUR;
      D = intervalHours * HOUR;
      break;
    }
  }
  const start = now < P ? P - D : P;
  const end = start + D;
  return start <= now && now < end ? { start, end } : null;
}

/** Go's expiry: the window start plus the retention in calendar days, wall clock kept. */
export function goExpiry(p: GoPolicy, windowStartMs: number): number {
  const l = p.zone.local(windowStartMs);
  return p.zone.date(l.y, l.m, l.d + p.retentionDays, l.hh, l.mm);
}

/** The volume metadata Go's CLI writes for these policies (its keys, its values). */
export function goVolumeMetadata(v: GoVolume, atMs = -Infinity): Record<string, string> {
  const md: Record<string, string> = { "x-snapsentry-managed": "true" };
  const days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
  for (const p of v.policies) {
    const k = `x-snapsentry-${p.type}`;
    md[`${k}-enabled`] = "true";
    md[`${k}-retention-days`] = String(p.retentionDays);
    md[`${k}-retention-type`] = p.type === "weekly" || p.type === "monthly" ? "count" : "time";
    md[`${k}-timezone`] = p.zone.name;
    const hhmm = `${String(p.hh).padStart(2, "0")}:${String(p.mm).padStart(2, "0")}`;
    if (p.type !== "express") md[`${k}-start-time`] = hhmm;
    if (p.type === "weekly") md[`${k}-start-day-of-week`] = days[p.weekday ?? 0]!;
    if (p.type === "monthly" && p.day !== undefined) md[`${k}-start-day-of-month`] = String(p.day);
    if (p.type === "express") {
      const change = v.intervalChange;
      md[`${k}-interval-hours`] = String(
        change && atMs >= change.atMs ? change.hours : p.intervalHours ?? 6,
      );
    }
  }
  return md;
}

export interface GoDaemonOptions {
  fromMs: number;
  toMs: number;
  /** `--create-schedule` as a tick period (default `*\/10 * * * *`). */
  createEveryMs?: number;
  /** `--expire-schedule` as a tick period (default `0 *\/6 * * *`). */
  expireEveryMs?: number;
  /** Spans when the daemon was down: no tick runs. */
  outages?: { fromMs: number; toMs: number }[];
  /** One-shot `create-snapshots` runs (a restart, a timer): the catch-up pair's first half. */
  extraRuns?: number[];
  /** Creates Go retried after the POST was accepted: both snapshots live on. */
  retriedCreates?: { volumeId: string; policy: GoPolicyType; atRunMs: number }[];
}

/** Runs Go's daemon over the span and returns every snapshot it made (deleted ones marked). */
export function runGoDaemon(volumes: GoVolume[], options: GoDaemonOptions): GoSnapshot[] {
  const every = options.createEveryMs ?? 10 * MINUTE;
  const expireEvery = options.expireEveryMs ?? 6 * HOUR;
  const down = (t: number) => (options.outages ?? []).some((o) => o.fromMs <= t && t < o.toMs);
  const snapshots: GoSnapshot[] = [];
  const newest = new Map<string, GoSnapshot>();
  let seq = 0;
  const retried = new Set(
    (options.retriedCreates ?? []).map((r) => `${r.volumeId}\0${r.policy}\0${r.atRunMs}`),
  );

  const create = (t: number) => {
    for (const v of volumes) {
      for (const p of v.policies) {
        const interval = v.intervalChange && t >= v.intervalChange.atMs
          ? v.intervalChange.hours
          : p.intervalHours;
        const win = goWindow(p, t, interval);
        if (!win) continue; // "Current time … is outside the active window"
        const key = `${v.id}\0${p.type}`;
        let last = newest.get(key);
        if (last?.deleted) {
          // Its newest expired: Go's check finds the newest one still listed.
          last = snapshots.filter((s) => !s.deleted && s.volumeId === v.id && s.policy === p.type)
            .at(-1);
        }
        if (last && last.createdMs >= win.start && last.createdMs < win.end) continue;
        const copies = retried.has(`${v.id}\0${p.type}\0${t}`) ? 2 : 1;
        for (let c = 0; c < copies; c++) {
          const createdMs = t + 2000 + c * 3000;
          const expiryMs = goExpiry(p, win.start);
          const s: GoSnapshot = {
            id: `go-${String(++seq).padStart(6, "0")}`,
            volumeId: v.id,
            policy: p.type,
            name: `managed-${p.type}-${v.id}-${p.zone.rfc3339(win.start)}`,
            createdMs,
            windowStartMs: win.start,
            expiryMs,
            metadata: {
              "x-snapsentry-managed": "true",
              "x-snapsentry-snapshot-expiry-date": rfcUtc(expiryMs),
              "x-snapsentry-snapshot-expiry-date-user-tz": p.zone.rfc3339(expiryMs),
              "x-snapsentry-snapshot-policy-type": p.type,
              "x-snapsentry-snapshot-retention-days": String(p.retentionDays),
            },
            deleted: false,
          };
          snapshots.push(s);
          newest.set(key, s);
        }
      }
    }
  };
  const expire = (t: number) => {
    for (const s of snapshots) if (!s.deleted && t >= s.expiryMs) s.deleted = true;
  };

  const runs = new Set(options.extraRuns ?? []);
  const first = Math.ceil(options.fromMs / every) * every;
  for (let t = first; t < options.toMs; t += every) if (!down(t)) runs.add(t);
  const expiries: number[] = [];
  for (let t = Math.ceil(options.fromMs / expireEvery) * expireEvery; t < options.toMs;) {
    if (!down(t)) expiries.push(t);
    t += expireEvery;
  }
  const events = [
    ...[...runs].map((t) => ({ t, kind: "create" as const })),
    ...expiries.map((t) => ({ t, kind: "expire" as const })),
  ].sort((a, b) => a.t - b.t || (a.kind === "expire" ? -1 : 1));
  for (const e of events) (e.kind === "create" ? create : expire)(e.t);
  return snapshots;
}

export { DAY, HOUR, MINUTE };
