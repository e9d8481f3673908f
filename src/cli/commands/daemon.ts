import type { Command } from "commander";
import { SnapsentryError } from "../../errors.ts";
import { type CommandContext, withExamples } from "../program.ts";

// Owned by the daemon work (issue 5); this registers the command and its Go-compatible flags.
export function registerDaemon(program: Command, _ctx: CommandContext): void {
  const cmd = program.command("daemon")
    .description("Run create and expire on cron schedules with a health/metrics endpoint")
    .option("--create-schedule <cron>", "cron for create-snapshots", "*/10 * * * *")
    .option("--expire-schedule <cron>", "cron for expire-snapshots", "0 */6 * * *")
    .option("--bind-address <host:port>", "HTTP listen address", "127.0.0.1:8080")
    .action(() => {
      throw new SnapsentryError("Cannot start the daemon: daemon mode is not built yet");
    });
  withExamples(cmd, 'snapsentry --cloud mycloud daemon --create-schedule "*/10 * * * *"');
}
