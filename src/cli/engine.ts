/**
 * Builds the snapshot engine a command runs on: the command's cloud, its clock and logger, and the
 * run flags (`--concurrency`, `--wait-timeout`, …) plus the global `--timeout` and webhook flags.
 */
import { ENGINE_DEFAULTS, type EngineConfig, SnapshotEngine } from "../exec/engine.ts";
import type { WebhookConfig } from "../exec/webhook.ts";
import { UsageError } from "../errors.ts";
import { cloudFor } from "./cloud.ts";
import type { CommandContext } from "./program.ts";

/** Run flags shared by create-snapshots, expire-snapshots, plan and daemon. */
export interface EngineFlags {
  concurrency?: string;
  laneConcurrency?: string;
  rateLimit?: string;
  waitTimeout?: string;
  stuckAfter?: string;
  webhookOn?: string;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `90s`, `10m`, `2h`, `500ms` or bare seconds into milliseconds. */
export function parseDurationMs(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) {
    throw new UsageError(
      `Cannot use ${flag} "${value}": expected a duration such as 90s, 10m or 2h (bare numbers are seconds)`,
    );
  }
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? "s"]!);
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`Cannot use ${flag} "${value}": expected a whole number of at least 1`);
  }
  return Number(value);
}

/** Validates run flags (before any API call) into an engine config. */
export function engineConfigFrom(ctx: CommandContext, flags: EngineFlags): {
  config: Partial<EngineConfig>;
  rateLimitPerSecond?: number;
} {
  const globals = ctx.globals();
  const config: Partial<EngineConfig> = {
    concurrency: positiveInt(flags.concurrency, "--concurrency", ENGINE_DEFAULTS.concurrency),
    laneConcurrency: positiveInt(
      flags.laneConcurrency,
      "--lane-concurrency",
      ENGINE_DEFAULTS.laneConcurrency,
    ),
    timeoutMs: globals.timeout * 1000,
  };
  if (flags.waitTimeout !== undefined) {
    config.waitTimeoutMs = parseDurationMs(flags.waitTimeout, "--wait-timeout");
  }
  if (flags.stuckAfter !== undefined) {
    config.stuckAfterMs = parseDurationMs(flags.stuckAfter, "--stuck-after");
  }
  let rateLimitPerSecond: number | undefined;
  if (flags.rateLimit !== undefined) {
    const r = Number(flags.rateLimit);
    if (!Number.isFinite(r) || r <= 0) {
      throw new UsageError(
        `Cannot use --rate-limit "${flags.rateLimit}": expected requests per second above 0, e.g. 10`,
      );
    }
    rateLimitPerSecond = r;
  }
  if (globals.webhookUrl) {
    let url: URL;
    try {
      url = new URL(globals.webhookUrl);
    } catch {
      throw new UsageError(
        `Cannot use --webhook-url "${globals.webhookUrl}": expected an http(s) URL`,
      );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new UsageError(
        `Cannot use --webhook-url "${globals.webhookUrl}": expected an http(s) URL`,
      );
    }
    const on = flags.webhookOn ?? "failure";
    if (on !== "failure" && on !== "always") {
      throw new UsageError(`Cannot use --webhook-on "${on}": expected "failure" or "always"`);
    }
    const webhook: WebhookConfig = { url: globals.webhookUrl, on };
    if (globals.webhookUsername) webhook.username = globals.webhookUsername;
    if (globals.webhookPassword) webhook.password = globals.webhookPassword;
    config.webhook = webhook;
  }
  return { config, ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}) };
}

/** The engine for this command run (one cloud, one authenticated client). */
export async function engineFromContext(
  ctx: CommandContext,
  flags: EngineFlags = {},
): Promise<SnapshotEngine> {
  const { config, rateLimitPerSecond } = engineConfigFrom(ctx, flags);
  const cloud = await cloudFor(ctx, rateLimitPerSecond ? { rateLimitPerSecond } : {});
  return new SnapshotEngine({
    blockStorage: () => cloud.blockStorage(),
    stats: () => cloud.stats(),
    clock: ctx.deps.clock,
    logger: ctx.logger(),
    fetch: ctx.deps.fetch,
    useRequestId: (id) => {
      cloud.transport.requestId = id;
    },
  }, config);
}
