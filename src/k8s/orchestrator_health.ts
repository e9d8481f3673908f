/**
 * The orchestrator's own health endpoint, for the probes of its long-running Deployment
 * (`--interval` with `--health-address`). It serves no data, only:
 *
 * - `GET /healthz`: 200 while the loop makes progress, 503 when no pass has finished for longer
 *   than the interval plus the longest a pass may take (a stuck pass or a dead loop);
 * - `GET /readyz`: 200 once the first pass has finished (whatever its outcome), 503 before.
 *
 * A fetch handler with an injected clock, so tests need no socket; the CLI serves it.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { OrchestratorResult } from "./orchestrator_report.ts";

/** Longest a pass may run before liveness fails, past the rollout wait (API deadlines, retries). */
export const PASS_ALLOWANCE_MS = 10 * 60_000;

export interface OrchestratorHealth {
  /** Call after every pass (`runOrchestrator`'s `onPass`). */
  passFinished(result: OrchestratorResult): void;
  /** The fetch handler. */
  handler(request: Request): Response;
}

/** Health state of one orchestrator loop started now. */
export function createOrchestratorHealth(
  options: { intervalMs: number; rolloutTimeoutMs: number; clock: Clock },
): OrchestratorHealth {
  const { clock } = options;
  const started = clock.now();
  let last: { at: Temporal.Instant; converged: boolean } | undefined;
  const limitMs = options.intervalMs + options.rolloutTimeoutMs + PASS_ALLOWANCE_MS;
  const json = (status: number, body: Record<string, unknown>) =>
    Response.json(body, { status, headers: { "cache-control": "no-store" } });
  return {
    passFinished(result) {
      last = { at: clock.now(), converged: result.converged };
    },
    handler(request) {
      const path = new URL(request.url).pathname;
      if (request.method !== "GET" && request.method !== "HEAD") {
        return json(405, { error: "method not allowed" });
      }
      if (path === "/healthz") {
        const since = clock.now().since(last?.at ?? started).total("milliseconds");
        const alive = since <= limitMs;
        return json(alive ? 200 : 503, {
          status: alive ? "ok" : "stalled",
          last_pass_finished_at: last?.at.toString() ?? null,
          last_pass_converged: last?.converged ?? null,
        });
      }
      if (path === "/readyz") {
        return json(last ? 200 : 503, { status: last ? "ready" : "first pass running" });
      }
      return json(404, { error: "not found" });
    },
  };
}
