/**
 * The CLI in process against the contract target, as the member profile: what the CLI cases run.
 */
import assert from "node:assert/strict";
import type { SummaryJson } from "../../src/exec/mod.ts";
import { cli, type CliResult } from "../helpers/cli.ts";
import type { Target } from "./target.ts";

/** Runs `snapsentry --cloud <member> --log-level warn <argv>` on the target. */
export function cliRunner(target: Target): (argv: string[]) => Promise<CliResult> {
  return (argv) =>
    cli(["--cloud", target.profiles.member!, "--log-level", "warn", ...argv], {
      env: target.env,
      fetch: target.fetch as typeof fetch,
      clock: target.clock,
      readTextFile: target.readTextFile,
      cwd: Deno.cwd(),
      homeDir: undefined,
    });
}

/** The run summary of a `--json` run that must exit 0. */
export function summaryOf(r: CliResult, what: string): SummaryJson {
  assert.equal(r.code, 0, `${what} exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as SummaryJson;
}
