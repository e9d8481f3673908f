import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { ManualClock } from "../clock.ts";
import { KubernetesEmulator } from "../emulator/mod.ts";
import { MemoryLogger } from "../log.ts";
import { KubernetesClient } from "./client.ts";
import {
  ANNOTATION_KEYS,
  decodeBase64,
  deploymentName,
  LABEL_KEYS,
  type ProjectCredential,
  type ProjectRef,
  SECRET_KEYS,
  secretName,
} from "./desired.ts";
import { isValidLabelValue } from "./names.ts";
import {
  type AccessRule,
  accessRulesFor,
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorIdentity,
  type OrchestratorOptions,
  quantityNanos,
  reconcileOnce,
  runOrchestrator,
  SNAPSENTRY_ACCESS_RULES,
} from "./orchestrator.ts";
import type { Deployment, Secret } from "./types.ts";

const NS = "snapsentry";
const WEBHOOK_PASSWORD = "hook-pass-7f3a9c";

class FakeIdentity implements OrchestratorIdentity {
  projects: ProjectRef[];
  issued: { project: string; role: string; rules: readonly AccessRule[]; name: string }[] = [];
  deleted: string[] = [];
  existing = new Set<string>();
  failDiscovery = false;
  #n = 0;
  constructor(projects: ProjectRef[]) {
    this.projects = projects;
  }
  listTaggedProjects(tag: string): Promise<ProjectRef[]> {
    assert.equal(tag, "snapsentry-enabled");
    if (this.failDiscovery) return Promise.reject(new Error("keystone is down"));
    return Promise.resolve(this.projects.map((p) => ({ ...p })));
  }
  ensureProjectCredential(
    project: ProjectRef,
    request: { name: string; role: string; accessRules: readonly AccessRule[] },
  ): Promise<ProjectCredential> {
    this.#n++;
    this.issued.push({
      project: project.id,
      role: request.role,
      rules: request.accessRules,
      name: request.name,
    });
    const id = `cred-${project.id}-${this.#n}`;
    this.existing.add(id);
    return Promise.resolve({
      application_credential_id: id,
      application_credential_secret: `secret-${project.id}-${this.#n}-xyz`,
    });
  }
  deleteProjectCredential(project: ProjectRef): Promise<void> {
    this.deleted.push(project.id);
    return Promise.resolve();
  }
}

function options(overrides: Partial<OrchestratorOptions> = {}): OrchestratorOptions {
  return {
    ...ORCHESTRATOR_DEFAULTS,
    resources: { ...ORCHESTRATOR_DEFAULTS.resources },
    webhook: { url: "https://hooks.example/x", username: "alerts", password: WEBHOOK_PASSWORD },
    cloud: {
      authUrl: "https://keystone.example:5000/v3",
      regionName: "RegionOne",
      interface: "public",
    },
    ...overrides,
  };
}

function setup(projects: ProjectRef[], emulatorOptions = {}) {
  const emulator = new KubernetesEmulator(emulatorOptions);
  const kube = new KubernetesClient({
    config: { server: "https://k8s.test", token: "test-token", source: "test" },
    fetch: emulator.fetch,
  });
  const identity = new FakeIdentity(projects);
  const logger = new MemoryLogger();
  const clock = new ManualClock("2026-03-01T00:00:00Z");
  return { emulator, kube, identity, logger, clock, deps: { kube, identity, logger, clock } };
}

const A: ProjectRef = {
  id: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
  name: "alpha",
  domainId: "default",
};
const B: ProjectRef = { id: "1111aaaa2222bbbb3333cccc4444dddd", name: "beta", domainId: "default" };

function deployment(emulator: KubernetesEmulator, id: string): Deployment {
  const d = emulator.getObject("deployments", NS, deploymentName(id));
  assert.ok(d, `deployment of ${id} exists`);
  return d as unknown as Deployment;
}

function secretText(emulator: KubernetesEmulator, id: string): Record<string, string> {
  const s = emulator.getObject("secrets", NS, secretName(id)) as unknown as Secret | undefined;
  assert.ok(s, `secret of ${id} exists`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = decodeBase64(v)!;
  return out;
}

Deno.test("reconcileOnce()", async (t) => {
  await t.step("creates a Secret and a Deployment per tagged project", async () => {
    const { emulator, identity, deps } = setup([A, B]);
    const result = await reconcileOnce(options(), deps);
    assert.equal(result.converged, true);
    assert.deepEqual(result.projects.map((p) => [p.projectId, p.action]), [
      [A.id, "created"],
      [B.id, "created"],
    ]);
    assert.equal(identity.issued.length, 2);
    assert.equal(identity.issued[0]!.role, "member");
    assert.deepEqual(identity.issued[0]!.rules, accessRulesFor(A.id));
    for (const r of identity.issued[0]!.rules) {
      if (r.path !== "/v3/") assert.ok(r.path.startsWith(`/v3/${A.id}/`), r.path);
    }

    const d = deployment(emulator, A.id);
    assert.equal(d.metadata.name, `snapsentry-${A.id}`);
    assert.equal(d.spec.replicas, 1);
    assert.equal(d.spec.strategy?.type, "Recreate");
    const c = d.spec.template.spec.containers[0]!;
    assert.equal(c.image, ORCHESTRATOR_DEFAULTS.image);
    assert.deepEqual(c.args, [
      "daemon",
      "--cloud",
      "snapsentry",
      "--bind-address",
      "0.0.0.0:8080",
      "--create-schedule",
      "*/10 * * * *",
      "--expire-schedule",
      "0 */1 * * *",
      "--log-level",
      "info",
      "--shutdown-timeout",
      "60s",
    ]);
    assert.deepEqual(c.resources, {
      requests: { cpu: "64m", memory: "32Mi" },
      limits: { cpu: "256m", memory: "128Mi" },
    });
    assert.equal(c.livenessProbe?.httpGet?.path, "/healthz");
    assert.equal(c.readinessProbe?.httpGet?.path, "/readyz");
    assert.deepEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    assert.deepEqual(c.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    assert.deepEqual(c.volumeMounts?.[0], {
      name: "cloud-config",
      mountPath: "/etc/openstack",
      readOnly: true,
    });
    assert.equal(d.spec.template.spec.volumes?.[0]?.secret?.secretName, secretName(A.id));
    assert.equal(d.metadata.labels?.[LABEL_KEYS.managedBy], "snapsentry-orchestrator");
    assert.equal(d.metadata.labels?.[LABEL_KEYS.projectId], A.id);
    assert.match(d.metadata.annotations?.[ANNOTATION_KEYS.specHash] ?? "", /^[0-9a-f]{64}$/);

    const data = secretText(emulator, A.id);
    const clouds = parseYaml(data["clouds.yaml"]!) as {
      clouds: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(clouds.clouds.snapsentry, {
      auth_type: "v3applicationcredential",
      auth: {
        auth_url: "https://keystone.example:5000/v3",
        application_credential_id: `cred-${A.id}-1`,
        application_credential_secret: `secret-${A.id}-1-xyz`,
      },
      identity_api_version: 3,
      region_name: "RegionOne",
      interface: "public",
    });
    assert.equal(data[SECRET_KEYS.webhookPassword], WEBHOOK_PASSWORD);
    assert.equal(data[SECRET_KEYS.webhookUrl], "https://hooks.example/x");
  });

  await t.step("a second pass with nothing changed makes zero write calls", async () => {
    const { emulator, identity, deps } = setup([A, B]);
    await reconcileOnce(options(), deps);
    const writes = emulator.writeCount;
    const result = await reconcileOnce(options(), deps);
    assert.equal(emulator.writeCount, writes);
    assert.deepEqual(result.projects.map((p) => p.action), ["unchanged", "unchanged"]);
    assert.equal(identity.issued.length, 2, "no credential churn");
    assert.equal(result.converged, true);
  });

  await t.step("quantities the API server rewrites in canonical form are not drift", async () => {
    const { emulator, deps } = setup([A]);
    const resources = {
      requestsCpu: "0.1",
      requestsMemory: "32Mi",
      limitsCpu: "1000m",
      limitsMemory: "1024Mi",
    };
    await reconcileOnce(options({ resources }), deps);
    // A real API server stores quantities canonically: 0.1 -> 100m, 1000m -> 1, 1024Mi -> 1Gi.
    emulator.mutate("deployments", NS, deploymentName(A.id), (o) => {
      const c = (o.spec as Deployment["spec"]).template.spec.containers[0]!;
      c.resources = {
        requests: { cpu: "100m", memory: "32Mi" },
        limits: { cpu: "1", memory: "1Gi" },
      };
    });
    const writes = emulator.writeCount;
    const result = await reconcileOnce(options({ resources }), deps);
    assert.equal(emulator.writeCount, writes, result.projects[0]!.changes.join());
    assert.equal(result.projects[0]!.action, "unchanged");
    const more = await reconcileOnce(
      options({ resources: { ...resources, limitsMemory: "1025Mi" } }),
      deps,
    );
    assert.deepEqual(more.projects[0]!.changes, ["deployment_resources"]);
  });

  await t.step("keeps webhook secrets out of the container args", async () => {
    const { emulator, deps } = setup([A]);
    await reconcileOnce(options(), deps);
    const d = deployment(emulator, A.id);
    const spec = JSON.stringify(d.spec);
    assert.ok(!spec.includes(WEBHOOK_PASSWORD));
    assert.ok(!spec.includes("hooks.example"));
    const env = d.spec.template.spec.containers[0]!.env ?? [];
    const pw = env.find((e) => e.name === "SNAPSENTRY_WEBHOOK_PASSWORD");
    assert.deepEqual(pw?.valueFrom?.secretKeyRef, {
      name: secretName(A.id),
      key: "SNAPSENTRY_WEBHOOK_PASSWORD",
    });
  });

  const updates: [string, Partial<OrchestratorOptions>, string][] = [
    ["image", { image: "ghcr.io/snapsentry/snapsentry:0.2.0" }, "deployment_image"],
    [
      "resource limit",
      { resources: { ...ORCHESTRATOR_DEFAULTS.resources, limitsMemory: "256Mi" } },
      "deployment_resources",
    ],
    ["create schedule", { createSchedule: "*/5 * * * *" }, "deployment_args"],
    ["expire schedule", { expireSchedule: "30 * * * *" }, "deployment_args"],
    [
      "webhook password (secret content)",
      { webhook: { url: "https://hooks.example/x", username: "alerts", password: "new-pass-123" } },
      "secret_content",
    ],
  ];
  for (const [what, change, reason] of updates) {
    await t.step(`updates when the ${what} changes`, async () => {
      const { emulator, identity, deps } = setup([A, B]);
      await reconcileOnce(options(), deps);
      const before = deployment(emulator, A.id);
      const result = await reconcileOnce(options(change), deps);
      assert.deepEqual(result.projects.map((p) => p.action), ["updated", "updated"]);
      assert.ok(result.projects[0]!.changes.includes(reason), result.projects[0]!.changes.join());
      assert.equal(identity.issued.length, 2, "an update never rotates the credential");
      const after = deployment(emulator, A.id);
      assert.notEqual(after.metadata.resourceVersion, before.metadata.resourceVersion);
      assert.notEqual(
        after.metadata.annotations?.[ANNOTATION_KEYS.specHash],
        before.metadata.annotations?.[ANNOTATION_KEYS.specHash],
      );
      if (reason === "secret_content") {
        assert.equal(secretText(emulator, A.id)[SECRET_KEYS.webhookPassword], "new-pass-123");
        // Pods restart on a new config hash, so they pick the new environment up.
        assert.notEqual(
          after.spec.template.metadata?.annotations?.[ANNOTATION_KEYS.configHash],
          before.spec.template.metadata?.annotations?.[ANNOTATION_KEYS.configHash],
        );
      }
      const writes = emulator.writeCount;
      const again = await reconcileOnce(options(change), deps);
      assert.equal(emulator.writeCount, writes, "converged after the update");
      assert.deepEqual(again.projects.map((p) => p.action), ["unchanged", "unchanged"]);
    });
  }

  await t.step("repairs a Deployment edited behind its back (drift)", async () => {
    const { emulator, deps } = setup([A]);
    await reconcileOnce(options(), deps);
    emulator.mutate("deployments", NS, deploymentName(A.id), (o) => {
      const spec = o.spec as Deployment["spec"];
      spec.template.spec.containers[0]!.image = "evil/image:latest";
    });
    const result = await reconcileOnce(options(), deps);
    assert.equal(result.projects[0]!.action, "updated");
    assert.equal(
      deployment(emulator, A.id).spec.template.spec.containers[0]!.image,
      ORCHESTRATOR_DEFAULTS.image,
    );
  });

  await t.step("leaves projects that lost the tag alone without prune", async () => {
    const { emulator, identity, deps } = setup([A, B]);
    await reconcileOnce(options(), deps);
    identity.projects = [A];
    const result = await reconcileOnce(options(), deps);
    assert.deepEqual(result.orphans, [{ projectId: B.id, name: "beta" }]);
    assert.deepEqual(result.projects.map((p) => p.action), ["unchanged"]);
    assert.ok(emulator.getObject("deployments", NS, deploymentName(B.id)));
    assert.ok(emulator.getObject("secrets", NS, secretName(B.id)));
    assert.deepEqual(identity.deleted, []);
    assert.equal(emulator.count({ verb: "delete" }), 0);
  });

  await t.step("prunes projects that lost the tag with prune", async () => {
    const { emulator, identity, deps } = setup([A, B]);
    await reconcileOnce(options(), deps);
    identity.projects = [A];
    const result = await reconcileOnce(options({ prune: true }), deps);
    assert.deepEqual(result.projects.map((p) => [p.projectId, p.action]), [
      [A.id, "unchanged"],
      [B.id, "pruned"],
    ]);
    assert.equal(emulator.getObject("deployments", NS, deploymentName(B.id)), undefined);
    assert.equal(emulator.getObject("secrets", NS, secretName(B.id)), undefined);
    assert.ok(emulator.getObject("deployments", NS, deploymentName(A.id)));
    assert.deepEqual(identity.deleted, [B.id]);
    assert.equal(result.converged, true);
  });

  for (const [status, message] of [[500, "etcdserver: request timed out"], [422, "bad"]] as const) {
    await t.step(
      `one project's create failing with ${status} does not stop the others`,
      async () => {
        const { emulator, logger, deps } = setup([A, B]);
        emulator.failNext(1, {
          status,
          message,
          verb: "create",
          resource: "deployments",
          name: deploymentName(A.id),
        });
        const result = await reconcileOnce(options(), deps);
        assert.equal(result.converged, false);
        assert.equal(result.projects[0]!.action, "failed");
        assert.match(result.projects[0]!.error ?? "", new RegExp(`${status}`));
        assert.equal(result.projects[1]!.action, "created");
        const failed = logger.events("orchestrator_project_failed");
        assert.equal(failed.length, 1);
        assert.equal(failed[0]!.project_id, A.id);
        assert.equal(failed[0]!.project_name, "alpha");
        // The next pass finishes the job without issuing a second credential.
        const second = await reconcileOnce(options(), deps);
        assert.equal(second.converged, true);
        assert.deepEqual(second.projects.map((p) => p.action), ["created", "unchanged"]);
        assert.equal(deps.identity.issued.length, 2);
      },
    );
  }

  await t.step("a 409 Conflict on update re-reads and retries once", async () => {
    const { emulator, deps } = setup([A]);
    await reconcileOnce(options(), deps);
    // A concurrent writer bumps the version between our observation and our update.
    const kube = deps.kube;
    let bumped = false;
    const original = kube.replace.bind(kube);
    kube.replace = (async (kind, ns, object) => {
      if (!bumped && kind === "deployments") {
        bumped = true;
        emulator.mutate("deployments", NS, object.metadata.name, (o) => {
          o.metadata.annotations = { ...o.metadata.annotations, "example.com/touched": "yes" };
        });
      }
      return await original(kind, ns, object);
    }) as typeof kube.replace;
    const result = await reconcileOnce(
      options({ image: "ghcr.io/snapsentry/snapsentry:0.3.0" }),
      deps,
    );
    assert.equal(result.projects[0]!.action, "updated");
    assert.equal(emulator.count({ verb: "update", resource: "deployments", status: 409 }), 1);
    assert.equal(emulator.count({ verb: "update", resource: "deployments", status: 200 }), 1);
    const d = deployment(emulator, A.id);
    assert.equal(d.spec.template.spec.containers[0]!.image, "ghcr.io/snapsentry/snapsentry:0.3.0");
    assert.equal(d.metadata.annotations?.["example.com/touched"], "yes");
  });

  await t.step("sanitises labels for weird and long project names", async () => {
    const weird: ProjectRef = {
      id: "abcdef0123456789abcdef0123456789",
      name: "Équipe / Prod (EU) ✓",
    };
    const long: ProjectRef = { id: "fedcba9876543210fedcba9876543210", name: "x".repeat(64) + "!" };
    const empty: ProjectRef = { id: "00000000000000000000000000000001", name: "日本語" };
    const odd: ProjectRef = { id: "Not_Hex.ID with spaces", name: "odd" };
    const { emulator, deps } = setup([weird, long, empty, odd]);
    const result = await reconcileOnce(options(), deps);
    assert.equal(result.converged, true, JSON.stringify(result.projects));
    for (const p of [weird, long, empty, odd]) {
      const d = deployment(emulator, p.id);
      for (const v of Object.values(d.metadata.labels ?? {})) assert.ok(isValidLabelValue(v), v);
      assert.equal(d.metadata.annotations?.[ANNOTATION_KEYS.projectName], p.name);
    }
    assert.equal(
      deployment(emulator, weird.id).metadata.labels?.[LABEL_KEYS.projectName],
      "quipe---Prod--EU",
    );
    const longLabel = deployment(emulator, long.id).metadata.labels?.[LABEL_KEYS.projectName]!;
    assert.equal(longLabel.length, 63);
    assert.match(longLabel, /^x+-[0-9a-f]{8}$/);
    const second = await reconcileOnce(options(), deps);
    assert.ok(second.projects.every((p) => p.action === "unchanged"));
  });

  await t.step("keeps TLS settings of the admin profile and mounts its CA", async () => {
    const { emulator, deps } = setup([A]);
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    await reconcileOnce(
      options({
        cloud: {
          authUrl: "https://keystone.example/v3",
          cacert: { pem, sourcePath: "/etc/ca.pem" },
        },
      }),
      deps,
    );
    const data = secretText(emulator, A.id);
    assert.equal(data["cacert.pem"], pem);
    const profile = (parseYaml(data["clouds.yaml"]!) as {
      clouds: { snapsentry: Record<string, unknown> };
    }).clouds.snapsentry;
    assert.equal(profile.cacert, "/etc/openstack/cacert.pem");
    assert.equal("verify" in profile, false, "never writes verify unless the admin profile has it");
    const items = deployment(emulator, A.id).spec.template.spec.volumes?.[0]?.secret?.items;
    assert.deepEqual(items?.map((i) => i.key), ["clouds.yaml", "cacert.pem"]);

    const other = setup([A]);
    await reconcileOnce(
      options({ cloud: { authUrl: "https://keystone.example/v3", verify: false } }),
      other.deps,
    );
    const insecure = parseYaml(secretText(other.emulator, A.id)["clouds.yaml"]!) as {
      clouds: { snapsentry: Record<string, unknown> };
    };
    assert.equal(insecure.clouds.snapsentry.verify, false);
  });

  await t.step(
    "issues a new credential when the Secret is unusable or the credential gone",
    async () => {
      const { emulator, identity, deps } = setup([A]);
      await reconcileOnce(options(), deps);
      emulator.mutate("secrets", NS, secretName(A.id), (o) => {
        (o.data as Record<string, string>)["clouds.yaml"] = btoa("clouds: {}\n");
      });
      const result = await reconcileOnce(options(), deps);
      assert.equal(result.projects[0]!.action, "updated");
      assert.ok(result.projects[0]!.changes.includes("credential_issued"));
      assert.equal(identity.issued.length, 2);
      assert.match(secretText(emulator, A.id)["clouds.yaml"]!, /cred-.*-2/);

      const withCheck = Object.assign(identity, {
        credentialExists: (_p: ProjectRef, id: string) => Promise.resolve(id.endsWith("-1")),
      });
      deps.identity = withCheck;
      const again = await reconcileOnce(options(), deps);
      assert.ok(again.projects[0]!.changes.includes("credential_issued"));
      assert.equal(identity.issued.length, 3);
    },
  );

  await t.step("refuses to take over an unmanaged object of the same name", async () => {
    const { emulator, deps } = setup([A]);
    emulator.seed("secrets", NS, {
      metadata: { name: secretName(A.id) },
      data: { x: btoa("y") },
    });
    const result = await reconcileOnce(options(), deps);
    assert.equal(result.projects[0]!.action, "failed");
    assert.match(result.projects[0]!.error ?? "", /exists without the label/);
    assert.deepEqual(emulator.getObject("secrets", NS, secretName(A.id))?.data, { x: btoa("y") });
  });

  await t.step("fails the pass, changing nothing, when discovery fails", async () => {
    const { emulator, identity, deps } = setup([A]);
    await reconcileOnce(options(), deps);
    identity.failDiscovery = true;
    const writes = emulator.writeCount;
    await assert.rejects(
      reconcileOnce(options({ prune: true }), deps),
      /Cannot list projects tagged/,
    );
    assert.equal(emulator.writeCount, writes);
  });

  await t.step("reports a token without rights as a failed pass", async () => {
    const { deps } = setup([A], {
      tokens: {
        "test-token": { user: "system:serviceaccount:snapsentry:x", allow: ["get:secrets"] },
      },
    });
    await assert.rejects(
      reconcileOnce(options(), deps),
      /Cannot list deployments in namespace "snapsentry": user "system:serviceaccount:snapsentry:x" is forbidden \(403\); grant verb "list" on resource "deployments" \(API group "apps"\)/,
    );
  });

  await t.step("honours --controller-namespace", async () => {
    const { emulator, deps } = setup([A], { namespaces: ["backup-ops"] });
    const result = await reconcileOnce(options({ namespace: "backup-ops" }), deps);
    assert.equal(result.converged, true);
    assert.ok(emulator.getObject("deployments", "backup-ops", deploymentName(A.id)));
  });
});

Deno.test("runOrchestrator()", async (t) => {
  await t.step("repeats passes at the interval until aborted", async () => {
    const { emulator, deps, clock } = setup([A]);
    clock.autoAdvance = true;
    const controller = new AbortController();
    let passes = 0;
    const last = await runOrchestrator(options(), deps, {
      intervalMs: 600_000,
      signal: controller.signal,
      onPass: () => {
        passes++;
        if (passes === 3) controller.abort();
      },
    });
    assert.equal(passes, 3);
    assert.equal(last.converged, true);
    assert.equal(clock.now().toString(), "2026-03-01T00:20:00Z");
    assert.equal(emulator.count({ verb: "create" }), 3, "only the first pass wrote");
  });

  await t.step("keeps looping after a failed pass", async () => {
    const { deps, clock, identity, logger } = setup([A]);
    clock.autoAdvance = true;
    identity.failDiscovery = true;
    const controller = new AbortController();
    const results: boolean[] = [];
    await runOrchestrator(options(), deps, {
      intervalMs: 1000,
      signal: controller.signal,
      onPass: (r) => {
        results.push(r.converged);
        identity.failDiscovery = false;
        if (results.length === 2) controller.abort();
      },
    });
    assert.deepEqual(results, [false, true]);
    assert.equal(logger.events("orchestrator_pass_failed").length, 1);
  });

  await t.step("rejects bad options before any call", async () => {
    const { emulator, deps } = setup([A]);
    await assert.rejects(
      runOrchestrator(
        options({ resources: { ...ORCHESTRATOR_DEFAULTS.resources, limitsCpu: "lots" } }),
        deps,
      ),
      /Cannot use quantity "lots" from --controller-limit-cpu/,
    );
    await assert.rejects(
      runOrchestrator(options({ namespace: "Bad_NS" }), deps),
      /Cannot use namespace "Bad_NS"/,
    );
    assert.equal(emulator.calls.length, 0);
  });
});

Deno.test("SNAPSENTRY_ACCESS_RULES are least privilege", () => {
  for (const rule of SNAPSENTRY_ACCESS_RULES) {
    assert.equal(rule.service, "volumev3");
    assert.ok(!rule.path.includes("**"), `${rule.path} is not a wildcard subtree`);
    if (rule.method !== "GET") assert.match(rule.path, /^\/v3\/\*\/snapshots/);
  }
  assert.ok(!SNAPSENTRY_ACCESS_RULES.some((r) => r.method === "PUT"));
});

Deno.test("quantityNanos() compares quantities by value as the API server does", () => {
  const same: [string, string][] = [
    ["0.5", "500m"],
    ["1000m", "1"],
    ["1024Mi", "1Gi"],
    ["1e3", "1k"],
    [".1", "100m"],
    ["1.5Gi", "1536Mi"],
  ];
  for (const [a, b] of same) assert.equal(quantityNanos(a), quantityNanos(b), `${a} = ${b}`);
  assert.notEqual(quantityNanos("1Gi"), quantityNanos("1G"));
  assert.notEqual(quantityNanos("256m"), quantityNanos("256M"));
  assert.equal(quantityNanos("lots"), undefined);
});
