/**
 * Webhook notifications. The payloads are a superset of SnapSentry-Go's (go-compatibility.md, Webhooks): the same
 * keys (`service`, `volume_id`, `snapshot_id`, `message`, `snapshot_window` with Go's field names,
 * `snapshot_metadata`) plus `event`, `run_id`, `policy`, `timestamp` and `request_id`. Unlike the
 * Go tool, a failed delivery is retried (3 retries with backoff, on the injected clock, as every
 * retry of snapsentry) and a run-summary heartbeat can be sent with `--webhook-on always`.
 */
import { type Clock, timeoutSignal } from "../clock.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { backoffMs, retry } from "../retry.ts";
import type { ActionOutcome, RunSummary } from "./types.ts";

export interface WebhookConfig {
  url: string;
  username?: string;
  password?: string;
  /** "failure" (default): one message per failed action; "always": also a run summary. */
  on: "failure" | "always";
  /** Per delivery attempt, ms. */
  timeoutMs?: number;
  retries?: number;
  /** At most this many failure messages per run; the rest are counted in the summary message. */
  maxFailureMessages?: number;
}

export interface WebhookDeps {
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
}

/** The Go tool's creation-failure payload, with our additions. */
export function creationFailurePayload(run: RunSummary, a: ActionOutcome): Record<string, unknown> {
  return {
    service: "snapsentry",
    event: "snapshot_creation_failed",
    run_id: run.runId,
    timestamp: run.finishedAt,
    virtual_machine_name: "",
    virtual_machine_id: a.serverId ?? "",
    volume_id: a.volumeId ?? "",
    volume_name: a.volumeName ?? "",
    snapshot_id: a.snapshotId ?? "",
    policy: a.policy ?? "",
    request_id: a.requestId ?? "",
    message: `Snapsentry Snapshot has failed due to ${a.error ?? a.reason}.`,
    snapshot_window: {
      StartTime: a.windowStart ?? "",
      EndTime: a.windowEnd ?? "",
      ValidatedTime: run.startedAt,
    },
  };
}

/** The Go tool's expiry-failure payload, with our additions. */
export function expiryFailurePayload(run: RunSummary, a: ActionOutcome): Record<string, unknown> {
  return {
    service: "snapsentry",
    event: "snapshot_expiry_failed",
    run_id: run.runId,
    timestamp: run.finishedAt,
    snapshot_id: a.snapshotId ?? "",
    volume_id: a.volumeId ?? "",
    policy: a.policy ?? "",
    request_id: a.requestId ?? "",
    snapshot_metadata: {
      "x-snapsentry-managed": true,
      "x-snapsentry-snapshot-policy-type": a.policy ?? "",
    },
    message: `Failed to delete snapshot due to ${a.error ?? a.reason}`,
  };
}

/** A run-summary heartbeat (sent with `--webhook-on always`, and after a whole-run failure). */
export function summaryPayload(run: RunSummary, extraFailures = 0): Record<string, unknown> {
  return {
    service: "snapsentry",
    event: "run_summary",
    run_id: run.runId,
    job: run.job,
    result: run.result,
    timestamp: run.finishedAt,
    started_at: run.startedAt,
    duration_ms: run.durationMs,
    counts: run.counts,
    api_calls_total: run.apiCallsTotal,
    unsent_failure_messages: extraFailures,
    ...(run.error ? { error_code: run.error.code } : {}),
    message: run.error?.message ??
      `${run.job} run ${run.result}: ${run.counts.created} created, ${run.counts.deleted} deleted, ${run.counts.failed} failed`,
  };
}

/** The payloads a run produces under `config`. */
export function webhookPayloads(
  run: RunSummary,
  config: Pick<WebhookConfig, "on" | "maxFailureMessages">,
): Record<string, unknown>[] {
  const max = config.maxFailureMessages ?? 20;
  const failures = run.actions.filter((a) => a.status === "failed");
  const payloads = failures.slice(0, max).map((a) =>
    // An invalid policy is a create that could not be attempted.
    a.kind === "create" || a.kind === "adopt" || a.kind === "invalid"
      ? creationFailurePayload(run, a)
      : expiryFailurePayload(run, a)
  );
  const extra = Math.max(0, failures.length - max);
  if (config.on === "always" || run.result === "failed" || extra > 0) {
    payloads.push(summaryPayload(run, extra));
  }
  return payloads;
}

class DeliveryFailed extends Error {}

// 1 s, 2 s, 4 s: one receiver, so no jitter is needed to spread clients out.
const WEBHOOK_BACKOFF = { baseMs: 1000, capMs: 30_000 };
const NO_JITTER = () => 1;

/** POSTs one payload with basic auth, retrying non-2xx and transport errors. */
export async function deliver(
  payload: Record<string, unknown>,
  config: WebhookConfig,
  deps: WebhookDeps,
): Promise<boolean> {
  registerSecret(config.password);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (config.username || config.password) {
    headers.authorization = "Basic " +
      btoa(`${config.username ?? ""}:${config.password ?? ""}`);
  }
  const retries = config.retries ?? 3;
  const attemptOnce = async (attempt: number) => {
    const timer = timeoutSignal(deps.clock, config.timeoutMs ?? 30_000);
    try {
      const res = await deps.fetch(config.url, {
        method: "POST",
        headers,
        body: JSON.stringify(payload),
        signal: timer.signal,
      });
      await res.body?.cancel();
      if (!res.ok) {
        deps.logger.warn("webhook_failed", {
          event_type: payload.event,
          status: res.status,
          attempt,
        });
        throw new DeliveryFailed(`status ${res.status}`);
      }
      deps.logger.debug("webhook_sent", { event_type: payload.event, status: res.status });
    } catch (e) {
      if (!(e instanceof DeliveryFailed)) {
        deps.logger.warn("webhook_failed", {
          event_type: payload.event,
          error: timer.signal.aborted ? "timeout" : e instanceof Error ? e.message : String(e),
          attempt,
        });
      }
      throw e;
    } finally {
      timer.cancel();
    }
  };
  try {
    await retry(attemptOnce, {
      clock: deps.clock,
      maxRetries: retries,
      delayMs: (_e, attempt) => backoffMs(attempt, WEBHOOK_BACKOFF, NO_JITTER),
    });
    return true;
  } catch {
    deps.logger.error("webhook_gave_up", { event_type: payload.event, attempts: retries + 1 });
    return false;
  }
}

/** Sends every payload of a run; returns how many were delivered. */
export async function notifyRun(
  run: RunSummary,
  config: WebhookConfig,
  deps: WebhookDeps,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (const p of webhookPayloads(run, config)) {
    if (await deliver(p, config, deps)) sent++;
    else failed++;
  }
  return { sent, failed };
}
