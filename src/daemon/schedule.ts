/**
 * Cron expressions for the daemon's jobs. croner only parses patterns and computes next run
 * times; the loop that waits for them runs on our injected Clock (see `scheduler.ts`).
 *
 * Accepted: standard 5-field cron (minute hour day-of-month month day-of-week), the descriptors
 * `@yearly @annually @monthly @weekly @daily @midnight @hourly`, `@every <duration>` (as the Go
 * tool's robfig/cron accepted, e.g. `@every 15m`, in snapsentry's one duration grammar), and a
 * `CRON_TZ=<zone>` or `TZ=<zone>` prefix.
 * The zone of a schedule comes, in this order, from its `CRON_TZ=` (or `TZ=`) prefix, the
 * `--schedule-timezone` flag, the `TZ` variable, the host's local zone, then UTC: the Go tool ran
 * its cron in the process's local zone, so a Go user's `0 2 * * *` keeps its hour.
 */
import { Cron } from "croner";
import { DurationError, parseDuration, parseTimezone, PolicyValueError } from "../core/mod.ts";
import { UsageError } from "../errors.ts";

/** A parsed schedule: computes the instants at which its job is due. */
export interface Schedule {
  /** The expression as given (prefix included). */
  readonly expression: string;
  /** The IANA zone the expression is read in. */
  readonly timezone: string;
  /** Where the zone came from. */
  readonly timezoneSource: TimezoneSource;
  /** The first run strictly after `from`, or null when the schedule never fires again. */
  nextAfter(from: Temporal.Instant): Temporal.Instant | null;
  /** The next `count` runs strictly after `from`. */
  nextRuns(from: Temporal.Instant, count: number): Temporal.Instant[];
}

/** Where a schedule's zone came from, in the order they are tried. */
export type TimezoneSource = "CRON_TZ" | "--schedule-timezone" | "TZ" | "host" | "UTC";

const EPOCH = Temporal.Instant.fromEpochMilliseconds(0);

/** An IANA zone's canonical spelling (the core's zone grammar), or null when it is unknown. */
function checkZone(zone: string): string | null {
  try {
    return parseTimezone(zone);
  } catch (e) {
    if (e instanceof PolicyValueError) return null;
    throw e;
  }
}

/**
 * Validates `--schedule-timezone` with the same zone grammar as policies (IANA names; `Local`
 * and UTC offsets are refused).
 * @throws UsageError when the zone is unknown
 */
export function parseScheduleTimezone(zone: string, flag = "--schedule-timezone"): string {
  const id = zone.trim() === "" ? null : checkZone(zone);
  if (id === null) {
    throw new UsageError(
      `Cannot use ${flag} "${zone}": unknown time zone; pass an IANA name such as "UTC" or "Europe/Berlin"`,
    );
  }
  return id;
}

class CronSchedule implements Schedule {
  readonly expression: string;
  readonly timezone: string;
  readonly timezoneSource: TimezoneSource;
  #cron: Cron;
  constructor(expression: string, zone: ScheduleZone, cron: Cron) {
    this.expression = expression;
    this.timezone = zone.timezone;
    this.timezoneSource = zone.source;
    this.#cron = cron;
  }
  nextAfter(from: Temporal.Instant): Temporal.Instant | null {
    const next = this.#cron.nextRun(new Date(from.epochMilliseconds));
    return next ? Temporal.Instant.fromEpochMilliseconds(next.getTime()) : null;
  }
  nextRuns(from: Temporal.Instant, count: number): Temporal.Instant[] {
    return this.#cron.nextRuns(count, new Date(from.epochMilliseconds))
      .map((d) => Temporal.Instant.fromEpochMilliseconds(d.getTime()));
  }
}

/** `@every <duration>`: fixed intervals counted from an anchor (the daemon's start). */
class EverySchedule implements Schedule {
  readonly expression: string;
  readonly timezone: string;
  readonly timezoneSource: TimezoneSource;
  readonly intervalMs: number;
  #anchorMs: number;
  constructor(
    expression: string,
    zone: ScheduleZone,
    intervalMs: number,
    anchor: Temporal.Instant,
  ) {
    this.expression = expression;
    this.timezone = zone.timezone;
    this.timezoneSource = zone.source;
    this.intervalMs = intervalMs;
    this.#anchorMs = anchor.epochMilliseconds;
  }
  nextAfter(from: Temporal.Instant): Temporal.Instant {
    const elapsed = from.epochMilliseconds - this.#anchorMs;
    const k = elapsed < 0 ? 1 : Math.floor(elapsed / this.intervalMs) + 1;
    return Temporal.Instant.fromEpochMilliseconds(this.#anchorMs + k * this.intervalMs);
  }
  nextRuns(from: Temporal.Instant, count: number): Temporal.Instant[] {
    const out: Temporal.Instant[] = [];
    let at = from;
    for (let i = 0; i < count; i++) {
      at = this.nextAfter(at);
      out.push(at);
    }
    return out;
  }
}

/** A schedule's zone and where it came from. */
interface ScheduleZone {
  timezone: string;
  source: TimezoneSource;
}

export interface ParseScheduleOptions {
  /** Zone used when the expression has no CRON_TZ=/TZ= prefix. Default "UTC". */
  timezone?: string;
  /** Where `timezone` came from. Default "UTC" (or "--schedule-timezone" when a zone is given). */
  timezoneSource?: TimezoneSource;
  /** The flag named in error messages, e.g. "--create-schedule". */
  flag?: string;
  /** Anchor for `@every` schedules (default: the Unix epoch, so `@every 15m` fires at :00, :15…). */
  anchor?: Temporal.Instant;
}

/**
 * Parses a cron expression as the daemon flags accept it.
 * @throws UsageError with the flag, the expression and what is wrong
 */
export function parseSchedule(expression: string, options: ParseScheduleOptions = {}): Schedule {
  const flag = options.flag ?? "schedule";
  const fail = (why: string): never => {
    throw new UsageError(`Cannot parse ${flag} "${expression}": ${why}`);
  };
  let rest = expression.trim();
  let zone: ScheduleZone = {
    timezone: options.timezone ?? "UTC",
    source: options.timezoneSource ?? (options.timezone ? "--schedule-timezone" : "UTC"),
  };
  const prefix = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(rest);
  if (prefix) {
    zone = {
      timezone: checkZone(prefix[1]!) ??
        fail(`unknown time zone "${prefix[1]}"; use an IANA name such as "Europe/Berlin"`),
      source: "CRON_TZ",
    };
    rest = prefix[2]!.trim();
  } else if (/^(?:CRON_TZ|TZ)=/.test(rest)) {
    fail("expected a cron expression after the time zone prefix");
  }
  if (rest === "") fail("expected 5 fields (minute hour day-of-month month day-of-week)");

  const every = /^@every\s+(\S+)$/.exec(rest);
  if (every) {
    let ms: number;
    try {
      ms = parseDuration(every[1]!, "@every", { minMs: 1000 });
    } catch (e) {
      if (!(e instanceof DurationError)) throw e;
      return fail(
        'expected "@every" with a duration of at least 1s, such as "@every 15m" or "@every 1h30m"',
      );
    }
    return new EverySchedule(expression, zone, ms, options.anchor ?? EPOCH);
  }
  if (
    rest.startsWith("@") && !/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/i.test(rest)
  ) {
    fail(
      'unknown descriptor; use @yearly, @monthly, @weekly, @daily, @hourly or "@every <duration>"',
    );
  }
  if (!rest.startsWith("@") && rest.split(/\s+/).length !== 5) {
    fail(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${
        rest.split(/\s+/).length
      }`,
    );
  }
  let cron: Cron;
  try {
    // 5-part: minute precision; the Go tool's ParseStandard had no seconds field either.
    cron = new Cron(rest, { timezone: zone.timezone, paused: true, mode: "5-part" });
  } catch (error) {
    const msg = (error instanceof Error ? error.message : String(error))
      .replace(/^CronPattern:\s*/, "").replace(/\.$/, "");
    return fail(msg.charAt(0).toLowerCase() + msg.slice(1));
  }
  const schedule = new CronSchedule(expression, zone, cron);
  // A pattern such as "0 0 31 2 *" parses but never fires: refuse it rather than idle forever.
  if (schedule.nextAfter(options.anchor ?? EPOCH) === null) {
    fail("it never fires (no such date)");
  }
  return schedule;
}
