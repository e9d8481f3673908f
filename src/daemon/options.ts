/**
 * The daemon's options: defaults, the bind address grammar, and `resolveDaemonOptions`, which
 * checks every option before anything starts (a bad value is a usage error, exit 2).
 */
import { UsageError } from "../errors.ts";
import type { JobName } from "../exec/mod.ts";
import {
  parseSchedule,
  parseScheduleTimezone,
  type Schedule,
  type TimezoneSource,
} from "./schedule.ts";

export const DEFAULT_CREATE_SCHEDULE = "*/10 * * * *";
export const DEFAULT_EXPIRE_SCHEDULE = "0 */6 * * *";
export const DEFAULT_BIND_ADDRESS = "127.0.0.1:8080";
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 60;
export const DEFAULT_PROBE_INTERVAL_SECONDS = 30;
/**
 * How often the daemon lists every volume of the project for `snapsentry_unprotected_volumes`:
 * at most hourly by default. The listing is the project's whole volume list (runs list only the
 * subscribed ones), so it is never made per scrape; a volume left unprotected is a slow fact.
 */
export const DEFAULT_UNPROTECTED_REFRESH_SECONDS = 3600;

export interface BindAddress {
  hostname: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces, as Go's net.Listen reads it).
 * @throws UsageError
 */
export function parseBindAddress(text: string): BindAddress {
  const fail = (why: string): never => {
    throw new UsageError(`Cannot use --bind-address "${text}": ${why}`);
  };
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s\[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return fail('expected HOST:PORT, such as "127.0.0.1:8080" or "0.0.0.0:8080"');
  const port = Number(m![3]);
  if (port > 65535) fail("the port must be between 0 and 65535");
  const host = m![1] ?? m![2] ?? "";
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}

/** Formats a bind address for messages and URLs. */
export function formatBindAddress(a: BindAddress): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

/** Daemon options as given by the user (strings are validated by `resolveDaemonOptions`). */
export interface DaemonOptionsInput {
  createSchedule?: string;
  expireSchedule?: string;
  bindAddress?: string;
  /** IANA zone for schedules without a CRON_TZ=/TZ= prefix (`--schedule-timezone`). */
  scheduleTimezone?: string;
  /** The `TZ` variable, when set: the next choice after the flag. */
  envTimezone?: string;
  /** The host's local zone (`Temporal.Now.timeZoneId()`): the choice after `TZ`. */
  hostTimezone?: string;
  runAtStart?: boolean;
  shutdownTimeoutSeconds?: number;
  metricsPerVolume?: boolean;
  /** SNAPSENTRY_API_TOKEN: enables POST /run/{create,expire}. */
  apiToken?: string;
  probeIntervalSeconds?: number;
  /** `--unprotected-refresh`: list every volume at most this often; 0 = never. */
  unprotectedRefreshSeconds?: number;
}

/** Validated daemon options. */
export interface DaemonOptions {
  schedules: Record<JobName, Schedule>;
  bind: BindAddress;
  runAtStart: boolean;
  shutdownTimeoutSeconds: number;
  metricsPerVolume: boolean;
  apiToken?: string;
  probeIntervalSeconds: number;
  /** List every volume for the unprotected gauge at most this often; 0 = never. */
  unprotectedRefreshSeconds: number;
}

/**
 * The zone of schedules without a prefix: `--schedule-timezone`, then `TZ` (POSIX's leading `:`
 * allowed), then the host's local zone, then UTC. A `TZ` that is no IANA zone (`CET-1CEST`) is
 * passed over, as Go's time package passed over it.
 */
function scheduleZoneOf(
  input: DaemonOptionsInput,
): { timezone: string; timezoneSource: TimezoneSource } {
  if (input.scheduleTimezone !== undefined) {
    return {
      timezone: parseScheduleTimezone(input.scheduleTimezone),
      timezoneSource: "--schedule-timezone",
    };
  }
  const quiet = (zone: string | undefined): string | undefined => {
    if (!zone || zone.trim() === "") return undefined;
    try {
      return parseScheduleTimezone(zone.trim().replace(/^:/, ""), "TZ");
    } catch {
      return undefined;
    }
  };
  const tz = quiet(input.envTimezone);
  if (tz) return { timezone: tz, timezoneSource: "TZ" };
  const host = quiet(input.hostTimezone);
  if (host) return { timezone: host, timezoneSource: "host" };
  return { timezone: "UTC", timezoneSource: "UTC" };
}

/** Minimum API token length: a short bearer token on a network port is guessable. */
export const MIN_API_TOKEN_LENGTH = 16;

/**
 * Validates every option before anything starts.
 * @throws UsageError naming the flag and the value
 */
export function resolveDaemonOptions(
  input: DaemonOptionsInput,
  anchor?: Temporal.Instant,
): DaemonOptions {
  const { timezone, timezoneSource } = scheduleZoneOf(input);
  const schedules = {
    create: parseSchedule(input.createSchedule ?? DEFAULT_CREATE_SCHEDULE, {
      flag: "--create-schedule",
      timezone,
      timezoneSource,
      ...(anchor ? { anchor } : {}),
    }),
    expire: parseSchedule(input.expireSchedule ?? DEFAULT_EXPIRE_SCHEDULE, {
      flag: "--expire-schedule",
      timezone,
      timezoneSource,
      ...(anchor ? { anchor } : {}),
    }),
  };
  const bind = parseBindAddress(input.bindAddress ?? DEFAULT_BIND_ADDRESS);
  const shutdown = input.shutdownTimeoutSeconds ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  if (!Number.isFinite(shutdown) || shutdown < 0) {
    throw new UsageError(
      `Cannot use --shutdown-timeout "${shutdown}": expected a whole number of seconds (0 or more)`,
    );
  }
  const probe = input.probeIntervalSeconds ?? DEFAULT_PROBE_INTERVAL_SECONDS;
  if (!Number.isFinite(probe) || probe <= 0) {
    throw new RangeError(`probeIntervalSeconds must be positive, got ${probe}`);
  }
  const unprotected = input.unprotectedRefreshSeconds ?? DEFAULT_UNPROTECTED_REFRESH_SECONDS;
  if (!Number.isFinite(unprotected) || (unprotected !== 0 && unprotected < 60)) {
    throw new UsageError(
      `Cannot use --unprotected-refresh "${unprotected}s": expected at least 1m (or 0 for never)`,
    );
  }
  const options: DaemonOptions = {
    schedules,
    bind,
    runAtStart: input.runAtStart ?? false,
    shutdownTimeoutSeconds: shutdown,
    metricsPerVolume: input.metricsPerVolume ?? true,
    probeIntervalSeconds: probe,
    unprotectedRefreshSeconds: unprotected,
  };
  if (input.apiToken !== undefined && input.apiToken !== "") {
    if (input.apiToken.length < MIN_API_TOKEN_LENGTH) {
      // Never echo the token itself.
      throw new UsageError(
        `Cannot use SNAPSENTRY_API_TOKEN: it has ${input.apiToken.length} characters, expected at least ${MIN_API_TOKEN_LENGTH}; generate one with "openssl rand -hex 32"`,
      );
    }
    options.apiToken = input.apiToken;
  }
  return options;
}
