/**
 * Where a network address leads, for the warnings about secrets in the clear: one home for "is
 * this host on this machine".
 *
 * @module
 */

/**
 * True for a loopback host: `localhost` (and names under `.localhost`), 127.0.0.0/8, `::1`
 * (bracketed or not).
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { isLoopbackHost } from "./net.ts";
 * assertEquals(["127.0.0.1", "[::1]", "cinder.example"].map(isLoopbackHost), [true, true, false]);
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost") ||
    /^127(?:\.\d{1,3}){3}$/.test(h) || h === "::1" || h === "[::1]";
}

/**
 * True when what is sent to `hostname` stays on this machine: a loopback host, or a name under
 * the reserved `.invalid` domain, which no resolver answers (the built-in emulated cloud's).
 */
export function staysOnThisHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return isLoopbackHost(h) || h === "invalid" || h.endsWith(".invalid");
}
