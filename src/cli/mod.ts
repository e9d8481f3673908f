/**
 * The CLI layer: argv, stdout/stderr and exit codes live here and in `main.ts`, nowhere else.
 */
export { type CommandContext, withExamples } from "./command.ts";
export { buildProgram, runCli } from "./program.ts";
export { capturedDeps, type CliDeps, type GlobalOptions } from "./context.ts";
