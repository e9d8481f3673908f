/**
 * What every command file needs from the program, without importing the program (which imports
 * every command): the command context, the registration signature and the example helper.
 */
import type { Command } from "commander";
import type { Logger } from "../log.ts";
import type { CliDeps, GlobalOptions } from "./context.ts";

/** What every command gets: the deps plus resolved globals, the logger and output helpers. */
export interface CommandContext {
  readonly deps: CliDeps;
  /** Global options resolved from flags, then the environment. Valid inside an action. */
  globals(): GlobalOptions;
  /** The run's logger (configured from --log-level/--log-format). */
  logger(): Logger;
  /** Writes a line to stdout. */
  out(text: string): void;
  /** Writes redacted pretty JSON to stdout. */
  json(value: unknown): void;
  /** Raises the exit code (the highest one set wins). */
  setExitCode(code: number): void;
  /**
   * Runs the whole CLI again on `argv` with other deps (the demo runs the real commands against
   * its emulated cloud this way) and returns that run's exit code.
   */
  runCli(argv: string[], deps: CliDeps): Promise<number>;
}

/** Adds one command (or group) to the program. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** Adds "Example:" help text to a command. */
export function withExamples(cmd: Command, ...examples: string[]): Command {
  return cmd.addHelpText(
    "after",
    `\nExample${examples.length > 1 ? "s" : ""}:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`,
  );
}
