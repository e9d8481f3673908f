/**
 * The engine's settings and their defaults: the one source of every run flag's default (the CLI
 * prints these in its help and falls back to them).
 */
import { DEFAULT_STUCK_AFTER_MS } from "../core/mod.ts";

export interface EngineConfig {
  /** Server groups snapshotted in parallel. */
  concurrency: number;
  /** Parallelism of the lane (multi-attached and unattached volumes); 1 is sequential. */
  laneConcurrency: number;
  /** How long a run waits for new snapshots to become available. */
  waitTimeoutMs: number;
  /** Time between polls while waiting. */
  pollIntervalMs: number;
  /** A managed snapshot `creating` for longer is a zombie. */
  stuckAfterMs: number;
  /** Global `--timeout`: stop starting new work after this long. 0 = none. */
  timeoutMs: number;
  /** Delete concurrency of expire runs. */
  deleteConcurrency: number;
}

export const ENGINE_DEFAULTS: Readonly<EngineConfig> = {
  concurrency: 8,
  laneConcurrency: 1,
  waitTimeoutMs: 10 * 60_000,
  pollIntervalMs: 5_000,
  stuckAfterMs: DEFAULT_STUCK_AFTER_MS,
  timeoutMs: 0,
  deleteConcurrency: 8,
};
