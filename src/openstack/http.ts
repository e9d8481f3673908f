/**
 * The HTTP transport every OpenStack call goes through: injected `fetch`, Clock and Logger; a
 * per-request timeout; one global request id per run; retries with capped, jittered exponential
 * backoff that honour `Retry-After`; typed errors; request counting; an optional rate limiter.
 * Every answer passes `guardedFetch`: redirects only within one origin (none for an auth request)
 * and a byte cap per response.
 *
 * Authentication is not done here (see keystone.ts): this layer sees a token only as a header
 * value, which it never logs.
 */
import type { Clock } from "../clock.ts";
import { systemClock, timeoutSignal } from "../clock.ts";
import { backoffMs, retry } from "../retry.ts";
import {
  OpenStackHttpError,
  type OpenStackHttpErrorInit,
  QuotaExceededError,
  RetryExhaustedError,
  SnapsentryError,
  TransportError,
} from "../errors.ts";
import type { Logger } from "../log.ts";
import { nullLogger } from "../log.ts";
import { redactText } from "../redact.ts";
import { DEFAULT_MAX_RESPONSE_BYTES, guardedFetch } from "./guarded_fetch.ts";
import {
  faultMessage,
  type FetchLike,
  isRateLimit,
  quotaNameFrom,
  type RateLimiter,
  requestKind,
  RequestStats,
  retryAfterMs,
  safeUrl,
} from "./http_helpers.ts";
import { networkError, TlsError } from "./net_errors.ts";

export {
  createRateLimiter,
  faultMessage,
  type FetchLike,
  hasStatus,
  quotaNameFrom,
  type RateLimiter,
  requestKind,
  RequestStats,
  retryAfterMs,
  safeUrl,
} from "./http_helpers.ts";

export interface RetryPolicy {
  /** Retries after the first attempt (default 5). */
  maxRetries: number;
  /** First backoff delay (default 500 ms), doubled per attempt. */
  baseMs: number;
  /** Largest backoff delay (default 30 s); also caps a server's Retry-After. */
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseMs: 500, capMs: 30_000 };
export const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * Statuses worth retrying for a safe request (SAP's rate limiter uses 498). 500 is included: Cinder
 * answers transient database and message-queue failures with 500, and repeating a GET/PUT/DELETE
 * is harmless; a snapshot create (POST) is never retried on them.
 */
export const RETRY_STATUSES: readonly number[] = [429, 498, 500, 502, 503, 504];
const SAFE_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/**
 * Whose request this is: one run (or one probe) of the engine. Its id is sent as the global
 * `X-OpenStack-Request-ID`, so Cinder's logs of the whole run share it, and its requests are
 * counted in its own `stats` as well as the transport's, so overlapping runs never count each
 * other's calls.
 */
export interface RequestScope {
  /** `req-<uuid>`. */
  requestId: string;
  stats?: RequestStats;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Statuses that count as success; anything else throws. */
  expected: readonly number[];
  /**
   * Marks a POST/PATCH as safe to repeat (metadata merge, reset-status, force-delete). Safe
   * methods (GET, HEAD, PUT, DELETE) are always retried; a snapshot create is never marked.
   */
  idempotent?: boolean;
  /**
   * Repeat a request that is not idempotent when the server refused it without processing it: a
   * 429 (or SAP's 498), or a 503 that carries `Retry-After`. The wait honours Retry-After within
   * the retry policy. Set for snapshot creates; other 5xx, timeouts and dropped connections stay
   * final for them, because the create may have happened.
   */
  retryWhenRefused?: boolean;
  /**
   * "same-origin" (default) follows same-origin redirects; "never" refuses every redirect (auth
   * requests, whose body is a password or secret).
   */
  redirects?: "same-origin" | "never";
  /** Stats key, e.g. "GET volumes/detail"; derived from the URL when absent. */
  kind?: string;
  /** The run this request belongs to; default: the transport's own request id. */
  scope?: RequestScope;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or null for an empty/non-JSON body. */
  body: unknown;
  /** `x-openstack-request-id` (or `x-compute-request-id`) of the response. */
  requestId?: string;
}

export interface HttpTransportOptions {
  fetch?: FetchLike;
  clock?: Clock;
  logger?: Logger;
  /** Sent as `X-OpenStack-Request-ID` on every call; default `req-<uuid>`. */
  requestId?: string;
  /** Per-attempt timeout (clouds.yaml `api_timeout`); default 60 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  rateLimiter?: RateLimiter;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
  /** Deno HTTP client carrying `cacert`/`cert`/`key`. */
  httpClient?: Deno.HttpClient;
  stats?: RequestStats;
  /** Largest response body read, in bytes; default 64 MiB. */
  maxResponseBytes?: number;
}

/** The error's response headers and fault name, kept off its enumerable fields. */
type WithResponse = OpenStackHttpError & { headers?: Headers; faultName?: string };

/**
 * Whether `error` is a refusal that a non-idempotent request may repeat (see `retryWhenRefused`):
 * a 429 or 498 (rate limiters answer before the service sees the request), or a 503 with
 * `Retry-After` that is not the service's own fault. A 503 from a proxy or limiter in front of
 * Cinder says "come back later"; a 503 carrying Cinder's fault body (`computeFault`,
 * `serviceUnavailable`) was raised while Cinder handled the request, so the create may exist.
 */
function isRefusal(error: unknown): boolean {
  if (!(error instanceof OpenStackHttpError) || error instanceof QuotaExceededError) return false;
  if (error.status === 429 || error.status === 498) return true;
  const { headers, faultName } = error as WithResponse;
  return error.status === 503 && headers !== undefined &&
    ["retry-after", "x-ratelimit-retry-after", "x-retry-after"].some((h) => headers.has(h)) &&
    (faultName === undefined || faultName === "overLimit");
}

/** The key of an OpenStack fault body (`{"computeFault": {"message": …}}` → "computeFault"). */
function faultNameOf(body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  return Object.entries(body).find(([, v]) => v !== null && typeof v === "object" && "message" in v)
    ?.[0];
}

class Timeout extends Error {}

/** Sends requests; see the module comment. */
export class HttpTransport {
  /** The `X-OpenStack-Request-ID` of requests that carry no {@link RequestScope}. */
  readonly requestId: string;
  readonly stats: RequestStats;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly maxResponseBytes: number;
  rateLimiter?: RateLimiter;
  #fetch: FetchLike;
  #random: () => number;
  #httpClient?: Deno.HttpClient;

  constructor(options: HttpTransportOptions = {}) {
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? nullLogger;
    this.requestId = options.requestId ?? `req-${crypto.randomUUID()}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!(this.maxResponseBytes > 0)) {
      throw new RangeError(
        `Cannot use maxResponseBytes "${this.maxResponseBytes}": expected a positive number`,
      );
    }
    if (options.rateLimiter) this.rateLimiter = options.rateLimiter;
    this.#random = options.random ?? Math.random;
    if (options.httpClient) this.#httpClient = options.httpClient;
    this.stats = options.stats ?? new RequestStats();
  }

  #record(req: HttpRequest, kind: string, method: string, status: number | "error"): void {
    this.stats.record(kind, method, status);
    req.scope?.stats?.record(kind, method, status);
  }

  /** Delay before retry number `attempt` (1-based): equal jitter over base·2^(attempt-1), capped. */
  backoffMs(attempt: number): number {
    return backoffMs(attempt, this.retry, this.#random);
  }

  /** The wait before repeating after an HTTP error: its Retry-After (capped), else backoff. */
  #statusDelay(error: OpenStackHttpError, attempt: number): number {
    const headers = (error as WithResponse).headers;
    const after = headers ? retryAfterMs(headers, this.clock.now()) : undefined;
    return after !== undefined && after > 0
      ? Math.min(after, this.retry.capMs)
      : this.backoffMs(attempt);
  }

  /** Sends `req`, retrying when it is safe; returns the response or throws a typed error. */
  request(req: HttpRequest): Promise<HttpResponse> {
    const method = req.method.toUpperCase();
    const retryable = SAFE_METHODS.has(method) || req.idempotent === true;
    const kind = req.kind ?? requestKind(method, req.url);
    const url = safeUrl(req.url);
    return retry((attempt) => this.#once(req, method, kind, url, attempt), {
      clock: this.clock,
      maxRetries: this.retry.maxRetries,
      delayMs: (error, attempt) => {
        // A certificate does not fix itself between attempts.
        if (error instanceof TlsError) return undefined;
        if (!retryable) {
          return req.retryWhenRefused === true && isRefusal(error)
            ? this.#statusDelay(error as OpenStackHttpError, attempt)
            : undefined;
        }
        if (error instanceof TransportError) return this.backoffMs(attempt);
        if (
          !(error instanceof OpenStackHttpError) || error instanceof QuotaExceededError ||
          !RETRY_STATUSES.includes(error.status)
        ) return undefined;
        return this.#statusDelay(error, attempt);
      },
      onRetry: (error, attempt, delay) =>
        this.logger.debug("http_retry", {
          method,
          url,
          attempt,
          delay_ms: delay,
          reason: error instanceof OpenStackHttpError ? error.status : (error as Error).name,
        }),
      exhausted: (error, attempts) =>
        new RetryExhaustedError(
          `Cannot ${method} ${url}: gave up after ${attempts} attempts: ${
            (error as Error).message
          }`,
          attempts,
          error,
        ),
    });
  }

  async #once(
    req: HttpRequest,
    method: string,
    kind: string,
    url: string,
    attempt: number,
  ): Promise<HttpResponse> {
    if (this.rateLimiter) await this.rateLimiter.acquire();
    const headers = new Headers(req.headers);
    headers.set("X-OpenStack-Request-ID", req.scope?.requestId ?? this.requestId);
    if (!headers.has("Accept")) headers.set("Accept", "application/json");
    const init: RequestInit & { client?: Deno.HttpClient } = { method, headers };
    if (req.json !== undefined) {
      headers.set("Content-Type", "application/json");
      init.body = JSON.stringify(req.json);
    }
    if (this.#httpClient) init.client = this.#httpClient;
    const timer = timeoutSignal(this.clock, this.timeoutMs, new Timeout());
    init.signal = timer.signal;
    const started = this.clock.now();
    let response: Response;
    let text: string;
    try {
      ({ response, text } = await guardedFetch(this.#fetch, req.url, init, {
        maxBytes: this.maxResponseBytes,
        redirects: req.redirects ?? "same-origin",
      }));
    } catch (error) {
      timer.cancel();
      const timedOut = timer.signal.aborted;
      const durationMs = this.clock.now().since(started).total("milliseconds");
      this.#record(req, kind, method, "error");
      const failure = error instanceof SnapsentryError
        ? error
        : networkError(error, { method, url, timedOut, timeoutMs: this.timeoutMs });
      this.logger.debug("http_request", {
        method,
        url,
        status: "error",
        duration_ms: durationMs,
        attempt,
        error: timedOut ? "timeout" : failure.message,
        error_code: failure.code,
      });
      throw failure;
    }
    timer.cancel();
    const durationMs = this.clock.now().since(started).total("milliseconds");
    const requestId = response.headers.get("x-openstack-request-id") ??
      response.headers.get("x-compute-request-id") ?? undefined;
    this.#record(req, kind, method, response.status);
    this.logger.debug("http_request", {
      method,
      url,
      status: response.status,
      duration_ms: durationMs,
      request_id: requestId,
      attempt,
    });
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!req.expected.includes(response.status)) {
      const init: OpenStackHttpErrorInit = {
        method,
        url,
        status: response.status,
        expected: req.expected,
        bodyExcerpt: redactText(text).slice(0, 500),
      };
      if (requestId) init.requestId = requestId;
      const server = faultMessage(body);
      if (server) init.serverMessage = server;
      const error = response.status === 413 && !isRateLimit(server)
        ? new CinderQuotaExceededError(init, quotaNameFrom(server))
        : new OpenStackHttpError(init);
      Object.defineProperty(error, "headers", { value: response.headers, enumerable: false });
      const fault = faultNameOf(body);
      if (fault) Object.defineProperty(error, "faultName", { value: fault, enumerable: false });
      throw error;
    }
    const out: HttpResponse = { status: response.status, headers: response.headers, body };
    if (requestId) out.requestId = requestId;
    return out;
  }
}

/** Cinder's 413: final even though Cinder sends `Retry-After: 0`. */
export class CinderQuotaExceededError extends QuotaExceededError {
  /** The quota named in the fault message ("snapshots", "gigabytes", …), if recognisable. */
  readonly quota?: string;
  constructor(init: OpenStackHttpErrorInit, quota: string | undefined) {
    super(init);
    if (quota) this.quota = quota;
  }
}
