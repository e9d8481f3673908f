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
  createKubeFetch,
  denoReaders,
  isKubeReason,
  type KubeConfig,
  type KubeFetch,
  type KubeReason,
  type KubernetesApi,
  KubernetesApiError,
  KubernetesClient,
  type KubernetesClientOptions,
  loadInClusterConfig,
  loadKubeconfig,
  SERVICE_ACCOUNT_DIR,
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
export {
  type AccessRule,
  credentialName,
  deploymentDrift,
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorDeps,
  type OrchestratorIdentity,
  type OrchestratorOptions,
  type OrchestratorResult,
  type ProjectAction,
  type ProjectOutcome,
  reconcileOnce,
  runOrchestrator,
  type RunOrchestratorOptions,
  secretDrift,
  SNAPSENTRY_ACCESS_RULES,
  validateOrchestratorOptions,
} from "./orchestrator.ts";
