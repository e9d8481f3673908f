/**
 * The demo's orchestrator pass: tags the emulated demo project `snapsentry-enabled`, runs one
 * orchestrator pass as the emulated admin against an in-process emulated Kubernetes API, prints
 * what it created, then runs a second pass to show that nothing changes.
 */
import { createAdminIdentity } from "../../admin/mod.ts";
import type { Clock } from "../../clock.ts";
import { type Emulator, KubernetesEmulator } from "../../emulator/mod.ts";
import {
  type Deployment,
  deploymentName,
  KubernetesClient,
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorOptions,
  reconcileOnce,
  secretName,
} from "../../k8s/mod.ts";
import { type Logger, nullLogger } from "../../log.ts";
import { defineCloudConfig, openCloud } from "../../openstack/mod.ts";

export interface DemoOrchestratorSummary {
  projectId: string;
  secretName: string;
  deploymentName: string;
  accessRules: number;
  args: string[];
  firstPassWrites: number;
  secondPassWrites: number;
  secondPassUnchanged: boolean;
}

/**
 * Runs the demo's two orchestrator passes and prints them with `out`.
 * @param emulator the demo's emulated OpenStack (its `emulator-admin` profile is used)
 */
export async function demoOrchestratorPass(
  out: (text: string) => void,
  emulator: Emulator,
  clock: Clock,
  logger: Logger = nullLogger,
): Promise<DemoOrchestratorSummary> {
  const tag = ORCHESTRATOR_DEFAULTS.projectTag;
  const projectId = emulator.seed.demoProjectId;
  const project = emulator.state.projects.get(projectId)!;
  if (!project.tags.includes(tag)) project.tags.push(tag);

  const kube = new KubernetesEmulator({ now: () => clock.now().toString() });
  const admin = emulator.cloudConfigs()["emulator-admin"]!;
  const cloud = await openCloud({
    config: defineCloudConfig({
      name: "emulator-admin",
      auth: {
        type: "password",
        authUrl: String(admin.auth.auth_url),
        username: "admin",
        password: emulator.seed.adminPassword,
        projectName: "admin",
        userDomainName: "Default",
        projectDomainName: "Default",
      },
      regionName: "RegionOne",
    }),
    fetch: emulator.fetch,
    clock,
    logger,
  });
  try {
    const identity = createAdminIdentity({ cloud, clock, logger, fetch: emulator.fetch });
    const client = new KubernetesClient({
      config: { server: "https://kube.demo.invalid", token: "test-token", source: "demo" },
      fetch: kube.fetch,
    });
    const options: OrchestratorOptions = {
      ...ORCHESTRATOR_DEFAULTS,
      resources: { ...ORCHESTRATOR_DEFAULTS.resources },
      webhook: {},
      cloud: {
        authUrl: cloud.config.auth.authUrl,
        interface: cloud.config.interface,
        regionName: "RegionOne",
      },
    };
    const deps = { identity, kube: client, clock, logger };

    out(
      `$ snapsentry --cloud emulator-admin admin orchestrator --kubeconfig <emulated cluster>   (project "${project.name}" tagged ${tag})`,
    );
    const first = await reconcileOnce(options, deps);
    const firstWrites = kube.writeCount;
    const outcome = first.projects.find((p) => p.projectId === projectId);
    const dep = kube.getObject("deployments", options.namespace, deploymentName(projectId)) as
      | Deployment
      | undefined;
    const args = dep?.spec.template.spec.containers[0]?.args ?? [];
    const user = [...emulator.state.users.values()].find((u) =>
      u.name === `snapsentry-${projectId}`
    );
    const cred = [...emulator.state.appCreds.values()].find((a) =>
      a.userId === user?.id && a.name === `snapsentry-${projectId}`
    );
    const roles = (cred?.roleIds ?? []).map((id) => emulator.state.roles.get(id)?.name ?? id);
    out(`  ${outcome?.action ?? "nothing"}: ${outcome?.changes.join(", ") ?? "-"}`);
    out(
      `  Keystone: user ${user?.name ?? "-"}, application credential ${cred?.id ?? "-"} (roles ${
        roles.join(", ") || "-"
      }, ${cred?.accessRules.length ?? 0} access rules, restricted)`,
    );
    out(`  Secret ${options.namespace}/${secretName(projectId)} (clouds.yaml)`);
    out(`  Deployment ${options.namespace}/${deploymentName(projectId)}: args ${args.join(" ")}`);

    const second = await reconcileOnce(options, deps);
    const secondWrites = kube.writeCount - firstWrites;
    const unchanged = second.projects.every((p) => p.action === "unchanged");
    out(
      `$ (again) second pass: ${
        unchanged ? "every project unchanged" : "changes"
      }, ${secondWrites} Kubernetes writes`,
    );
    return {
      projectId,
      secretName: secretName(projectId),
      deploymentName: deploymentName(projectId),
      accessRules: cred?.accessRules.length ?? 0,
      args,
      firstPassWrites: firstWrites,
      secondPassWrites: secondWrites,
      secondPassUnchanged: unchanged,
    };
  } finally {
    cloud.close();
  }
}
