/**
 * `demo`: the whole lifecycle on the built-in emulated cloud (no cloud needed); the scenario is in
 * `src/cli/demo/scenario.ts`.
 */
import type { Command } from "commander";
import { type CommandContext, withExamples } from "../command.ts";
import { DEMO_START, type DemoFlags, runDemo } from "../demo/scenario.ts";

export function registerDemo(program: Command, ctx: CommandContext): void {
  const cmd = program.command("demo")
    .description("Run the whole lifecycle on the built-in emulated cloud (no cloud needed)")
    .option("--days <n>", "days to simulate", "30")
    .option("--start <instant>", "simulated start time (RFC 3339)", DEMO_START)
    .option("--quiet", "only the timeline and the summary")
    .action((flags: DemoFlags) => runDemo(ctx, flags));
  withExamples(cmd, "snapsentry demo", "snapsentry demo --days 45 --quiet");
}
