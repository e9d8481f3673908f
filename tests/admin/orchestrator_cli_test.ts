import assert from "node:assert/strict";
import { type LogEntry, MemoryLogger } from "../../src/log.ts";
import { parse as parseYaml } from "yaml";
import { deploymentName, LABEL_KEYS, SECRET_KEYS, secretName } from "../../src/k8s/desired.ts";
import { accessRulesFor } from "../../src/k8s/orchestrator.ts";
import type { Deployment } from "../../src/k8s/types.ts";
import {
  type AdminWorld,
  adminWorld,
  KUBE_HOST,
  KUBECONFIG,
  KUBECONFIG_PATH,
  NS,
  openSecretCloud,
  secretText,
  TAG,
  taggedProject,
} from "./harness.ts";

const ORCH = ["admin", "orchestrator", "--kubeconfig", KUBECONFIG_PATH];

/** Application credentials owned by orchestrator service users (not the emulator's seed one). */
function appCreds(w: AdminWorld) {
  return [...w.os.state.appCreds.values()].filter((a) =>
    w.os.state.users.get(a.userId)?.name === a.name
  );
}

function serviceUser(w: AdminWorld, projectId: string) {
  return [...w.os.state.users.values()].find((u) => u.name === `snapsentry-${projectId}`);
}

function deployment(w: AdminWorld, projectId: string): Deployment {
  return w.kube.getObject("deployments", NS, deploymentName(projectId)) as unknown as Deployment;
}

Deno.test("admin orchestrator (CLI, emulated Keystone and Kubernetes)", async (t) => {
  const w = adminWorld();
  w.os.state.domains.set("d2", { id: "d2", name: "Second" });
  const alpha = taggedProject(w, "Alpha Team: prod/eu (ünïcode)");
  const beta = taggedProject(w, "beta", { domainId: "d2" });
  w.os.addVolume(alpha.id, { name: "alpha-data", size: 10 });
  const webhookPassword = "hook-secret-83c1e0";

  await t.step("first pass creates user, role, credential, Secret and Deployment", async () => {
    const r = await w.run(
      [
        "--webhook-url",
        "https://hooks.example/alert",
        ...ORCH,
        "--controller-limit-memory",
        "256Mi",
        "--json",
      ],
      {
        overrides: {
          env: {
            OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml",
            SNAPSENTRY_WEBHOOK_PASSWORD: webhookPassword,
          },
        },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.converged, true);
    assert.deepEqual(
      result.projects.map((p: { projectId: string; action: string }) => [p.projectId, p.action])
        .sort(),
      [[alpha.id, "created"], [beta.id, "created"]].sort(),
    );
    assert.ok(!r.stdout.includes(webhookPassword));
    assert.ok(!r.stderr.includes(webhookPassword));

    // Keystone: a service user per project, in the project's own domain, holding member only.
    for (const p of [alpha, beta]) {
      const user = serviceUser(w, p.id);
      assert.ok(user, `service user of ${p.name}`);
      assert.equal(user.domainId, p.domainId);
      const roles = w.os.state.rolesOf(user.id, p.id).map((id) => w.os.state.roles.get(id)!.name);
      assert.deepEqual(roles, ["member"]);
    }
    const creds = appCreds(w);
    assert.equal(creds.length, 2);
    for (const c of creds) {
      assert.equal(c.unrestricted, false);
      assert.deepEqual(c.roleIds.map((id) => w.os.state.roles.get(id)!.name), ["member"]);
      // The project's own id, never `*`, after /v3/.
      assert.deepEqual(
        c.accessRules.map((r) => ({ service: r.service, method: r.method, path: r.path })),
        accessRulesFor(c.projectId),
      );
      // --credential-ttl defaults to 90 days.
      const ttlDays = (c.expiresAt! - Date.parse("2026-01-15T12:00:00Z")) / 86_400_000;
      assert.ok(ttlDays > 89.9 && ttlDays <= 90, String(ttlDays));
    }

    // The Secret's clouds.yaml authenticates with the app credential and can list volumes.
    const data = secretText(w, secretName(alpha.id));
    const doc = parseYaml(data[SECRET_KEYS.cloudsYaml]!) as {
      clouds: Record<string, Record<string, unknown>>;
    };
    const profile = doc.clouds.snapsentry!;
    assert.equal(profile.auth_type, "v3applicationcredential");
    assert.equal(profile.verify, undefined);
    assert.equal(
      (profile.auth as Record<string, string>).auth_url,
      `${w.os.baseUrl}/identity/v3`,
    );
    assert.equal(data[SECRET_KEYS.webhookUrl], "https://hooks.example/alert");
    assert.equal(data[SECRET_KEYS.webhookPassword], webhookPassword);
    const cloud = await openSecretCloud(w, secretName(alpha.id));
    const cinder = await cloud.blockStorage();
    const volumes = await cinder.listVolumes();
    assert.deepEqual(volumes.map((v) => v.name), ["alpha-data"]);
    // Least privilege: the access rules allow no volume metadata writes.
    await assert.rejects(
      () => cinder.mergeVolumeMetadata(volumes[0]!.id, { x: "y" }),
      (e: Error & { status?: number }) => {
        assert.match(e.message, /401|restricted access rules/i);
        return true;
      },
    );

    // Deployment shape.
    const dep = deployment(w, alpha.id);
    const c = dep.spec.template.spec.containers[0]!;
    assert.equal(c.image, "ghcr.io/snapsentry/snapsentry:0.1.0");
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
    assert.ok(!JSON.stringify(dep).includes(webhookPassword));
    assert.deepEqual(c.resources, {
      requests: { cpu: "64m", memory: "32Mi" },
      limits: { cpu: "256m", memory: "256Mi" },
    });
    assert.equal(c.livenessProbe?.httpGet?.path, "/healthz");
    assert.equal(c.readinessProbe?.httpGet?.path, "/readyz");
    assert.equal(c.securityContext?.runAsNonRoot, true);
    assert.ok(
      c.env?.some((e) =>
        e.name === SECRET_KEYS.webhookPassword &&
        e.valueFrom?.secretKeyRef?.name === secretName(alpha.id)
      ),
    );
    const nameLabel = dep.metadata.labels![LABEL_KEYS.projectName]!;
    assert.match(nameLabel, /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
    assert.ok(nameLabel.length <= 63);
  });

  await t.step("second pass changes nothing: no Kubernetes write, no new credential", async () => {
    const writes = w.kube.writeCount;
    const credIds = appCreds(w).map((a) => a.id).sort();
    const r = await w.run(
      [
        "--webhook-url",
        "https://hooks.example/alert",
        ...ORCH,
        "--controller-limit-memory",
        "256Mi",
      ],
      {
        overrides: {
          env: {
            OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml",
            SNAPSENTRY_WEBHOOK_PASSWORD: webhookPassword,
          },
        },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(w.kube.writeCount, writes);
    assert.deepEqual(appCreds(w).map((a) => a.id).sort(), credIds);
    assert.match(r.stdout, /Converged: 0 created, 0 updated, 2 unchanged, 0 pruned, 0 failed/);
    assert.match(r.stdout, /^PROJECT ID\s+PROJECT NAME\s+ACTION\s+CHANGES$/m);
  });

  await t.step("a changed image and schedule update the Deployment only", async () => {
    const credIds = appCreds(w).map((a) => a.id).sort();
    const before = w.kube.count({ verb: "update", resource: "deployments" });
    const r = await w.run([
      "--webhook-url",
      "https://hooks.example/alert",
      ...ORCH,
      "--controller-limit-memory",
      "256Mi",
      "--workload-snapsentry-image",
      "registry.example/snapsentry:0.2.0",
      "--create-schedule",
      "*/5 * * * *",
      "--json",
    ], {
      overrides: {
        env: {
          OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml",
          SNAPSENTRY_WEBHOOK_PASSWORD: webhookPassword,
        },
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    for (const p of result.projects) {
      assert.equal(p.action, "updated");
      assert.ok(p.changes.includes("deployment_image"));
      assert.ok(p.changes.includes("deployment_args"));
    }
    assert.equal(w.kube.count({ verb: "update", resource: "deployments" }) - before, 2);
    assert.equal(w.kube.count({ verb: "update", resource: "secrets" }), 0);
    const c = deployment(w, beta.id).spec.template.spec.containers[0]!;
    assert.equal(c.image, "registry.example/snapsentry:0.2.0");
    assert.ok(c.args!.includes("*/5 * * * *"));
    assert.deepEqual(appCreds(w).map((a) => a.id).sort(), credIds);
  });

  await t.step("a project that lost the tag is kept without --prune", async () => {
    w.os.state.projects.get(beta.id)!.tags = [];
    const credsBefore = appCreds(w).length;
    const r = await w.run([
      ...ORCH,
      "--workload-snapsentry-image",
      "registry.example/snapsentry:0.2.0",
      "--create-schedule",
      "*/5 * * * *",
      "--controller-limit-memory",
      "256Mi",
      "--webhook-url",
      "https://hooks.example/alert",
    ], {
      overrides: {
        env: {
          OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml",
          SNAPSENTRY_WEBHOOK_PASSWORD: webhookPassword,
        },
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Kept ${beta.id} \\(beta\\): the project lost its tag`));
    assert.ok(deployment(w, beta.id));
    assert.ok(w.kube.getObject("secrets", NS, secretName(beta.id)));
    assert.equal(appCreds(w).length, credsBefore);
  });

  await t.step("--prune removes its Deployment, Secret and credential (user kept)", async () => {
    const r = await w.run([
      ...ORCH,
      "--prune",
      "--json",
      "--workload-snapsentry-image",
      "registry.example/snapsentry:0.2.0",
      "--create-schedule",
      "*/5 * * * *",
      "--controller-limit-memory",
      "256Mi",
      "--webhook-url",
      "https://hooks.example/alert",
    ], {
      overrides: {
        env: {
          OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml",
          SNAPSENTRY_WEBHOOK_PASSWORD: webhookPassword,
        },
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    const pruned = result.projects.find((p: { projectId: string }) => p.projectId === beta.id);
    assert.equal(pruned.action, "pruned");
    assert.deepEqual(pruned.changes, [
      "deployment_deleted",
      "secret_deleted",
      "credential_deleted",
    ]);
    assert.equal(w.kube.getObject("deployments", NS, deploymentName(beta.id)), undefined);
    assert.equal(w.kube.getObject("secrets", NS, secretName(beta.id)), undefined);
    const user = serviceUser(w, beta.id)!;
    assert.ok(user, "the service user is kept");
    assert.equal(appCreds(w).filter((a) => a.userId === user.id).length, 0);
    // alpha is untouched.
    assert.equal(
      result.projects.find((p: { projectId: string }) => p.projectId === alpha.id).action,
      "unchanged",
    );
    assert.equal(appCreds(w).length, 1);
  });
});

Deno.test("admin orchestrator: one project's Kubernetes failure leaves the others converged, exit 1", async () => {
  const w = adminWorld();
  const bad = taggedProject(w, "bad");
  const good = taggedProject(w, "good");
  w.kube.failNext(1, {
    status: 500,
    verb: "create",
    resource: "deployments",
    name: deploymentName(bad.id),
    message: "etcdserver: request timed out",
  });
  const r = await w.run([...ORCH, "--json"]);
  assert.equal(r.code, 1);
  const result = JSON.parse(r.stdout);
  assert.equal(result.converged, false);
  const byId = new Map(result.projects.map((p: { projectId: string }) => [p.projectId, p]));
  assert.equal((byId.get(good.id) as { action: string }).action, "created");
  const failed = byId.get(bad.id) as { action: string; error: string };
  assert.equal(failed.action, "failed");
  assert.match(failed.error, /etcdserver: request timed out/);
  assert.ok(w.kube.getObject("deployments", NS, deploymentName(good.id)));

  // The next pass repairs it without issuing a second credential.
  const credIds = [...w.os.state.appCreds.values()].map((a) => a.id).sort();
  const again = await w.run([...ORCH, "--json"]);
  assert.equal(again.code, 0, again.stderr);
  const repaired = JSON.parse(again.stdout).projects.find((p: { projectId: string }) =>
    p.projectId === bad.id
  );
  assert.equal(repaired.action, "created");
  assert.deepEqual(repaired.changes, ["deployment_created"]);
  assert.deepEqual([...w.os.state.appCreds.values()].map((a) => a.id).sort(), credIds);
});

Deno.test("admin orchestrator: a missing --controller-role fails clearly and creates no user", async () => {
  const w = adminWorld();
  const p = taggedProject(w, "alpha");
  const r = await w.run([...ORCH, "--controller-role", "snapshot-operator"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /Cannot find role "snapshot-operator" from --controller-role in Keystone of cloud "emulator-admin"/,
  );
  assert.match(r.stdout, /Not converged: 0 created, 0 updated, 0 unchanged, 0 pruned, 1 failed/);
  assert.equal(serviceUser(w, p.id), undefined);
  assert.equal(w.kube.writeCount, 0);
});

Deno.test("admin orchestrator: usage and configuration errors exit 2", async (t) => {
  const cases: [string, string[], RegExp][] = [
    [
      "neither --incluster nor --kubeconfig",
      ["admin", "orchestrator"],
      /give --incluster, --kubeconfig PATH, or set KUBECONFIG/,
    ],
    [
      "both --incluster and --kubeconfig",
      ["admin", "orchestrator", "--incluster", "--kubeconfig", KUBECONFIG_PATH],
      /give one of --incluster or --kubeconfig PATH, not both/,
    ],
    [
      "a kubeconfig that does not exist",
      ["admin", "orchestrator", "--kubeconfig", "/virtual/missing"],
      /Cannot read kubeconfig "\/virtual\/missing"/,
    ],
    [
      "--incluster outside a pod",
      ["admin", "orchestrator", "--incluster"],
      /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/,
    ],
    [
      "a bad --interval",
      [...ORCH, "--interval", "ten minutes"],
      /Cannot use --interval "ten minutes"/,
    ],
    [
      "a bad child --create-schedule",
      [...ORCH, "--create-schedule", "*/61 * * * *"],
      /Cannot parse --create-schedule "\*\/61 \* \* \* \*"/,
    ],
    [
      "a bad resource quantity",
      [...ORCH, "--controller-limit-cpu", "lots"],
      /Cannot use quantity "lots" from --controller-limit-cpu/,
    ],
    [
      "a bad namespace",
      [...ORCH, "--controller-namespace", "Snap_Sentry"],
      /Cannot use namespace "Snap_Sentry"/,
    ],
  ];
  for (const [name, argv, message] of cases) {
    await t.step(name, async () => {
      const w = adminWorld();
      taggedProject(w, "alpha");
      const r = await w.run(argv);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(w.kube.writeCount, 0);
    });
  }
});

Deno.test("admin orchestrator --interval repeats passes until the shutdown signal", async () => {
  const w = adminWorld();
  taggedProject(w, "alpha");
  const controller = new AbortController();
  let passes = 0;
  const out: string[] = [];
  const r = await w.run([...ORCH, "--interval", "10m"], {
    overrides: {
      signal: controller.signal,
      writeOut: (text) => {
        out.push(text);
        if (/^(Not )?[Cc]onverged:/m.test(text) && ++passes === 2) controller.abort();
      },
    },
  });
  assert.equal(r.code, 0);
  assert.equal(passes, 2);
  const text = out.join("");
  assert.match(text, /Converged: 1 created/);
  assert.match(text, /Converged: 0 created, 0 updated, 1 unchanged/);
  // Ten simulated minutes passed between the passes, none for real.
  assert.ok(
    w.clock.now().since(Temporal.Instant.from("2026-01-15T12:00:00Z")).total("minutes") >= 10,
  );
});

Deno.test("admin orchestrator --help lists the Go flags and an example", async () => {
  const w = adminWorld();
  const r = await w.run(["admin", "orchestrator", "--help"]);
  assert.equal(r.code, 0);
  for (
    const flag of [
      "--incluster",
      "--kubeconfig",
      "--controller-requests-cpu",
      "--controller-requests-memory",
      "--controller-limit-cpu",
      "--controller-limit-memory",
      "--controller-namespace",
      "--workload-snapsentry-image",
      "--controller-role",
      "--interval",
      "--prune",
      "--create-schedule",
      "--expire-schedule",
    ]
  ) {
    assert.ok(r.stdout.includes(flag), flag);
  }
  assert.match(r.stdout, /Examples:/);
  void TAG;
});

Deno.test("admin orchestrator reads KUBECONFIG as kubectl does, and --context", async (t) => {
  const other = KUBECONFIG.replaceAll("emu", "other").replace(
    "kube.emulator.invalid",
    "unreachable.invalid",
  );
  const run = (w: AdminWorld, argv: string[], env: Record<string, string>) =>
    w.run([...argv, "--json"], {
      overrides: { env: { OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml", ...env } },
    });
  await t.step("a missing file is skipped; the first file's context wins", async () => {
    const w = adminWorld();
    taggedProject(w, "alpha");
    w.files["/virtual/other"] = other;
    const r = await run(w, ["admin", "orchestrator"], {
      KUBECONFIG: `/virtual/missing:${KUBECONFIG_PATH}:/virtual/other`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).projects[0].action, "created");
  });
  await t.step("--context picks a context of a later file", async () => {
    const w = adminWorld();
    taggedProject(w, "alpha");
    w.files["/virtual/other"] = other;
    const r = await run(w, ["admin", "orchestrator", "--context", "emu"], {
      KUBECONFIG: `/virtual/other:${KUBECONFIG_PATH}`,
    });
    assert.equal(r.code, 0, r.stderr);
    const unknown = await run(w, ["admin", "orchestrator", "--context", "nope"], {
      KUBECONFIG: `/virtual/other:${KUBECONFIG_PATH}`,
    });
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /Cannot find context "nope" .*defined contexts are "other", "emu"/,
    );
  });
  await t.step("--kubeconfig wins over KUBECONFIG", async () => {
    const w = adminWorld();
    taggedProject(w, "alpha");
    const r = await run(w, ["admin", "orchestrator", "--kubeconfig", KUBECONFIG_PATH], {
      KUBECONFIG: "/virtual/missing",
    });
    assert.equal(r.code, 0, r.stderr);
  });
});

Deno.test("admin orchestrator refuses flag combinations that cannot work", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["--dry-run with --interval", ["--dry-run", "--interval", "10m"], /a dry run is one pass/],
    [
      "--health-address without --interval",
      ["--health-address", "0.0.0.0:8081"],
      /without --interval: a single pass has nothing to probe/,
    ],
    ["a bad --health-address", ["--interval", "10m", "--health-address", "8081"], /HOST:PORT/],
    [
      "a bad --prometheus-selector",
      ["--prometheus-selector", "app in (prom)"],
      /Cannot use --prometheus-selector "app in \(prom\)": expected key=value pairs/,
    ],
    ["a bad --rollout-timeout", ["--rollout-timeout", "soon"], /Cannot use --rollout-timeout/],
    ["--context with --incluster", ["--incluster", "--context", "x"], /--context with --incluster/],
  ];
  for (const [name, extra, message] of cases) {
    await t.step(name, async () => {
      const w = adminWorld();
      taggedProject(w, "alpha");
      const argv = extra.includes("--incluster")
        ? ["admin", "orchestrator", ...extra]
        : [...ORCH, ...extra];
      const r = await w.run(argv);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(w.kube.writeCount, 0);
    });
  }
});

Deno.test("admin orchestrator --interval --health-address serves the loop's probes", async () => {
  const w = adminWorld();
  taggedProject(w, "alpha");
  const controller = new AbortController();
  const entries: LogEntry[] = [];
  const answers: Record<string, number> = {};
  let probing: Promise<void> | undefined;
  const r = await w.run(
    [...ORCH, "--interval", "10m", "--health-address", "127.0.0.1:0"],
    {
      overrides: {
        signal: controller.signal,
        makeLogger: ({ level }) => new MemoryLogger({ level, entries }),
        writeOut: () => {
          probing ??= (async () => {
            const listening = entries.find((e) => e.event === "orchestrator_health_listening");
            const base = `http://${String(listening?.address)}`;
            for (const path of ["/healthz", "/readyz"]) {
              const res = await fetch(`${base}${path}`);
              await res.body?.cancel();
              answers[path] = res.status;
            }
          })().finally(() => controller.abort());
        },
      },
    },
  );
  await probing;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(answers, { "/healthz": 200, "/readyz": 200 });
});

Deno.test("a kubeconfig whose API server is plain HTTP elsewhere is warned about", async () => {
  const w = adminWorld();
  taggedProject(w, "alpha");
  const cases: [string, boolean][] = [
    ["http://kube.example:8080", true],
    [`https://${KUBE_HOST}`, false],
  ];
  for (const [server, warned] of cases) {
    w.files[KUBECONFIG_PATH] = KUBECONFIG.replace(`https://${KUBE_HOST}`, server);
    const r = await w.run([...ORCH, "--dry-run", "--json"]);
    const warnings = r.logs.filter((l) => l.event === "credentials_in_cleartext");
    assert.equal(warnings.length, warned ? 1 : 0, `${server}: ${r.stderr}`);
    if (warned) {
      assert.equal(warnings[0]!.url, "http://kube.example:8080");
      assert.equal(JSON.stringify(r.logs).includes("test-token"), false);
    }
  }
});
