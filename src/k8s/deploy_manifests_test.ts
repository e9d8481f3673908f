import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { ManualClock } from "../clock.ts";
import { KubernetesEmulator } from "../emulator/mod.ts";
import { nullLogger } from "../log.ts";
import { KubernetesClient } from "./client.ts";
import { ORCHESTRATOR_DEFAULTS, reconcileOnce } from "./orchestrator.ts";

const dir = new URL("../../deploy/kubernetes/", import.meta.url);

async function load(name: string): Promise<Record<string, unknown>> {
  const docs = parseAllDocuments(await Deno.readTextFile(new URL(name, dir)));
  assert.equal(docs.length, 1, name);
  return docs[0]!.toJS() as Record<string, unknown>;
}

Deno.test("deploy/kubernetes", async (t) => {
  await t.step("the Role grants exactly what a full orchestrator cycle uses", async () => {
    const role = await load("role.yaml") as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const allow = role.rules.flatMap((r) =>
      r.resources.flatMap((res) => r.verbs.map((v) => `${v}:${res}`))
    );
    assert.deepEqual(
      new Set(allow),
      new Set([
        ...["get", "list", "create", "update", "delete"].flatMap((
          v,
        ) => [`${v}:deployments`, `${v}:secrets`]),
        ...["get", "list", "create", "update"].map((v) => `${v}:networkpolicies`),
      ]),
    );

    // Create, update, conflict retry and prune, with a token holding only the Role's rights.
    const emulator = new KubernetesEmulator({ tokens: { sa: { user: "sa", allow } } });
    const kube = new KubernetesClient({
      config: { server: "https://k", token: "sa", source: "t" },
      fetch: emulator.fetch,
    });
    let projects = [{ id: "aa", name: "a" }, { id: "bb", name: "b" }];
    let n = 0;
    const identity = {
      listTaggedProjects: () => Promise.resolve(projects),
      ensureProjectCredential: () =>
        Promise.resolve({
          application_credential_id: `id${++n}`,
          application_credential_secret: `s3cret-${n}`,
        }),
      deleteProjectCredential: () => Promise.resolve(),
    };
    const deps = {
      kube,
      identity,
      logger: nullLogger,
      clock: new ManualClock("2026-01-01T00:00:00Z"),
    };
    const base = {
      ...ORCHESTRATOR_DEFAULTS,
      resources: { ...ORCHESTRATOR_DEFAULTS.resources },
      webhook: {},
      cloud: { authUrl: "https://keystone/v3" },
    };
    assert.equal((await reconcileOnce(base, deps)).converged, true);
    const original = kube.list.bind(kube);
    // Make the observed objects of "aa" stale so both updates conflict and are re-read (get).
    kube.list = (async (kind, ns, o) => {
      const items = await original(kind, ns, o);
      if (kind === "deployments") {
        emulator.mutate("deployments", "snapsentry", "snapsentry-aa", () => {});
      } else if (kind === "secrets") {
        emulator.mutate("secrets", "snapsentry", "snapsentry-aa-cloud", () => {});
      } else emulator.mutate("networkpolicies", "snapsentry", "snapsentry-daemons", () => {});
      return items;
    }) as typeof kube.list;
    assert.equal(
      (await reconcileOnce({
        ...base,
        image: "x/y:2",
        webhook: { url: "https://h" },
        prometheusSelector: { app: "prom" },
      }, deps))
        .converged,
      true,
    );
    kube.list = original;
    projects = [projects[0]!];
    assert.equal(
      (await reconcileOnce(
        {
          ...base,
          image: "x/y:2",
          webhook: { url: "https://h" },
          prometheusSelector: { app: "prom" },
          prune: true,
        },
        deps,
      )).converged,
      true,
    );
    assert.equal(emulator.count({ status: 403 }), 0);
    const used = new Set(emulator.calls.map((c) => `${c.verb}:${c.resource}`));
    assert.deepEqual(used, new Set(allow), "every granted verb is used");
  });

  await t.step(
    "the workloads run the orchestrator as a non-root pod with the admin cloud",
    async () => {
      // deno-lint-ignore no-explicit-any
      const cron = await load("cronjob.yaml") as Record<string, any>;
      assert.equal(cron.spec.schedule, "*/10 * * * *");
      assert.equal(cron.spec.concurrencyPolicy, "Forbid");
      const pod = cron.spec.jobTemplate.spec.template.spec;
      // deno-lint-ignore no-explicit-any
      const deployment = await load("deployment.yaml") as Record<string, any>;
      for (const spec of [pod, deployment.spec.template.spec]) {
        assert.equal(spec.serviceAccountName, "snapsentry-orchestrator");
        const c = spec.containers[0];
        assert.deepEqual(c.args.slice(0, 5), [
          "admin",
          "orchestrator",
          "--incluster",
          "--cloud",
          "snapsentry-admin",
        ]);
        assert.equal(c.securityContext.runAsNonRoot, true);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.equal(spec.volumes[0].secret.secretName, "snapsentry-admin-cloud");
      }
      const loop = deployment.spec.template.spec.containers[0];
      assert.deepEqual(loop.args.slice(-4), [
        "--interval",
        "10m",
        "--health-address",
        "0.0.0.0:8081",
      ]);
      // The long-running loop is probed on the health endpoint it serves.
      assert.deepEqual(loop.ports, [{ name: "health", containerPort: 8081, protocol: "TCP" }]);
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        assert.equal(loop[probe].httpGet.port, "health", probe);
      }
      assert.equal(loop.startupProbe.httpGet.path, "/healthz");
      assert.equal(loop.livenessProbe.httpGet.path, "/healthz");
      assert.equal(loop.readinessProbe.httpGet.path, "/readyz");
      assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds > 180);
      // The orchestrator's pod admits no connection (the probes come from the node).
      // deno-lint-ignore no-explicit-any
      const policy = await load("networkpolicy.yaml") as Record<string, any>;
      assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
      assert.equal(policy.spec.ingress, undefined);
      assert.deepEqual(
        policy.spec.podSelector.matchLabels,
        deployment.spec.template.metadata.labels,
      );
      const kustomization = await load("kustomization.yaml") as { resources: string[] };
      for (const file of kustomization.resources) await load(file);
    },
  );
});

Deno.test("Dockerfile keeps /snapsentry-go as a path to the binary", async () => {
  const text = await Deno.readTextFile(new URL("../../Dockerfile", import.meta.url));
  const lines = text.split("\n").map((l) => l.trim());
  // Made in the build stage (which has a shell), as a link to the installed binary …
  assert.ok(
    lines.some((l) => /ln -s \/usr\/local\/bin\/snapsentry \/out\/snapsentry-go$/.test(l)),
    "the build stage links /out/snapsentry-go to the binary",
  );
  const run = text.slice(text.lastIndexOf("\nFROM "));
  // … and brought into the final stage by copying the folder, which keeps links as links.
  assert.ok(run.includes("COPY --from=build /src/dist/snapsentry /usr/local/bin/snapsentry"));
  assert.ok(run.includes("COPY --from=build /out/ /"));
  assert.match(run, /ENTRYPOINT \["\/usr\/local\/bin\/snapsentry"\]/);
});
