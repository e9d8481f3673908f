/**
 * The observe step of a pass: the tagged projects; the managed Deployments and Secrets of the
 * namespace, through one label-selector list each; SnapSentry-Go's Deployments and Secrets, one
 * list each; and the managed NetworkPolicy. A failure here aborts the pass before any change,
 * except a NetworkPolicy list the Role does not allow, which only turns that part off.
 *
 * @module
 */
import { describeError, SnapsentryError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { isKubeReason } from "./client_transport.ts";
import { MANAGED_SELECTOR, type ProjectRef } from "./desired.ts";
import { GO_DEPLOYMENT_SELECTOR, GO_SECRET_SELECTOR } from "./orchestrator_go.ts";
import type { OrchestratorDeps, OrchestratorOptions } from "./orchestrator_options.ts";
import type { Deployment, NetworkPolicy, Secret } from "./types.ts";

/** What one pass decides on. */
export interface Observed {
  projects: ProjectRef[];
  deployments: Deployment[];
  secrets: Secret[];
  goDeployments: Deployment[];
  goSecrets: Secret[];
  /** Undefined when the policy is not managed (off, or the Role may not list it). */
  networkPolicies?: NetworkPolicy[];
}

/** Observes everything a pass decides on, once; rejects when discovery or observation fails. */
export async function _observe(
  options: OrchestratorOptions,
  deps: OrchestratorDeps,
  log: Logger,
): Promise<Observed> {
  let projects: ProjectRef[];
  try {
    projects = await deps.identity.listTaggedProjects(options.projectTag);
  } catch (error) {
    throw new SnapsentryError(
      `Cannot list projects tagged "${options.projectTag}": ${describeError(error)}`,
      { code: "orchestrator_discovery_failed", cause: error },
    );
  }
  const ns = options.namespace;
  const policies = async (): Promise<NetworkPolicy[] | undefined> => {
    if (!options.networkPolicy) return undefined;
    try {
      return await deps.kube.list("networkpolicies", ns, { labelSelector: MANAGED_SELECTOR });
    } catch (error) {
      if (!isKubeReason(error, "Forbidden")) throw error;
      // SnapSentry-Go's Role, or one from before NetworkPolicies: keep going without the policy.
      log.warn("orchestrator_network_policy_forbidden", {
        error: describeError(error),
        hint:
          'grant get, list, create and update on "networkpolicies" (API group "networking.k8s.io"), as deploy/kubernetes/role.yaml does, or pass --no-network-policy',
      });
      return undefined;
    }
  };
  let observed: Observed;
  try {
    const [deployments, secrets, goDeployments, goSecrets, networkPolicies] = await Promise.all([
      deps.kube.list("deployments", ns, { labelSelector: MANAGED_SELECTOR }),
      deps.kube.list("secrets", ns, { labelSelector: MANAGED_SELECTOR }),
      deps.kube.list("deployments", ns, { labelSelector: GO_DEPLOYMENT_SELECTOR }),
      deps.kube.list("secrets", ns, { labelSelector: GO_SECRET_SELECTOR }),
      policies(),
    ]);
    observed = {
      projects,
      deployments,
      secrets,
      goDeployments,
      goSecrets,
      ...(networkPolicies ? { networkPolicies } : {}),
    };
  } catch (error) {
    throw new SnapsentryError(
      `Cannot list managed objects in namespace "${ns}": ${describeError(error)}`,
      { code: "orchestrator_observe_failed", cause: error },
    );
  }
  log.info("orchestrator_observed", {
    tagged_projects: projects.length,
    deployments: observed.deployments.length,
    secrets: observed.secrets.length,
    go_deployments: observed.goDeployments.length,
    go_secrets: observed.goSecrets.length,
  });
  return observed;
}
