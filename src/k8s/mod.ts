/**
 * The Kubernetes adapter: a small REST client (kubeconfig or in-cluster), the desired objects of a
 * project daemon, the `admin orchestrator` reconciler (which also takes SnapSentry-Go's objects
 * over), and the orchestrator's own health endpoint. It may import `core` types and the
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
  canonicalJson,
  CLOUD_PROFILE,
  CONFIG_MOUNT_PATH,
  contentHash,
  DAEMON_PORT,
  decodeBase64,
  deploymentName,
  encodeBase64,
  FILE_KEYS,
  LABEL_KEYS,
  MANAGED_SELECTOR,
  MANAGER,
  NON_ROOT_UID,
  type ProjectCredential,
  projectLabels,
  type ProjectRef,
  SECRET_KEYS,
  secretName,
} from "./desired.ts";
export {
  type BlockStorageSettings,
  buildCloudsYaml,
  type CloudSettings,
  credentialFromCloudsYaml,
  type CredentialRecord,
  desiredSecret,
  type PemFile,
  secretContent,
  type SecretExtras,
  type WebhookSettings,
} from "./desired_secret.ts";
export {
  daemonArgs,
  deploymentRolledOut,
  desiredDeployment,
  GRACE_MARGIN_SECONDS,
  type WorkloadResources,
  type WorkloadSettings,
} from "./desired_deployment.ts";
export {
  DEFAULT_PROMETHEUS_SELECTOR,
  desiredNetworkPolicy,
  NETWORK_POLICY_NAME,
} from "./desired_network.ts";
export {
  GO_APP,
  goDeploymentName,
  type GoObjects,
  goSecretName,
  goUserName,
  groupGoObjects,
  isGoDeployment,
  isGoSecret,
} from "./orchestrator_go.ts";
export { rotationReason } from "./orchestrator_credential.ts";
export { ROLLOUT_POLL_MS } from "./orchestrator_finish.ts";
export { deploymentDrift, networkPolicyDrift, secretDrift } from "./orchestrator_diff.ts";
export {
  type AccessRule,
  accessRulesFor,
  credentialName,
  credentialRulesHash,
  type GoUser,
  type OrchestratorIdentity,
  SNAPSENTRY_ACCESS_RULES,
} from "./orchestrator_identity.ts";
export {
  MIN_CREDENTIAL_TTL_MS,
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorDeps,
  type OrchestratorOptions,
  validateOrchestratorOptions,
} from "./orchestrator_options.ts";
export {
  type GoUserOutcome,
  type OrchestratorResult,
  type ProjectAction,
  type ProjectOutcome,
} from "./orchestrator_report.ts";
export { reconcileOnce, runOrchestrator, type RunOrchestratorOptions } from "./orchestrator.ts";
export {
  createOrchestratorHealth,
  type OrchestratorHealth,
  PASS_ALLOWANCE_MS,
} from "./orchestrator_health.ts";
