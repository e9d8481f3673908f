/**
 * TLS failures name their cause (issue 13): unknown issuer, expired, hostname mismatch, client
 * certificate required. Each error's own message says it (so it shows at every log level, not
 * only under --log-level debug), its hint points at cacert (or cert/key), and it is not retried.
 * Real TLS servers on loopback with the certificates of tests/fixtures/client/tls/.
 */
import assert from "node:assert/strict";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { AuthError, TransportError } from "../errors.ts";
import { MemoryLogger } from "../log.ts";
import { loopback, tlsFixture } from "./_loopback.ts";
import { SteppingClock } from "./_testing.ts";
import { defineCloudConfig } from "./clouds_yaml.ts";
import { HttpTransport } from "./http.ts";
import { createTlsHttpClient, openCloud } from "./mod.ts";
import { TlsError, type TlsProblem } from "./net_errors.ts";

function tlsServer(cert: string, key: string) {
  return loopback(() => Response.json({ ok: true }), {
    cert: tlsFixture(cert),
    key: tlsFixture(key),
  });
}

async function expectTls(
  url: string,
  tls: { caCerts?: string[]; cert?: string; key?: string },
  problem: TlsProblem,
  message: RegExp,
  hint: RegExp,
) {
  const clock = new SteppingClock();
  const httpClient = createTlsHttpClient(tls);
  const transport = new HttpTransport({
    clock,
    random: () => 0,
    ...(httpClient ? { httpClient } : {}),
  });
  try {
    await assert.rejects(
      transport.request({ method: "GET", url, expected: [200] }),
      (e: unknown) => {
        assert.ok(e instanceof TlsError, `${e}`);
        assert.ok(e instanceof TransportError, "still a transport error for callers");
        assert.equal(e.code, "tls_error");
        assert.equal(e.problem, problem);
        assert.match(e.message, message);
        assert.ok(e.message.startsWith(`Cannot GET ${url}: `), e.message);
        assert.doesNotMatch(e.message, /fetch failed/);
        assert.match(e.hint ?? "", hint);
        return true;
      },
    );
    // Not retried: one attempt, no backoff.
    assert.equal(transport.stats.snapshot().total, 1);
    assert.deepEqual(clock.sleeps, []);
  } finally {
    httpClient?.close();
  }
}

Deno.test("TLS: an unknown issuer is named and points at cacert", async () => {
  const server = tlsServer("server.pem", "server.key");
  try {
    await expectTls(
      server.url.replace("127.0.0.1", "localhost") + "/v3/",
      {},
      "unknown_issuer",
      /signed by an issuer this client does not trust \(unknown issuer\)/,
      /set cacert in clouds\.yaml/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("TLS: an expired certificate says when it expired", async () => {
  const server = tlsServer("ca2-expired.pem", "ca2-expired.key");
  try {
    await expectTls(
      server.url + "/v3/",
      { caCerts: [tlsFixture("ca2.pem")] },
      "expired",
      /the server's TLS certificate has expired \(on 2020-01-02T00:00:00Z\)/,
      /cacert/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("TLS: a hostname mismatch names the certificate's names", async () => {
  const server = tlsServer("ca2-wrong-name.pem", "ca2-wrong-name.key");
  try {
    await expectTls(
      server.url.replace("127.0.0.1", "localhost") + "/v3/",
      { caCerts: [tlsFixture("ca2.pem")] },
      "hostname_mismatch",
      /not valid for this host name \(hostname mismatch; it names other\.invalid\)/,
      /host name the certificate names.*cacert/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("TLS: a server that requires a client certificate says so", async () => {
  // Deno.serve cannot ask for client certificates; node:https can.
  const server = https.createServer({
    cert: tlsFixture("ca2-localhost.pem"),
    key: tlsFixture("ca2-localhost.key"),
    ca: tlsFixture("ca2.pem"),
    requestCert: true,
    rejectUnauthorized: true,
  }, (_req, res) => res.end('{"ok": true}'));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const url = `https://localhost:${(server.address() as AddressInfo).port}/v3/`;
  try {
    await expectTls(
      url,
      { caCerts: [tlsFixture("ca2.pem")] },
      "client_certificate_required",
      /requires a TLS client certificate and none was sent/,
      /set cert and key in clouds\.yaml.*cacert/,
    );
    // With the client certificate, the same server answers.
    const client = createTlsHttpClient({
      caCerts: [tlsFixture("ca2.pem")],
      cert: tlsFixture("ca2-client.pem"),
      key: tlsFixture("ca2-client.key"),
    })!;
    try {
      const r = await new HttpTransport({ httpClient: client }).request({
        method: "GET",
        url,
        expected: [200],
      });
      assert.deepEqual(r.body, { ok: true });
    } finally {
      client.close();
    }
  } finally {
    await new Promise((done) => server.close(done));
  }
});

Deno.test("TLS: Keystone's auth error keeps the cause and the cacert hint", async () => {
  const server = tlsServer("server.pem", "server.key");
  const authUrl = server.url.replace("127.0.0.1", "localhost") + "/v3";
  try {
    const clock = new SteppingClock();
    const logger = new MemoryLogger({ level: "info" });
    const cloud = await openCloud({
      config: defineCloudConfig({
        name: "prod",
        auth: {
          type: "password",
          authUrl,
          username: "u",
          userDomainName: "Default",
          password: "long-enough-password",
          projectId: "p",
        },
      }),
      fetch: (input, init) => fetch(input, init),
      clock,
      logger,
    });
    await assert.rejects(cloud.blockStorage(), (e: unknown) => {
      assert.ok(e instanceof AuthError, String(e));
      assert.equal(e.code, "tls_error");
      assert.match(e.message, /Cannot reach Keystone at .* for cloud "prod"/);
      assert.match(e.message, /unknown issuer/);
      assert.match(e.hint ?? "", /cacert/);
      return true;
    });
    assert.deepEqual(clock.sleeps, [], "not retried");
    cloud.close();
  } finally {
    await server.close();
  }
});
