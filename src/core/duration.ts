/**
 * The one duration grammar every flag, threshold and schedule uses: one or more `<number><unit>`
 * parts with units `ms`, `s`, `m`, `h`, `d` (24 h) and `w` (7 d), such as `500ms`, `90s`, `10m`,
 * `1h30m`, `2d` or `1w`. A bare number means seconds, because the Go tool took whole seconds for
 * `--timeout`. Units are case-insensitive; parts may be separated by spaces (`1h 30m`).
 *
 * Also the one way durations and ages are printed (`formatDuration`, `formatAge`).
 *
 * @module
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)\s*(ms|[smhdw])/giy;
const BARE = /^\d+(?:\.\d+)?$/;

/** What the grammar accepts, for error messages. */
export const DURATION_EXPECTED =
  "a duration such as 500ms, 90s, 10m, 1h30m, 2d or 1w (a bare number is seconds)";

/** A value that is not a duration, or one out of the allowed range; a RangeError as std does. */
export class DurationError extends RangeError {
  readonly value: string;
  readonly expected: string;
  constructor(what: string, value: string, expected: string) {
    super(`Cannot parse ${what} "${value}": expected ${expected}`);
    this.name = "DurationError";
    this.value = value;
    this.expected = expected;
  }
}

/** Bounds for {@link parseDuration}, in milliseconds. */
export interface DurationBounds {
  /** Smallest value allowed (inclusive). Default 0. */
  minMs?: number;
  /** Largest value allowed (inclusive). Default 100 years. */
  maxMs?: number;
  /** Allow exactly 0 even when `minMs` is larger (`--timeout 0` means "no timeout"). */
  allowZero?: boolean;
}

const HUNDRED_YEARS_MS = 36_500 * 86_400_000;

/**
 * Parses a duration into milliseconds (rounded to whole milliseconds).
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { parseDuration } from "./duration.ts";
 * assertEquals(parseDuration("1h30m"), 5_400_000);
 * assertEquals(parseDuration("480"), 480_000); // bare numbers are seconds
 * assertEquals(parseDuration("2d"), 172_800_000);
 * ```
 */
export function parseDuration(
  value: string,
  what = "duration",
  bounds: DurationBounds = {},
): number {
  const text = value.trim();
  let ms: number | undefined;
  if (BARE.test(text)) ms = Number(text) * 1000;
  else if (text !== "") {
    PART.lastIndex = 0;
    let total = 0;
    let at = 0;
    for (;;) {
      while (text[at] === " ") at++;
      if (at === text.length) break;
      PART.lastIndex = at;
      const m = PART.exec(text);
      if (!m) {
        total = NaN;
        break;
      }
      total += Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
      at = PART.lastIndex;
    }
    ms = total;
  }
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new DurationError(what, value, DURATION_EXPECTED);
  }
  ms = Math.round(ms);
  const min = bounds.minMs ?? 0;
  const max = bounds.maxMs ?? HUNDRED_YEARS_MS;
  if (ms === 0 && bounds.allowZero) return 0;
  if (ms < min || ms > max) {
    const range = max === HUNDRED_YEARS_MS
      ? `at least ${formatDuration(min)}`
      : `from ${formatDuration(min)} to ${formatDuration(max)}`;
    throw new DurationError(
      what,
      value,
      `${range}${bounds.allowZero ? " (or 0 for none)" : ""}, written as ${DURATION_EXPECTED}`,
    );
  }
  return ms;
}

/**
 * A duration in the grammar's own terms, largest units first: `5_400_000` → `1h30m`, `90_000` →
 * `1m30s`, `0` → `0s`. What `parseDuration` reads back to the same value (to the millisecond).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  let rest = Math.max(0, Math.round(ms));
  if (rest === 0) return "0s";
  let out = "";
  for (const unit of ["w", "d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/**
 * A short human age, for tables, pages and reasons: `90061` seconds → `1d 1h 1m`; under a minute
 * gives seconds (`45s`); infinity (no snapshot at all) gives `∞`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { formatAge } from "./duration.ts";
 * assertEquals(formatAge(90_061), "1d 1h 1m");
 * assertEquals(formatAge(45), "45s");
 * ```
 */
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
