/**
 * Snapshot policies: their types, how they are read from and written to Cinder volume metadata,
 * and the value parsers the CLI uses for its flags. Reading is strict and per field: a bad value
 * makes that one policy of that one volume invalid, with a message naming the volume, the key, the
 * value and what was expected. Nothing is silently disabled or clamped (unlike the Go tool,
 * reference §2.2 and §12 bug 7).
 *
 * @module
 */

import {
  KEY_PREFIX,
  MANAGED_KEY,
  MANAGED_VALUE,
  POLICY_TYPES,
  type PolicyType,
  VOLUME_KEYS,
} from "./naming.ts";

export { POLICY_TYPES, type PolicyType };

/** A local wall-clock time of day in the policy zone (seconds are dropped, as Go did). */
export interface StartTime {
  hour: number;
  minute: number;
}

/** ISO weekday as Temporal numbers it: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Express slot lengths the Go tool allowed. */
export type ExpressIntervalHours = 6 | 8 | 12;

/** Fields every policy has. */
export interface PolicyCommon {
  /** Policies read from volumes are always enabled; `false` is only used to write the disable path. */
  enabled: boolean;
  /** Calendar days in the policy zone, at least 1. */
  retentionDays: number;
  /** IANA time zone id as Temporal spells it, e.g. `Europe/Berlin`; never `Local`. */
  timezone: string;
}

/** Windows `[D@HH:MM, D+1@HH:MM)`. */
export interface DailyPolicy extends PolicyCommon {
  type: "daily";
  startTime: StartTime;
}

/** Windows from the most recent `dayOfWeek@HH:MM` to the next. */
export interface WeeklyPolicy extends PolicyCommon {
  type: "weekly";
  startTime: StartTime;
  dayOfWeek: IsoWeekday;
}

/** Windows from `dayOfMonth@HH:MM` (clamped to the month's length) to the next month's. */
export interface MonthlyPolicy extends PolicyCommon {
  type: "monthly";
  startTime: StartTime;
  /** 1..31; 29–31 mean the last day in shorter months. */
  dayOfMonth: number;
}

/** Slots of `intervalHours` starting at local midnight (00/06/12/18, 00/08/16 or 00/12). */
export interface ExpressPolicy extends PolicyCommon {
  type: "express";
  intervalHours: ExpressIntervalHours;
}

/** One snapshot policy of a volume. */
export type Policy = DailyPolicy | WeeklyPolicy | MonthlyPolicy | ExpressPolicy;

/** Retention used when the key is empty, missing or `0`, as in the Go tool (§2.3). */
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

/** Retention type value the Go CLI wrote (and nothing read): `time` or `count`. */
export const RETENTION_TYPE: Readonly<Record<PolicyType, "time" | "count">> = {
  express: "time",
  daily: "time",
  weekly: "count",
  monthly: "count",
};

const WEEKDAY_NAMES: Record<IsoWeekday, string> = {
  1: "monday",
  2: "tuesday",
  3: "wednesday",
  4: "thursday",
  5: "friday",
  6: "saturday",
  7: "sunday",
};

/** A bad value of one key on one volume. The policy it belongs to is invalid. */
export interface PolicyIssue {
  volumeId: string;
  volumeName?: string;
  policy: PolicyType;
  /** The metadata key (or the flag's name for CLI values). */
  key: string;
  value: string;
  /** What was expected, e.g. `HH:MM (00:00–23:59)`. */
  expected: string;
  /** `Cannot parse <key> "<value>" on volume <id>: expected <expected>`. */
  message: string;
}

/** The result of reading one volume's policies. */
export interface VolumePolicies {
  /** Enabled and valid policies, in the order express, daily, weekly, monthly. */
  policies: Policy[];
  /** Policies with keys on the volume that are not enabled (enabled false or missing). */
  disabled: PolicyType[];
  /** One issue per bad value. A policy with any issue is in neither list above. */
  errors: PolicyIssue[];
  /** Types of the invalid policies (those with issues), in policy order. */
  invalid: PolicyType[];
}

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
 * import { parseStartTime } from "./policy.ts";
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

const BOOL_EXPECTED = "true or false (also t, f, 1 or 0)";

/** Parses a boolean case-insensitively: `true/false/t/f/1/0` (Go's strconv forms). */
export function parseBool(value: string, what = "boolean"): boolean {
  switch (value.trim().toLowerCase()) {
    case "true":
    case "t":
    case "1":
      return true;
    case "false":
    case "f":
    case "0":
      return false;
  }
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

/** Raw option values for {@link policyFromOptions}; missing means "the default". */
export interface PolicyOptions {
  enabled?: string | boolean;
  retentionDays?: string | number;
  timezone?: string;
  startTime?: string;
  dayOfWeek?: string | number;
  dayOfMonth?: string | number;
  intervalHours?: string | number;
}

/**
 * Builds and validates a policy from option values (the `subscribe` flags), with the same parsers
 * and defaults as reading metadata. Throws {@link PolicyValueError} naming the option.
 */
export function policyFromOptions(type: PolicyType, options: PolicyOptions): Policy {
  const str = (v: string | number | boolean | undefined) => v === undefined ? "" : String(v);
  const enabled = typeof options.enabled === "boolean"
    ? options.enabled
    : options.enabled === undefined
    ? true
    : parseBool(options.enabled, "enabled");
  const common = {
    enabled,
    retentionDays: parseRetentionDays(str(options.retentionDays), type, "retention"),
    timezone: parseTimezone(str(options.timezone), "timezone"),
  };
  switch (type) {
    case "express":
      return {
        type,
        ...common,
        intervalHours: parseIntervalHours(str(options.intervalHours), "interval hours"),
      };
    case "daily":
      return { type, ...common, startTime: parseStartTime(str(options.startTime) || "00:00") };
    case "weekly":
      return {
        type,
        ...common,
        startTime: parseStartTime(str(options.startTime) || "00:00"),
        dayOfWeek: parseWeekday(str(options.dayOfWeek), "week day"),
      };
    case "monthly":
      return {
        type,
        ...common,
        startTime: parseStartTime(str(options.startTime) || "00:00"),
        dayOfMonth: parseMonthDay(str(options.dayOfMonth), "month day"),
      };
  }
}

/** Looks keys up exactly first, then case-insensitively, as Go's weak decoder matched fields. */
class KeyLookup {
  #metadata: Record<string, string>;
  #lower: Map<string, string> | undefined;
  constructor(metadata: Record<string, string>) {
    this.#metadata = metadata;
  }
  get(key: string): string | undefined {
    const exact = this.#metadata[key];
    if (exact !== undefined && Object.hasOwn(this.#metadata, key)) return exact;
    if (this.#lower === undefined) {
      this.#lower = new Map();
      for (const [k, v] of Object.entries(this.#metadata)) {
        const lk = k.toLowerCase();
        if (lk !== k && lk.startsWith(KEY_PREFIX) && !this.#lower.has(lk)) this.#lower.set(lk, v);
      }
    }
    return this.#lower.get(key);
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

/** A volume as the policy reader needs it. */
export interface PolicyVolume {
  id: string;
  name?: string;
  metadata: Record<string, string>;
}

/** True when `x-snapsentry-managed` is exactly `"true"` (the Go tool's server-side filter). */
export function isSubscribed(volume: { metadata: Record<string, string> }): boolean {
  return volume.metadata[MANAGED_KEY] === MANAGED_VALUE;
}

/**
 * Reads every policy of a volume from its metadata. Keys match exactly, or case-insensitively when
 * no exact key exists (as Go's decoder did). Monthly reads `start-day-of-month` and, only when that
 * key is absent, the legacy `day-of-month` the Go CLI wrote. Fields of disabled policies are not
 * validated.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { parseVolumePolicies } from "./policy.ts";
 * const r = parseVolumePolicies({
 *   id: "v1",
 *   metadata: { "x-snapsentry-daily-enabled": "true", "x-snapsentry-daily-start-time": "25:00" },
 * });
 * assertEquals(
 *   r.errors[0]?.message,
 *   'Cannot parse x-snapsentry-daily-start-time "25:00" on volume v1: expected HH:MM (00:00–23:59)',
 * );
 * ```
 */
export function parseVolumePolicies(volume: PolicyVolume): VolumePolicies {
  const lookup = new KeyLookup(volume.metadata);
  const out: VolumePolicies = { policies: [], disabled: [], errors: [], invalid: [] };
  for (const type of POLICY_TYPES) {
    const issues: PolicyIssue[] = [];
    const read = <T>(key: string, parse: (v: string, what: string) => T): T | undefined => {
      const value = lookup.get(key) ?? "";
      try {
        return parse(value, key);
      } catch (e) {
        if (!(e instanceof PolicyValueError)) throw e;
        issues.push({
          volumeId: volume.id,
          ...(volume.name ? { volumeName: volume.name } : {}),
          policy: type,
          key,
          value,
          expected: e.expected,
          message: `Cannot parse ${key} "${value}" on volume ${volume.id}: expected ${e.expected}`,
        });
        return undefined;
      }
    };
    const keys = policyKeys(type);
    const enabledKey = VOLUME_KEYS[type].enabled;
    const enabledRaw = lookup.get(enabledKey);
    if (enabledRaw === undefined || enabledRaw.trim() === "") {
      if (keys.some((k) => lookup.has(k))) out.disabled.push(type);
      continue;
    }
    const enabled = read(enabledKey, parseBool);
    if (enabled === false) {
      out.disabled.push(type);
      continue;
    }
    const k = VOLUME_KEYS[type];
    const retentionDays = read(k.retentionDays, (v, w) => parseRetentionDays(v, type, w));
    const timezone = read(k.timezone, parseTimezone);
    // The fields only this policy type has; every read runs, so all bad values are reported.
    let own: Record<string, unknown>;
    if (type === "express") {
      own = { intervalHours: read(VOLUME_KEYS.express.intervalHours, parseIntervalHours) };
    } else {
      own = {
        startTime: read(
          VOLUME_KEYS[type].startTime,
          (v, w) => v.trim() === "" ? { hour: 0, minute: 0 } : parseStartTime(v, w),
        ),
      };
      if (type === "weekly") {
        own.dayOfWeek = read(VOLUME_KEYS.weekly.startDayOfWeek, parseWeekday);
      } else if (type === "monthly") {
        const mk = VOLUME_KEYS.monthly;
        const dayKey = lookup.has(mk.startDayOfMonth)
          ? mk.startDayOfMonth
          : lookup.has(mk.legacyDayOfMonth)
          ? mk.legacyDayOfMonth
          : mk.startDayOfMonth;
        own.dayOfMonth = read(dayKey, parseMonthDay);
      }
    }
    const policy = issues.length === 0
      ? { type, enabled: true, retentionDays, timezone, ...own } as Policy
      : undefined;
    if (policy) out.policies.push(policy);
    else {
      out.invalid.push(type);
      out.errors.push(...issues);
    }
  }
  return out;
}

/**
 * True when the volume's `<type>-enabled` key says enabled, whether or not the rest of the policy
 * is valid. An unreadable enabled value counts as enabled: this feeds the min-keep guard, which
 * must err on the side of keeping.
 */
export function isPolicyEnabled(metadata: Record<string, string>, type: PolicyType): boolean {
  const raw = new KeyLookup(metadata).get(VOLUME_KEYS[type].enabled);
  if (raw === undefined || raw.trim() === "") return false;
  try {
    return parseBool(raw);
  } catch {
    return true;
  }
}

/**
 * The volume keys `subscribe` writes for a policy: `x-snapsentry-managed=true` and every field,
 * normalised (`HH:MM`, lower-case weekday name, the non-legacy month-day key, Go's retention types).
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { policyToMetadata } from "./policy.ts";
 * assertEquals(
 *   policyToMetadata({
 *     type: "daily", enabled: true, retentionDays: 7, timezone: "Asia/Kolkata",
 *     startTime: { hour: 8, minute: 0 },
 *   }),
 *   {
 *     "x-snapsentry-managed": "true",
 *     "x-snapsentry-daily-enabled": "true",
 *     "x-snapsentry-daily-retention-days": "7",
 *     "x-snapsentry-daily-retention-type": "time",
 *     "x-snapsentry-daily-timezone": "Asia/Kolkata",
 *     "x-snapsentry-daily-start-time": "08:00",
 *   },
 * );
 * ```
 */
export function policyToMetadata(policy: Policy): Record<string, string> {
  const k = VOLUME_KEYS[policy.type];
  const out: Record<string, string> = {
    [MANAGED_KEY]: MANAGED_VALUE,
    [k.enabled]: policy.enabled ? "true" : "false",
    [k.retentionDays]: String(policy.retentionDays),
    [k.retentionType]: RETENTION_TYPE[policy.type],
    [k.timezone]: policy.timezone,
  };
  switch (policy.type) {
    case "express":
      out[VOLUME_KEYS.express.intervalHours] = String(policy.intervalHours);
      break;
    case "daily":
      out[VOLUME_KEYS.daily.startTime] = formatStartTime(policy.startTime);
      break;
    case "weekly":
      out[VOLUME_KEYS.weekly.startTime] = formatStartTime(policy.startTime);
      out[VOLUME_KEYS.weekly.startDayOfWeek] = weekdayName(policy.dayOfWeek);
      break;
    case "monthly":
      out[VOLUME_KEYS.monthly.startTime] = formatStartTime(policy.startTime);
      out[VOLUME_KEYS.monthly.startDayOfMonth] = String(policy.dayOfMonth);
      break;
  }
  return out;
}

/** Every volume key of a policy type, the legacy monthly key included (what unsubscribe removes). */
export function policyKeys(type: PolicyType): string[] {
  return Object.values(VOLUME_KEYS[type]);
}

/**
 * A policy in words, e.g. `daily 08:00 Asia/Kolkata, keep 7 d`, `weekly sunday 00:00 UTC, keep
 * 7 d`, `monthly day 31 14:00 Europe/Paris, keep 30 d`, `express every 6 h UTC, keep 1 d`.
 */
export function describePolicy(p: Policy): string {
  const keep = `keep ${p.retentionDays} d`;
  switch (p.type) {
    case "express":
      return `express every ${p.intervalHours} h ${p.timezone}, ${keep}`;
    case "daily":
      return `daily ${formatStartTime(p.startTime)} ${p.timezone}, ${keep}`;
    case "weekly":
      return `weekly ${weekdayName(p.dayOfWeek)} ${
        formatStartTime(p.startTime)
      } ${p.timezone}, ${keep}`;
    case "monthly":
      return `monthly day ${p.dayOfMonth} ${formatStartTime(p.startTime)} ${p.timezone}, ${keep}`;
  }
}
