/**
 * The transport's small pure helpers: the rate limiter, request counting, the request "kind" used
 * in stats, URLs safe to show, `Retry-After` parsing and reading OpenStack fault bodies. Split from
 * `http.ts` so the transport file holds only the request loop.
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import { OpenStackHttpError, SnapsentryError } from "../errors.ts";
import { redactText } from "../redact.ts";
import type { RequestStatsSnapshot } from "./types.ts";

/** The `fetch` the transport is given: the real one, the emulator's handler, or a test's. */
export type FetchLike = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

/** Rate limiter hook: resolves when the next request may go. */
export interface RateLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}

/** A token bucket of `perSecond` requests per second (burst of `burst`, default max(1, perSecond)). */
export function createRateLimiter(
  perSecond: number,
  clock: Clock = systemClock,
  burst = Math.max(1, perSecond),
): RateLimiter {
  if (!(perSecond > 0)) throw new RangeError(`Cannot use rate limit "${perSecond}": expected > 0`);
  let tokens = burst;
  let last = clock.now().epochMilliseconds;
  let queue: Promise<void> = Promise.resolve();
  const take = async (signal?: AbortSignal) => {
    for (;;) {
      const now = clock.now().epochMilliseconds;
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * perSecond);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await clock.sleep(Math.ceil(((1 - tokens) / perSecond) * 1000), signal);
    }
  };
  return {
    acquire(signal?: AbortSignal) {
      const run = queue.then(() => take(signal));
      queue = run.catch(() => {});
      return run;
    },
  };
}

/** Counts requests by kind and by "METHOD STATUS". */
export class RequestStats {
  #total = 0;
  #byKind = new Map<string, number>();
  #byMethodStatus = new Map<string, number>();

  record(kind: string, method: string, status: number | "error"): void {
    this.#total++;
    this.#byKind.set(kind, (this.#byKind.get(kind) ?? 0) + 1);
    const key = `${method} ${status}`;
    this.#byMethodStatus.set(key, (this.#byMethodStatus.get(key) ?? 0) + 1);
  }

  snapshot(): RequestStatsSnapshot {
    return {
      total: this.#total,
      byKind: Object.fromEntries([...this.#byKind].sort(([a], [b]) => a.localeCompare(b))),
      byMethodStatus: Object.fromEntries(
        [...this.#byMethodStatus].sort(([a], [b]) => a.localeCompare(b)),
      ),
    };
  }
}

const KNOWN_RESOURCES = new Set([
  "volumes",
  "snapshots",
  "os-quota-sets",
  "os-quota-class-sets",
  "types",
  "backups",
  "attachments",
  "groups",
  "group_snapshots",
  "limits",
  "extensions",
  "messages",
  "os-services",
  "os-availability-zone",
  "auth",
  "projects",
  "users",
  "roles",
  "domains",
  "role_assignments",
  "application_credentials",
  "credentials",
  "regions",
  "endpoints",
  "services",
]);

const ID_SEGMENT =
  /^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)$/i;

/**
 * "METHOD path" with ids, version prefixes and metadata keys taken out:
 * `POST /v3/<project>/snapshots/<id>/action` → "POST snapshots/action".
 */
export function requestKind(method: string, url: string): string {
  let parts = new URL(url).pathname.split("/").filter((p) => p !== "");
  const vi = parts.findIndex((p) => /^v\d+(\.\d+)?$/.test(p));
  if (vi >= 0) parts = parts.slice(vi + 1);
  // Cinder puts the project id right after the version; it need not look like an id.
  if (parts.length > 1 && !KNOWN_RESOURCES.has(parts[0]!)) parts = parts.slice(1);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (ID_SEGMENT.test(p)) continue;
    if (i > 0 && parts[i - 1] === "metadata") continue;
    out.push(p);
  }
  return `${method.toUpperCase()} ${out.join("/") || "/"}`;
}

const SECRET_QUERY = /(password|secret|token|signature|key)/i;

/** The URL without user info and with secret-looking query values removed. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    for (const k of [...u.searchParams.keys()]) {
      if (SECRET_QUERY.test(k)) u.searchParams.set(k, "[REDACTED]");
    }
    return redactText(decodeURIComponentSafe(u.toString()));
  } catch {
    return redactText(url);
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

/** Parses `Retry-After` (seconds or HTTP date) and the `X-*Retry-After` variants, in ms. */
export function retryAfterMs(headers: Headers, now: Temporal.Instant): number | undefined {
  for (const name of ["retry-after", "x-ratelimit-retry-after", "x-retry-after"]) {
    const raw = headers.get(name)?.trim();
    if (!raw) continue;
    if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
    const date = Date.parse(raw);
    if (!Number.isNaN(date)) return Math.max(0, date - now.epochMilliseconds);
  }
  return undefined;
}

/** Message of an OpenStack fault body: `{"badRequest": {"message": …}}`, `{"error": {…}}`, … */
export function faultMessage(body: unknown): string | undefined {
  if (!body || typeof body !== "object") return undefined;
  const record = body as Record<string, unknown>;
  for (const value of Object.values(record)) {
    if (value && typeof value === "object") {
      const msg = (value as Record<string, unknown>).message;
      if (typeof msg === "string" && msg) return msg;
    }
  }
  if (typeof record.message === "string") return record.message;
  if (typeof record.title === "string") return record.title;
  return undefined;
}

/**
 * A 413 that is a rate limit rather than a quota. Cinder wraps quota errors in an "overLimit"
 * fault too (wsgi.py maps 413 to that name), so only the message tells them apart.
 */
export function isRateLimit(message: string | undefined): boolean {
  return !!message && /rate[- ]?limit/i.test(message);
}

/**
 * The quota named in a Cinder 413 message: "Maximum number of snapshots allowed (10) exceeded",
 * "Requested volume or snapshot exceeds allowed gigabytes quota…", "Quota exceeded for resources:
 * ['snapshots']".
 */
export function quotaNameFrom(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const patterns = [
    /number of ([\w-]+) allowed/i,
    /allowed ([\w-]+) quota/i,
    /quota exceeded for resources?:?\s*\[?\s*'?([\w-]+)/i,
    /\b(snapshots|gigabytes|volumes|backups|backup_gigabytes|groups)\b/i,
  ];
  for (const re of patterns) {
    const m = re.exec(message);
    if (m?.[1]) return m[1].toLowerCase();
  }
  return undefined;
}

/** Whether `error` is an OpenStackHttpError (possibly inside a RetryExhaustedError) with `status`. */
export function hasStatus(error: unknown, status: number): boolean {
  let e: unknown = error;
  for (let i = 0; i < 3 && e; i++) {
    if (e instanceof OpenStackHttpError) return e.status === status;
    if (!(e instanceof SnapsentryError)) return false;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
