/**
 * Time as a dependency. Nothing outside this file reads the system clock or sleeps directly, so
 * tests run schedules, backoffs and waits without real time passing.
 */

export interface Clock {
  /** The current instant. */
  now(): Temporal.Instant;
  /** Resolves after `ms` milliseconds of this clock's time; rejects with the signal's reason. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days); longer waits are chained.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The real clock. */
export const systemClock: Clock = {
  now: () => Temporal.Now.instant(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let remaining = Math.max(0, ms);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        if (timer !== undefined) clearTimeout(timer);
        reject(signal?.reason);
      };
      const step = () => {
        if (remaining <= 0) {
          signal?.removeEventListener("abort", onAbort);
          return resolve();
        }
        const chunk = Math.min(remaining, MAX_TIMEOUT_MS);
        remaining -= chunk;
        timer = setTimeout(step, chunk);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      step();
    });
  },
};

/**
 * A manual clock for tests and simulations. `sleep` resolves when `advance`/`set` moves time past
 * its deadline; with `autoAdvance` on, a sleep moves time forward by itself (a simulation that
 * never waits for real).
 */
export class ManualClock implements Clock {
  #now: Temporal.Instant;
  #sleepers: { until: bigint; resolve: () => void }[] = [];
  autoAdvance: boolean;

  constructor(start: Temporal.Instant | string, options: { autoAdvance?: boolean } = {}) {
    this.#now = typeof start === "string" ? Temporal.Instant.from(start) : start;
    this.autoAdvance = options.autoAdvance ?? false;
  }

  now(): Temporal.Instant {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.autoAdvance) {
      this.#now = this.#now.add({ milliseconds: Math.max(0, Math.round(ms)) });
      this.#wake();
      // Yield to the event loop so simulated waits still interleave with other tasks.
      return new Promise((resolve) => setTimeout(resolve, 0));
    }
    const until = this.#now.epochNanoseconds + BigInt(Math.max(0, Math.round(ms))) * 1_000_000n;
    return new Promise((resolve, reject) => {
      const entry = { until, resolve };
      this.#sleepers.push(entry);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== entry);
        reject(signal.reason);
      }, { once: true });
    });
  }

  /** Moves time forward and wakes every sleeper whose deadline has passed. */
  advance(duration: Temporal.DurationLike | number): void {
    this.#now = typeof duration === "number"
      ? this.#now.add({ milliseconds: duration })
      : this.#now.add(duration);
    this.#wake();
  }

  /** Jumps to an instant (never backwards) and wakes due sleepers. */
  set(instant: Temporal.Instant | string): void {
    const to = typeof instant === "string" ? Temporal.Instant.from(instant) : instant;
    if (Temporal.Instant.compare(to, this.#now) > 0) this.#now = to;
    this.#wake();
  }

  /** How many sleepers are waiting. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  #wake(): void {
    const now = this.#now.epochNanoseconds;
    const due = this.#sleepers.filter((s) => s.until <= now);
    this.#sleepers = this.#sleepers.filter((s) => s.until > now);
    for (const s of due) s.resolve();
  }
}
