/**
 * What every desired object of the orchestrator shares: the labels and annotations it sets, the
 * names of a project's objects, the Secret's keys, and the content hash. The builders live
 * beside this file: desired_secret.ts (clouds.yaml and the Secret), desired_deployment.ts (the
 * daemon's Deployment) and desired_network.ts (the namespace's NetworkPolicy).
 */
import { dnsLabelName, sanitizeLabelValue } from "./names.ts";

/** Value of `app.kubernetes.io/managed-by` on everything the orchestrator owns. */
export const MANAGER = "snapsentry-orchestrator";

/** Labels and annotations the orchestrator sets. */
export const LABEL_KEYS = {
  name: "app.kubernetes.io/name",
  component: "app.kubernetes.io/component",
  instance: "app.kubernetes.io/instance",
  managedBy: "app.kubernetes.io/managed-by",
  projectId: "snapsentry.io/project-id",
  projectName: "snapsentry.io/project-name",
  domainId: "snapsentry.io/domain-id",
} as const;

export const ANNOTATION_KEYS = {
  /** SHA-256 of the desired Deployment (including the config hash); drift shows as a mismatch. */
  specHash: "snapsentry.io/spec-hash",
  /** SHA-256 of the Secret's data, on the pod template so pods restart when the Secret changes. */
  configHash: "snapsentry.io/config-hash",
  /** The raw OpenStack values (labels hold sanitised ones). */
  projectId: "snapsentry.io/project-id",
  projectName: "snapsentry.io/project-name",
  domainId: "snapsentry.io/domain-id",
  /** On the Secret: when the credential it holds expires (ISO instant). */
  credentialExpiresAt: "snapsentry.io/credential-expires-at",
  /** On the Secret: hash of the role and access rules the credential was issued with. */
  credentialRules: "snapsentry.io/credential-rules",
  /** On the Secret: replaced credentials to delete once the Deployment has rolled (ids, commas). */
  retiredCredentials: "snapsentry.io/retired-credentials",
} as const;

/** Label selector matching every object the orchestrator manages. */
export const MANAGED_SELECTOR = `${LABEL_KEYS.managedBy}=${MANAGER}`;

/** The clouds.yaml profile the child daemon uses (`--cloud snapsentry`). */
export const CLOUD_PROFILE = "snapsentry";
/** Where the Secret is mounted in the pod. */
export const CONFIG_MOUNT_PATH = "/etc/openstack";
/** Keys of the Secret. */
export const SECRET_KEYS = {
  cloudsYaml: "clouds.yaml",
  cacert: "cacert.pem",
  /** The admin profile's client certificate and key, for Keystone and Cinder behind mutual TLS. */
  clientCert: "client-cert.pem",
  clientKey: "client-key.pem",
  webhookUrl: "SNAPSENTRY_WEBHOOK_URL",
  webhookUsername: "SNAPSENTRY_WEBHOOK_USERNAME",
  webhookPassword: "SNAPSENTRY_WEBHOOK_PASSWORD",
  /** The daemon's trigger token (`--trigger-token`). */
  apiToken: "SNAPSENTRY_API_TOKEN",
} as const;
/** Secret keys mounted as files next to clouds.yaml (the others become environment variables). */
export const FILE_KEYS: readonly string[] = [
  SECRET_KEYS.cloudsYaml,
  SECRET_KEYS.cacert,
  SECRET_KEYS.clientCert,
  SECRET_KEYS.clientKey,
];
/** The daemon's HTTP port (`/healthz`, `/readyz`, `/metrics`). */
export const DAEMON_PORT = 8080;
/** The distroless "nonroot" user. */
export const NON_ROOT_UID = 65532;

/** A Keystone project the orchestrator serves. */
export interface ProjectRef {
  id: string;
  name: string;
  domainId?: string;
}

/** An application credential issued for one project (the secret is registered by the caller). */
export interface ProjectCredential {
  application_credential_id: string;
  application_credential_secret: string;
  /** When Keystone stops accepting it (ISO instant); absent: never. */
  expiresAt?: string;
}

/** Deployment name of a project: `snapsentry-<project id>`. */
export function deploymentName(projectId: string): string {
  return dnsLabelName("snapsentry-", projectId);
}

/** Secret name of a project: `snapsentry-<project id>-cloud`. */
export function secretName(projectId: string): string {
  return dnsLabelName("snapsentry-", projectId, "-cloud");
}

/** Labels of every object of a project; all values are valid whatever the project name. */
export function projectLabels(project: ProjectRef): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_KEYS.name]: "snapsentry",
    [LABEL_KEYS.component]: "daemon",
    [LABEL_KEYS.instance]: deploymentName(project.id),
    [LABEL_KEYS.managedBy]: MANAGER,
    [LABEL_KEYS.projectId]: sanitizeLabelValue(project.id),
    [LABEL_KEYS.projectName]: sanitizeLabelValue(project.name),
  };
  if (project.domainId !== undefined) {
    labels[LABEL_KEYS.domainId] = sanitizeLabelValue(project.domainId);
  }
  return labels;
}

/** Labels a Deployment selects its pods by; they never change, as a selector is immutable. */
export function selectorLabels(project: ProjectRef): Record<string, string> {
  return {
    [LABEL_KEYS.managedBy]: MANAGER,
    [LABEL_KEYS.projectId]: sanitizeLabelValue(project.id),
  };
}

/** The raw project id, name and domain, as annotations. */
export function projectAnnotations(project: ProjectRef): Record<string, string> {
  const annotations: Record<string, string> = {
    [ANNOTATION_KEYS.projectId]: project.id,
    [ANNOTATION_KEYS.projectName]: project.name,
  };
  if (project.domainId !== undefined) annotations[ANNOTATION_KEYS.domainId] = project.domainId;
  return annotations;
}

/** Reads a project back from an observed object's annotations (falling back to its labels). */
export function projectFromObject(
  object: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } },
): ProjectRef | undefined {
  const a = object.metadata.annotations ?? {};
  const l = object.metadata.labels ?? {};
  const id = a[ANNOTATION_KEYS.projectId] ?? l[LABEL_KEYS.projectId];
  if (!id) return undefined;
  const project: ProjectRef = {
    id,
    name: a[ANNOTATION_KEYS.projectName] ?? l[LABEL_KEYS.projectName] ?? "",
  };
  const domainId = a[ANNOTATION_KEYS.domainId] ?? l[LABEL_KEYS.domainId];
  if (domainId) project.domainId = domainId;
  return project;
}

/** UTF-8 text to base64 (Secret `data` values). */
export function encodeBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** base64 to UTF-8 text; undefined when the value is not base64. */
export function decodeBase64(value: string): string | undefined {
  try {
    const bin = atob(value);
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the canonical JSON of `value`. */
export async function contentHash(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(canonicalJson(value)),
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
