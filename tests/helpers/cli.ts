/** Runs the CLI in-process with captured streams; returns stdout, stderr, exit code and logs. */
import { ManualClock } from "../../src/clock.ts";
import { capturedDeps, type CliDeps, runCli } from "../../src/cli/mod.ts";
import type { LogEntry } from "../../src/log.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  logs: LogEntry[];
}

export async function cli(argv: string[], overrides: Partial<CliDeps> = {}): Promise<CliResult> {
  const deps = capturedDeps({ clock: new ManualClock("2026-01-15T12:00:00Z"), ...overrides });
  const code = await runCli(argv, deps);
  return { code, stdout: deps.out.join(""), stderr: deps.err.join(""), logs: deps.logs.entries };
}
