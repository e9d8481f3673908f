/**
 * Readiness: the daemon is ready when its last contact with the cloud (a probe or a run)
 * succeeded and the last successful contact is recent. Probes (`engine.probe()`: authenticate if
 * needed, one cheap Cinder call) run every `probeIntervalMs` on the clock, so a cloud that comes
 * back makes the daemon ready again by itself.
 */
import type { Clock } from "../clock.ts";

/** Why the daemon is not ready (stable codes; no free text reaches clients). */
export type NotReadyReason = "no_contact_yet" | "cloud_check_failed" | "cloud_contact_stale";

export type Readiness =
  | { ready: true; lastSuccessAt: string }
  | {
    ready: false;
    reason: NotReadyReason;
    /** Error code of the failed check (e.g. "auth_error", "transport_error"). */
    errorCode?: string;
    lastSuccessAt: string | null;
    lastFailureAt?: string;
  };

export class HealthTracker {
  readonly #clock: Clock;
  /** Contact older than this makes the daemon unready. */
  readonly staleAfterMs: number;
  #lastSuccess: Temporal.Instant | null = null;
  #lastFailure: { at: Temporal.Instant; errorCode: string } | null = null;
  /** Whether the most recent contact failed. */
  #failing = false;

  constructor(clock: Clock, options: { staleAfterMs: number }) {
    this.#clock = clock;
    this.staleAfterMs = options.staleAfterMs;
  }

  /** Records a successful contact (probe succeeded, or a run that was not "failed"). */
  success(at: Temporal.Instant = this.#clock.now()): void {
    if (this.#lastSuccess === null || Temporal.Instant.compare(at, this.#lastSuccess) >= 0) {
      this.#lastSuccess = at;
    }
    this.#failing = this.#lastFailure !== null &&
      Temporal.Instant.compare(this.#lastFailure.at, at) > 0;
  }

  /** Records a failed contact with its error code. */
  failure(errorCode: string, at: Temporal.Instant = this.#clock.now()): void {
    this.#lastFailure = { at, errorCode };
    this.#failing = this.#lastSuccess === null ||
      Temporal.Instant.compare(at, this.#lastSuccess) >= 0;
  }

  /** Current readiness. */
  readiness(): Readiness {
    const last = this.#lastSuccess?.toString() ?? null;
    if (this.#failing && this.#lastFailure) {
      return {
        ready: false,
        reason: "cloud_check_failed",
        errorCode: this.#lastFailure.errorCode,
        lastSuccessAt: last,
        lastFailureAt: this.#lastFailure.at.toString(),
      };
    }
    if (this.#lastSuccess === null) {
      return { ready: false, reason: "no_contact_yet", lastSuccessAt: null };
    }
    const ageMs = this.#clock.now().epochMilliseconds - this.#lastSuccess.epochMilliseconds;
    if (ageMs > this.staleAfterMs) {
      return { ready: false, reason: "cloud_contact_stale", lastSuccessAt: last };
    }
    return { ready: true, lastSuccessAt: this.#lastSuccess.toString() };
  }
}
