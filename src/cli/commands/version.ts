/**
 * `version`: SnapSentry-Go's three lines (`SnapSentry version: …`, `Commit: …`, `Built: …`), so
 * scripts that read them keep working, then the Deno line; `--json` for machines. Needs no cloud.
 * (`--version` / `-V` on the program print the bare version, commander's way.)
 */
import type { Command } from "commander";
import { BUILD_INFO } from "../../build_info.ts";
import { type CommandContext, withExamples } from "../command.ts";

/** Version information; works without --cloud. */
export function versionInfo(): Record<string, string> {
  return {
    version: BUILD_INFO.version,
    commit: BUILD_INFO.commit,
    build_date: BUILD_INFO.buildDate,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
  };
}

export function registerVersion(program: Command, ctx: CommandContext): void {
  const cmd = program.command("version")
    .description("Print version, commit, build date and Deno version")
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => {
      const info = versionInfo();
      if (opts.json) return ctx.json(info);
      ctx.out(
        [
          `SnapSentry version: ${info.version}`,
          `Commit: ${info.commit}`,
          `Built: ${info.build_date}`,
          `Deno: ${info.deno} (V8 ${info.v8}, TypeScript ${info.typescript})`,
        ].join("\n"),
      );
    });
  withExamples(cmd, "snapsentry version --json");
}
