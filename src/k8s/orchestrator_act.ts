/**
 * The act step of a pass: for one project, issue a credential when the Secret holds no usable
 * one, then create or update the Secret and the Deployment only where they differ (re-reading once
 * on 409 Conflict); for a project that lost the tag, prune its objects and credential.
 *
 * @module
 */
import { SnapsentryError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { isKubeReason } from "./client_transport.ts";
import {
  contentHash,
  credentialFromCloudsYaml,
  desiredDeployment,
  desiredSecret,
  MANAGED_SELECTOR,
  type ProjectRef,
  SECRET_KEYS,
  secretContent,
  withSpecHash,
} from "./desired.ts";
import { _secretData, deploymentDrift, secretDrift } from "./orchestrator_diff.ts";
import { credentialName, SNAPSENTRY_ACCESS_RULES } from "./orchestrator_identity.ts";
import type { OrchestratorDeps, OrchestratorOptions } from "./orchestrator_options.ts";
import type { ProjectAction, ProjectOutcome } from "./orchestrator_report.ts";
import type { Deployment, ResourceKind, Secret } from "./types.ts";

/** The desired object carrying the observed version (and annotations others added). */
function forUpdate<T extends Deployment | Secret>(desired: T, observed: T): T {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...observed.metadata.annotations, ...desired.metadata.annotations },
      resourceVersion: observed.metadata.resourceVersion,
    },
  };
}

export class _Pass {
  readonly options: OrchestratorOptions;
  readonly deps: OrchestratorDeps;
  readonly log: Logger;
  constructor(options: OrchestratorOptions, deps: OrchestratorDeps) {
    this.options = options;
    this.deps = deps;
    this.log = deps.logger.with({ component: "orchestrator", namespace: options.namespace });
  }

  get ns(): string {
    return this.options.namespace;
  }

  /** Replaces `desired`; on 409 Conflict re-reads once and retries if it still differs. */
  async #replace<K extends ResourceKind>(
    kind: K,
    desired: K extends "deployments" ? Deployment : Secret,
    observed: K extends "deployments" ? Deployment : Secret,
    stillDiffers: (fresh: K extends "deployments" ? Deployment : Secret) => boolean,
  ): Promise<void> {
    type T = K extends "deployments" ? Deployment : Secret;
    const kube = this.deps.kube;
    try {
      // deno-lint-ignore no-explicit-any
      await kube.replace(kind, this.ns, forUpdate(desired, observed) as any);
    } catch (error) {
      if (!isKubeReason(error, "Conflict")) throw error;
      const fresh = await kube.get(kind, this.ns, desired.metadata.name) as unknown as T;
      this.log.info("orchestrator_conflict_retry", {
        kind,
        name: desired.metadata.name,
        resource_version: fresh.metadata.resourceVersion,
      });
      if (!stillDiffers(fresh)) return;
      // deno-lint-ignore no-explicit-any
      await kube.replace(kind, this.ns, forUpdate(desired, fresh) as any);
    }
  }

  async #create<K extends ResourceKind>(kind: K, object: Deployment | Secret): Promise<void> {
    try {
      // deno-lint-ignore no-explicit-any
      await this.deps.kube.create(kind, this.ns, object as any);
    } catch (error) {
      if (isKubeReason(error, "AlreadyExists")) {
        throw new SnapsentryError(
          `Cannot create ${
            kind === "deployments" ? "Deployment" : "Secret"
          } "${object.metadata.name}" in namespace "${this.ns}": an object of that name exists without the label ${MANAGED_SELECTOR}`,
          {
            code: "k8s_unmanaged_object",
            hint: "delete it, or label it if it really belongs to the orchestrator",
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  async project(
    project: ProjectRef,
    observedSecret: Secret | undefined,
    observedDeployment: Deployment | undefined,
  ): Promise<ProjectOutcome> {
    const { identity } = this.deps;
    const log = this.log.with({ project_id: project.id, project_name: project.name });
    const changes: string[] = [];

    let credential = observedSecret
      ? credentialFromCloudsYaml(_secretData(observedSecret)[SECRET_KEYS.cloudsYaml] ?? "")
      : undefined;
    if (credential) registerSecret(credential.application_credential_secret);
    if (credential && identity.credentialExists) {
      if (!(await identity.credentialExists(project, credential.application_credential_id))) {
        log.warn("orchestrator_credential_missing", {
          application_credential_id: credential.application_credential_id,
        });
        credential = undefined;
      }
    }
    if (!credential) {
      if (observedSecret) {
        log.warn("orchestrator_secret_unusable", { secret: observedSecret.metadata.name });
      }
      credential = await identity.ensureProjectCredential(project, {
        name: credentialName(project.id),
        role: this.options.role,
        accessRules: SNAPSENTRY_ACCESS_RULES,
      });
      registerSecret(credential.application_credential_secret);
      changes.push("credential_issued");
      log.info("orchestrator_credential_issued", {
        application_credential_id: credential.application_credential_id,
        role: this.options.role,
      });
    }

    const content = secretContent(credential, this.options.cloud, this.options.webhook);
    const secret = desiredSecret(project, this.ns, content);
    if (!observedSecret) {
      await this.#create("secrets", secret);
      changes.push("secret_created");
    } else {
      const drift = secretDrift(observedSecret, content, secret);
      if (drift.length > 0) {
        await this.#replace<"secrets">(
          "secrets",
          secret,
          observedSecret,
          (fresh) => secretDrift(fresh, content, secret).length > 0,
        );
        changes.push(...drift);
      }
    }

    const configHash = await contentHash(content);
    const deployment = await withSpecHash(
      desiredDeployment(project, this.options, Object.keys(content), configHash),
    );
    let action: ProjectAction = "unchanged";
    if (!observedDeployment) {
      await this.#create("deployments", deployment);
      changes.push("deployment_created");
      action = "created";
    } else {
      const drift = deploymentDrift(observedDeployment, deployment);
      if (drift.length > 0) {
        await this.#replace<"deployments">(
          "deployments",
          deployment,
          observedDeployment,
          (fresh) => deploymentDrift(fresh, deployment).length > 0,
        );
        changes.push(...drift);
      }
      if (changes.length > 0) action = "updated";
    }
    if (action !== "unchanged") log.info(`orchestrator_project_${action}`, { changes });
    else log.debug("orchestrator_project_unchanged");
    return { projectId: project.id, name: project.name, action, changes };
  }

  async prune(
    project: ProjectRef,
    deployment?: Deployment,
    secret?: Secret,
  ): Promise<ProjectOutcome> {
    const log = this.log.with({ project_id: project.id, project_name: project.name });
    const changes: string[] = [];
    const remove = async (kind: ResourceKind, name: string) => {
      try {
        await this.deps.kube.delete(kind, this.ns, name);
      } catch (error) {
        if (!isKubeReason(error, "NotFound")) throw error;
      }
    };
    // The daemon goes first, so it never runs with a deleted credential.
    if (deployment) {
      await remove("deployments", deployment.metadata.name);
      changes.push("deployment_deleted");
    }
    if (secret) {
      await remove("secrets", secret.metadata.name);
      changes.push("secret_deleted");
    }
    await this.deps.identity.deleteProjectCredential(project, { name: credentialName(project.id) });
    changes.push("credential_deleted");
    log.info("orchestrator_project_pruned", { changes });
    return { projectId: project.id, name: project.name, action: "pruned", changes };
  }
}
