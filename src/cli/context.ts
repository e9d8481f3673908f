/**
 * What a command needs from the outside world. `main.ts` builds the real one; tests build one with
 * captured streams, an in-memory environment and the emulator's fetch.
 */
import type { Clock } from "../clock.ts";
import type { FileAccessCheck } from "../openstack/mod.ts";
import { type Level, type LogFormat, type Logger, MemoryLogger } from "../log.ts";

export interface CliDeps {
  env: Record<string, string | undefined>;
  /** Command output (stdout). Receives whole chunks; add your own newlines. */
  writeOut: (text: string) => void;
  /** Human-facing errors (stderr). */
  writeErr: (text: string) => void;
  /** Makes the run's logger; the real one writes JSON lines to stderr. */
  makeLogger: (options: { level: Level; format: LogFormat }) => Logger;
  clock: Clock;
  fetch: typeof fetch;
  readTextFile: (path: string) => Promise<string>;
  /** Who may read a file holding a secret (warnings); real: Deno.stat and the process's gid. */
  fileAccess?: FileAccessCheck;
  cwd: string;
  homeDir: string | undefined;
  /** The host's local time zone (`Temporal.Now.timeZoneId()`); only daemon schedules use it. */
  hostTimezone?: string;
  /** Aborted on SIGINT/SIGTERM (daemon shutdown). */
  signal?: AbortSignal;
  /** Subscribes to shutdown signals; returns an unsubscribe function. Real: SIGINT/SIGTERM. */
  onSignal?: (handler: (signal: "SIGINT" | "SIGTERM") => void) => () => void;
}

/** Where `--region` came from: the flag, its openstackclient alias, or a variable. */
export type RegionOrigin = "--region" | "--os-region-name" | "SNAPSENTRY_REGION" | "OS_REGION_NAME";

/** Options every command shares (the Go tool's global flags, plus ours). */
export interface GlobalOptions {
  cloud?: string;
  /** `--region`: must be one of the cloud's regions when clouds.yaml lists them. */
  region?: string;
  regionFrom?: RegionOrigin;
  logLevel: Level;
  logFormat: LogFormat;
  /** `--timeout` in milliseconds; 0 = none. */
  timeoutMs: number;
  /** `--max-response-size`: the byte cap on one cloud answer (default the client's 64 MiB). */
  maxResponseBytes?: number;
  /** `--max-pages`: the page limit of one listing (default the client's 1001). */
  maxPages?: number;
  webhookUrl?: string;
  webhookUsername?: string;
  webhookPassword?: string;
  /** `--now` replay instant, when the command supports it. */
  now?: Temporal.Instant;
}

/** Test helper: deps with captured output and a memory logger. */
export interface CapturedDeps extends CliDeps {
  out: string[];
  err: string[];
  logs: MemoryLogger;
}

export function capturedDeps(overrides: Partial<CliDeps> & Pick<CliDeps, "clock">): CapturedDeps {
  const out: string[] = [];
  const err: string[] = [];
  const logs = new MemoryLogger();
  return {
    env: {},
    writeOut: (t) => out.push(t),
    writeErr: (t) => err.push(t),
    makeLogger: ({ level }) => {
      const l = new MemoryLogger({ level, entries: logs.entries });
      return l;
    },
    fetch: () => Promise.reject(new TypeError("no network in tests")),
    readTextFile: (p) => Promise.reject(new Deno.errors.NotFound(`No such file: ${p}`)),
    cwd: "/nonexistent",
    homeDir: undefined,
    ...overrides,
    out,
    err,
    logs,
  };
}
