/**
 * Expiring credentials (issue 13): each project's application credential expires after
 * --credential-ttl and is rotated when a third of it is left; the old one is deleted only after
 * the Deployment rolled onto the new one. Real Keystone adapter, emulated Keystone and Kubernetes.
 */
import assert from "node:assert/strict";
import { ANNOTATION_KEYS, deploymentName, secretName } from "../../src/k8s/desired.ts";
import type { Secret } from "../../src/k8s/types.ts";
import {
  type AdminWorld,
  adminWorld,
  KUBECONFIG_PATH,
  NS,
  openSecretCloud,
  taggedProject,
} from "./harness.ts";

const ORCH = ["admin", "orchestrator", "--kubeconfig", KUBECONFIG_PATH, "--json"];

function credsOf(w: AdminWorld, projectId: string) {
  const user = [...w.os.state.users.values()].find((u) => u.name === `snapsentry-${projectId}`);
  return [...w.os.state.appCreds.values()].filter((a) => a.userId === user?.id);
}

function secret(w: AdminWorld, projectId: string): Secret {
  return w.kube.getObject("secrets", NS, secretName(projectId)) as unknown as Secret;
}

async function pass(w: AdminWorld, argv: string[] = []) {
  const r = await w.run([...ORCH, ...argv]);
  return { code: r.code, result: JSON.parse(r.stdout), stderr: r.stderr };
}

Deno.test("admin orchestrator rotates credentials before they expire", async (t) => {
  const w = adminWorld();
  const p = taggedProject(w, "alpha");
  w.os.addVolume(p.id, { name: "v1" });

  await t.step("the first credential expires after --credential-ttl", async () => {
    const r = await pass(w, ["--credential-ttl", "30d"]);
    assert.equal(r.code, 0, r.stderr);
    const [c1] = credsOf(w, p.id);
    assert.ok(c1);
    const expiresAt = Temporal.Instant.from("2026-01-15T12:00:00Z").add({ hours: 30 * 24 });
    assert.ok(Math.abs(c1.expiresAt! - expiresAt.epochMilliseconds) < 60_000);
    const annotations = secret(w, p.id).metadata.annotations!;
    assert.equal(
      Temporal.Instant.from(annotations[ANNOTATION_KEYS.credentialExpiresAt]!).epochMilliseconds,
      c1.expiresAt,
    );
    assert.match(annotations[ANNOTATION_KEYS.credentialRules]!, /^[0-9a-f]{8}$/);
  });

  await t.step("with two thirds of the lifetime left, nothing changes", async () => {
    w.clock.advance({ hours: 19 * 24 });
    const writes = w.kube.writeCount;
    const r = await pass(w, ["--credential-ttl", "30d"]);
    assert.equal(r.result.projects[0].action, "unchanged");
    assert.equal(w.kube.writeCount, writes);
    assert.equal(credsOf(w, p.id).length, 1);
  });

  await t.step(
    "inside the last third: new credential, Secret, rollout, old one deleted",
    async () => {
      const [old] = credsOf(w, p.id);
      w.clock.advance({ hours: 2 * 24 });
      const r = await pass(w, ["--credential-ttl", "30d"]);
      assert.equal(r.code, 0, r.stderr);
      const changes: string[] = r.result.projects[0].changes;
      assert.deepEqual(
        changes.filter((c) =>
          ["credential_rotated", "secret_content", "deployment_config", "credential_retired"]
            .includes(c)
        ),
        ["credential_rotated", "secret_content", "deployment_config", "credential_retired"],
      );
      const now = credsOf(w, p.id);
      assert.equal(now.length, 1, "the old credential is gone");
      assert.notEqual(now[0]!.id, old!.id);
      assert.match(now[0]!.name, new RegExp(`^snapsentry-${p.id}-\\d{8}t\\d{6}z$`));
      assert.equal(
        secret(w, p.id).metadata.annotations?.[ANNOTATION_KEYS.retiredCredentials],
        undefined,
      );
      const cloud = await openSecretCloud(w, secretName(p.id));
      assert.equal((await (await cloud.blockStorage()).listVolumes()).length, 1);
      cloud.close();
      // The steps show the order: the Deployment rolls before the old credential goes.
      const steps: string[] = r.result.steps;
      const rolled = steps.findIndex((s) =>
        s.includes(`update Deployment ${NS}/${deploymentName(p.id)}`)
      );
      const deleted = steps.findIndex((s) =>
        s.includes(`delete application credential ${old!.id}`)
      );
      assert.ok(rolled >= 0 && deleted > rolled, steps.join("\n"));
    },
  );

  await t.step("a rollout that does not finish keeps the old credential for later", async () => {
    const [current] = credsOf(w, p.id);
    w.clock.advance({ hours: 25 * 24 });
    w.kube.rollout = "pending";
    const r = await pass(w, ["--credential-ttl", "30d", "--rollout-timeout", "20s"]);
    assert.equal(r.code, 1, "not converged yet");
    assert.match(r.result.projects[0].pending, /kept 1 rotated-out credential/);
    assert.equal(credsOf(w, p.id).length, 2, "the running pods' credential is kept");
    assert.equal(
      secret(w, p.id).metadata.annotations?.[ANNOTATION_KEYS.retiredCredentials],
      current!.id,
    );
    w.kube.completeRollout(NS, deploymentName(p.id));
    w.kube.rollout = "ready";
    const next = await pass(w, ["--credential-ttl", "30d"]);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(next.result.projects[0].changes, ["credential_retired"]);
    assert.equal(credsOf(w, p.id).length, 1);
    const writes = w.kube.writeCount;
    const quiet = await pass(w, ["--credential-ttl", "30d"]);
    assert.equal(quiet.result.projects[0].action, "unchanged");
    assert.equal(w.kube.writeCount, writes, "converged: no write");
  });

  await t.step("a Secret from before expiring credentials is rotated once", async () => {
    w.kube.mutate("secrets", NS, secretName(p.id), (o) => {
      delete o.metadata.annotations![ANNOTATION_KEYS.credentialRules];
      delete o.metadata.annotations![ANNOTATION_KEYS.credentialExpiresAt];
    });
    const r = await pass(w);
    assert.ok(r.result.projects[0].changes.includes("credential_rotated"));
    assert.match(r.result.steps.join("\n"), /issued before snapsentry recorded its access rules/);
    const writes = w.kube.writeCount;
    assert.equal((await pass(w)).result.projects[0].action, "unchanged");
    assert.equal(w.kube.writeCount, writes);
  });

  await t.step("a changed --controller-role rotates, since the credential carries it", async () => {
    w.os.state.roles.set("r-operator", { id: "r-operator", name: "snapshot-operator" });
    const r = await pass(w, ["--controller-role", "snapshot-operator"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.result.projects[0].changes.includes("credential_rotated"));
    const [c] = credsOf(w, p.id);
    assert.deepEqual(c!.roleIds.map((id) => w.os.state.roles.get(id)!.name), ["snapshot-operator"]);
  });
});

Deno.test("admin orchestrator --credential-ttl uses the duration grammar", async () => {
  const w = adminWorld();
  taggedProject(w, "alpha");
  for (
    const [value, message] of [
      ["ninety days", /Cannot use --credential-ttl "ninety days": expected a duration/],
      ["30m", /Cannot use --credential-ttl "30m"/],
    ] as const
  ) {
    const r = await w.run([...ORCH, "--credential-ttl", value]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
  assert.equal(w.kube.writeCount, 0);
});
