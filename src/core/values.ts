/**
 * The value grammars shared by volume metadata and command-line flags: booleans, decimal integers,
 * start times, weekdays, days of the month, express intervals, retention days, time zones and
 * policy type names. Each parser is strict and throws {@link PolicyValueError} (a RangeError)
 * naming what it parsed, the value and what was expected; policy reading turns that into a
 * per-field issue, the CLI into a usage error.
 *
 * @module
 */

import { POLICY_TYPES, type PolicyType } from "./naming.ts";

/** A local wall-clock time of day in the policy zone (seconds are dropped, as Go did). */
export interface StartTime {
  hour: number;
  minute: number;
}

/** ISO weekday as Temporal numbers it: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Express slot lengths the Go tool allowed. */
export type ExpressIntervalHours = 6 | 8 | 12;

/** Retention used when the key is empty, missing or `0`, as in the Go tool (go-compatibility.md, Volume keys). */
export const DEFAULT_RETENTION_DAYS: Readonly<Record<PolicyType, number>> = {
  express: 1,
  daily: 2,
  weekly: 7,
  monthly: 30,
};

/** Upper bound for retention (100 years): beyond it a value is surely a typo. */
export const MAX_RETENTION_DAYS = 36_500;

/** Express interval used when the key is empty, missing or `0`. */
export const DEFAULT_INTERVAL_HOURS: ExpressIntervalHours = 6;

const WEEKDAY_NAMES: Record<IsoWeekday, string> = {
  1: "monday",
  2: "tuesday",
  3: "wednesday",
  4: "thursday",
  5: "friday",
  6: "saturday",
  7: "sunday",
};

/** A value that does not parse; a RangeError, as std throws for bad arguments. */
export class PolicyValueError extends RangeError {
  /** What was being parsed, e.g. `start time` or a metadata key. */
  readonly what: string;
  readonly value: string;
  readonly expected: string;
  constructor(what: string, value: string, expected: string) {
    super(`Cannot parse ${what} "${value}": expected ${expected}`);
    this.name = "PolicyValueError";
    this.what = what;
    this.value = value;
    this.expected = expected;
  }
}

const START_TIME_EXPECTED = "HH:MM (00:00–23:59)";
const START_TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Parses `H:MM`, `HH:MM` or `HH:MM:SS` (seconds are dropped, as Go did); hour 0–23, minute 0–59.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { parseStartTime } from "./values.ts";
 * assertEquals(parseStartTime("8:05"), { hour: 8, minute: 5 });
 * ```
 */
export function parseStartTime(value: string, what = "start time"): StartTime {
  const m = START_TIME_RE.exec(value.trim());
  if (m) {
    const hour = Number(m[1]);
    const minute = Number(m[2]);
    const second = m[3] === undefined ? 0 : Number(m[3]);
    if (hour <= 23 && minute <= 59 && second <= 59) return { hour, minute };
  }
  throw new PolicyValueError(what, value, START_TIME_EXPECTED);
}

/** `HH:MM`, zero-padded, as the Go tool stored start times. */
export function formatStartTime(t: StartTime): string {
  return `${String(t.hour).padStart(2, "0")}:${String(t.minute).padStart(2, "0")}`;
}

const BOOL_EXPECTED = "true or false (also t/f, 1/0, yes/no or on/off, in any case)";
const TRUE_WORDS: ReadonlySet<string> = new Set(["true", "t", "1", "yes", "on"]);
const FALSE_WORDS: ReadonlySet<string> = new Set(["false", "f", "0", "no", "off"]);

/**
 * The one boolean grammar (metadata, flags and clouds.yaml): `true/false`, `t/f`, `1/0` (Go's
 * strconv forms), and `yes/no`, `on/off` (YAML 1.1 and openstacksdk's forms), case-insensitive.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { parseBool } from "./values.ts";
 * assertEquals([parseBool("True"), parseBool("0"), parseBool("on")], [true, false, true]);
 * ```
 */
export function parseBool(value: string, what = "boolean"): boolean {
  const v = value.trim().toLowerCase();
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  throw new PolicyValueError(what, value, BOOL_EXPECTED);
}

const DECIMAL_RE = /^[+-]?\d+$/;

/**
 * Receives a value that the Go tool accepted and snapsentry reads the way Go did, although it is
 * not what snapsentry would write: `used` is what it was read as, `how` says why (for a warning).
 * Metadata reading passes one; flags do not, and such values are refused there.
 */
export type GoValueNote = (used: number, how: string) => void;

// Go's integer literals as strconv.ParseInt(s, 0, …) reads them: 0x/0o/0b prefixes, a leading 0
// for octal, underscores between digits.
const GO_INT_RE =
  /^([+-]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[bB]((?:_?[01])+)|0[oO]((?:_?[0-7])+)|0((?:_?[0-7])+)|([1-9](?:_?\d)*))$/;

/** A Go integer literal's value, or undefined when Go would not read it either. */
function goInt(v: string): number | undefined {
  const m = GO_INT_RE.exec(v);
  if (!m) return undefined;
  const [, sign, hex, bin, oct, leadingOct, dec] = m;
  const digits = (hex ?? bin ?? oct ?? leadingOct ?? dec)!.replaceAll("_", "");
  const radix = hex ? 16 : bin ? 2 : oct || leadingOct ? 8 : 10;
  const n = parseInt(digits, radix);
  return sign === "-" ? -n : n;
}

/**
 * A decimal integer: `08` is 8; `0x10`, `1_000`, `1.5` and `` are refused, unless `note` is given
 * and Go read the value (`0x1E` is 30, `1_0` is 10, `010` is 8 as Go's octal): then it is read as
 * Go read it and noted.
 */
function parseDecimal(value: string, what: string, expected: string, note?: GoValueNote): number {
  const v = value.trim();
  if (note) {
    const g = goInt(v);
    const decimal = DECIMAL_RE.test(v) ? Number(v) : undefined;
    if (g !== undefined && g !== decimal && Number.isSafeInteger(g)) {
      note(g, `"${v}" is a Go integer literal (read as ${g}, as SnapSentry-Go read it)`);
      return g;
    }
  }
  if (!DECIMAL_RE.test(v)) throw new PolicyValueError(what, value, expected);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new PolicyValueError(what, value, expected);
  return n;
}

/**
 * Parses retention days for `type`: empty or `0` gives the policy default (daily 2, weekly 7,
 * monthly 30, express 1) as in the Go tool. A negative value, or more than
 * {@link MAX_RETENTION_DAYS}, is an error; with `note` (metadata the Go tool may have read), a
 * negative value is the default and a larger one the maximum, as Go kept them, and is noted.
 */
export function parseRetentionDays(
  value: string,
  type: PolicyType,
  what = "retention days",
  note?: GoValueNote,
): number {
  const def = DEFAULT_RETENTION_DAYS[type];
  if (value.trim() === "") return def;
  const expected =
    `a whole number of days from 1 to ${MAX_RETENTION_DAYS} (0 or empty means the ${type} default, ${def})`;
  const n = parseDecimal(value, what, expected, note);
  if (note && n < 0) {
    note(def, `a negative retention means the ${type} default (${def}) to SnapSentry-Go`);
    return def;
  }
  if (note && n > MAX_RETENTION_DAYS) {
    note(MAX_RETENTION_DAYS, `kept for ${MAX_RETENTION_DAYS} days, the most snapsentry keeps`);
    return MAX_RETENTION_DAYS;
  }
  if (n < 0 || n > MAX_RETENTION_DAYS) throw new PolicyValueError(what, value, expected);
  return n === 0 ? def : n;
}

/** Most snapshots a count-based retention keeps per volume and policy. */
export const MAX_RETENTION_COUNT = 1000;

/**
 * Parses a retention count (`x-snapsentry-<policy>-retention-count`, `--retention-count`): a
 * whole number of snapshots from 1 to {@link MAX_RETENTION_COUNT}. Empty or `0` means no count
 * (undefined): retention is by days alone.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { parseRetentionCount } from "./values.ts";
 * assertEquals([parseRetentionCount("7"), parseRetentionCount("")], [7, undefined]);
 * ```
 */
export function parseRetentionCount(value: string, what = "retention count"): number | undefined {
  if (value.trim() === "") return undefined;
  const expected =
    `a whole number of snapshots from 1 to ${MAX_RETENTION_COUNT} (0 or empty means no count)`;
  const n = parseDecimal(value, what, expected);
  if (n < 0 || n > MAX_RETENTION_COUNT) throw new PolicyValueError(what, value, expected);
  return n === 0 ? undefined : n;
}

const ZONE_EXPECTED = "an IANA time zone such as Europe/Berlin or UTC";

/**
 * Validates an IANA time zone and returns Temporal's spelling of it (`asia/kolkata` gives
 * `Asia/Kolkata`). Empty gives `UTC` (Go's default). `Local` (the host zone in Go) and UTC offsets
 * such as `+05:30` are rejected: a policy's windows must not depend on where snapsentry runs.
 */
export function parseTimezone(value: string, what = "time zone"): string {
  const v = value.trim();
  if (v === "") return "UTC";
  if (v.toLowerCase() === "local") {
    throw new PolicyValueError(
      what,
      value,
      `${ZONE_EXPECTED} ("Local" would be the host's zone, which snapsentry never uses)`,
    );
  }
  // Temporal also accepts offsets ("+05:30") and full ISO strings as time zones; IANA names only.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(v)) {
    throw new PolicyValueError(what, value, ZONE_EXPECTED);
  }
  let id = zoneIds.get(v);
  if (id === undefined) {
    try {
      id = Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(v).timeZoneId;
    } catch {
      id = null;
    }
    if (zoneIds.size >= 1000) zoneIds.clear();
    zoneIds.set(v, id);
  }
  if (id === null) throw new PolicyValueError(what, value, ZONE_EXPECTED);
  return id;
}

// Zone names validated so far (a few distinct zones across thousands of volumes); null = invalid.
const zoneIds = new Map<string, string | null>();

const WEEKDAY_EXPECTED =
  "a weekday such as sunday, Sun or 0 (full or three-letter English names in any case, or 0–7 where 0 and 7 are Sunday)";

const WEEKDAY_TOKENS: ReadonlyMap<string, IsoWeekday> = (() => {
  const m = new Map<string, IsoWeekday>();
  for (const [n, name] of Object.entries(WEEKDAY_NAMES)) {
    const d = Number(n) as IsoWeekday;
    m.set(name, d);
    m.set(name.slice(0, 3), d);
    m.set(String(d % 7), d); // Go numbered 0 = Sunday … 6 = Saturday
  }
  m.set("7", 7); // cron's other Sunday
  // Common unambiguous longer abbreviations (Go rejected "Thurs"; we accept it).
  m.set("tues", 2);
  m.set("weds", 3);
  m.set("thur", 4);
  m.set("thurs", 4);
  return m;
})();

/**
 * Parses a weekday case-insensitively: full name (`Sunday`), three letters (`sun`), `tues`,
 * `thur`/`thurs`, or a number 0–7 (0 = Sunday as in Go, 7 = Sunday as in cron). Empty gives Sunday.
 * Returns the ISO weekday (1 = Monday … 7 = Sunday).
 */
export function parseWeekday(value: string, what = "weekday"): IsoWeekday {
  const v = value.trim().toLowerCase();
  if (v === "") return 7;
  const d = WEEKDAY_TOKENS.get(v);
  if (d === undefined) throw new PolicyValueError(what, value, WEEKDAY_EXPECTED);
  return d;
}

/** Lower-case full English name of an ISO weekday, as the Go CLI stored it (`sunday`). */
export function weekdayName(day: IsoWeekday): string {
  return WEEKDAY_NAMES[day];
}

const MONTH_DAY_EXPECTED =
  "a day of the month from 1 to 31 (29–31 mean the last day of shorter months)";

/**
 * Parses a day of the month 1..31; empty gives 1. Out of range is an error; with `note`, it is
 * clamped to 1 or 31 as the Go tool clamped it, and noted.
 */
export function parseMonthDay(value: string, what = "day of month", note?: GoValueNote): number {
  if (value.trim() === "") return 1;
  const n = parseDecimal(value, what, MONTH_DAY_EXPECTED, note);
  if (note && (n < 1 || n > 31)) {
    const used = n < 1 ? 1 : 31;
    note(used, `SnapSentry-Go clamped days of the month to 1–31 (read as ${used})`);
    return used;
  }
  if (n < 1 || n > 31) throw new PolicyValueError(what, value, MONTH_DAY_EXPECTED);
  return n;
}

const INTERVAL_EXPECTED = "6, 8 or 12 (hours; 0 or empty means 6)";

/**
 * Parses the express interval: 6, 8 or 12; empty or 0 gives 6 (as Go). With `note`, a negative
 * value is 6 as Go read it (≤ 0 meant the default), and noted; 5 or 24 stay errors (Go refused
 * them too).
 */
export function parseIntervalHours(
  value: string,
  what = "interval hours",
  note?: GoValueNote,
): ExpressIntervalHours {
  if (value.trim() === "") return DEFAULT_INTERVAL_HOURS;
  const n = parseDecimal(value, what, INTERVAL_EXPECTED, note);
  if (n === 0) return DEFAULT_INTERVAL_HOURS;
  if (note && n < 0) {
    note(DEFAULT_INTERVAL_HOURS, "a negative interval means 6 hours to SnapSentry-Go");
    return DEFAULT_INTERVAL_HOURS;
  }
  if (n === 6 || n === 8 || n === 12) return n;
  throw new PolicyValueError(what, value, INTERVAL_EXPECTED);
}

/** Checks a policy type name (`daily` …), case-insensitively. */
export function parsePolicyType(value: string, what = "policy"): PolicyType {
  const v = value.trim().toLowerCase();
  if ((POLICY_TYPES as readonly string[]).includes(v)) return v as PolicyType;
  throw new PolicyValueError(what, value, "express, daily, weekly or monthly");
}
