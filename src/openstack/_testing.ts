/**
 * Test helpers for the client tests (private to this folder): a route table that serves verbatim
 * wire fixtures from tests/fixtures/client as an injected `fetch`, and records every request.
 */
import type { FetchLike } from "./http.ts";

const FIXTURES = new URL("../../tests/fixtures/client/", import.meta.url);

export function fixtureText(path: string): string {
  return Deno.readTextFileSync(new URL(path, FIXTURES));
}

// deno-lint-ignore no-explicit-any
export function fixture(path: string): any {
  return JSON.parse(fixtureText(path));
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export interface Recorded {
  method: string;
  url: URL;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

type Handler = (req: Recorded, match: RegExpExecArray) => Response | Promise<Response>;

/** A scripted cloud: routes by method and path regex; unmatched requests get 404. */
export class FakeCloud {
  readonly requests: Recorded[] = [];
  #routes: { method: string; path: RegExp; handler: Handler }[] = [];

  on(method: string, path: RegExp, handler: Handler): this {
    this.#routes.unshift({ method, path, handler });
    return this;
  }

  readonly fetch: FetchLike = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const text = await request.text();
    const rec: Recorded = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    this.requests.push(rec);
    for (const route of this.#routes) {
      if (route.method !== request.method) continue;
      const m = route.path.exec(rec.url.pathname);
      if (m) return await route.handler(rec, m);
    }
    return json({ itemNotFound: { code: 404, message: `no route for ${rec.url.pathname}` } }, 404);
  };

  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.url.pathname)).length;
  }
}

export const PROJECT_ID = "a6944d763bf64ee6a275f1263fae0352";
export const AUTH_URL = "http://23.253.248.171:5000/v3";

/** A token response from a fixture with a fresh token value and expiry. */
export function tokenResponse(
  token: string,
  expiresAt: string,
  file = "keystone/auth-password-project-scoped-response.json",
): Response {
  const body = fixture(file);
  body.token.expires_at = expiresAt;
  return json(body, 201, {
    "X-Subject-Token": token,
    "x-openstack-request-id": `req-${crypto.randomUUID()}`,
  });
}

/** A fake cloud with Keystone (issuing tok-1, tok-2, … valid `lifetimeMin` minutes) and Cinder's version document. */
export function standardCloud(
  now: () => Temporal.Instant,
  options: { lifetimeMin?: number; versionMax?: string; versionMin?: string } = {},
): FakeCloud & { issued: string[] } {
  const cloud = new FakeCloud() as FakeCloud & { issued: string[] };
  cloud.issued = [];
  cloud.on("POST", /^\/v3\/auth\/tokens$/, () => {
    const token = `tok-${cloud.issued.length + 1}-abcdef`;
    cloud.issued.push(token);
    return tokenResponse(token, now().add({ minutes: options.lifetimeMin ?? 60 }).toString());
  });
  cloud.on("GET", /^\/v3\/?$/, () => {
    const doc = fixture("cinder/version-show-response.json");
    if (options.versionMax) doc.versions[0].version = options.versionMax;
    if (options.versionMin) doc.versions[0].min_version = options.versionMin;
    return json(doc);
  });
  return cloud;
}

import { type Clock, ManualClock } from "../clock.ts";

/**
 * A clock for transport tests: sleeps without a signal (backoff, rate limiting) are recorded and
 * pass at once, moving time forward; sleeps with a signal (request timeouts) wait for `advance`.
 */
export class SteppingClock implements Clock {
  readonly manual: ManualClock;
  readonly sleeps: number[] = [];
  constructor(start = "2026-03-01T10:00:00Z") {
    this.manual = new ManualClock(start);
  }
  now(): Temporal.Instant {
    return this.manual.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal) return this.manual.sleep(ms, signal);
    this.sleeps.push(ms);
    this.manual.advance(ms);
    return Promise.resolve();
  }
}
