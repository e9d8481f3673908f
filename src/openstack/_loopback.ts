/**
 * Test helper (private to this folder): a tiny HTTP server on 127.0.0.1:0 that records what it
 * received (method, path, token, body) and answers with a handler, for the attack tests that need
 * a real socket: redirects, endless bodies, TLS.
 */

export interface Seen {
  method: string;
  /** Path and query. */
  path: string;
  token: string | null;
  body: string;
}

export interface Loopback {
  /** `http://127.0.0.1:<port>` (or https with `tls`). */
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** Serves `handler` on a free loopback port. */
export function loopback(
  handler: (req: Request, url: URL) => Response | Promise<Response>,
  tls?: { cert: string; key: string },
): Loopback {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, ...(tls ?? {}) },
    async (req) => {
      const url = new URL(req.url);
      seen.push({
        method: req.method,
        path: url.pathname + url.search,
        token: req.headers.get("x-auth-token"),
        body: await req.text(),
      });
      return await handler(req, url);
    },
  );
  const scheme = tls ? "https" : "http";
  return {
    url: `${scheme}://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

const TLS_DIR = new URL("../../tests/fixtures/client/tls/", import.meta.url);

/** A PEM file of tests/fixtures/client/tls/. */
export function tlsFixture(name: string): string {
  return Deno.readTextFileSync(new URL(name, TLS_DIR));
}
