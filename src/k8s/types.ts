/**
 * The slice of the Kubernetes object model the orchestrator reads and writes: apps/v1 Deployments,
 * v1 Secrets and networking.k8s.io/v1 NetworkPolicies, plus the `Status` body the API server answers errors with. Field names stay as
 * they are on the wire (camelCase already), as in the API reference.
 */

/** `metadata` of any namespaced object. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Opaque version the server bumps on every write; sent back on update for optimistic locking. */
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
}

/** A v1 Secret. The server always answers with `data` (base64); `stringData` is write-only. */
export interface Secret {
  apiVersion?: "v1";
  kind?: "Secret";
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface Probe {
  httpGet?: { path: string; port: number | string; scheme?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  resources?: ResourceRequirements;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
}

export interface Volume {
  name: string;
  secret?: {
    secretName: string;
    defaultMode?: number;
    items?: { key: string; path: string }[];
    optional?: boolean;
  };
  emptyDir?: { medium?: string; sizeLimit?: string };
}

export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    fsGroup?: number;
    seccompProfile?: { type: string };
  };
  [key: string]: unknown;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  strategy?: { type: "Recreate" | "RollingUpdate"; rollingUpdate?: unknown };
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: PodSpec;
  };
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  [key: string]: unknown;
}

/** An apps/v1 Deployment. */
export interface Deployment {
  apiVersion?: "apps/v1";
  kind?: "Deployment";
  metadata: ObjectMeta;
  spec: DeploymentSpec;
  status?: Record<string, unknown>;
}

/** One peer of a NetworkPolicy rule. */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

/** A networking.k8s.io/v1 NetworkPolicy. */
export interface NetworkPolicy {
  apiVersion?: "networking.k8s.io/v1";
  kind?: "NetworkPolicy";
  metadata: ObjectMeta;
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ("Ingress" | "Egress")[];
    ingress?: {
      from?: NetworkPolicyPeer[];
      ports?: { protocol?: string; port?: number | string }[];
    }[];
    egress?: unknown[];
  };
}

/** The resources the client knows, keyed by their plural (URL) name. */
export interface KindMap {
  deployments: Deployment;
  secrets: Secret;
  networkpolicies: NetworkPolicy;
}

/** `deployments`, `secrets` or `networkpolicies`. */
export type ResourceKind = keyof KindMap;

/** The API server's error body (`kind: Status`). */
export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
  code: number;
}
