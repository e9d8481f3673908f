/**
 * Webhook payloads and their delivery. The per-failure payloads are a superset of SnapSentry-Go's
 * (go-compatibility.md, Webhooks): the same keys (`service`, `volume_id`, `snapshot_id`,
 * `message`, `snapshot_window` with Go's field names, `snapshot_metadata` with Go's four keys)
 * plus `event`, `run_id`, `policy`, `timestamp` and `request_id`.
 *
 * Two formats: `batch` (the default) sends one message per run that has failures, carrying every
 * failure's Go-shaped payload in `failures`; `go` sends one message per failure, as the Go tool
 * did. Unlike the Go tool, a failed delivery is retried (3 retries with backoff, on the injected
 * clock, as every retry of snapsentry) and a run summary can be sent with `--webhook-on always`.
 * Delivery happens outside the run (`alerts.ts`), so a slow receiver never holds a run.
 */
import { type Clock, timeoutSignal } from "../clock.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { backoffMs, retry } from "../retry.ts";
import { countsJson } from "./report.ts";
import type { ActionOutcome, RunSummary } from "./types.ts";

export interface WebhookConfig {
  url: string;
  username?: string;
  password?: string;
  /** "failure" (default): only runs with failures; "always": also a summary of every run. */
  on: "failure" | "always";
  /** "batch" (default): one message per run; "go": one message per failure, as SnapSentry-Go. */
  format?: "batch" | "go";
  /** Per delivery attempt, ms. */
  timeoutMs?: number;
  retries?: number;
  /** At most this many failures per run (messages, or entries of a batch); the rest are counted. */
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
    // Go's four keys, with Go's JSON types (a boolean and a number).
    snapshot_metadata: {
      "x-snapsentry-managed": true,
      "x-snapsentry-snapshot-expiry-date": a.expiresAt ?? "",
      "x-snapsentry-snapshot-policy-type": a.policy ?? "",
      "x-snapsentry-snapshot-retention-days": a.retentionDays ?? 0,
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
    counts: countsJson(run.counts),
    api_calls_total: run.apiCallsTotal,
    unsent_failure_messages: extraFailures,
    ...(run.error ? { error_code: run.error.code } : {}),
    message: run.error?.message ??
      `${run.job} run ${run.result}: ${run.counts.created} created, ${run.counts.deleted} deleted, ${run.counts.failed} failed`,
  };
}

/** The Go-shaped payload of one failed action. */
function failurePayload(run: RunSummary, a: ActionOutcome): Record<string, unknown> {
  // An invalid policy is a create that could not be attempted.
  return a.kind === "create" || a.kind === "adopt" || a.kind === "invalid"
    ? creationFailurePayload(run, a)
    : expiryFailurePayload(run, a);
}

/** The payloads a run produces under `config` (none for a run without failures, by default). */
export function webhookPayloads(
  run: RunSummary,
  config: Pick<WebhookConfig, "on" | "maxFailureMessages" | "format">,
): Record<string, unknown>[] {
  const max = config.maxFailureMessages ?? 20;
  const failures = run.actions.filter((a) => a.status === "failed");
  const shown = failures.slice(0, max).map((a) => failurePayload(run, a));
  const extra = Math.max(0, failures.length - max);
  if (config.format === "go") {
    const payloads = [...shown];
    if (config.on === "always" || run.result === "failed" || extra > 0) {
      payloads.push(summaryPayload(run, extra));
    }
    return payloads;
  }
  if (failures.length === 0 && run.result !== "failed" && config.on !== "always") return [];
  return [{ ...summaryPayload(run, extra), event: "run_report", failures: shown }];
}

class DeliveryFailed extends Error {}

/** "fetch failed" says nothing: add its cause (connection refused, a TLS failure, …). */
function transportError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
}

/**
 * A transport error's message with the webhook URL cut to its scheme and host: the URL is a
 * secret (its path or userinfo often carries a token), and Deno's fetch errors quote it whole.
 */
export function withoutWebhookPath(message: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return message.replaceAll(url, "<webhook url>");
  }
  const shown = `${parsed.protocol}//${parsed.host}/…`;
  let out = message;
  for (const form of new Set([url, parsed.href, decodeURI(parsed.href)])) {
    if (form) out = out.replaceAll(form, shown);
  }
  return out;
}

// 1 s, 2 s, 4 s: one receiver, so no jitter is needed to spread clients out.
const WEBHOOK_BACKOFF = { baseMs: 1000, capMs: 30_000 };
const NO_JITTER = () => 1;

/**
 * POSTs one payload with basic auth, retrying non-2xx and transport errors; aborting `signal`
 * gives up at once (the alert queue's deadline).
 */
export async function deliver(
  payload: Record<string, unknown>,
  config: WebhookConfig,
  deps: WebhookDeps,
  signal?: AbortSignal,
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
        signal: signal ? AbortSignal.any([timer.signal, signal]) : timer.signal,
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
          error: timer.signal.aborted
            ? "timeout"
            : withoutWebhookPath(transportError(e), config.url),
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
      delayMs: (_e, attempt) =>
        signal?.aborted ? undefined : backoffMs(attempt, WEBHOOK_BACKOFF, NO_JITTER),
      ...(signal ? { signal } : {}),
    });
    return true;
  } catch {
    deps.logger.error("webhook_gave_up", { event_type: payload.event, attempts: retries + 1 });
    return false;
  }
}
