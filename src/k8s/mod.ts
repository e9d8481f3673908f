/**
 * The Kubernetes adapter: a small REST client (kubeconfig or in-cluster), the desired objects of a
 * project daemon, and the `admin orchestrator` reconciler. It may import `core` types and the
 * shared modules (errors, log, clock, redact); it never imports `cli` or the OpenStack client —
 * what it needs from Keystone is the {@link OrchestratorIdentity} interface.
 *
 * @module
 */
export * from "./types.ts";
export {
  type ConfigReaders,
  denoReaders,
  type KubeConfig,
  kubeconfigPaths,
  loadInClusterConfig,
  loadKubeconfig,
  SERVICE_ACCOUNT_DIR,
} from "./client_config.ts";
export { KubeTokenSource, type KubeTokenSourceOptions, TOKEN_REREAD_MS } from "./client_token.ts";
export {
  createKubeFetch,
  DEFAULT_KUBE_MAX_RESPONSE_BYTES,
  DEFAULT_KUBE_TIMEOUT_MS,
  isKubeReason,
  type KubeFetch,
  type KubeReason,
  KubernetesApiError,
} from "./client_transport.ts";
export {
  type KubernetesApi,
  KubernetesClient,
  type KubernetesClientOptions,
  MAX_LIST_PAGES,
} from "./client.ts";
export {
  dnsLabelName,
  isDnsLabel,
  isValidLabelValue,
  MAX_LABEL_LENGTH,
  sanitizeLabelValue,
  shortHash,
} from "./names.ts";
export {
  ANNOTATION_KEYS,
  buildCloudsYaml,
  CLOUD_PROFILE,
  type CloudSettings,
  CONFIG_MOUNT_PATH,
  credentialFromCloudsYaml,
  DAEMON_PORT,
  daemonArgs,
  deploymentName,
  desiredDeployment,
  desiredSecret,
  LABEL_KEYS,
  MANAGED_SELECTOR,
  MANAGER,
  NON_ROOT_UID,
  type ProjectCredential,
  projectLabels,
  type ProjectRef,
  SECRET_KEYS,
  secretContent,
  secretName,
  type WebhookSettings,
  type WorkloadResources,
  type WorkloadSettings,
} from "./desired.ts";
export { deploymentDrift, secretDrift } from "./orchestrator_diff.ts";
export {
  type AccessRule,
  credentialName,
  type OrchestratorIdentity,
  SNAPSENTRY_ACCESS_RULES,
} from "./orchestrator_identity.ts";
export {
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorDeps,
  type OrchestratorOptions,
  validateOrchestratorOptions,
} from "./orchestrator_options.ts";
export {
  type OrchestratorResult,
  type ProjectAction,
  type ProjectOutcome,
} from "./orchestrator_report.ts";
export { reconcileOnce, runOrchestrator, type RunOrchestratorOptions } from "./orchestrator.ts";
