/**
 * The one retry loop and the one backoff rule, shared by the OpenStack transport and the webhook
 * sender. Both wait on the injected Clock, so tests and simulations never sleep for real.
 *
 * Backoff is "equal jitter" over a capped exponential: the delay before retry `n` (1-based) is
 * half of `min(cap, base · 2^(n-1))` plus a random share of the other half, so retries of many
 * clients spread out while none waits less than half the nominal delay.
 */
import type { Clock } from "./clock.ts";

/** Exponential backoff settings. */
export interface BackoffPolicy {
  /** First delay, doubled per attempt. */
  baseMs: number;
  /** Largest delay. */
  capMs: number;
}

/** The delay before retry `attempt` (1-based), with equal jitter from `random` in [0, 1). */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Options of {@link retry}. */
export interface RetryOptions {
  clock: Clock;
  /** Retries after the first attempt. */
  maxRetries: number;
  /**
   * The wait before the next attempt after `error` on attempt `attempt` (1-based), or undefined
   * when `error` is final and must be thrown as it is.
   */
  delayMs(error: unknown, attempt: number): number | undefined;
  /** Called before each wait (logging). */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /**
   * Turns the last error into what is thrown when retries ran out on a retriable error after
   * more than one attempt (default: the error itself).
   */
  exhausted?(error: unknown, attempts: number): unknown;
  /** Aborting it stops waiting; the wait rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Calls `attempt(n)` until it resolves, an error is final, or `maxRetries` retries are used up.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { ManualClock } from "./clock.ts";
 * import { retry } from "./retry.ts";
 * const clock = new ManualClock("2026-01-01T00:00:00Z", { autoAdvance: true });
 * let calls = 0;
 * const value = await retry(async () => {
 *   if (++calls < 3) throw new Error("flaky");
 *   return "ok";
 * }, { clock, maxRetries: 5, delayMs: () => 1000 });
 * assertEquals([value, calls], ["ok", 3]);
 * ```
 */
export async function retry<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let n = 1;; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const wait = options.delayMs(error, n);
      if (wait === undefined) throw error;
      if (n > options.maxRetries) {
        throw n > 1 && options.exhausted ? options.exhausted(error, n) : error;
      }
      options.onRetry?.(error, n, wait);
      await options.clock.sleep(wait, options.signal);
    }
  }
}
