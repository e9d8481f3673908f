/**
 * `snapsentry daemon`: create and expire runs on cron schedules, with an HTTP endpoint for
 * /healthz, /readyz, /status, /metrics and a read-only status page. Flags and defaults follow the
 * Go tool, except `--bind-address`, which defaults to loopback (the Go tool bound every interface
 * with an unauthenticated dashboard that could stop its scheduler).
 */
import { type Command, Option } from "commander";
import { registerSecret } from "../../redact.ts";
import {
  DEFAULT_BIND_ADDRESS,
  DEFAULT_CREATE_SCHEDULE,
  DEFAULT_EXPIRE_SCHEDULE,
  DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
  DEFAULT_UNPROTECTED_REFRESH_SECONDS,
  resolveDaemonOptions,
  startDaemon,
} from "../../daemon/mod.ts";
import { formatDuration } from "../../core/mod.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { alertsFromContext, engineFromContext } from "../engine.ts";
import {
  addEngineOptions,
  boolFlag,
  durationFlag,
  type EngineFlags,
  webhookWaitFrom,
} from "../flags.ts";

interface DaemonFlags extends EngineFlags {
  createSchedule: string;
  expireSchedule: string;
  bindAddress: string;
  scheduleTimezone?: string;
  runAtStart?: boolean;
  shutdownTimeout?: string;
  metricsPerVolume: string | boolean;
  unprotectedRefresh?: string;
}

export function registerDaemon(program: Command, ctx: CommandContext): void {
  const cmd = addEngineOptions(program.command("daemon"), "both")
    .description(
      "Run create and expire on cron schedules, with /healthz, /readyz, /status, /metrics and a " +
        "status page on --bind-address",
    )
    .option(
      "--create-schedule <cron>",
      'cron for create-snapshots (5 fields, @hourly…, "@every 15m", optional CRON_TZ= prefix)',
      DEFAULT_CREATE_SCHEDULE,
    )
    .option("--expire-schedule <cron>", "cron for expire-snapshots", DEFAULT_EXPIRE_SCHEDULE)
    .option(
      "--bind-address <host:port>",
      "HTTP listen address; containers pass 0.0.0.0:8080",
      DEFAULT_BIND_ADDRESS,
    )
    .option(
      "--schedule-timezone <zone>",
      "IANA zone for schedules without a CRON_TZ= prefix (default: TZ, else the host's zone, else UTC)",
    )
    .option("--run-at-start", "run create and expire once right after start")
    .option(
      "--shutdown-timeout <duration>",
      `on SIGTERM/SIGINT, wait this long for a run in flight before cancelling it, e.g. 90s ` +
        `(default: ${formatDuration(DEFAULT_SHUTDOWN_TIMEOUT_SECONDS * 1000)})`,
    )
    .addOption(
      new Option(
        "--metrics-per-volume [bool]",
        "export per-volume freshness series; =false for very large projects",
      ).default(true),
    )
    .option(
      "--unprotected-refresh <duration>",
      "list every volume for snapsentry_unprotected_volumes at most this often, e.g. 30m; " +
        `0 = never (default: ${formatDuration(DEFAULT_UNPROTECTED_REFRESH_SECONDS * 1000)})`,
    )
    .action(async (flags: DaemonFlags) => {
      // Every flag is checked before anything starts (exit 2 on bad input).
      const apiToken = ctx.deps.env.SNAPSENTRY_API_TOKEN;
      registerSecret(apiToken);
      const options = resolveDaemonOptions({
        createSchedule: flags.createSchedule,
        expireSchedule: flags.expireSchedule,
        bindAddress: flags.bindAddress,
        ...(flags.scheduleTimezone !== undefined
          ? { scheduleTimezone: flags.scheduleTimezone }
          : {}),
        // As the Go tool's cron: TZ, then the host's local zone (a CRON_TZ= prefix or the flag win).
        ...(ctx.deps.env.TZ !== undefined ? { envTimezone: ctx.deps.env.TZ } : {}),
        hostTimezone: ctx.deps.hostTimezone ?? "UTC",
        runAtStart: flags.runAtStart === true,
        ...(flags.shutdownTimeout !== undefined
          ? {
            shutdownTimeoutSeconds: durationFlag("--shutdown-timeout", flags.shutdownTimeout) /
              1000,
          }
          : {}),
        metricsPerVolume: boolFlag("--metrics-per-volume", flags.metricsPerVolume),
        ...(flags.unprotectedRefresh !== undefined
          ? {
            unprotectedRefreshSeconds:
              durationFlag("--unprotected-refresh", flags.unprotectedRefresh, {
                minMs: 60_000,
                allowZero: true,
              }) / 1000,
          }
          : {}),
        ...(apiToken !== undefined && apiToken !== "" ? { apiToken } : {}),
      }, ctx.deps.clock.now());
      // The engine validates its own flags (--concurrency, --rate-limit, …) before any API call.
      const alertWaitMs = webhookWaitFrom(flags);
      const alerts = alertsFromContext(ctx, flags);
      const engine = await engineFromContext(ctx, flags, alerts);
      const handle = startDaemon(options, {
        engine,
        stuckAfterMs: engine.config.stuckAfterMs,
        ...(alerts ? { alerts, alertWaitMs } : {}),
        clock: ctx.deps.clock,
        logger: ctx.logger(),
        ...(ctx.deps.onSignal ? { onSignal: ctx.deps.onSignal } : {}),
        ...(ctx.deps.signal ? { signal: ctx.deps.signal } : {}),
      });
      ctx.setExitCode(await handle.done);
    });
  withExamples(
    cmd,
    "snapsentry --cloud mycloud daemon",
    'snapsentry --cloud mycloud daemon --create-schedule "CRON_TZ=Europe/Berlin */15 * * * *" --run-at-start',
    "SNAPSENTRY_API_TOKEN=$(openssl rand -hex 32) snapsentry daemon --bind-address 0.0.0.0:8080",
    "snapsentry --cloud mycloud daemon --unprotected-refresh 30m",
  );
}
