/**
 * Snapshot policies: their types, and how they are read from and written to Cinder volume
 * metadata (the value grammars are in `values.ts`). Reading is strict and per field: a bad value
 * makes that one policy of that one volume invalid, with a message naming the volume, the key, the
 * value and what was expected. Nothing is silently disabled or clamped (unlike the Go tool,
 * go-compatibility.md, How Go parsed values).
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
import {
  type ExpressIntervalHours,
  formatStartTime,
  type GoValueNote,
  type IsoWeekday,
  parseBool,
  parseIntervalHours,
  parseMonthDay,
  parseRetentionCount,
  parseRetentionDays,
  parseStartTime,
  parseTimezone,
  parseWeekday,
  PolicyValueError,
  type StartTime,
  weekdayName,
} from "./values.ts";

/** Fields every policy has. */
export interface PolicyCommon {
  /** Policies read from volumes are always enabled; `false` is only used to write the disable path. */
  enabled: boolean;
  /**
   * Calendar days in the policy zone, at least 1: the expiry stamped on each snapshot (the one the
   * Go tool reads). With {@link countOnly} it is the policy default and snapsentry does not delete
   * by it.
   */
  retentionDays: number;
  /**
   * `x-snapsentry-<policy>-retention-count`: keep the newest N available snapshots of this policy
   * per volume (held ones do not count). With days as well, a snapshot goes when it is past its
   * expiry OR beyond the count.
   */
  retentionCount?: number;
  /**
   * Set when a count is given and retention days are not (empty or 0): snapsentry deletes by
   * count only; the expiry stamp still carries the default days for the Go tool.
   */
  countOnly?: true;
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

/** Retention type value the Go CLI wrote (and nothing read): `time` or `count`. */
export const RETENTION_TYPE: Readonly<Record<PolicyType, "time" | "count">> = {
  express: "time",
  daily: "time",
  weekly: "count",
  monthly: "count",
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
  /**
   * Values the Go tool accepted that snapsentry would not write, read the way Go read them
   * (`-1` retention as the default, month day 32 as 31, `0x1E` as 30…): the policy works as it
   * did, and each such value is reported.
   */
  warnings: PolicyWarning[];
}

/** A value read the way the Go tool read it (see {@link VolumePolicies.warnings}). */
export interface PolicyWarning {
  volumeId: string;
  volumeName?: string;
  policy: PolicyType;
  key: string;
  value: string;
  /** What the value was read as. */
  used: string;
  /** `Read <key> "<value>" on volume <id> as <used>: <why>; write "<used>" to make it explicit`. */
  message: string;
}

/** Raw option values for {@link policyFromOptions}; missing means "the default". */
export interface PolicyOptions {
  enabled?: string | boolean;
  retentionDays?: string | number;
  /** Empty, `0` or absent: no count. */
  retentionCount?: string | number;
  timezone?: string;
  startTime?: string;
  dayOfWeek?: string | number;
  dayOfMonth?: string | number;
  intervalHours?: string | number;
}

/** Days given as a value that is not empty and not 0 (which both mean the policy default). */
function daysGiven(raw: string): boolean {
  const v = raw.trim();
  return v !== "" && !/^[+-]?0+$/.test(v);
}

/** The count fields of a policy: the count, and `countOnly` when no days were given. */
function retentionCountOf(
  count: number | undefined,
  rawDays: string,
): { retentionCount?: number; countOnly?: true } {
  if (count === undefined) return {};
  return daysGiven(rawDays)
    ? { retentionCount: count }
    : { retentionCount: count, countOnly: true };
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
    ...retentionCountOf(
      parseRetentionCount(str(options.retentionCount), "retention count"),
      str(options.retentionDays),
    ),
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
  const out: VolumePolicies = {
    policies: [],
    disabled: [],
    errors: [],
    invalid: [],
    warnings: [],
  };
  for (const type of POLICY_TYPES) {
    const issues: PolicyIssue[] = [];
    const warnings: PolicyWarning[] = [];
    const read = <T>(
      key: string,
      parse: (v: string, what: string, note: GoValueNote) => T,
    ): T | undefined => {
      const value = lookup.get(key) ?? "";
      const note: GoValueNote = (used, how) =>
        warnings.push({
          volumeId: volume.id,
          ...(volume.name ? { volumeName: volume.name } : {}),
          policy: type,
          key,
          value,
          used: String(used),
          message:
            `Read ${key} "${value}" on volume ${volume.id} as ${used}: ${how}; write "${used}" to make it explicit`,
        });
      try {
        return parse(value, key, note);
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
    const retentionDays = read(k.retentionDays, (v, w, n) => parseRetentionDays(v, type, w, n));
    const retentionCount = read(k.retentionCount, parseRetentionCount);
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
    const count = retentionCountOf(retentionCount, lookup.get(k.retentionDays) ?? "");
    const policy = issues.length === 0
      ? { type, enabled: true, retentionDays, timezone, ...count, ...own } as Policy
      : undefined;
    if (policy) {
      out.policies.push(policy);
      out.warnings.push(...warnings);
    } else {
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
  };
  // Count only: no days key, so the Go tool (and snapsentry's stamp) read the default days.
  if (!policy.countOnly) out[k.retentionDays] = String(policy.retentionDays);
  if (policy.retentionCount !== undefined) out[k.retentionCount] = String(policy.retentionCount);
  out[k.retentionType] = RETENTION_TYPE[policy.type];
  out[k.timezone] = policy.timezone;
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
 * 7 d`, `monthly day 31 14:00 Europe/Paris, keep 30 d`, `express every 6 h UTC, keep 1 d`; with a
 * count `daily 02:00 UTC, keep newest 7` (count only) or `…, keep 7 d, at most 5` (both).
 */
export function describePolicy(p: Policy): string {
  const keep = p.retentionCount === undefined
    ? `keep ${p.retentionDays} d`
    : p.countOnly
    ? `keep newest ${p.retentionCount}`
    : `keep ${p.retentionDays} d, at most ${p.retentionCount}`;
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
