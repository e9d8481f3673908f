/**
 * Builds the snapshot engine a command runs on: the command's cloud, its clock and logger, the
 * run flags (`--concurrency`, `--wait-timeout`, …) and the global `--timeout`, and, with
 * `--webhook-url`, the alert queue its runs hand their summaries to.
 */
import { AlertQueue, createEngine, type SnapshotEngine } from "../exec/mod.ts";
import { staysOnThisHost } from "../net.ts";
import { cloudFor } from "./cloud.ts";
import type { CommandContext } from "./command.ts";
import { engineConfigFrom, type EngineFlags, webhookConfigFrom } from "./flags.ts";

/** The alert queue of the command's webhook flags, or undefined without `--webhook-url`. */
export function alertsFromContext(ctx: CommandContext, flags: EngineFlags): AlertQueue | undefined {
  const config = webhookConfigFrom(ctx.globals(), flags);
  if (!config) return undefined;
  const url = new URL(config.url);
  if (
    url.protocol === "http:" && (config.password !== undefined || url.password !== "") &&
    !staysOnThisHost(url.hostname)
  ) {
    // Basic credentials over plain HTTP can be read by anyone on the path.
    ctx.logger().warn("webhook_credentials_in_cleartext", {
      host: url.host,
      hint:
        "use an https:// webhook URL, or a receiver on this host, so the password is not sent " +
        "in the clear",
    });
  }
  return new AlertQueue({
    config,
    fetch: ctx.deps.fetch,
    clock: ctx.deps.clock,
    logger: ctx.logger(),
  });
}

/** The engine for this command run (one cloud, one authenticated client). */
export async function engineFromContext(
  ctx: CommandContext,
  flags: EngineFlags = {},
  alerts?: AlertQueue,
): Promise<SnapshotEngine> {
  const { config, rateLimitPerSecond } = engineConfigFrom(ctx.globals(), flags);
  const cloud = await cloudFor(ctx, rateLimitPerSecond ? { rateLimitPerSecond } : {});
  return createEngine(
    { cloud, clock: ctx.deps.clock, logger: ctx.logger(), ...(alerts ? { alerts } : {}) },
    config,
  );
}
