/**
 * Builds the snapshot engine a command runs on: the command's cloud, its clock and logger, and the
 * run flags (`--concurrency`, `--wait-timeout`, …) plus the global `--timeout` and webhook flags.
 */
import { createEngine, type SnapshotEngine } from "../exec/mod.ts";
import { cloudFor } from "./cloud.ts";
import type { CommandContext } from "./command.ts";
import { engineConfigFrom, type EngineFlags } from "./flags.ts";

/** The engine for this command run (one cloud, one authenticated client). */
export async function engineFromContext(
  ctx: CommandContext,
  flags: EngineFlags = {},
): Promise<SnapshotEngine> {
  const { config, rateLimitPerSecond } = engineConfigFrom(ctx.globals(), flags);
  const cloud = await cloudFor(ctx, rateLimitPerSecond ? { rateLimitPerSecond } : {});
  return createEngine(
    { cloud, clock: ctx.deps.clock, logger: ctx.logger(), fetch: ctx.deps.fetch },
    config,
  );
}
