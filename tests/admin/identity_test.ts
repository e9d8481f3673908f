/** reconcileOnce with the real Keystone adapter (createAdminIdentity) on the emulators. */
import assert from "node:assert/strict";
import { createAdminIdentity, PASSWORD_CHANGE_SETTLE_MS } from "../../src/admin/identity.ts";
import { cloudSettingsOf } from "../../src/cli/commands/admin.ts";
import type { Clock } from "../../src/clock.ts";
import { KubernetesClient } from "../../src/k8s/client.ts";
import { secretName } from "../../src/k8s/desired.ts";
import {
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorOptions,
  reconcileOnce,
} from "../../src/k8s/orchestrator.ts";
import { MemoryLogger } from "../../src/log.ts";
import { defineCloudConfig, openCloud } from "../../src/openstack/mod.ts";
import { type AdminWorld, adminWorld, NS, openSecretCloud, taggedProject } from "./harness.ts";

async function setup(w: AdminWorld) {
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => w.clock.now(),
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return w.clock.sleep(ms, signal);
    },
  };
  const adminCfg = w.os.cloudConfigs()["emulator-admin"]!;
  const cloud = await openCloud({
    config: defineCloudConfig({
      name: "emulator-admin",
      auth: {
        type: "password",
        authUrl: adminCfg.auth.auth_url as string,
        username: "admin",
        password: w.os.seed.adminPassword,
        projectName: "admin",
        userDomainName: "Default",
        projectDomainName: "Default",
      },
      regionName: "RegionOne",
    }),
    fetch: w.fetch,
    clock,
  });
  const logger = new MemoryLogger();
  const identity = createAdminIdentity({ cloud, clock, logger, fetch: w.fetch });
  const kube = new KubernetesClient({
    config: { server: "https://kube.emulator.invalid", token: "test-token", source: "test" },
    fetch: w.kube.fetch,
  });
  const options: OrchestratorOptions = {
    ...ORCHESTRATOR_DEFAULTS,
    resources: { ...ORCHESTRATOR_DEFAULTS.resources },
    webhook: {},
    cloud: cloudSettingsOf(cloud),
  };
  return { cloud, identity, kube, options, sleeps, logger, clock };
}

Deno.test("reconcileOnce with the Keystone adapter", async (t) => {
  const w = adminWorld();
  const p = taggedProject(w, "alpha");
  w.os.addVolume(p.id, { name: "v1" });
  const s = await setup(w);
  const deps = { identity: s.identity, kube: s.kube, clock: s.clock, logger: s.logger };

  await t.step("creates the user without a password reset (no settle wait)", async () => {
    const r = await reconcileOnce(s.options, deps);
    assert.equal(r.converged, true);
    assert.deepEqual(r.projects[0]!.changes, [
      "credential_issued",
      "secret_created",
      "deployment_created",
    ]);
    assert.deepEqual(s.sleeps.filter((ms) => ms === PASSWORD_CHANGE_SETTLE_MS), []);
    const cloud = await openSecretCloud(w, secretName(p.id));
    assert.equal((await (await cloud.blockStorage()).listVolumes()).length, 1);
  });

  await t.step("a credential deleted in Keystone is reissued and the Secret updated", async () => {
    const user = await s.identity.findServiceUser({ id: p.id, name: p.name });
    const old = [...w.os.state.appCreds.values()].filter((a) => a.userId === user!.id);
    assert.equal(old.length, 1);
    w.os.state.appCreds.delete(old[0]!.id);
    const r = await reconcileOnce(s.options, deps);
    assert.equal(r.converged, true);
    assert.ok(r.projects[0]!.changes.includes("credential_issued"));
    assert.ok(r.projects[0]!.changes.includes("secret_content"));
    // The existing user's password was reset: the adapter waited past Keystone's second.
    assert.ok(s.sleeps.includes(PASSWORD_CHANGE_SETTLE_MS));
    const now = [...w.os.state.appCreds.values()].filter((a) => a.userId === user!.id);
    assert.equal(now.length, 1);
    assert.notEqual(now[0]!.id, old[0]!.id);
    const cloud = await openSecretCloud(w, secretName(p.id));
    assert.equal((await (await cloud.blockStorage()).listVolumes()).length, 1);
  });

  await t.step("a deleted Secret replaces the same-named credential (never two)", async () => {
    const user = await s.identity.findServiceUser({ id: p.id, name: p.name });
    const before = [...w.os.state.appCreds.values()].filter((a) => a.userId === user!.id);
    await s.kube.delete("secrets", NS, secretName(p.id));
    const r = await reconcileOnce(s.options, deps);
    assert.equal(r.converged, true);
    const after = [...w.os.state.appCreds.values()].filter((a) => a.userId === user!.id);
    assert.equal(after.length, 1);
    assert.notEqual(after[0]!.id, before[0]!.id);
    assert.ok(s.logger.events("orchestrator_credential_replaced").length >= 1);
  });

  await t.step("no secret reaches the logs", () => {
    const text = JSON.stringify(s.logger.entries);
    for (const a of w.os.state.appCreds.values()) assert.ok(!text.includes(a.secret));
    for (const u of w.os.state.users.values()) {
      if (u.name.startsWith("snapsentry-")) assert.ok(!text.includes(u.password));
    }
  });

  s.cloud.close();
});

Deno.test("createAdminIdentity: projects in two domains get separate users", async () => {
  const w = adminWorld();
  w.os.state.domains.set("d2", { id: "d2", name: "Second" });
  const a = taggedProject(w, "same-name");
  const b = taggedProject(w, "same-name", { domainId: "d2" });
  const s = await setup(w);
  const r = await reconcileOnce(s.options, {
    identity: s.identity,
    kube: s.kube,
    clock: s.clock,
    logger: s.logger,
  });
  assert.equal(r.converged, true);
  const ua = await s.identity.findServiceUser({ id: a.id, name: a.name, domainId: "default" });
  const ub = await s.identity.findServiceUser({ id: b.id, name: b.name, domainId: "d2" });
  assert.ok(ua && ub);
  assert.notEqual(ua.id, ub.id);
  assert.equal(ub.domainId, "d2");
  s.cloud.close();
});

Deno.test("createAdminIdentity: a missing role fails before any user is made", async () => {
  const w = adminWorld();
  const p = taggedProject(w, "alpha");
  const s = await setup(w);
  await assert.rejects(
    () =>
      s.identity.ensureProjectCredential({ id: p.id, name: p.name }, {
        name: `snapsentry-${p.id}`,
        role: "no-such-role",
        accessRules: [],
      }),
    /Cannot find role "no-such-role" from --controller-role/,
  );
  assert.equal(await s.identity.findServiceUser({ id: p.id, name: p.name }), undefined);
  s.cloud.close();
});

Deno.test("cloudSettingsOf copies Keystone URL, region, interface and the CA PEM, never verify: false", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  const config = defineCloudConfig({
    name: "admin",
    auth: { type: "password", authUrl: "https://keystone.example:5000/v3", password: "pw-1" },
    regionName: "RegionTwo",
    interface: "internal",
    tls: { caCertFile: "/etc/ssl/private-ca.pem", caCerts: [pem] },
  });
  // deno-lint-ignore no-explicit-any
  const settings = cloudSettingsOf({ config } as any);
  assert.ok(!("verify" in settings));
  assert.deepEqual(settings, {
    authUrl: "https://keystone.example:5000/v3",
    interface: "internal",
    regionName: "RegionTwo",
    cacert: { pem: `${pem}\n`, sourcePath: "/etc/ssl/private-ca.pem" },
  });
});
