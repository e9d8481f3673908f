/**
 * Every flag parser of the CLI, in one place and with one grammar each: durations (the one
 * grammar of `core/duration.ts`), booleans (`core/values.ts`), whole numbers, instants. Each
 * refuses bad input with a usage error that names the flag, the value and what was expected.
 * The run flags' defaults come from the engine (`ENGINE_DEFAULTS`), never from help strings.
 */
import { type Command, Option } from "commander";
import {
  type DurationBounds,
  DurationError,
  formatDuration,
  parseBool,
  parseDuration,
  parsePolicyType,
  type PolicyType,
  PolicyValueError,
} from "../core/mod.ts";
import { UsageError } from "../errors.ts";
import {
  DEFAULT_WEBHOOK_WAIT_MS,
  ENGINE_DEFAULTS,
  type EngineConfig,
  type WebhookConfig,
} from "../exec/mod.ts";
import type { GlobalOptions } from "./context.ts";

/** A parser's RangeError as a usage error: `Cannot use --flag "value": expected …`. */
function usage(flag: string, value: string, expected: string): UsageError {
  return new UsageError(`Cannot use ${flag} "${value}": expected ${expected}`);
}

/** A duration flag in milliseconds (`500ms 90s 10m 1h30m 2d 1w`; a bare number is seconds). */
export function durationFlag(flag: string, value: string, bounds: DurationBounds = {}): number {
  try {
    return parseDuration(value, flag, bounds);
  } catch (e) {
    if (e instanceof DurationError) throw usage(flag, value, e.expected);
    throw e;
  }
}

/** A boolean flag (`--flag`, `--flag=false`, any form of the one boolean grammar). */
export function boolFlag(flag: string, value: string | boolean): boolean {
  if (typeof value === "boolean") return value;
  try {
    return parseBool(value, flag);
  } catch (e) {
    if (e instanceof PolicyValueError) throw usage(flag, value, e.expected);
    throw e;
  }
}

/** A whole number from `min` to `max` (a 400-digit number is refused, not read as Infinity). */
export function intFlag(
  flag: string,
  value: string,
  range: { min?: number; max?: number } = {},
): number {
  const min = range.min ?? 1;
  const max = range.max ?? 1_000_000;
  const n = /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(flag, value, `a whole number from ${min} to ${max}`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * A size in bytes: a whole number with an optional binary unit (`512KiB`, `64MiB`, `1GiB`; a bare
 * number is bytes), within `[min, max]`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { sizeFlag } from "./flags.ts";
 * assertEquals(sizeFlag("--max-response-size", "64MiB"), 64 * 1024 * 1024);
 * ```
 */
export function sizeFlag(
  flag: string,
  value: string,
  range: { min?: number; max?: number } = {},
): number {
  const min = range.min ?? 1;
  const max = range.max ?? 4 * 1024 ** 3;
  const m = /^(\d{1,13})\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(
      flag,
      value,
      `a size from ${formatSize(min)} to ${formatSize(max)} such as 64MiB (units B, KiB, MiB, GiB)`,
    );
  }
  return n;
}

function formatSize(n: number): string {
  for (const [unit, f] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (n >= f && n % f === 0) return `${n / f}${unit}`;
  }
  return `${n}B`;
}

/** `--now`: an RFC 3339 instant with an offset or Z. */
export function nowFlag(value: string | undefined): Temporal.Instant | undefined {
  if (value === undefined) return undefined;
  return instantFlag("--now", value);
}

/** An RFC 3339 instant with an offset or Z (`--at`, `--until`, `--now`). */
export function instantFlag(flag: string, value: string): Temporal.Instant {
  try {
    return Temporal.Instant.from(value.trim());
  } catch {
    throw usage(flag, value, "an RFC 3339 instant such as 2026-03-01T08:00:00Z");
  }
}

/** Ids as given to a repeatable id flag: non-empty, no whitespace; duplicates removed. */
export function idsFlag(
  flag: string,
  ids: readonly string[] | undefined,
  missing: string,
  example = "3f0c2b1e-…",
): string[] {
  if (!ids || ids.length === 0) throw new UsageError(missing);
  for (const id of ids) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/.test(id)) {
      throw new UsageError(`Cannot use ${flag} "${id}": expected a Cinder id such as ${example}`);
    }
  }
  return [...new Set(ids)];
}

/** `--volume-id` (repeatable): at least one, each a plausible Cinder id. */
export function volumeIdsFlag(ids: readonly string[] | undefined, action: string): string[] {
  return idsFlag(
    "--volume-id",
    ids,
    `Cannot ${action} without a volume: pass --volume-id <id> (repeatable)`,
  );
}

/** `--policy`: a policy type (any case). */
export function policyFlag(value: string): PolicyType {
  try {
    return parsePolicyType(value, "--policy");
  } catch {
    throw new UsageError(
      `Cannot use --policy "${value}": expected express, daily, weekly or monthly`,
    );
  }
}

/**
 * A retention duration (`snapshot --retention 36h`) in milliseconds: the one duration grammar,
 * but with a unit, since a bare `7` would be 7 seconds here and 7 days in `subscribe --retention`.
 */
export function retentionDurationFlag(flag: string, value: string): number {
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) {
    throw new UsageError(
      `Cannot use ${flag} "${value}": give a unit, e.g. ${value.trim()}d for days or 36h (a bare number would be seconds)`,
    );
  }
  return durationFlag(flag, value, { minMs: 60_000 });
}

/** Text stored in a metadata value (at most 255 characters, as Cinder allows; no controls). */
export function metadataTextFlag(flag: string, value: string): string {
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  if (value.length > 255 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw usage(flag, value, "text of at most 255 characters without control characters");
  }
  return value;
}

/** The global `--timeout`: a duration; a bare number is seconds as in the Go tool; 0 = none. */
export function timeoutFlag(value: string): number {
  return durationFlag("--timeout", value, { minMs: 1000, allowZero: true });
}

/** Run flags shared by create-snapshots, expire-snapshots, plan and daemon. */
export interface EngineFlags {
  concurrency?: string;
  laneConcurrency?: string;
  rateLimit?: string;
  waitTimeout?: string;
  stuckAfter?: string;
  webhookOn?: string;
  webhookFormat?: string;
  webhookWait?: string;
}

const STUCK_BOUNDS: DurationBounds = { minMs: 60_000 };
const WAIT_BOUNDS: DurationBounds = { minMs: 1000 };

/**
 * Adds the engine flags shared by the run commands, `plan` and the daemon. `plan` gets only those
 * that change what it shows or how it talks to the cloud: it never creates and never notifies.
 */
export function addEngineOptions(
  cmd: Command,
  job: "create" | "expire" | "both" | "plan",
): Command {
  const d = ENGINE_DEFAULTS;
  if (job === "create" || job === "both") {
    cmd.option(
      "--concurrency <n>",
      `server groups snapshotted in parallel (default: ${d.concurrency})`,
    )
      .option(
        "--lane-concurrency <n>",
        `parallel creates for multi-attached and unattached volumes (default: ${d.laneConcurrency})`,
      )
      .option(
        "--wait-timeout <duration>",
        `how long to wait for snapshots to become available, e.g. 10m or 1h30m (default: ${
          formatDuration(d.waitTimeoutMs)
        })`,
      );
  }
  cmd
    .option("--rate-limit <rps>", "at most this many API requests per second")
    .option(
      "--stuck-after <duration>",
      `a snapshot creating for longer is a zombie, e.g. 2h or 1d (default: ${
        formatDuration(d.stuckAfterMs)
      })`,
    );
  if (job === "plan") return cmd;
  return cmd
    .addOption(
      new Option("--webhook-on <when>", "send webhooks on failure only, or always (summary)")
        .choices(["failure", "always"]).default("failure"),
    )
    .addOption(
      new Option(
        "--webhook-format <format>",
        "batch: one message per run with every failure; go: one message per failure, as SnapSentry-Go",
      ).choices(["batch", "go"]).default("batch"),
    )
    .option(
      "--webhook-wait <duration>",
      `at exit (or daemon shutdown), wait at most this long for alerts to be delivered (default: ${
        formatDuration(DEFAULT_WEBHOOK_WAIT_MS)
      })`,
    );
}

/** Validates the run flags (before any API call) into an engine config. */
export function engineConfigFrom(globals: GlobalOptions, flags: EngineFlags): {
  config: Partial<EngineConfig>;
  rateLimitPerSecond?: number;
} {
  const d = ENGINE_DEFAULTS;
  const config: Partial<EngineConfig> = {
    concurrency: flags.concurrency === undefined
      ? d.concurrency
      : intFlag("--concurrency", flags.concurrency, { max: 1000 }),
    laneConcurrency: flags.laneConcurrency === undefined
      ? d.laneConcurrency
      : intFlag("--lane-concurrency", flags.laneConcurrency, { max: 1000 }),
    timeoutMs: globals.timeoutMs,
  };
  if (flags.waitTimeout !== undefined) {
    config.waitTimeoutMs = durationFlag("--wait-timeout", flags.waitTimeout, WAIT_BOUNDS);
  }
  if (flags.stuckAfter !== undefined) {
    config.stuckAfterMs = durationFlag("--stuck-after", flags.stuckAfter, STUCK_BOUNDS);
  }
  let rateLimitPerSecond: number | undefined;
  if (flags.rateLimit !== undefined) {
    const r = Number(flags.rateLimit);
    if (!/^\d+(\.\d+)?$/.test(flags.rateLimit.trim()) || !Number.isFinite(r) || r <= 0 || r > 1e6) {
      throw usage("--rate-limit", flags.rateLimit, "requests per second above 0, e.g. 10");
    }
    rateLimitPerSecond = r;
  }
  return { config, ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}) };
}

/** `--webhook-wait` in milliseconds. */
export function webhookWaitFrom(flags: EngineFlags): number {
  return flags.webhookWait === undefined
    ? DEFAULT_WEBHOOK_WAIT_MS
    : durationFlag("--webhook-wait", flags.webhookWait);
}

/** The webhook settings of the global flags and the run flags, or undefined without a URL. */
export function webhookConfigFrom(
  globals: GlobalOptions,
  flags: EngineFlags,
): WebhookConfig | undefined {
  if (!globals.webhookUrl) return undefined;
  const on = flags.webhookOn ?? "failure";
  const format = flags.webhookFormat ?? "batch";
  if (format !== "batch" && format !== "go") {
    throw usage("--webhook-format", format, '"batch" or "go"');
  }
  return { ...webhookConfig(globals, on), format };
}

function webhookConfig(globals: GlobalOptions, on: string): WebhookConfig {
  const raw = globals.webhookUrl!;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw usage("--webhook-url", raw, "an http(s) URL");
  }
  if (on !== "failure" && on !== "always") throw usage("--webhook-on", on, '"failure" or "always"');
  const webhook: WebhookConfig = { url: raw, on };
  if (globals.webhookUsername) webhook.username = globals.webhookUsername;
  if (globals.webhookPassword) webhook.password = globals.webhookPassword;
  return webhook;
}
