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

/** Decimal integer only: `08` is 8; `0x10`, `1_000`, `1.5` and `` are rejected. */
function parseDecimal(value: string, what: string, expected: string): number {
  const v = value.trim();
  if (!DECIMAL_RE.test(v)) throw new PolicyValueError(what, value, expected);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new PolicyValueError(what, value, expected);
  return n;
}

/**
 * Parses retention days for `type`: empty or `0` gives the policy default (daily 2, weekly 7,
 * monthly 30, express 1) as in the Go tool; a negative value is an error (Go silently used the
 * default), and so is more than {@link MAX_RETENTION_DAYS}.
 */
export function parseRetentionDays(
  value: string,
  type: PolicyType,
  what = "retention days",
): number {
  const def = DEFAULT_RETENTION_DAYS[type];
  if (value.trim() === "") return def;
  const expected =
    `a whole number of days from 1 to ${MAX_RETENTION_DAYS} (0 or empty means the ${type} default, ${def})`;
  const n = parseDecimal(value, what, expected);
  if (n < 0 || n > MAX_RETENTION_DAYS) throw new PolicyValueError(what, value, expected);
  return n === 0 ? def : n;
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

/** Parses a day of the month 1..31; empty gives 1. Out of range is an error (Go clamped silently). */
export function parseMonthDay(value: string, what = "day of month"): number {
  if (value.trim() === "") return 1;
  const n = parseDecimal(value, what, MONTH_DAY_EXPECTED);
  if (n < 1 || n > 31) throw new PolicyValueError(what, value, MONTH_DAY_EXPECTED);
  return n;
}

const INTERVAL_EXPECTED = "6, 8 or 12 (hours; 0 or empty means 6)";

/** Parses the express interval: 6, 8 or 12; empty or 0 gives 6 (as Go). */
export function parseIntervalHours(value: string, what = "interval hours"): ExpressIntervalHours {
  if (value.trim() === "") return DEFAULT_INTERVAL_HOURS;
  const n = parseDecimal(value, what, INTERVAL_EXPECTED);
  if (n === 0) return DEFAULT_INTERVAL_HOURS;
  if (n === 6 || n === 8 || n === 12) return n;
  throw new PolicyValueError(what, value, INTERVAL_EXPECTED);
}

/** Checks a policy type name (`daily` …), case-insensitively. */
export function parsePolicyType(value: string, what = "policy"): PolicyType {
  const v = value.trim().toLowerCase();
  if ((POLICY_TYPES as readonly string[]).includes(v)) return v as PolicyType;
  throw new PolicyValueError(what, value, "express, daily, weekly or monthly");
}
