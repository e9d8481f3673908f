/**
 * Alerts are delivered outside the run: a finished run hands its summary to the queue and
 * returns at once, so a receiver that is slow or never answers cannot hold a run (or the daemon's
 * next tick). One worker delivers the queued messages in order, each within its own deadline. The
 * queue is bounded (the oldest message is dropped when it is full) and `drain()` waits a bounded
 * time: a one-shot command waits `--webhook-wait` before it exits, the daemon what is left of its
 * shutdown budget. What happened to every message is counted in `state()` (`/status`, metrics).
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { RunSummary } from "./types.ts";
import { deliver, type WebhookConfig, webhookPayloads } from "./webhook.ts";

/** How long a one-shot command waits for its alerts before it exits (`--webhook-wait`). */
export const DEFAULT_WEBHOOK_WAIT_MS = 10_000;

/** The alert queue's settings. */
export interface AlertOptions {
  config: WebhookConfig;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Messages held at most; beyond, the oldest is dropped. Default 100. */
  maxQueued?: number;
  /** A message not delivered within this long is given up. Default 5 min. */
  deadlineMs?: number;
}

/** What became of the alerts so far. */
export interface AlertState {
  queued: number;
  delivering: boolean;
  sent: number;
  failed: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Given up at shutdown (or command exit) before they could be delivered. */
  abandoned: number;
  /** RFC 3339 UTC, or null. */
  lastSentAt: string | null;
  lastFailureAt: string | null;
}

interface Message {
  payload: Record<string, unknown>;
  enqueuedAt: Temporal.Instant;
}

/** Something a run can hand its summary to (the engine's only view of the queue). */
export interface AlertSink {
  enqueue(summary: RunSummary): void;
}

/** See the module doc. */
export class AlertQueue implements AlertSink {
  readonly #opts: AlertOptions;
  readonly #maxQueued: number;
  readonly #deadlineMs: number;
  #queue: Message[] = [];
  #worker: Promise<void> | null = null;
  #current: AbortController | null = null;
  /** Set by a drain that ran out of time: the message in flight is abandoned, not failed. */
  #abandoning = false;
  #state: AlertState = {
    queued: 0,
    delivering: false,
    sent: 0,
    failed: 0,
    dropped: 0,
    abandoned: 0,
    lastSentAt: null,
    lastFailureAt: null,
  };

  constructor(options: AlertOptions) {
    this.#opts = options;
    this.#maxQueued = options.maxQueued ?? 100;
    this.#deadlineMs = options.deadlineMs ?? 5 * 60_000;
  }

  /** Queues a run's messages (none for a run without failures, unless `on: always`). */
  enqueue(summary: RunSummary): void {
    if (summary.dryRun) return;
    for (const payload of webhookPayloads(summary, this.#opts.config)) {
      if (this.#queue.length >= this.#maxQueued) {
        const dropped = this.#queue.shift()!;
        this.#state.dropped++;
        this.#opts.logger.warn("webhook_dropped", {
          event_type: dropped.payload.event,
          reason: `the alert queue holds ${this.#maxQueued} messages`,
        });
      }
      this.#queue.push({ payload, enqueuedAt: this.#opts.clock.now() });
    }
    this.#state.queued = this.#queue.length;
    if (!this.#worker && this.#queue.length > 0) this.#worker = this.#work();
  }

  state(): AlertState {
    return { ...this.#state, queued: this.#queue.length };
  }

  async #work(): Promise<void> {
    const { clock, logger } = this.#opts;
    while (this.#queue.length > 0) {
      const m = this.#queue.shift()!;
      const left = m.enqueuedAt.add({ milliseconds: this.#deadlineMs }).epochMilliseconds -
        clock.now().epochMilliseconds;
      const controller = new AbortController();
      this.#current = controller;
      this.#state.delivering = true;
      const stop = new AbortController();
      clock.sleep(Math.max(0, left), stop.signal).then(() => controller.abort(), () => {});
      const ok = left > 0 &&
        await deliver(m.payload, this.#opts.config, this.#opts, controller.signal);
      stop.abort();
      this.#current = null;
      this.#state.delivering = false;
      const at = clock.now().toString({ smallestUnit: "second" });
      if (!ok && this.#abandoning) {
        this.#state.abandoned++;
      } else if (ok) {
        this.#state.sent++;
        this.#state.lastSentAt = at;
      } else {
        this.#state.failed++;
        this.#state.lastFailureAt = at;
        if (controller.signal.aborted) {
          logger.error("webhook_deadline", {
            event_type: m.payload.event,
            deadline_ms: this.#deadlineMs,
          });
        }
      }
    }
    this.#worker = null;
  }

  /**
   * Waits until every queued message is delivered or given up, at most `timeoutMs` of the clock;
   * then abandons what is left. Returns whether the queue emptied in time.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (!this.#worker) return true;
    const timer = new AbortController();
    const timedOut = this.#opts.clock.sleep(Math.max(0, timeoutMs), timer.signal)
      .then(() => true, () => false);
    const worker = this.#worker;
    const late = await Promise.race([worker.then(() => false), timedOut]);
    timer.abort();
    if (!late) return true;
    const abandoned = this.#queue.length + (this.#current ? 1 : 0);
    this.#state.abandoned += this.#queue.length;
    this.#queue = [];
    this.#abandoning = true;
    this.#current?.abort();
    await worker;
    this.#abandoning = false;
    this.#opts.logger.warn("webhook_abandoned", { messages: abandoned, waited_ms: timeoutMs });
    return false;
  }
}
