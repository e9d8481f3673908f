/**
 * The orchestrator takes a SnapSentry-Go namespace over (issue 11): the emulated Kubernetes holds
 * exactly what Go's orchestrator made (reference §9), the emulated Keystone Go's admin-role user.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { deploymentName, LABEL_KEYS, SECRET_KEYS, secretName } from "../../src/k8s/desired.ts";
import type { Deployment } from "../../src/k8s/types.ts";
import {
  type AdminWorld,
  adminWorld,
  KUBECONFIG_PATH,
  NS,
  openSecretCloud,
  secretText,
  seedGoProject,
  taggedProject,
} from "./harness.ts";

const ORCH = ["admin", "orchestrator", "--kubeconfig", KUBECONFIG_PATH];

function keystoneWrites(w: AdminWorld): string {
  return JSON.stringify({
    users: [...w.os.state.users.keys()].sort(),
    creds: [...w.os.state.appCreds.keys()].sort(),
  });
}

function goWorld() {
  const w = adminWorld();
  const alpha = taggedProject(w, "Alpha");
  w.os.addVolume(alpha.id, { name: "alpha-data" });
  const go = seedGoProject(w, alpha);
  return { w, alpha, go };
}

Deno.test("admin orchestrator takes SnapSentry-Go's objects over", async (t) => {
  const { w, alpha, go } = goWorld();
  // Go's Deployment has exactly the name snapsentry's needs.
  assert.equal(go.deploymentName, deploymentName(alpha.id));

  await t.step("--dry-run lists every step and writes nothing", async () => {
    const before = keystoneWrites(w);
    const r = await w.run([...ORCH, "--dry-run"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(w.kube.writeCount, 0);
    assert.equal(keystoneWrites(w), before, "no Keystone user or credential made");
    const steps = r.stdout.slice(r.stdout.indexOf("Dry run: a real pass"));
    const order = [
      `issue application credential "snapsentry-${alpha.id}" in Keystone`,
      `create Secret ${NS}/${secretName(alpha.id)}`,
      `delete Deployment ${NS}/${go.deploymentName} (SnapSentry-Go's, app=snapsentry-go)`,
      `create NetworkPolicy ${NS}/snapsentry-daemons`,
      `create Deployment ${NS}/${deploymentName(alpha.id)}`,
      `wait until Deployment ${NS}/${deploymentName(alpha.id)} has rolled out (up to 3m)`,
      `delete Secret ${NS}/${go.secretName} (SnapSentry-Go's)`,
    ];
    let at = 0;
    for (const step of order) {
      const i = steps.indexOf(step, at);
      assert.ok(i >= 0, `${step}\n--- in ---\n${steps}`);
      at = i;
    }
    assert.match(r.stdout, /Dry run, nothing written: Converged/);
    assert.match(
      r.stdout,
      new RegExp(
        `SnapSentry-Go's Keystone user ${go.userName} \\(${go.userId}\\) of ${alpha.id}: kept`,
      ),
    );
    const json = JSON.parse((await w.run([...ORCH, "--dry-run", "--json"])).stdout);
    assert.equal(json.dryRun, true);
    assert.equal(json.projects[0].action, "adopted");
    assert.equal(w.kube.writeCount, 0);
  });

  await t.step("a pass replaces Go's Deployment and Secret with snapsentry's", async () => {
    const r = await w.run([...ORCH, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    const p = result.projects[0];
    assert.equal(p.action, "adopted");
    assert.deepEqual(p.changes, [
      "credential_issued",
      "secret_created",
      "go_deployment_deleted",
      "deployment_created",
      "go_secret_deleted",
    ]);
    // Delete before create: the selector is immutable and two daemons would snapshot twice.
    const writes = w.kube.calls.filter((c) =>
      c.status < 300 && c.verb !== "list" && c.verb !== "get"
    );
    const names = writes.map((c) => `${c.verb} ${c.resource} ${c.name}`);
    assert.ok(
      names.indexOf(`delete deployments ${go.deploymentName}`) <
        names.indexOf(`create deployments ${deploymentName(alpha.id)}`),
      names.join("\n"),
    );
    assert.ok(
      names.indexOf(`create deployments ${deploymentName(alpha.id)}`) <
        names.indexOf(`delete secrets ${go.secretName}`),
      "Go's Secret goes only after snapsentry's Deployment is there",
    );
    const d = w.kube.getObject(
      "deployments",
      NS,
      deploymentName(alpha.id),
    ) as unknown as Deployment;
    assert.equal(d.metadata.labels?.app, undefined);
    assert.equal(d.metadata.labels?.[LABEL_KEYS.managedBy], "snapsentry-orchestrator");
    assert.equal(d.spec.template.spec.containers[0]!.name, "snapsentry");
    assert.equal(w.kube.getObject("secrets", NS, go.secretName), undefined);
    // snapsentry's own Secret: an application credential, verification on.
    const profile = (parseYaml(secretText(w, secretName(alpha.id))[SECRET_KEYS.cloudsYaml]!) as {
      clouds: { snapsentry: Record<string, unknown> };
    }).clouds.snapsentry;
    assert.equal(profile.auth_type, "v3applicationcredential");
    assert.equal("verify" in profile, false);
    const cloud = await openSecretCloud(w, secretName(alpha.id));
    assert.deepEqual((await (await cloud.blockStorage()).listVolumes()).map((v) => v.name), [
      "alpha-data",
    ]);
    cloud.close();
    // Go's user is reported, not touched.
    assert.deepEqual(result.goUsers, [{
      projectId: alpha.id,
      userId: go.userId,
      name: go.userName,
      action: "kept",
      reason: "run with --prune-go-users to delete it once snapsentry's credential works",
    }]);
    assert.ok(w.os.state.users.has(go.userId));
  });

  await t.step("a second pass makes no write at all", async () => {
    const writes = w.kube.writeCount;
    const before = keystoneWrites(w);
    const r = await w.run([...ORCH]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(w.kube.writeCount, writes);
    assert.equal(keystoneWrites(w), before);
    assert.match(r.stdout, /Converged: 0 created, 0 updated, 1 unchanged/);
  });

  await t.step("--prune-go-users deletes Go's user once the new credential works", async () => {
    const dry = await w.run([...ORCH, "--prune-go-users", "--dry-run", "--json"]);
    assert.equal(JSON.parse(dry.stdout).goUsers[0].action, "would_delete");
    assert.ok(w.os.state.users.has(go.userId), "the dry run deleted nothing");
    const r = await w.run([...ORCH, "--prune-go-users", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.goUsers[0].action, "deleted");
    assert.deepEqual(result.projects[0].changes, ["go_user_deleted"]);
    assert.equal(w.os.state.users.has(go.userId), false);
    // The next pass finds no Go user and writes nothing.
    const writes = w.kube.writeCount;
    const again = await w.run([...ORCH, "--prune-go-users", "--json"]);
    assert.deepEqual(JSON.parse(again.stdout).goUsers, []);
    assert.equal(w.kube.writeCount, writes);
  });
});

Deno.test("admin orchestrator keeps Go's Secret until snapsentry's Deployment has rolled out", async () => {
  const { w, alpha, go } = goWorld();
  w.kube.rollout = "pending";
  const r = await w.run([...ORCH, "--rollout-timeout", "30s", "--json"]);
  assert.equal(r.code, 1, "not converged while the rollout is pending");
  const p = JSON.parse(r.stdout).projects[0];
  assert.match(p.pending, /has not rolled out within 30s; kept SnapSentry-Go's Secret/);
  assert.ok(w.kube.getObject("secrets", NS, go.secretName), "Go's Secret is kept");
  assert.equal(
    w.kube.getObject("deployments", NS, go.deploymentName)?.metadata.labels?.app,
    undefined,
  );
  // The pods come up; the next pass finishes the take-over without waiting.
  w.kube.completeRollout(NS, deploymentName(alpha.id));
  const next = await w.run([...ORCH, "--json"]);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(JSON.parse(next.stdout).projects[0].changes, ["go_secret_deleted"]);
  assert.equal(w.kube.getObject("secrets", NS, go.secretName), undefined);
});

Deno.test("admin orchestrator --no-adopt-go leaves Go's objects and says why", async () => {
  const { w, alpha, go } = goWorld();
  const before = keystoneWrites(w);
  const r = await w.run([...ORCH, "--no-adopt-go"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    new RegExp(
      `Cannot run snapsentry's daemon for project "${alpha.id}": SnapSentry-Go's Deployment "${go.deploymentName}" \\(app=snapsentry-go\\) runs it`,
    ),
  );
  assert.equal(w.kube.writeCount, 0);
  assert.equal(keystoneWrites(w), before, "no credential issued for a project left to Go");
  assert.ok(w.kube.getObject("deployments", NS, go.deploymentName));
});

Deno.test("admin orchestrator with SnapSentry-Go's Role names the verb it lacks", async () => {
  const { w, go } = goWorld();
  // Go's kustomize Role: deployments get…delete, secrets get, list, watch, create only.
  const goRole = [
    ...["get", "list", "create", "update", "delete"].map((v) => `${v}:deployments`),
    ...["get", "list", "create"].map((v) => `${v}:secrets`),
  ];
  w.kube.tokens = { "test-token": { user: "system:serviceaccount:snapsentry:go", allow: goRole } };
  const r = await w.run([...ORCH, "--json"]);
  assert.equal(r.code, 1);
  const p = JSON.parse(r.stdout).projects[0];
  assert.equal(p.action, "failed");
  assert.equal(
    p.error.split(" (hint:")[0],
    `Cannot delete secrets in namespace "snapsentry": user "system:serviceaccount:snapsentry:go" is forbidden (403); grant verb "delete" on resource "secrets" (API group "") in the orchestrator's Role`,
  );
  assert.ok(r.logs.some((e) => e.event === "orchestrator_network_policy_forbidden"));
  assert.ok(w.kube.getObject("secrets", NS, go.secretName), "kept, since it could not go");
});

Deno.test("admin orchestrator reports Go's objects of untagged projects and prunes them", async () => {
  const w = adminWorld();
  const old = w.os.addProject({ name: "old" });
  const go = seedGoProject(w, old);
  const kept = await w.run([...ORCH, "--json"]);
  assert.equal(kept.code, 0, kept.stderr);
  assert.deepEqual(JSON.parse(kept.stdout).orphans, [
    { projectId: old.id, name: "old", go: true },
  ]);
  assert.equal(w.kube.writeCount, 0);
  const pruned = await w.run([...ORCH, "--prune", "--json"]);
  assert.equal(pruned.code, 0, pruned.stderr);
  const p = JSON.parse(pruned.stdout).projects[0];
  assert.equal(p.action, "pruned");
  assert.deepEqual(p.changes, ["go_deployment_deleted", "go_secret_deleted"]);
  assert.equal(w.kube.getObject("deployments", NS, go.deploymentName), undefined);
  assert.equal(w.kube.getObject("secrets", NS, go.secretName), undefined);
  assert.ok(w.os.state.users.has(go.userId), "users are never pruned with the project");
});
