import assert from "node:assert/strict";
import { stringify } from "yaml";
import { ConfigError, SnapsentryError, TransportError } from "../errors.ts";
import { KubernetesEmulator } from "../emulator/mod.ts";
import {
  type ConfigReaders,
  isKubeReason,
  KubernetesClient,
  loadInClusterConfig,
  loadKubeconfig,
} from "./client.ts";
import { kubeconfigPaths } from "./client_config.ts";

function readers(files: Record<string, string>, env: Record<string, string> = {}): ConfigReaders {
  return {
    readTextFile: (path) =>
      path in files
        ? Promise.resolve(files[path]!)
        : Promise.reject(new Deno.errors.NotFound(`No such file or directory: ${path}`)),
    env: (name) => env[name],
  };
}

Deno.test("KubernetesClient bounds every answer", async (t) => {
  const config = { server: "https://k8s.test", token: "t0ken-abc", source: "test" };

  await t.step("an answer over the byte cap fails with response_too_large", async () => {
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
      cancel() {
        cancelled = true;
      },
    });
    const client = new KubernetesClient({
      config,
      maxResponseBytes: 1024 * 1024,
      fetch: () => Promise.resolve(new Response(endless, { status: 200 })),
    });
    const error = await client.get("secrets", "ns", "x").catch((e) => e);
    assert.ok(error instanceof SnapsentryError);
    assert.equal(error.code, "response_too_large");
    assert.match(
      error.message,
      /^Cannot read the Kubernetes API answer to GET \/api\/v1\/namespaces\/ns\/secrets\/x: it is larger than 1 MiB/,
    );
    assert.ok(cancelled, "the stream is cancelled, not read to the end");
  });

  await t.step("a declared Content-Length over the cap is refused before reading", async () => {
    const client = new KubernetesClient({
      config,
      maxResponseBytes: 10,
      fetch: () =>
        Promise.resolve(
          new Response("x".repeat(100), { headers: { "content-length": "100" } }),
        ),
    });
    await assert.rejects(client.get("secrets", "ns", "x"), /larger than 0 MiB/);
  });

  await t.step("no answer within the timeout is a TransportError that says so", async () => {
    const client = new KubernetesClient({
      config,
      timeoutMs: 50,
      fetch: (request) =>
        new Promise((_, reject) =>
          request.signal.addEventListener("abort", () => reject(request.signal.reason))
        ),
    });
    const error = await client.list("deployments", "ns").catch((e) => e);
    assert.ok(error instanceof TransportError, String(error));
    assert.equal(error.timedOut, true);
    assert.equal(error.code, "timeout");
    assert.match(error.message, /got no complete answer within 0.05 s/);
  });

  await t.step("a body that stalls after the headers times out too", async () => {
    const client = new KubernetesClient({
      config,
      timeoutMs: 50,
      fetch: (request) => {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"items": ['));
            request.signal.addEventListener("abort", () => c.error(request.signal.reason));
          },
        });
        return Promise.resolve(new Response(body));
      },
    });
    const error = await client.list("secrets", "ns").catch((e) => e);
    assert.ok(error instanceof TransportError, String(error));
    assert.equal(error.timedOut, true);
  });

  await t.step("a repeated continue token stops the listing", async () => {
    let calls = 0;
    const client = new KubernetesClient({
      config,
      fetch: () => {
        calls++;
        return Promise.resolve(Response.json({ items: [], metadata: { continue: "same" } }));
      },
    });
    const error = await client.list("secrets", "ns").catch((e) => e);
    assert.ok(error instanceof SnapsentryError);
    assert.equal(error.code, "k8s_list_loop");
    assert.equal(calls, 2);
  });
});

Deno.test("KubernetesClient reads a rotated service-account token again", async (t) => {
  const dir = "/sa";
  const files: Record<string, string> = {
    [`${dir}/token`]: "token-one\n",
    [`${dir}/ca.crt`]: "CA",
  };
  const r = readers(files, { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" });
  const config = await loadInClusterConfig(r, dir);
  assert.equal(config.tokenFile, `${dir}/token`);
  const emulator = new KubernetesEmulator({
    namespaces: ["ns"],
    tokens: { "token-one": { user: "sa", allow: "*" } },
  });
  let now = 0;
  const client = new KubernetesClient({
    config,
    fetch: emulator.fetch,
    readTextFile: r.readTextFile,
    now: () => now,
  });

  await t.step("on a 401 the file is read again and the request retried once", async () => {
    assert.deepEqual(await client.list("secrets", "ns"), []);
    // The kubelet writes a new token and the API server stops accepting the old one.
    files[`${dir}/token`] = "token-two";
    emulator.tokens = { "token-two": { user: "sa", allow: "*" } };
    assert.deepEqual(await client.list("secrets", "ns"), []);
    assert.deepEqual(emulator.calls.map((c) => c.status), [200, 401, 200]);
  });

  await t.step("after a minute the file is read again without waiting for a 401", async () => {
    files[`${dir}/token`] = "token-three";
    emulator.tokens = {
      "token-two": { user: "sa", allow: "*" },
      "token-three": { user: "sa", allow: "*" },
    };
    now += 61_000;
    await client.list("secrets", "ns");
    const last = emulator.calls.at(-1)!;
    assert.equal(last.status, 200);
    emulator.tokens = { "token-three": { user: "sa", allow: "*" } };
    await client.list("secrets", "ns");
    assert.equal(emulator.calls.at(-1)!.status, 200, "already on the new token");
  });

  await t.step("a 401 with an unchanged token is not retried", async () => {
    emulator.tokens = {};
    const before = emulator.calls.length;
    const error = await client.list("secrets", "ns").catch((e) => e);
    assert.ok(isKubeReason(error, "Unauthorized"));
    assert.equal(emulator.calls.length - before, 1);
  });
});

function file(
  contexts: [string, string, string, string?][],
  clusters: [string, string][],
  users: [string, Record<string, unknown>][],
  current?: string,
): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    ...(current ? { "current-context": current } : {}),
    contexts: contexts.map(([name, cluster, user, namespace]) => ({
      name,
      context: { cluster, user, ...(namespace ? { namespace } : {}) },
    })),
    clusters: clusters.map(([name, server]) => ({ name, cluster: { server } })),
    users: users.map(([name, user]) => ({ name, user })),
  });
}

Deno.test("loadKubeconfig() merges a KUBECONFIG list as kubectl does", async (t) => {
  const a = file(
    [["dev", "dev", "dev-user", "dev-ns"]],
    [["dev", "https://dev.example:6443"], ["prod", "https://prod-from-a.example:6443"]],
    [["dev-user", { token: "dev-token" }]],
    "dev",
  );
  const b = file(
    [["prod", "prod", "prod-user", "snapsentry"], ["dev", "prod", "prod-user"]],
    [["prod", "https://prod-from-b.example:6443"]],
    [["prod-user", { tokenFile: "tokens/prod" }]],
    "prod",
  );
  const files = { "/a/config": a, "/b/config": b, "/b/tokens/prod": "prod-token\n" };

  await t.step("kubeconfigPaths() splits on colons and skips empty entries", () => {
    assert.deepEqual(kubeconfigPaths("/a/config::/b/config:"), ["/a/config", "/b/config"]);
  });

  await t.step("the first file's current-context and entries win", async () => {
    const config = await loadKubeconfig(["/a/config", "/b/config"], readers(files));
    assert.equal(config.server, "https://dev.example:6443");
    assert.equal(config.namespace, "dev-ns");
    assert.equal(config.token, "dev-token");
    assert.match(config.source, /kubeconfig "\/a\/config:\/b\/config" \(context "dev"\)/);
  });

  await t.step("--context picks another; entries resolve across files", async () => {
    const config = await loadKubeconfig(["/a/config", "/b/config"], readers(files), {
      context: "prod",
    });
    // The cluster named "prod" is defined first in /a/config, so that one wins.
    assert.equal(config.server, "https://prod-from-a.example:6443");
    assert.equal(config.namespace, "snapsentry");
    // tokenFile is relative to the file that defines the user (/b/config).
    assert.equal(config.token, "prod-token");
    assert.equal(config.tokenFile, "/b/tokens/prod");
  });

  await t.step("files that do not exist are skipped", async () => {
    const config = await loadKubeconfig(["/missing", "/b/config"], readers(files));
    assert.equal(config.server, "https://prod-from-b.example:6443");
  });

  await t.step("a list with no existing file is a clear error", async () => {
    const error = await loadKubeconfig(["/x", "/y"], readers(files)).catch((e) => e);
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, 'Cannot read kubeconfig "/x:/y": none of its files exists');
  });

  await t.step("an unknown --context lists the merged contexts", async () => {
    await assert.rejects(
      loadKubeconfig(["/a/config", "/b/config"], readers(files), { context: "qa" }),
      /Cannot find context "qa" in kubeconfig "\/a\/config:\/b\/config": defined contexts are "dev", "prod"/,
    );
  });
});
