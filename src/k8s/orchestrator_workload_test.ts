import assert from "node:assert/strict";
import { ManualClock } from "../clock.ts";
import { KubernetesEmulator } from "../emulator/mod.ts";
import { MemoryLogger } from "../log.ts";
import { KubernetesClient } from "./client.ts";
import {
  decodeBase64,
  deploymentName,
  type ProjectRef,
  SECRET_KEYS,
  secretName,
} from "./desired.ts";
import { NETWORK_POLICY_NAME } from "./desired_network.ts";
import { ORCHESTRATOR_DEFAULTS, type OrchestratorOptions, reconcileOnce } from "./orchestrator.ts";
import { createOrchestratorHealth } from "./orchestrator_health.ts";
import type { Deployment, NetworkPolicy, Secret } from "./types.ts";

const NS = "snapsentry";
const A: ProjectRef = { id: "0a1b2c3d4e5f60718293a4b5c6d7e8f9", name: "alpha" };

function setup(emulatorOptions = {}) {
  const emulator = new KubernetesEmulator(emulatorOptions);
  const kube = new KubernetesClient({
    config: { server: "https://k8s.test", token: "test-token", source: "test" },
    fetch: emulator.fetch,
  });
  let n = 0;
  const identity = {
    listTaggedProjects: () => Promise.resolve([A]),
    ensureProjectCredential: () =>
      Promise.resolve({
        application_credential_id: `id-${++n}`,
        application_credential_secret: `secret-${n}-abcdef`,
      }),
    deleteProjectCredential: () => Promise.resolve(),
  };
  const logger = new MemoryLogger();
  const clock = new ManualClock("2026-03-01T00:00:00Z");
  return { emulator, deps: { kube, identity, logger, clock }, logger };
}

function options(overrides: Partial<OrchestratorOptions> = {}): OrchestratorOptions {
  return {
    ...ORCHESTRATOR_DEFAULTS,
    resources: { ...ORCHESTRATOR_DEFAULTS.resources },
    webhook: {},
    cloud: { authUrl: "https://keystone.example/v3" },
    ...overrides,
  };
}

function deployment(emulator: KubernetesEmulator): Deployment {
  return emulator.getObject("deployments", NS, deploymentName(A.id)) as unknown as Deployment;
}

Deno.test("project Deployments outlive the daemon's shutdown and start with a startupProbe", async () => {
  const { emulator, deps } = setup();
  await reconcileOnce(options(), deps);
  const spec = deployment(emulator).spec.template.spec;
  const c = spec.containers[0]!;
  assert.deepEqual(c.args!.slice(-2), ["--shutdown-timeout", "60s"]);
  assert.equal(spec.terminationGracePeriodSeconds, 75, "above the daemon's 60 s");
  assert.deepEqual(c.startupProbe, {
    httpGet: { path: "/healthz", port: "http" },
    periodSeconds: 5,
    timeoutSeconds: 5,
    failureThreshold: 24,
  });
  await reconcileOnce(options({ shutdownTimeoutSeconds: 120 }), deps);
  assert.equal(deployment(emulator).spec.template.spec.terminationGracePeriodSeconds, 135);
});

Deno.test("the daemons' NetworkPolicy admits only Prometheus on the daemon port", async (t) => {
  const { emulator, deps } = setup();
  await t.step("created with the first Deployment, then left alone", async () => {
    const r = await reconcileOnce(options(), deps);
    assert.equal(r.networkPolicy?.action, "created");
    const policy = emulator.getObject(
      "networkpolicies",
      NS,
      NETWORK_POLICY_NAME,
    ) as unknown as NetworkPolicy;
    assert.deepEqual(policy.spec, {
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/managed-by": "snapsentry-orchestrator",
          "app.kubernetes.io/component": "daemon",
        },
      },
      policyTypes: ["Ingress"],
      ingress: [{
        from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }],
        ports: [{ protocol: "TCP", port: 8080 }],
      }],
    });
    // The daemon pods carry the labels the policy selects.
    const labels = deployment(emulator).spec.template.metadata!.labels!;
    for (const [k, v] of Object.entries(policy.spec.podSelector.matchLabels!)) {
      assert.equal(labels[k], v);
    }
    const writes = emulator.writeCount;
    assert.equal((await reconcileOnce(options(), deps)).networkPolicy?.action, "unchanged");
    assert.equal(emulator.writeCount, writes);
  });
  await t.step("a policy opened behind its back is closed again", async () => {
    emulator.mutate("networkpolicies", NS, NETWORK_POLICY_NAME, (o) => {
      (o.spec as NetworkPolicy["spec"]).ingress = [{}];
    });
    assert.equal((await reconcileOnce(options(), deps)).networkPolicy?.action, "updated");
  });
  await t.step("--prometheus-selector changes the admitted pods", async () => {
    await reconcileOnce(options({ prometheusSelector: { app: "prometheus", team: "ops" } }), deps);
    const policy = emulator.getObject(
      "networkpolicies",
      NS,
      NETWORK_POLICY_NAME,
    ) as unknown as NetworkPolicy;
    assert.deepEqual(policy.spec.ingress![0]!.from![0]!.podSelector!.matchLabels, {
      app: "prometheus",
      team: "ops",
    });
  });
  await t.step("a Role without NetworkPolicies only warns", async () => {
    const other = setup({
      tokens: {
        "test-token": {
          user: "sa",
          allow: ["get", "list", "create", "update", "delete"].flatMap((v) => [
            `${v}:deployments`,
            `${v}:secrets`,
          ]),
        },
      },
    });
    const r = await reconcileOnce(options(), other.deps);
    assert.equal(r.converged, true);
    assert.equal(r.networkPolicy?.action, "skipped");
    assert.equal(other.logger.events("orchestrator_network_policy_forbidden").length, 1);
  });
  await t.step("networkPolicy: false never lists or writes it", async () => {
    const other = setup();
    await reconcileOnce(options({ networkPolicy: false }), other.deps);
    assert.equal(other.emulator.count({ resource: "networkpolicies" }), 0);
  });
});

Deno.test("a per-project trigger token lives in the Secret only", async (t) => {
  const { emulator, deps, logger } = setup();
  const token = () => {
    const s = emulator.getObject("secrets", NS, secretName(A.id)) as unknown as Secret;
    const v = s.data?.[SECRET_KEYS.apiToken];
    return v === undefined ? undefined : decodeBase64(v);
  };
  await t.step("none by default", async () => {
    await reconcileOnce(options(), deps);
    assert.equal(token(), undefined);
    assert.ok(
      !deployment(emulator).spec.template.spec.containers[0]!.env!.some((e) =>
        e.name === "SNAPSENTRY_API_TOKEN"
      ),
    );
  });
  await t.step("triggerToken generates one, kept across passes", async () => {
    await reconcileOnce(options({ triggerToken: true }), deps);
    const first = token();
    assert.match(first ?? "", /^[0-9a-f]{64}$/);
    const env = deployment(emulator).spec.template.spec.containers[0]!.env!;
    assert.deepEqual(env.find((e) => e.name === "SNAPSENTRY_API_TOKEN")?.valueFrom, {
      secretKeyRef: { name: secretName(A.id), key: "SNAPSENTRY_API_TOKEN" },
    });
    assert.ok(!JSON.stringify(deployment(emulator)).includes(first!));
    assert.ok(!JSON.stringify(logger.entries).includes(first!));
    const writes = emulator.writeCount;
    await reconcileOnce(options({ triggerToken: true }), deps);
    assert.equal(emulator.writeCount, writes);
    assert.equal(token(), first);
  });
  await t.step("turning it off removes it", async () => {
    await reconcileOnce(options(), deps);
    assert.equal(token(), undefined);
  });
});

Deno.test("createOrchestratorHealth() serves /healthz and /readyz for the loop", () => {
  const clock = new ManualClock("2026-03-01T00:00:00Z");
  const health = createOrchestratorHealth({
    intervalMs: 600_000,
    rolloutTimeoutMs: 180_000,
    clock,
  });
  const get = (path: string) => health.handler(new Request(`http://o${path}`));
  assert.equal(get("/healthz").status, 200);
  assert.equal(get("/readyz").status, 503, "not ready before the first pass");
  clock.advance({ minutes: 5 });
  health.passFinished({ converged: true } as Parameters<typeof health.passFinished>[0]);
  assert.equal(get("/readyz").status, 200);
  // 10 min interval + 3 min rollout + 10 min allowance: a loop silent for 24 min is stalled.
  clock.advance({ minutes: 23 });
  assert.equal(get("/healthz").status, 200);
  clock.advance({ minutes: 1 });
  assert.equal(get("/healthz").status, 503);
  assert.equal(get("/other").status, 404);
  assert.equal(health.handler(new Request("http://o/healthz", { method: "POST" })).status, 405);
});
