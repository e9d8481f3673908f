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

import { createEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/mod.ts";

export interface EmulatedCli {
  emulator: Emulator;
  clock: ManualClock;
  /** Runs the CLI against the emulator with the `emulator` profile (demo project member). */
  run(argv: string[], overrides?: Partial<CliDeps>): Promise<CliResult>;
}

/** A fresh emulator and a CLI wired to it through clouds.yaml (no sockets). */
export function emulatedCli(
  options: EmulatorOptions & { start?: string; cloud?: string } = {},
): EmulatedCli {
  const clock = new ManualClock(options.start ?? "2026-01-15T12:00:00Z", { autoAdvance: true });
  const emulator = createEmulator({ clock, snapshotDelayMs: 1000, ...options });
  const yaml = emulator.cloudsYaml();
  const files: Record<string, string> = { "/virtual/clouds.yaml": yaml };
  return {
    emulator,
    clock,
    run: (argv, overrides = {}) =>
      cli(["--cloud", options.cloud ?? "emulator", ...argv], {
        clock,
        fetch: emulator.fetch,
        env: { OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml" },
        readTextFile: (p) => {
          const f = files[p];
          return f === undefined
            ? Promise.reject(new Deno.errors.NotFound(`No such file: ${p}`))
            : Promise.resolve(f);
        },
        ...overrides,
      }),
  };
}
