/**
 * The act step of a pass, for one project: the credential (issued, kept or rotated, see
 * orchestrator_credential.ts), then the Secret and the Deployment, created or updated only where
 * they differ (re-reading once on 409 Conflict). SnapSentry-Go's Deployment of the project is
 * deleted right before snapsentry's is created (a selector is immutable and two daemons would
 * snapshot twice); its Secret, rotated-out credentials and Go's user wait for the rollout
 * (orchestrator_finish.ts). For a project that lost the tag, prune its objects and credential.
 *
 * Every write goes through {@link _Pass.write}, which records it as a step and, with `--dry-run`,
 * skips it.
 *
 * @module
 */
import { SnapsentryError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { isKubeReason } from "./client_transport.ts";
import {
  ANNOTATION_KEYS,
  contentHash,
  MANAGED_SELECTOR,
  type ProjectCredential,
  type ProjectRef,
  SECRET_KEYS,
} from "./desired.ts";
import { desiredDeployment, withSpecHash } from "./desired_deployment.ts";
import { desiredSecret, secretContent } from "./desired_secret.ts";
import { _credentialFor } from "./orchestrator_credential.ts";
import { _secretData, deploymentDrift, secretDrift } from "./orchestrator_diff.ts";
import type { GoObjects } from "./orchestrator_go.ts";
import { credentialName } from "./orchestrator_identity.ts";
import type { OrchestratorDeps, OrchestratorOptions } from "./orchestrator_options.ts";
import type { ProjectOutcome } from "./orchestrator_report.ts";
import type { Deployment, KindMap, ResourceKind, Secret } from "./types.ts";

const KIND_NAMES: Record<ResourceKind, string> = {
  deployments: "Deployment",
  secrets: "Secret",
  networkpolicies: "NetworkPolicy",
};

const OWNED_ANNOTATIONS: readonly string[] = Object.values(ANNOTATION_KEYS);

/**
 * The desired object carrying the observed version and the annotations others added (the
 * orchestrator's own annotation keys come from `desired` only, so one it dropped goes).
 */
function forUpdate<T extends KindMap[ResourceKind]>(desired: T, observed: T): T {
  const others = Object.fromEntries(
    Object.entries(observed.metadata.annotations ?? {}).filter(([k]) =>
      !OWNED_ANNOTATIONS.includes(k)
    ),
  );
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...others, ...desired.metadata.annotations },
      resourceVersion: observed.metadata.resourceVersion,
    },
  };
}

/** Work a project leaves for after its Deployment has rolled out. */
export interface _AfterRollout {
  project: ProjectRef;
  outcome: ProjectOutcome;
  deployment: string;
  /** snapsentry's Secret of the project. */
  secret: string;
  /** SnapSentry-Go's Secret, removed once snapsentry's daemon runs. */
  goSecret?: Secret;
  /** Rotated-out credential ids, deleted once the pods use the new one. */
  retired: string[];
  /** Go's objects were seen (or --prune-go-users): look for Go's user afterwards. */
  goUser: boolean;
  /** The credential the Secret now holds (checked before Go's user goes). */
  credential: ProjectCredential;
}

/** An empty outcome for a project. */
export function _outcome(project: ProjectRef): ProjectOutcome {
  return { projectId: project.id, name: project.name, action: "unchanged", changes: [], steps: [] };
}

export class _Pass {
  readonly options: OrchestratorOptions;
  readonly deps: OrchestratorDeps;
  readonly log: Logger;
  constructor(options: OrchestratorOptions, deps: OrchestratorDeps) {
    this.options = options;
    this.deps = deps;
    this.log = deps.logger.with({
      component: "orchestrator",
      namespace: options.namespace,
      ...(options.dryRun ? { dry_run: true } : {}),
    });
  }

  get ns(): string {
    return this.options.namespace;
  }

  /**
   * Converges the daemons' NetworkPolicy once per pass, right before the first Deployment write
   * (so no daemon starts unprotected) or at the end of the pass; set by the pass.
   */
  ensureNetworkPolicy: () => Promise<void> = () => Promise.resolve();

  /** `Secret snapsentry/name`, for steps and messages. */
  ref(kind: ResourceKind, name: string): string {
    return `${KIND_NAMES[kind]} ${this.ns}/${name}`;
  }

  /** Every step of the pass in order, prefixed with the project id where there is one. */
  readonly journal: string[] = [];

  /** Records `step` and runs `fn`, unless this is a dry run. */
  async write(
    outcome: { steps: string[]; projectId?: string },
    step: string,
    fn: () => Promise<unknown>,
  ) {
    outcome.steps.push(step);
    this.journal.push(outcome.projectId ? `${outcome.projectId}: ${step}` : step);
    if (this.options.dryRun) return;
    await fn();
  }

  /** Replaces `desired`; on 409 Conflict re-reads once and retries if it still differs. */
  async replace<K extends ResourceKind>(
    outcome: { steps: string[] },
    kind: K,
    desired: KindMap[K],
    observed: KindMap[K],
    stillDiffers: (fresh: KindMap[K]) => boolean,
  ): Promise<void> {
    const kube = this.deps.kube;
    await this.write(outcome, `update ${this.ref(kind, desired.metadata.name)}`, async () => {
      try {
        await kube.replace(kind, this.ns, forUpdate(desired, observed));
      } catch (error) {
        if (!isKubeReason(error, "Conflict")) throw error;
        const fresh = await kube.get(kind, this.ns, desired.metadata.name);
        this.log.info("orchestrator_conflict_retry", {
          kind,
          name: desired.metadata.name,
          resource_version: fresh.metadata.resourceVersion,
        });
        if (!stillDiffers(fresh)) return;
        await kube.replace(kind, this.ns, forUpdate(desired, fresh));
      }
    });
  }

  async create<K extends ResourceKind>(
    outcome: { steps: string[] },
    kind: K,
    object: KindMap[K],
  ): Promise<void> {
    await this.write(outcome, `create ${this.ref(kind, object.metadata.name)}`, async () => {
      try {
        await this.deps.kube.create(kind, this.ns, object);
      } catch (error) {
        if (isKubeReason(error, "AlreadyExists")) {
          throw new SnapsentryError(
            `Cannot create ${
              KIND_NAMES[kind]
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
    });
  }

  /** Deletes an object; one already gone counts as deleted. */
  async remove(
    outcome: { steps: string[] },
    kind: ResourceKind,
    name: string,
    note = "",
  ): Promise<void> {
    await this.write(outcome, `delete ${this.ref(kind, name)}${note}`, async () => {
      try {
        await this.deps.kube.delete(kind, this.ns, name);
      } catch (error) {
        if (!isKubeReason(error, "NotFound")) throw error;
      }
    });
  }

  /** Converges one tagged project; returns the work left for after its rollout, if any. */
  async project(
    project: ProjectRef,
    outcome: ProjectOutcome,
    observedSecret: Secret | undefined,
    observedDeployment: Deployment | undefined,
    go: GoObjects | undefined,
  ): Promise<_AfterRollout | undefined> {
    const log = this.log.with({ project_id: project.id, project_name: project.name });
    const changes = outcome.changes;
    if (go?.deployment && !this.options.adoptGo) {
      throw new SnapsentryError(
        `Cannot run snapsentry's daemon for project "${project.id}": SnapSentry-Go's Deployment "${go.deployment.metadata.name}" (app=snapsentry-go) runs it in namespace "${this.ns}", and two daemons would snapshot twice`,
        {
          code: "go_deployment_present",
          hint: "run without --no-adopt-go to replace it, or delete it (kubectl delete deployment)",
        },
      );
    }

    const cred = await _credentialFor(this, project, outcome, observedSecret);
    const observedData = observedSecret ? _secretData(observedSecret) : {};
    let apiToken: string | undefined;
    if (this.options.triggerToken) {
      apiToken = observedData[SECRET_KEYS.apiToken] || randomToken();
      registerSecret(apiToken);
      if (!observedData[SECRET_KEYS.apiToken]) changes.push("trigger_token_generated");
    }
    const content = secretContent(
      cred.credential,
      this.options.cloud,
      this.options.webhook,
      apiToken ? { apiToken } : {},
    );
    const secret = desiredSecret(project, this.ns, content, cred.record);
    if (!observedSecret) {
      await this.create(outcome, "secrets", secret);
      changes.push("secret_created");
    } else {
      const drift = secretDrift(observedSecret, content, secret);
      if (drift.length > 0) {
        await this.replace(
          outcome,
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
    let current = observedDeployment;
    if (go?.deployment) {
      // Go's selector is immutable and two daemons would snapshot twice: Go's goes first.
      await this.remove(
        outcome,
        "deployments",
        go.deployment.metadata.name,
        " (SnapSentry-Go's, app=snapsentry-go)",
      );
      changes.push("go_deployment_deleted");
      log.info("orchestrator_go_deployment_deleted", { deployment: go.deployment.metadata.name });
      if (go.deployment.metadata.name === current?.metadata.name) current = undefined;
    }
    let created = false;
    if (!current) {
      await this.ensureNetworkPolicy();
      await this.create(outcome, "deployments", deployment);
      changes.push("deployment_created");
      created = true;
    } else {
      const drift = deploymentDrift(current, deployment);
      if (drift.length > 0) {
        await this.ensureNetworkPolicy();
        await this.replace(
          outcome,
          "deployments",
          deployment,
          current,
          (fresh) => deploymentDrift(fresh, deployment).length > 0,
        );
        changes.push(...drift);
      }
    }
    const adopting = go !== undefined && (go.deployment !== undefined || go.secret !== undefined);
    if (adopting) outcome.action = "adopted";
    else if (created) outcome.action = "created";
    else if (changes.length > 0) outcome.action = "updated";
    if (outcome.action !== "unchanged") {
      log.info(`orchestrator_project_${outcome.action}`, { changes });
    } else log.debug("orchestrator_project_unchanged");

    const retired = cred.record.retired ?? [];
    if (!adopting && retired.length === 0 && !this.options.pruneGoUsers) return undefined;
    return {
      project,
      outcome,
      deployment: deployment.metadata.name,
      secret: secret.metadata.name,
      ...(go?.secret ? { goSecret: go.secret } : {}),
      retired: [...retired],
      goUser: adopting || this.options.pruneGoUsers,
      credential: cred.credential,
    };
  }

  /** Removes what a project that lost the tag left: daemon first, then Secret and credential. */
  async prune(
    project: ProjectRef,
    outcome: ProjectOutcome,
    deployment?: Deployment,
    secret?: Secret,
    go?: GoObjects,
  ): Promise<void> {
    const log = this.log.with({ project_id: project.id, project_name: project.name });
    const changes = outcome.changes;
    // The daemons go first, so none runs with a deleted credential.
    if (deployment) {
      await this.remove(outcome, "deployments", deployment.metadata.name);
      changes.push("deployment_deleted");
    }
    if (go?.deployment) {
      await this.remove(outcome, "deployments", go.deployment.metadata.name, " (SnapSentry-Go's)");
      changes.push("go_deployment_deleted");
    }
    if (secret) {
      await this.remove(outcome, "secrets", secret.metadata.name);
      changes.push("secret_deleted");
    }
    if (go?.secret) {
      await this.remove(outcome, "secrets", go.secret.metadata.name, " (SnapSentry-Go's)");
      changes.push("go_secret_deleted");
    }
    if (deployment || secret) {
      await this.write(
        outcome,
        `delete application credentials "${credentialName(project.id)}" in Keystone`,
        () =>
          this.deps.identity.deleteProjectCredential(project, {
            name: credentialName(project.id),
          }),
      );
      changes.push("credential_deleted");
    }
    outcome.action = "pruned";
    log.info("orchestrator_project_pruned", { changes });
  }
}

/** 32 random bytes as hex: the per-project trigger token. */
export function randomToken(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}
