/**
 * Time as a dependency. Everything that decides by time or waits (schedules, windows, backoffs,
 * polls, timeouts, the demo's simulated month) takes a `Clock`, so tests run them without real
 * time passing. Only log timestamps (`ts`, the moment a line is written) and the bench's
 * wall-time figures read the system clock directly.
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
  #idleTicks = 0;
  #scheduled = false;
  /**
   * When on, time jumps to the earliest pending sleep once the process is otherwise idle (no
   * sleeper was added or woken for a few event-loop turns): a simulation runs waits, polls and
   * backoffs instantly, while a watchdog timer racing an in-process request is cancelled before
   * time reaches it.
   */
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
    const until = this.#now.epochNanoseconds + BigInt(Math.max(0, Math.round(ms))) * 1_000_000n;
    const p = new Promise<void>((resolve, reject) => {
      const entry = { until, resolve };
      this.#sleepers.push(entry);
      signal?.addEventListener("abort", () => {
        const before = this.#sleepers.length;
        this.#sleepers = this.#sleepers.filter((s) => s !== entry);
        if (this.#sleepers.length !== before) reject(signal.reason);
      }, { once: true });
    });
    this.#idleTicks = 0;
    if (this.autoAdvance) this.#schedule();
    return p;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => this.#tick(), 0);
  }

  #tick(): void {
    this.#scheduled = false;
    if (!this.autoAdvance || this.#sleepers.length === 0) return;
    // Wait for a few quiet turns of the event loop before moving time.
    if (++this.#idleTicks < 3) return this.#schedule();
    this.#idleTicks = 0;
    let earliest = this.#sleepers[0]!.until;
    for (const s of this.#sleepers) if (s.until < earliest) earliest = s.until;
    if (earliest > this.#now.epochNanoseconds) {
      this.#now = Temporal.Instant.fromEpochNanoseconds(earliest);
    }
    this.#wake();
    if (this.#sleepers.length > 0) this.#schedule();
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
    this.#idleTicks = 0;
    for (const s of due) s.resolve();
  }
}

/**
 * An AbortSignal that aborts with `reason` after `ms` of `clock` time; `cancel()` stops the timer
 * (call it once the work is done, or the clock keeps a sleeper).
 */
export function timeoutSignal(
  clock: Clock,
  ms: number,
  reason: unknown = new DOMException("timed out", "TimeoutError"),
): { signal: AbortSignal; cancel(): void } {
  const controller = new AbortController();
  const stop = new AbortController();
  clock.sleep(ms, stop.signal).then(() => controller.abort(reason), () => {});
  return { signal: controller.signal, cancel: () => stop.abort() };
}
