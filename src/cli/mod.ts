/**
 * The CLI layer: argv, stdout/stderr and exit codes live here and in `main.ts`, nowhere else.
 */
export { buildProgram, type CommandContext, runCli, withExamples } from "./program.ts";
export { capturedDeps, type CliDeps, type GlobalOptions } from "./context.ts";
