/**
 * Error classes shared by every layer. Each carries a stable `code`, an optional `hint` telling the
 * user what to do, and `cause`. `main.ts` maps them to exit codes: `ConfigError` and `UsageError`
 * exit 2, everything else that reaches the top exits 1.
 *
 * Messages follow the std rule: the action that failed, the quoted value, a colon, the current
 * state and what to do. No trailing period.
 */
import { redactText } from "./redact.ts";

export interface SnapsentryErrorOptions {
  code?: string;
  hint?: string;
  cause?: unknown;
}

/** Base class of every error snapsentry raises on purpose. */
export class SnapsentryError extends Error {
  readonly code: string;
  readonly hint?: string;
  constructor(message: string, options: SnapsentryErrorOptions = {}) {
    super(redactText(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SnapsentryError";
    this.code = options.code ?? "snapsentry_error";
    if (options.hint !== undefined) this.hint = redactText(options.hint);
  }
}

/** Bad configuration: clouds.yaml, environment, or a flag value. Exit code 2. */
export class ConfigError extends SnapsentryError {
  constructor(message: string, options: SnapsentryErrorOptions = {}) {
    super(message, { code: "config_error", ...options });
    this.name = "ConfigError";
  }
}

/** Bad command-line usage. Exit code 2. */
export class UsageError extends SnapsentryError {
  constructor(message: string, options: SnapsentryErrorOptions = {}) {
    super(message, { code: "usage_error", ...options });
    this.name = "UsageError";
  }
}

/** Authentication against Keystone failed. */
export class AuthError extends SnapsentryError {
  readonly status?: number;
  readonly requestId?: string;
  constructor(
    message: string,
    options: SnapsentryErrorOptions & { status?: number; requestId?: string } = {},
  ) {
    super(message, { code: "auth_error", ...options });
    this.name = "AuthError";
    if (options.status !== undefined) this.status = options.status;
    if (options.requestId !== undefined) this.requestId = options.requestId;
  }
}

/**
 * No catalog endpoint matched the service type, interface and region asked for. A configuration
 * error (exit 2): clouds.yaml asks for a region, interface or service the cloud does not offer.
 */
export class EndpointNotFoundError extends ConfigError {
  constructor(message: string, options: SnapsentryErrorOptions = {}) {
    super(message, { code: "endpoint_not_found", ...options });
    this.name = "EndpointNotFoundError";
  }
}

export interface OpenStackHttpErrorInit {
  method: string;
  /** URL with no credentials or query secrets. */
  url: string;
  status: number;
  expected: readonly number[];
  requestId?: string | undefined;
  /** Redacted, truncated response body. */
  bodyExcerpt?: string | undefined;
  /** Message from the OpenStack fault body (`{"itemNotFound": {"message": …}}`), if any. */
  serverMessage?: string | undefined;
}

/** An OpenStack API answered with a status the call did not expect. */
export class OpenStackHttpError extends SnapsentryError {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly expected: readonly number[];
  readonly requestId?: string;
  readonly bodyExcerpt?: string;
  readonly serverMessage?: string;
  constructor(init: OpenStackHttpErrorInit, options: SnapsentryErrorOptions = {}) {
    const server = init.serverMessage ? `: ${init.serverMessage}` : "";
    const rid = init.requestId ? ` (request id ${init.requestId})` : "";
    super(
      `${init.method} ${init.url} returned ${init.status}, expected ${
        init.expected.join(" or ")
      }${server}${rid}`,
      { code: `http_${init.status}`, ...options },
    );
    this.name = "OpenStackHttpError";
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.expected = init.expected;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.bodyExcerpt !== undefined) this.bodyExcerpt = redactText(init.bodyExcerpt);
    if (init.serverMessage !== undefined) this.serverMessage = redactText(init.serverMessage);
  }
}

/** Cinder answered 413: a quota (snapshots or gigabytes) is exhausted. Final, never retried. */
export class QuotaExceededError extends OpenStackHttpError {
  constructor(init: OpenStackHttpErrorInit, options: SnapsentryErrorOptions = {}) {
    super(init, {
      code: "quota_exceeded",
      hint:
        "raise the project's snapshot or gigabyte quota, or lower retention so fewer snapshots are kept",
      ...options,
    });
    this.name = "QuotaExceededError";
  }
}

/** A network-level failure (connection refused, reset, DNS, timeout) talking to a cloud. */
export class TransportError extends SnapsentryError {
  readonly method: string;
  readonly url: string;
  readonly timedOut: boolean;
  constructor(
    message: string,
    init: { method: string; url: string; timedOut?: boolean },
    options: SnapsentryErrorOptions = {},
  ) {
    super(message, { code: init.timedOut ? "timeout" : "transport_error", ...options });
    this.name = "TransportError";
    this.method = init.method;
    this.url = init.url;
    this.timedOut = init.timedOut ?? false;
  }
}

/** Retries ran out; `cause` holds the last error. */
export class RetryExhaustedError extends SnapsentryError {
  readonly attempts: number;
  constructor(message: string, attempts: number, cause: unknown) {
    super(message, { code: "retry_exhausted", cause });
    this.name = "RetryExhaustedError";
    this.attempts = attempts;
  }
}

/** Exit code for an error that reached the top of a command. */
export function exitCodeFor(error: unknown): number {
  return error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
}

/** One-line description of an error and, when asked, its cause chain (already redacted). */
export function describeError(error: unknown, withCauses = false): string {
  return describeErrorLines(error, withCauses).join("\n");
}

/**
 * {@link describeError} as one entry per error of the chain, so a caller that prints them can make
 * a newline inside a server's message inert without joining two entries into one.
 */
export function describeErrorLines(error: unknown, withCauses = false): string[] {
  const lines: string[] = [];
  let current: unknown = error;
  let depth = 0;
  while (current !== undefined && depth < 8) {
    if (current instanceof Error) {
      const hint = current instanceof SnapsentryError && current.hint
        ? ` (hint: ${current.hint})`
        : "";
      lines.push(redactText(`${depth === 0 ? "" : "caused by: "}${current.message}${hint}`));
      if (!withCauses) break;
      current = (current as { cause?: unknown }).cause;
    } else {
      lines.push(redactText(`${depth === 0 ? "" : "caused by: "}${String(current)}`));
      break;
    }
    depth++;
  }
  return lines;
}

/**
 * The stable code of an error, for summaries, readiness and metrics: a SnapsentryError's own code;
 * for retries that ran out, the code of what kept failing (`transport_error`, `http_503`…);
 * `unexpected_error` for anything that is not ours.
 */
export function errorCodeOf(error: unknown): string {
  if (error instanceof RetryExhaustedError && error.cause !== undefined) {
    const inner = errorCodeOf(error.cause);
    return inner === "unexpected_error" ? error.code : inner;
  }
  return error instanceof SnapsentryError ? error.code : "unexpected_error";
}

/** The OpenStack request id an error carries, if any (through retries and auth wrappers). */
export function requestIdOf(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 4 && e; i++) {
    // Any of our errors that names the request (HTTP, auth, an unreadable answer, …).
    if (e instanceof SnapsentryError) {
      const id = (e as { requestId?: unknown }).requestId;
      if (typeof id === "string" && id !== "") return id;
    }
    e = e instanceof Error ? (e as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}

/** An error's own message (no hint, no causes), for outcome records. */
export function messageOf(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error));
}
