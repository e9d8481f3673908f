/**
 * `admin orchestrator`: one `snapsentry daemon` Deployment per Keystone project tagged
 * `snapsentry-enabled`, each with its own least-privilege application credential in a Secret.
 *
 * A reconciler in the snapscheduler shape: observe everything once (tagged projects, and the
 * managed Deployments and Secrets of the namespace through one label-selector list each), decide
 * per project by comparing desired with observed, act only on differences, and record one outcome
 * per project. One project's failure never stops the others; a second pass with nothing changed
 * makes no write call. Objects of projects that lost the tag are removed only with `prune`.
 */
import type { Clock } from "../clock.ts";
import { ConfigError, describeError, SnapsentryError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { isKubeReason, type KubernetesApi } from "./client.ts";
import {
  ANNOTATION_KEYS,
  type CloudSettings,
  contentHash,
  credentialFromCloudsYaml,
  decodeBase64,
  deploymentName,
  desiredDeployment,
  desiredSecret,
  LABEL_KEYS,
  MANAGED_SELECTOR,
  MANAGER,
  type ProjectCredential,
  projectFromObject,
  type ProjectRef,
  SECRET_KEYS,
  secretContent,
  secretName,
  type WebhookSettings,
  withSpecHash,
  type WorkloadResources,
} from "./desired.ts";
import { isDnsLabel } from "./names.ts";
import type { Deployment, ResourceKind, Secret } from "./types.ts";

/** One Keystone application-credential access rule. */
export interface AccessRule {
  service: string;
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
}

/**
 * The Cinder calls a project daemon makes, and nothing else (service type `volumev3`, paths
 * relative to the Cinder root as keystonemiddleware matches them: `*` is one path segment).
 * `subscribe` writes volume metadata and is not a daemon call, so no rule allows PUT/POST on
 * volumes. `GET /v3/` is the version document used for microversion discovery: it sits behind
 * keystonemiddleware like every `/v3` path, so it needs its own rule (the unversioned root `/` is
 * served without authentication).
 */
export const SNAPSENTRY_ACCESS_RULES: readonly AccessRule[] = Object.freeze(
  [
    { service: "volumev3", method: "GET", path: "/v3/" },
    { service: "volumev3", method: "GET", path: "/v3/*/volumes/detail" },
    { service: "volumev3", method: "GET", path: "/v3/*/volumes/*" },
    { service: "volumev3", method: "GET", path: "/v3/*/snapshots" },
    { service: "volumev3", method: "GET", path: "/v3/*/snapshots/detail" },
    { service: "volumev3", method: "GET", path: "/v3/*/snapshots/*" },
    { service: "volumev3", method: "GET", path: "/v3/*/os-quota-sets/*" },
    { service: "volumev3", method: "POST", path: "/v3/*/snapshots" },
    { service: "volumev3", method: "POST", path: "/v3/*/snapshots/*/action" },
    { service: "volumev3", method: "POST", path: "/v3/*/snapshots/*/metadata" },
    { service: "volumev3", method: "DELETE", path: "/v3/*/snapshots/*" },
  ] satisfies AccessRule[],
);

/** What the orchestrator needs from Keystone; the lead implements it over the OpenStack client. */
export interface OrchestratorIdentity {
  /** Every project carrying `tag` (all pages). A failure aborts the pass before any change. */
  listTaggedProjects(tag: string): Promise<ProjectRef[]>;
  /**
   * Issues an application credential for `project`, restricted by `accessRules`, carrying `role`
   * on that project, named `name`. Called only when the project's Secret is missing or holds no
   * usable credential, so it may replace (delete and recreate) an earlier credential of the same
   * name: its secret cannot be read back. The returned secret is registered for redaction.
   */
  ensureProjectCredential(
    project: ProjectRef,
    request: { name: string; role: string; accessRules: readonly AccessRule[] },
  ): Promise<ProjectCredential>;
  /**
   * Optional: whether the credential a Secret holds still exists in Keystone. When it answers
   * false, a new credential is issued and the Secret updated.
   */
  credentialExists?(project: ProjectRef, applicationCredentialId: string): Promise<boolean>;
  /** Removes what `ensureProjectCredential` created for `project` (only called when pruning). */
  deleteProjectCredential(project: ProjectRef, request: { name: string }): Promise<void>;
}

/** The `admin orchestrator` settings (Go flags §1.6, plus role, schedules, webhook and prune). */
export interface OrchestratorOptions {
  /** `--controller-namespace` (the Go tool ignored it). */
  namespace: string;
  /** `--workload-snapsentry-image`. */
  image: string;
  imagePullPolicy: string;
  /** `--controller-role`: the role the application credential carries. */
  role: string;
  /** `--controller-requests-cpu|memory`, `--controller-limit-cpu|memory`. */
  resources: WorkloadResources;
  /** The child daemon's `--create-schedule` and `--expire-schedule`. */
  createSchedule: string;
  expireSchedule: string;
  /** The child daemon's `--log-level`. */
  logLevel: string;
  /** Webhook settings, delivered to the pods through the Secret as environment variables. */
  webhook: WebhookSettings;
  /** Remove the objects and credential of projects that lost the tag. */
  prune: boolean;
  /** The Keystone tag that opts a project in. */
  projectTag: string;
  /** Keystone URL, region, interface and TLS settings copied from the admin profile. */
  cloud: CloudSettings;
}

/** Defaults of every option a flag may leave out. */
export const ORCHESTRATOR_DEFAULTS = {
  namespace: "snapsentry",
  image: "ghcr.io/snapsentry/snapsentry:0.1.0",
  imagePullPolicy: "IfNotPresent",
  role: "member",
  resources: {
    requestsCpu: "64m",
    requestsMemory: "32Mi",
    limitsCpu: "256m",
    limitsMemory: "128Mi",
  },
  createSchedule: "*/10 * * * *",
  expireSchedule: "0 */1 * * *",
  logLevel: "info",
  prune: false,
  projectTag: "snapsentry-enabled",
} as const;

export interface OrchestratorDeps {
  identity: OrchestratorIdentity;
  kube: KubernetesApi;
  clock: Clock;
  logger: Logger;
}

export type ProjectAction = "created" | "updated" | "unchanged" | "pruned" | "failed";

export interface ProjectOutcome {
  projectId: string;
  name: string;
  action: ProjectAction;
  /** What changed (`secret_created`, `deployment_image`, `credential_issued`, …). */
  changes: string[];
  error?: string;
}

export interface OrchestratorResult {
  projects: ProjectOutcome[];
  /** Projects that lost the tag whose objects were kept (no `prune`). */
  orphans: { projectId: string; name: string }[];
  /** Every project reached its desired state (and the pass itself did not fail). */
  converged: boolean;
  /** Set when the pass failed as a whole (discovery or observation). */
  error?: string;
  startedAt: string;
  finishedAt: string;
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX: Record<string, number> = { m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/**
 * A quantity in nano-units (the API server's precision, rounded up as it does), or undefined when
 * the text is not a quantity. The server stores quantities in canonical form ("0.5" comes back as
 * "500m", "1024Mi" as "1Gi"), so equal amounts must compare by value, not by text.
 */
export function quantityNanos(text: string): bigint | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [whole = "", fraction = ""] = m[1]!.split(".");
  const sign = text.trim().startsWith("-") ? -1n : 1n;
  let mantissa = BigInt(`${whole}${fraction}` || "0");
  let exp10 = 9 - fraction.length;
  const suffix = m[3] ?? "";
  if (suffix in BINARY_SUFFIX) mantissa <<= BigInt(BINARY_SUFFIX[suffix]!);
  else if (suffix in DECIMAL_SUFFIX) exp10 += DECIMAL_SUFFIX[suffix]!;
  else if (suffix !== "") exp10 += Number(suffix.slice(1));
  if (exp10 >= 0) return sign * mantissa * 10n ** BigInt(exp10);
  const div = 10n ** BigInt(-exp10);
  return sign * ((mantissa + div - 1n) / div);
}

/** Whether two resource lists ask for the same amounts (by value, whatever the spelling). */
function sameQuantities(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const ak = Object.keys(a ?? {}).sort();
  const bk = Object.keys(b ?? {}).sort();
  if (ak.length !== bk.length || ak.some((k, i) => k !== bk[i])) return false;
  return ak.every((k) => {
    const x = quantityNanos(a![k]!);
    const y = quantityNanos(b![k]!);
    return x !== undefined && y !== undefined ? x === y : a![k] === b![k];
  });
}

/** Throws `ConfigError` for option values the API server or the daemon would refuse later. */
export function validateOrchestratorOptions(options: OrchestratorOptions): void {
  if (!isDnsLabel(options.namespace)) {
    throw new ConfigError(
      `Cannot use namespace "${options.namespace}" from --controller-namespace: a namespace is a lower-case RFC 1123 label of at most 63 characters`,
    );
  }
  if (options.image.trim() === "" || /\s/.test(options.image)) {
    throw new ConfigError(
      `Cannot use image "${options.image}" from --workload-snapsentry-image: give an image reference such as ${ORCHESTRATOR_DEFAULTS.image}`,
    );
  }
  if (options.role.trim() === "") {
    throw new ConfigError(`Cannot use role "" from --controller-role: give a Keystone role name`);
  }
  const flags: [keyof WorkloadResources, string][] = [
    ["requestsCpu", "--controller-requests-cpu"],
    ["requestsMemory", "--controller-requests-memory"],
    ["limitsCpu", "--controller-limit-cpu"],
    ["limitsMemory", "--controller-limit-memory"],
  ];
  for (const [key, flag] of flags) {
    if (!QUANTITY.test(options.resources[key])) {
      throw new ConfigError(
        `Cannot use quantity "${
          options.resources[key]
        }" from ${flag}: expected a Kubernetes quantity such as ${
          ORCHESTRATOR_DEFAULTS.resources[key]
        }`,
      );
    }
  }
  for (
    const [value, flag] of [[options.createSchedule, "create"], [options.expireSchedule, "expire"]]
  ) {
    const fields = value!.trim().split(/\s+/);
    if (!(value!.trim().startsWith("@") || fields.length === 5)) {
      throw new ConfigError(
        `Cannot use schedule "${value}" for the daemon's --${flag}-schedule: expected five cron fields such as "*/10 * * * *"`,
      );
    }
  }
  if (options.cloud.authUrl.trim() === "") {
    throw new ConfigError("Cannot build project clouds.yaml: the admin profile has no auth_url");
  }
  if (options.webhook.password) registerSecret(options.webhook.password);
}

/** Name of a project's application credential in Keystone. */
export function credentialName(projectId: string): string {
  return `snapsentry-${projectId}`;
}

function sameStringMap(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ak = Object.keys(a ?? {}).sort();
  const bk = Object.keys(b).sort();
  return ak.length === bk.length && ak.every((k, i) => k === bk[i] && a![k] === b[k]);
}

function subsetOf(sub: Record<string, string>, full: Record<string, string> | undefined): boolean {
  return Object.entries(sub).every(([k, v]) => full?.[k] === v);
}

/** Decoded data of an observed Secret. */
function secretData(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = decodeBase64(v) ?? "";
  return out;
}

/** Why an observed Deployment differs from the desired one (empty when equal). */
export function deploymentDrift(observed: Deployment, desired: Deployment): string[] {
  const reasons: string[] = [];
  const have = observed.spec?.template?.spec?.containers?.[0];
  const want = desired.spec.template.spec.containers[0]!;
  if (!have) return ["deployment_containers"];
  if (have.image !== want.image) reasons.push("deployment_image");
  if (JSON.stringify(have.args ?? []) !== JSON.stringify(want.args ?? [])) {
    reasons.push("deployment_args");
  }
  if (
    !sameQuantities(have.resources?.requests, want.resources?.requests) ||
    !sameQuantities(have.resources?.limits, want.resources?.limits)
  ) reasons.push("deployment_resources");
  if ((observed.spec.replicas ?? 1) !== desired.spec.replicas) reasons.push("deployment_replicas");
  const cfg = ANNOTATION_KEYS.configHash;
  if (
    observed.spec.template.metadata?.annotations?.[cfg] !==
      desired.spec.template.metadata?.annotations?.[cfg]
  ) {
    reasons.push("deployment_config");
  }
  if (!subsetOf(desired.metadata.labels ?? {}, observed.metadata.labels)) {
    reasons.push("deployment_labels");
  }
  const spec = ANNOTATION_KEYS.specHash;
  if (
    reasons.length === 0 &&
    observed.metadata.annotations?.[spec] !== desired.metadata.annotations?.[spec]
  ) {
    reasons.push("deployment_spec");
  }
  return reasons;
}

/** Why an observed Secret differs from the desired one (empty when equal). */
export function secretDrift(
  observed: Secret,
  desiredContent: Record<string, string>,
  desired: Secret,
): string[] {
  const reasons: string[] = [];
  if (!sameStringMap(secretData(observed), desiredContent)) reasons.push("secret_content");
  if ((observed.type ?? "Opaque") !== desired.type) reasons.push("secret_type");
  if (!subsetOf(desired.metadata.labels ?? {}, observed.metadata.labels)) {
    reasons.push("secret_labels");
  }
  return reasons;
}

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

class Pass {
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
      ? credentialFromCloudsYaml(secretData(observedSecret)[SECRET_KEYS.cloudsYaml] ?? "")
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

/** Runs one observe → diff → act pass. Rejects only when discovery or observation fails. */
export async function reconcileOnce(
  options: OrchestratorOptions,
  deps: OrchestratorDeps,
): Promise<OrchestratorResult> {
  const startedAt = deps.clock.now().toString();
  const pass = new Pass(options, deps);
  const log = pass.log;

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

  const deploymentByName = new Map(deployments.map((d) => [d.metadata.name, d]));
  const secretByName = new Map(secrets.map((s) => [s.metadata.name, s]));
  const outcomes: ProjectOutcome[] = [];
  const wanted = new Set<string>();
  const seen = new Set<string>();

  /** Logs one project's failure and records it; the pass carries on with the others. */
  const failed = (
    event: string,
    project: ProjectRef,
    error: unknown,
    fields: Record<string, unknown> = {},
  ): ProjectOutcome => {
    const message = describeError(error);
    log.error(event, {
      project_id: project.id,
      project_name: project.name,
      error: message,
      ...fields,
    });
    return {
      projectId: project.id,
      name: project.name,
      action: "failed",
      changes: [],
      error: message,
    };
  };

  for (const project of projects) {
    if (seen.has(project.id)) continue;
    seen.add(project.id);
    const dName = deploymentName(project.id);
    const sName = secretName(project.id);
    wanted.add(dName);
    wanted.add(sName);
    try {
      outcomes.push(
        await pass.project(project, secretByName.get(sName), deploymentByName.get(dName)),
      );
    } catch (error) {
      outcomes.push(failed("orchestrator_project_failed", project, error, {
        error_code: error instanceof SnapsentryError ? error.code : undefined,
      }));
    }
  }

  // Objects no tagged project wants, grouped by the project recorded on them.
  const strays = new Map<
    string,
    { project: ProjectRef; deployment?: Deployment; secret?: Secret }
  >();
  const addStray = (object: Deployment | Secret, key: "deployment" | "secret") => {
    if (wanted.has(object.metadata.name)) return;
    const project = projectFromObject(object) ??
      { id: object.metadata.labels?.[LABEL_KEYS.projectId] ?? object.metadata.name, name: "" };
    const entry = strays.get(project.id) ?? { project };
    (entry as Record<string, unknown>)[key] = object;
    strays.set(project.id, entry);
  };
  for (const d of deployments) addStray(d, "deployment");
  for (const s of secrets) addStray(s, "secret");
  const orphans: OrchestratorResult["orphans"] = [];
  for (const { project, deployment, secret } of strays.values()) {
    if (!options.prune) {
      orphans.push({ projectId: project.id, name: project.name });
      log.warn("orchestrator_orphan_kept", {
        project_id: project.id,
        project_name: project.name,
        hint: "the project lost its tag; run with --prune to remove its daemon and credential",
      });
      continue;
    }
    try {
      outcomes.push(await pass.prune(project, deployment, secret));
    } catch (error) {
      outcomes.push(failed("orchestrator_prune_failed", project, error));
    }
  }

  const converged = outcomes.every((o) => o.action !== "failed");
  const count = (a: ProjectAction) => outcomes.filter((o) => o.action === a).length;
  log.info("orchestrator_pass_finished", {
    converged,
    created: count("created"),
    updated: count("updated"),
    unchanged: count("unchanged"),
    pruned: count("pruned"),
    failed: count("failed"),
    orphans: orphans.length,
    manager: MANAGER,
  });
  return {
    projects: outcomes,
    orphans,
    converged,
    startedAt,
    finishedAt: deps.clock.now().toString(),
  };
}

export interface RunOrchestratorOptions {
  /** Repeat passes this far apart; undefined runs one pass (for a CronJob). */
  intervalMs?: number;
  /** Stops the loop (between passes; a running pass finishes). */
  signal?: AbortSignal;
  /** Called after every pass. */
  onPass?: (result: OrchestratorResult) => void;
}

/**
 * Runs one pass, or with `intervalMs` repeats passes until `signal` aborts, and returns the last
 * result. In a loop a failed pass is logged and retried at the next interval; a single pass
 * rethrows its failure.
 */
export async function runOrchestrator(
  options: OrchestratorOptions,
  deps: OrchestratorDeps,
  run: RunOrchestratorOptions = {},
): Promise<OrchestratorResult> {
  validateOrchestratorOptions(options);
  if (run.intervalMs !== undefined && !(run.intervalMs > 0)) {
    throw new ConfigError(`Cannot use interval "${run.intervalMs}" ms: it must be positive`);
  }
  for (;;) {
    let result: OrchestratorResult;
    try {
      result = await reconcileOnce(options, deps);
    } catch (error) {
      if (run.intervalMs === undefined) throw error;
      const now = deps.clock.now().toString();
      result = {
        projects: [],
        orphans: [],
        converged: false,
        error: describeError(error),
        startedAt: now,
        finishedAt: now,
      };
      deps.logger.error("orchestrator_pass_failed", {
        component: "orchestrator",
        error: result.error,
      });
    }
    run.onPass?.(result);
    if (run.intervalMs === undefined || run.signal?.aborted) return result;
    try {
      await deps.clock.sleep(run.intervalMs, run.signal);
    } catch {
      return result;
    }
  }
}
