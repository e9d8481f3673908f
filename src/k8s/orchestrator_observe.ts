/**
 * The observe step of a pass: the tagged projects, and the managed Deployments and Secrets of the
 * namespace through one label-selector list each. A failure here aborts the pass before any change.
 *
 * @module
 */
import { describeError, SnapsentryError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { MANAGED_SELECTOR, type ProjectRef } from "./desired.ts";
import type { OrchestratorDeps, OrchestratorOptions } from "./orchestrator_options.ts";
import type { Deployment, Secret } from "./types.ts";

/** Observes everything a pass decides on, once; rejects when discovery or observation fails. */
export async function _observe(
  options: OrchestratorOptions,
  deps: OrchestratorDeps,
  log: Logger,
): Promise<{ projects: ProjectRef[]; deployments: Deployment[]; secrets: Secret[] }> {
  let projects: ProjectRef[];
  try {
    projects = await deps.identity.listTaggedProjects(options.projectTag);
  } catch (error) {
    throw new SnapsentryError(
      `Cannot list projects tagged "${options.projectTag}": ${describeError(error)}`,
      { code: "orchestrator_discovery_failed", cause: error },
    );
  }
  let deployments: Deployment[];
  let secrets: Secret[];
  try {
    [deployments, secrets] = await Promise.all([
      deps.kube.list("deployments", options.namespace, { labelSelector: MANAGED_SELECTOR }),
      deps.kube.list("secrets", options.namespace, { labelSelector: MANAGED_SELECTOR }),
    ]);
  } catch (error) {
    throw new SnapsentryError(
      `Cannot list managed objects in namespace "${options.namespace}": ${describeError(error)}`,
      { code: "orchestrator_observe_failed", cause: error },
    );
  }
  log.info("orchestrator_observed", {
    tagged_projects: projects.length,
    deployments: deployments.length,
    secrets: secrets.length,
  });
  return { projects, deployments, secrets };
}
