/**
 * The inputs of an orchestrator pass: the `admin orchestrator` settings, their defaults and
 * checks, and the injected dependencies (identity, Kubernetes API, clock, logger).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { QUANTITY } from "./_quantity.ts";
import type { KubernetesApi } from "./client.ts";
import type { WorkloadResources } from "./desired_deployment.ts";
import { DEFAULT_PROMETHEUS_SELECTOR } from "./desired_network.ts";
import type { CloudSettings, WebhookSettings } from "./desired_secret.ts";
import { isDnsLabel } from "./names.ts";
import type { OrchestratorIdentity } from "./orchestrator_identity.ts";

/** The `admin orchestrator` settings (Go's flags, go-compatibility.md, plus role, schedules, webhook and prune). */
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
  /** `--credential-ttl`: lifetime of each application credential; rotated when a third is left. */
  credentialTtlMs: number;
  /** The child daemon's `--shutdown-timeout`; the pod's grace period is longer. */
  shutdownTimeoutSeconds: number;
  /** `--trigger-token`: give each daemon its own trigger token (SNAPSENTRY_API_TOKEN). */
  triggerToken: boolean;
  /** Manage the namespace's NetworkPolicy for the daemons (`--no-network-policy` turns it off). */
  networkPolicy: boolean;
  /** `--prometheus-selector`: the pods the NetworkPolicy admits to the daemons' port. */
  prometheusSelector: Readonly<Record<string, string>>;
  /** Replace SnapSentry-Go's objects of tagged projects (`--no-adopt-go` turns it off). */
  adoptGo: boolean;
  /** `--prune-go-users`: delete SnapSentry-Go's Keystone users once the new credential works. */
  pruneGoUsers: boolean;
  /** `--dry-run`: report every step, write nothing (neither Kubernetes nor Keystone). */
  dryRun: boolean;
  /** `--rollout-timeout`: how long a pass waits for Deployments it rolled before cleaning up. */
  rolloutTimeoutMs: number;
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
  credentialTtlMs: 90 * 24 * 3_600_000,
  shutdownTimeoutSeconds: 60,
  triggerToken: false,
  networkPolicy: true,
  prometheusSelector: DEFAULT_PROMETHEUS_SELECTOR,
  adoptGo: true,
  pruneGoUsers: false,
  dryRun: false,
  rolloutTimeoutMs: 180_000,
} as const;

/** Shortest `--credential-ttl`: rotation happens a third before expiry, so one pass must fit. */
export const MIN_CREDENTIAL_TTL_MS = 3_600_000;

export interface OrchestratorDeps {
  identity: OrchestratorIdentity;
  kube: KubernetesApi;
  clock: Clock;
  logger: Logger;
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
  if (!(options.credentialTtlMs >= MIN_CREDENTIAL_TTL_MS)) {
    throw new ConfigError(
      `Cannot use credential lifetime "${options.credentialTtlMs}" ms from --credential-ttl: it must be at least 1h`,
    );
  }
  if (!(options.shutdownTimeoutSeconds > 0)) {
    throw new ConfigError(
      `Cannot use shutdown timeout "${options.shutdownTimeoutSeconds}" s: it must be positive`,
    );
  }
  if (Object.keys(options.prometheusSelector).length === 0) {
    throw new ConfigError(
      "Cannot use an empty --prometheus-selector: it would admit every pod of the namespace; give key=value pairs",
    );
  }
  if (options.cloud.authUrl.trim() === "") {
    throw new ConfigError("Cannot build project clouds.yaml: the admin profile has no auth_url");
  }
  if (options.webhook.password) registerSecret(options.webhook.password);
}
