import assert from "node:assert/strict";
import { stringify } from "yaml";
import { ConfigError } from "../errors.ts";
import { KubernetesEmulator } from "../emulator/mod.ts";
import {
  type ConfigReaders,
  isKubeReason,
  KubernetesApiError,
  KubernetesClient,
  loadInClusterConfig,
  loadKubeconfig,
} from "./client.ts";
import { dnsLabelName, isDnsLabel, isValidLabelValue, sanitizeLabelValue } from "./names.ts";
import type { Secret } from "./types.ts";

function readers(files: Record<string, string>, env: Record<string, string> = {}): ConfigReaders {
  return {
    readTextFile: (path) =>
      path in files
        ? Promise.resolve(files[path]!)
        : Promise.reject(new Deno.errors.NotFound(`No such file or directory: ${path}`)),
    env: (name) => env[name],
  };
}

const CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "ops",
    contexts: [{ name: "ops", context: { cluster: "c1", user: "u1", namespace: "backup" } }],
    clusters: [{ name: "c1", cluster: { server: "https://10.0.0.1:6443/", ...cluster } }],
    users: [{ name: "u1", user }],
  });
}

Deno.test("loadKubeconfig()", async (t) => {
  await t.step("reads server, namespace, inline CA and token", async () => {
    const text = kubeconfig({ token: "tok-abcdef" }, { "certificate-authority-data": btoa(CA) });
    const config = await loadKubeconfig(
      "/home/op/.kube/config",
      readers({ "/home/op/.kube/config": text }),
    );
    assert.equal(config.server, "https://10.0.0.1:6443");
    assert.equal(config.namespace, "backup");
    assert.equal(config.token, "tok-abcdef");
    assert.deepEqual(config.caCerts, [CA]);
    assert.match(config.source, /context "ops"/);
  });

  await t.step(
    "resolves CA, client certificate and key files relative to the kubeconfig",
    async () => {
      const text = kubeconfig(
        { "client-certificate": "certs/me.crt", "client-key": "/abs/me.key" },
        { "certificate-authority": "ca.crt" },
      );
      const config = await loadKubeconfig(
        "/etc/kube/config",
        readers({
          "/etc/kube/config": text,
          "/etc/kube/ca.crt": CA,
          "/etc/kube/certs/me.crt": "CERT",
          "/abs/me.key": "KEY",
        }),
      );
      assert.deepEqual(config.caCerts, [CA]);
      assert.equal(config.cert, "CERT");
      assert.equal(config.key, "KEY");
      assert.equal(config.token, undefined);
    },
  );

  const bad: [string, string, RegExp][] = [
    ["a missing file", "", /Cannot read kubeconfig "\/k": .*No such file/],
    ["invalid YAML", "a: [", /Cannot parse kubeconfig "\/k"/],
    [
      "no current context",
      stringify({ contexts: [{ name: "x", context: {} }] }),
      /current-context is not set; defined contexts are "x"/,
    ],
    [
      "insecure-skip-tls-verify",
      kubeconfig({ token: "t0ken" }, { "insecure-skip-tls-verify": true }),
      /insecure-skip-tls-verify is set and snapsentry never turns TLS verification off/,
    ],
    [
      "an exec plugin",
      kubeconfig({ exec: { command: "aws" } }),
      /"exec" credential plugins are not supported/,
    ],
    ["no credentials", kubeconfig({}), /Cannot find credentials for user "u1"/],
    [
      "a certificate without key",
      kubeconfig({ "client-certificate-data": btoa("C") }),
      /needs both a certificate and a key/,
    ],
    [
      "a non-URL server",
      kubeconfig({ token: "t0ken" }, { server: "10.0.0.1:6443" }),
      /Cannot use server "10.0.0.1:6443"/,
    ],
    [
      "a missing CA file",
      kubeconfig({ token: "t0ken" }, { "certificate-authority": "nope.crt" }),
      /Cannot read certificate-authority "\/nope.crt"/,
    ],
  ];
  for (const [what, text, message] of bad) {
    await t.step(`refuses ${what} with a clear message`, async () => {
      const files: Record<string, string> = text === "" ? {} : { "/k": text };
      const error = await loadKubeconfig("/k", readers(files)).catch((e) => e);
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
    });
  }
});

Deno.test("a kubeconfig YAML error names file and line but never echoes the file's text", async () => {
  const token = "eyJhbGciOiJSUzI1NiJ9.never-echo-this";
  for (
    const text of [
      `users:\n- name: u\n  user:\n    token: ${token}: x\n`,
      `users:\n- name: u\n  user:\n    token: "${token}\n    x: 1\n`,
    ]
  ) {
    const error = await loadKubeconfig("/k", readers({ "/k": text })).catch((e) => e);
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, /^Cannot parse kubeconfig "\/k": .* at line \d+, column \d+$/);
    assert.ok(!error.message.includes("never-echo-this"), error.message);
  }
});

Deno.test("loadInClusterConfig()", async (t) => {
  const dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
  await t.step("reads token, CA and namespace of the service account", async () => {
    const config = await loadInClusterConfig(
      readers({
        [`${dir}/token`]: "sa-token-123\n",
        [`${dir}/ca.crt`]: CA,
        [`${dir}/namespace`]: "snapsentry",
      }, env),
    );
    assert.deepEqual(config, {
      server: "https://10.96.0.1:443",
      token: "sa-token-123",
      tokenFile: `${dir}/token`,
      caCerts: [CA],
      namespace: "snapsentry",
      source: "in-cluster",
    });
  });
  await t.step("brackets an IPv6 service host", async () => {
    const config = await loadInClusterConfig(
      readers({ [`${dir}/token`]: "sa-token-123", [`${dir}/ca.crt`]: CA }, {
        KUBERNETES_SERVICE_HOST: "fd00::1",
        KUBERNETES_SERVICE_PORT: "443",
      }),
    );
    assert.equal(config.server, "https://[fd00::1]:443");
  });
  await t.step("explains a missing environment", async () => {
    await assert.rejects(loadInClusterConfig(readers({})), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/);
      assert.match(e.hint ?? "", /--kubeconfig/);
      return true;
    });
  });
  await t.step("explains a missing token file", async () => {
    await assert.rejects(
      loadInClusterConfig(readers({ [`${dir}/ca.crt`]: CA }, env)),
      /Cannot read "\/var\/run\/secrets\/kubernetes.io\/serviceaccount\/token"/,
    );
  });
});

Deno.test("KubernetesClient against the emulated API", async (t) => {
  const emulator = new KubernetesEmulator({ namespaces: ["ns1"] });
  const client = new KubernetesClient({
    config: { server: "https://k8s.test", token: "test-token", source: "test" },
    fetch: emulator.fetch,
    pageSize: 2,
  });
  const secret = (name: string, labels: Record<string, string> = {}): Secret => ({
    metadata: { name, labels },
    type: "Opaque",
    data: { a: btoa("1") },
  });

  await t.step("creates, gets, replaces and deletes with typed errors", async () => {
    const created = await client.create("secrets", "ns1", secret("one", { app: "x" }));
    assert.ok(created.metadata.resourceVersion);
    const got = await client.get("secrets", "ns1", "one");
    assert.equal(got.metadata.uid, created.metadata.uid);

    const dup = await client.create("secrets", "ns1", secret("one")).catch((e) => e);
    assert.ok(isKubeReason(dup, "AlreadyExists"));
    assert.equal(dup.status, 409);
    assert.equal(dup.serverMessage, 'secrets "one" already exists');

    const updated = await client.replace("secrets", "ns1", {
      ...got,
      data: { a: btoa("2") },
    });
    assert.notEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion);
    const stale = await client.replace("secrets", "ns1", got).catch((e) => e);
    assert.ok(isKubeReason(stale, "Conflict"), String(stale));
    assert.match(stale.message, /the object has been modified/);

    const invalid = await client.create("secrets", "ns1", secret("Bad_Name")).catch((e) => e);
    assert.ok(isKubeReason(invalid, "Invalid"));
    assert.equal(invalid.status, 422);
    assert.equal(invalid.causes[0]?.field, "metadata.name");

    await client.delete("secrets", "ns1", "one");
    const gone = await client.get("secrets", "ns1", "one").catch((e) => e);
    assert.ok(gone instanceof KubernetesApiError && gone.reason === "NotFound");
  });

  await t.step("lists every page with a label selector", async () => {
    for (const [i, tier] of ["a", "b", "a", "a", "c"].entries()) {
      await client.create("secrets", "ns1", secret(`s${i}`, { tier }));
    }
    const as = await client.list("secrets", "ns1", { labelSelector: "tier=a" });
    assert.deepEqual(as.map((s) => s.metadata.name), ["s0", "s2", "s3"]);
    const notA = await client.list("secrets", "ns1", { labelSelector: "tier notin (a)" });
    assert.deepEqual(notA.map((s) => s.metadata.name), ["s1", "s4"]);
    assert.equal(
      emulator.count({ verb: "list" }),
      3,
      "3 matches in pages of 2, then 2 in one page",
    );
  });

  await t.step("maps 401 and 403", async () => {
    const anonymous = new KubernetesClient({
      config: { server: "https://k8s.test", token: "wrong-token", source: "test" },
      fetch: emulator.fetch,
    });
    const e = await anonymous.list("secrets", "ns1").catch((x) => x);
    assert.ok(isKubeReason(e, "Unauthorized"));
    emulator.tokens["ro-token"] = { user: "viewer", allow: ["list:secrets"] };
    const ro = new KubernetesClient({
      config: { server: "https://k8s.test", token: "ro-token", source: "test" },
      fetch: emulator.fetch,
    });
    const f = await ro.create("secrets", "ns1", secret("zz")).catch((x) => x);
    assert.ok(isKubeReason(f, "Forbidden"));
    assert.equal(
      f.message,
      'Cannot create secrets in namespace "ns1": user "viewer" is forbidden (403); grant verb "create" on resource "secrets" (API group "") in the orchestrator\'s Role',
    );
    assert.match(f.hint ?? "", /SnapSentry-Go's kustomize Role lacks secrets update and delete/);
    assert.equal(f.verb, "create");
    assert.equal(f.resource, "secrets");
    assert.match(f.serverMessage, /User "viewer" cannot create resource "secrets"/);
    const g = await ro.get("secrets", "ns1", "zz").catch((x) => x);
    assert.match(g.message, /^Cannot get secrets .*grant verb "get" on resource "secrets"/);
  });

  await t.step("wraps network failures", async () => {
    const broken = new KubernetesClient({
      config: { server: "https://k8s.test", token: "t0ken", source: "test" },
      fetch: () => Promise.reject(new TypeError("connection refused")),
    });
    await assert.rejects(
      broken.list("secrets", "ns1"),
      /Cannot reach the Kubernetes API at https:\/\/k8s.test/,
    );
  });
});

Deno.test("names", async (t) => {
  await t.step("sanitizeLabelValue() always yields a valid label value", () => {
    const cases = [
      "",
      "ok",
      "a b",
      "-x-",
      "日本語",
      "a".repeat(100),
      "É".repeat(70) + "b",
      "x.y_z",
    ];
    for (const c of cases) assert.ok(isValidLabelValue(sanitizeLabelValue(c)), c);
    assert.equal(sanitizeLabelValue("x.y_z"), "x.y_z");
    assert.notEqual(
      sanitizeLabelValue("a".repeat(70) + "1"),
      sanitizeLabelValue("a".repeat(70) + "2"),
      "long values sharing a prefix stay distinct",
    );
  });
  await t.step("dnsLabelName() keeps hex ids and hashes anything else", () => {
    assert.equal(dnsLabelName("snapsentry-", "0a1b"), "snapsentry-0a1b");
    const odd = dnsLabelName("snapsentry-", "Not_Hex.ID");
    assert.ok(isDnsLabel(odd), odd);
    assert.match(odd, /^snapsentry-not-hex-id-[0-9a-f]{8}$/);
    assert.ok(isDnsLabel(dnsLabelName("snapsentry-", "f".repeat(80), "-cloud")));
  });
});
