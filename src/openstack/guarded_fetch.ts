/**
 * One fetch with the two guards every OpenStack answer goes through, shared by the transport and
 * the Glance connection:
 *
 * - **Redirects by hand** (`redirect: "manual"`). fetch's own following would send
 *   `X-Auth-Token` to wherever a server points, and repeat a Keystone body (the password) on
 *   307/308. Same-origin redirects (scheme, host and port equal) are followed up to a small limit;
 *   one to another origin is an error naming both URLs; an auth request follows none.
 * - **A byte cap** on the body, counted while reading, so one hostile or broken answer cannot
 *   take the process's memory (a project daemon's pod has 128 MiB).
 */
import { type FetchLike, safeUrl } from "./http_helpers.ts";
import { RedirectError, ResponseTooLargeError } from "./net_errors.ts";

/** 64 MiB: a JSON page of 1,000 volumes is well under 5 MiB, so this only stops runaway answers. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Same-origin redirects followed before giving up (a trailing-slash hop or two is normal). */
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface GuardOptions {
  /** Largest body read, in bytes. */
  maxBytes: number;
  /** "same-origin" (default) follows same-origin redirects; "never" refuses every redirect. */
  redirects?: "same-origin" | "never";
  maxRedirects?: number;
}

export interface GuardedResponse {
  response: Response;
  /** The body, read in full (never more than `maxBytes`). */
  text: string;
  /** The URL that gave the answer (after same-origin redirects). */
  url: string;
}

type Init = RequestInit & { client?: Deno.HttpClient };

/**
 * Sends `init` to `url`, following same-origin redirects by hand, and reads the body under the
 * cap. Throws {@link RedirectError} or {@link ResponseTooLargeError}; network failures are
 * thrown as fetch threw them (the caller names them).
 */
export async function guardedFetch(
  doFetch: FetchLike,
  url: string,
  init: Init,
  options: GuardOptions,
): Promise<GuardedResponse> {
  const limit = options.maxRedirects ?? MAX_REDIRECTS;
  let current = url;
  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body;
  const headers = new Headers(init.headers);
  for (let hops = 0;; hops++) {
    const sent: Init = { ...init, method, headers, redirect: "manual" };
    if (body === undefined || body === null) delete sent.body;
    else sent.body = body;
    const response = await doFetch(current, sent);
    const location = response.headers.get("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      const text = await readCapped(response, options.maxBytes, method, current);
      return { response, text, url: current };
    }
    await response.body?.cancel();
    const refuse = (refusal: RedirectError["refusal"], to: string) =>
      new RedirectError({
        method,
        url: safeUrl(current),
        location: to,
        status: response.status,
        refusal,
        limit,
      });
    let target: URL;
    try {
      target = new URL(location, current);
    } catch {
      throw refuse("bad_location", location.slice(0, 200));
    }
    if (options.redirects === "never") throw refuse("auth_request", safeUrl(target.toString()));
    if (target.origin !== new URL(current).origin) {
      throw refuse("cross_origin", safeUrl(target.toString()));
    }
    if (hops >= limit) throw refuse("too_many", safeUrl(target.toString()));
    // RFC 9110 §15.4: 303 always, and 301/302 after a POST (as browsers do), become a GET
    // without a body; 307 and 308 repeat the request as it was.
    const status = response.status;
    if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
      headers.delete("content-type");
    }
    current = target.toString();
  }
}

/**
 * Reads a body as text, failing with {@link ResponseTooLargeError} as soon as it passes
 * `maxBytes` (or at once when `Content-Length` already says so), without keeping the excess.
 */
export async function readCapped(
  response: Response,
  maxBytes: number,
  method: string,
  url: string,
): Promise<string> {
  const tooLarge = (declared?: number) =>
    new ResponseTooLargeError({
      method,
      url: safeUrl(url),
      limitBytes: maxBytes,
      ...(declared !== undefined ? { declared } : {}),
    });
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(declared);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}
