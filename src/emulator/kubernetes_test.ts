import assert from "node:assert/strict";
import { KubernetesEmulator, matchesSelector, parseLabelSelector } from "./kubernetes.ts";

const BASE = "https://k8s.test";

async function call(
  emulator: KubernetesEmulator,
  method: string,
  path: string,
  body?: unknown,
  token = "test-token",
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await emulator.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    }),
  );
  return { status: response.status, json: await response.json() };
}

function deployment(name: string, overrides: Record<string, unknown> = {}) {
  return {
    metadata: { name, labels: { app: "x" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "x" } },
      template: {
        metadata: { labels: { app: "x" } },
        spec: { containers: [{ name: "main", image: "img:1" }] },
      },
      ...overrides,
    },
  };
}

Deno.test("label selectors", async (t) => {
  const labels = { env: "prod", tier: "web", "app.kubernetes.io/name": "s" };
  const cases: [string, boolean][] = [
    ["env=prod", true],
    ["env==prod", true],
    ["env!=prod", false],
    ["missing!=x", true],
    ["env in (prod, staging)", true],
    ["env notin (prod)", false],
    ["missing notin (a)", true],
    ["tier", true],
    ["!tier", false],
    ["!missing", true],
    ["env=prod,tier in (web),app.kubernetes.io/name=s", true],
    ["env=prod,tier=db", false],
  ];
  for (const [selector, want] of cases) {
    await t.step(`"${selector}" → ${want}`, () => {
      assert.equal(matchesSelector(labels, parseLabelSelector(selector)), want);
    });
  }
  await t.step("rejects malformed selectors", () => {
    for (const bad of ["env=a b", "env in (a", "=x", "env=prod,", "bad key=x"]) {
      assert.throws(() => parseLabelSelector(bad), /unable to parse requirement/, bad);
    }
  });
});

Deno.test("KubernetesEmulator", async (t) => {
  await t.step("answers 401 without a known token and 403 without the right", async () => {
    const emulator = new KubernetesEmulator({
      tokens: {
        ro: { user: "system:serviceaccount:snapsentry:viewer", allow: ["list:deployments"] },
      },
    });
    const anon = await call(
      emulator,
      "GET",
      "/apis/apps/v1/namespaces/snapsentry/deployments",
      undefined,
      "nope",
    );
    assert.equal(anon.status, 401);
    assert.equal(anon.json.kind, "Status");
    const ok = await call(
      emulator,
      "GET",
      "/apis/apps/v1/namespaces/snapsentry/deployments",
      undefined,
      "ro",
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.json.kind, "DeploymentList");
    const denied = await call(
      emulator,
      "POST",
      "/apis/apps/v1/namespaces/snapsentry/deployments",
      deployment("d"),
      "ro",
    );
    assert.equal(denied.status, 403);
    assert.equal(denied.json.reason, "Forbidden");
    assert.equal(
      denied.json.message,
      'deployments.apps is forbidden: User "system:serviceaccount:snapsentry:viewer" cannot create resource "deployments" in API group "apps" in the namespace "snapsentry"',
    );
  });

  await t.step("creates with defaults, conflicts on stale versions, 404s", async () => {
    const emulator = new KubernetesEmulator();
    const path = "/apis/apps/v1/namespaces/snapsentry/deployments";
    const created = await call(emulator, "POST", path, deployment("web"));
    assert.equal(created.status, 201);
    const meta = created.json.metadata as Record<string, unknown>;
    const spec = created.json.spec as Record<string, unknown>;
    assert.equal(spec.revisionHistoryLimit, 10, "server-side default");
    assert.equal(meta.generation, 1);
    assert.equal(
      (await call(emulator, "POST", path, deployment("web"))).json.reason,
      "AlreadyExists",
    );

    const update = {
      ...deployment("web"),
      metadata: { ...deployment("web").metadata, resourceVersion: meta.resourceVersion },
    };
    update.spec.template.spec.containers[0]!.image = "img:2";
    const replaced = await call(emulator, "PUT", `${path}/web`, update);
    assert.equal(replaced.status, 200);
    assert.equal((replaced.json.metadata as Record<string, unknown>).generation, 2);
    const stale = await call(emulator, "PUT", `${path}/web`, update);
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, "Conflict");

    assert.equal((await call(emulator, "GET", `${path}/none`)).json.reason, "NotFound");
    const ns = await call(emulator, "GET", "/apis/apps/v1/namespaces/nowhere/deployments");
    assert.equal(ns.status, 404);
    assert.equal(ns.json.message, 'namespaces "nowhere" not found');
    assert.equal((await call(emulator, "DELETE", `${path}/web`)).status, 200);
    assert.equal((await call(emulator, "DELETE", `${path}/web`)).status, 404);
  });

  await t.step("answers 422 Invalid like the API server", async () => {
    const emulator = new KubernetesEmulator();
    const path = "/apis/apps/v1/namespaces/snapsentry/deployments";
    const invalid: [string, unknown, string][] = [
      ["upper-case name", deployment("Web"), "metadata.name"],
      ["label value with a space", {
        ...deployment("a"),
        metadata: { name: "a", labels: { app: "a b" } },
      }, "metadata.labels"],
      ["label value of 64 characters", {
        ...deployment("a"),
        metadata: { name: "a", labels: { app: "x".repeat(64) } },
      }, "metadata.labels"],
      [
        "bad label key",
        { ...deployment("a"), metadata: { name: "a", labels: { "-x": "y" } } },
        "metadata.labels",
      ],
      [
        "selector not matching the template",
        deployment("a", { selector: { matchLabels: { app: "y" } } }),
        "spec.template.metadata.labels",
      ],
      [
        "bad quantity",
        deployment("a", {
          template: {
            metadata: { labels: { app: "x" } },
            spec: {
              containers: [{ name: "main", image: "i", resources: { limits: { cpu: "lots" } } }],
            },
          },
        }),
        "spec.template.spec.containers[0].resources.limits.cpu",
      ],
      [
        "Recreate with rollingUpdate",
        deployment("a", { strategy: { type: "Recreate", rollingUpdate: {} } }),
        "spec.strategy.rollingUpdate",
      ],
    ];
    for (const [what, body, field] of invalid) {
      const r = await call(emulator, "POST", path, body);
      assert.equal(r.status, 422, what);
      assert.equal(r.json.reason, "Invalid", what);
      const causes = (r.json.details as { causes: { field: string }[] }).causes;
      assert.ok(causes.some((c) => c.field === field), `${what}: ${JSON.stringify(causes)}`);
    }
    const created = await call(emulator, "POST", path, deployment("a"));
    assert.equal(created.status, 201);
    const moved = deployment("a", { selector: { matchLabels: { app: "x", more: "y" } } });
    moved.spec.template.metadata.labels = { app: "x", more: "y" } as never;
    const immutable = await call(emulator, "PUT", `${path}/a`, moved);
    assert.equal(immutable.status, 422);
    assert.match(String(immutable.json.message), /field is immutable/);

    const secrets = "/api/v1/namespaces/snapsentry/secrets";
    const badData = await call(emulator, "POST", secrets, {
      metadata: { name: "s" },
      data: { "a/b": "!!" },
    });
    assert.equal(badData.status, 422);
    const fromString = await call(emulator, "POST", secrets, {
      metadata: { name: "s" },
      stringData: { k: "v" },
    });
    assert.deepEqual(fromString.json.data, { k: btoa("v") });
    assert.equal(fromString.json.stringData, undefined);
  });

  await t.step("injects faults and counts calls", async () => {
    const emulator = new KubernetesEmulator();
    emulator.failNext(2, { verb: "list", resource: "secrets" });
    const path = "/api/v1/namespaces/snapsentry/secrets";
    assert.equal((await call(emulator, "GET", path)).status, 500);
    assert.equal(
      (await call(emulator, "GET", "/apis/apps/v1/namespaces/snapsentry/deployments")).status,
      200,
    );
    assert.equal((await call(emulator, "GET", path)).status, 500);
    assert.equal((await call(emulator, "GET", path)).status, 200);
    assert.equal(emulator.count({ verb: "list", status: 500 }), 2);
    assert.equal(emulator.writeCount, 0);
  });
});
