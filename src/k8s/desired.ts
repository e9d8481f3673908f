/**
 * The desired state of one project's workload: a Secret with its clouds.yaml (and CA, and webhook
 * settings) and a Deployment running `snapsentry daemon` against it. Pure builders plus a content
 * hash, so the reconciler can compare what it wants with what it observes.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { dnsLabelName, sanitizeLabelValue } from "./names.ts";
import type { Deployment, EnvVar, Secret } from "./types.ts";

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
  webhookUrl: "SNAPSENTRY_WEBHOOK_URL",
  webhookUsername: "SNAPSENTRY_WEBHOOK_USERNAME",
  webhookPassword: "SNAPSENTRY_WEBHOOK_PASSWORD",
} as const;
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
}

/** Cloud settings taken from the admin profile and written into every project's clouds.yaml. */
export interface CloudSettings {
  /** Keystone URL the project daemons authenticate against. */
  authUrl: string;
  regionName?: string;
  /** Endpoint interface (`public`, `internal`, `admin`). */
  interface?: string;
  /** Copied only when the admin profile has `verify: false`; never invented. */
  verify?: boolean;
  /** The admin profile's CA bundle: its PEM goes into the Secret, `cacert` points at the mount. */
  cacert?: { pem: string; sourcePath?: string };
}

export interface WebhookSettings {
  url?: string;
  username?: string;
  password?: string;
}

/** Resources of each project daemon (the `--controller-*` flags). */
export interface WorkloadResources {
  requestsCpu: string;
  requestsMemory: string;
  limitsCpu: string;
  limitsMemory: string;
}

/** What every project Deployment shares. */
export interface WorkloadSettings {
  namespace: string;
  image: string;
  imagePullPolicy: string;
  resources: WorkloadResources;
  createSchedule: string;
  expireSchedule: string;
  logLevel: string;
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

function projectAnnotations(project: ProjectRef): Record<string, string> {
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

/**
 * The project's clouds.yaml, built with the YAML library (never by concatenation, so any value is
 * quoted correctly). TLS settings follow the admin profile: `verify: false` only when it has it,
 * `cacert` pointing at the mounted copy of its CA bundle.
 */
export function buildCloudsYaml(credential: ProjectCredential, cloud: CloudSettings): string {
  const profile: Record<string, unknown> = {
    auth_type: "v3applicationcredential",
    auth: {
      auth_url: cloud.authUrl,
      application_credential_id: credential.application_credential_id,
      application_credential_secret: credential.application_credential_secret,
    },
    identity_api_version: 3,
  };
  if (cloud.regionName) profile.region_name = cloud.regionName;
  if (cloud.interface) profile.interface = cloud.interface;
  if (cloud.verify === false) profile.verify = false;
  if (cloud.cacert) profile.cacert = `${CONFIG_MOUNT_PATH}/${SECRET_KEYS.cacert}`;
  return stringifyYaml({ clouds: { [CLOUD_PROFILE]: profile } });
}

/**
 * The credential held by an observed clouds.yaml, or undefined when the text is not a usable
 * application-credential profile named {@link CLOUD_PROFILE}.
 */
export function credentialFromCloudsYaml(text: string): ProjectCredential | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return undefined;
  }
  const profile = (doc as { clouds?: Record<string, unknown> } | null)?.clouds?.[CLOUD_PROFILE] as
    | { auth_type?: unknown; auth?: Record<string, unknown> }
    | undefined;
  if (!profile || profile.auth_type !== "v3applicationcredential") return undefined;
  const id = profile.auth?.application_credential_id;
  const secret = profile.auth?.application_credential_secret;
  if (typeof id !== "string" || id === "" || typeof secret !== "string" || secret === "") {
    return undefined;
  }
  return { application_credential_id: id, application_credential_secret: secret };
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

/** The Secret's data as plain text (keys sorted). */
export function secretContent(
  credential: ProjectCredential,
  cloud: CloudSettings,
  webhook: WebhookSettings,
): Record<string, string> {
  const content: Record<string, string> = {
    [SECRET_KEYS.cloudsYaml]: buildCloudsYaml(credential, cloud),
  };
  if (cloud.cacert) content[SECRET_KEYS.cacert] = cloud.cacert.pem;
  if (webhook.url) content[SECRET_KEYS.webhookUrl] = webhook.url;
  if (webhook.username) content[SECRET_KEYS.webhookUsername] = webhook.username;
  if (webhook.password) content[SECRET_KEYS.webhookPassword] = webhook.password;
  return content;
}

/** The desired Secret of a project. */
export function desiredSecret(
  project: ProjectRef,
  namespace: string,
  content: Record<string, string>,
): Secret {
  const data: Record<string, string> = {};
  for (const key of Object.keys(content).sort()) data[key] = encodeBase64(content[key]!);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: secretName(project.id),
      namespace,
      labels: projectLabels(project),
      annotations: projectAnnotations(project),
    },
    type: "Opaque",
    data,
  };
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

/** The container arguments of a project daemon. No secret ever appears here. */
export function daemonArgs(settings: WorkloadSettings): string[] {
  return [
    "daemon",
    "--cloud",
    CLOUD_PROFILE,
    "--bind-address",
    `0.0.0.0:${DAEMON_PORT}`,
    "--create-schedule",
    settings.createSchedule,
    "--expire-schedule",
    settings.expireSchedule,
    "--log-level",
    settings.logLevel,
  ];
}

/**
 * The desired Deployment of a project, without the spec-hash annotation (added by
 * {@link withSpecHash}). `secretKeys` lists the Secret's keys, so only present webhook settings
 * become environment variables.
 */
export function desiredDeployment(
  project: ProjectRef,
  settings: WorkloadSettings,
  secretKeys: readonly string[],
  configHash: string,
): Deployment {
  const labels = projectLabels(project);
  const secret = secretName(project.id);
  const env: EnvVar[] = [
    { name: "OS_CLIENT_CONFIG_FILE", value: `${CONFIG_MOUNT_PATH}/${SECRET_KEYS.cloudsYaml}` },
  ];
  for (
    const key of [SECRET_KEYS.webhookUrl, SECRET_KEYS.webhookUsername, SECRET_KEYS.webhookPassword]
  ) {
    if (secretKeys.includes(key)) {
      env.push({ name: key, valueFrom: { secretKeyRef: { name: secret, key } } });
    }
  }
  const items: { key: string; path: string }[] = [
    { key: SECRET_KEYS.cloudsYaml, path: SECRET_KEYS.cloudsYaml },
  ];
  if (secretKeys.includes(SECRET_KEYS.cacert)) {
    items.push({ key: SECRET_KEYS.cacert, path: SECRET_KEYS.cacert });
  }
  const probe = (path: string) => ({
    httpGet: { path, port: "http" },
    periodSeconds: 20,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: deploymentName(project.id),
      namespace: settings.namespace,
      labels,
      annotations: projectAnnotations(project),
    },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      // Two daemons of one project would snapshot twice: never run old and new pods together.
      strategy: { type: "Recreate" },
      selector: { matchLabels: selectorLabels(project) },
      template: {
        metadata: { labels, annotations: { [ANNOTATION_KEYS.configHash]: configHash } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NON_ROOT_UID,
            runAsGroup: NON_ROOT_UID,
            fsGroup: NON_ROOT_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: "snapsentry",
            image: settings.image,
            imagePullPolicy: settings.imagePullPolicy,
            args: daemonArgs(settings),
            env,
            ports: [{ name: "http", containerPort: DAEMON_PORT, protocol: "TCP" }],
            resources: {
              requests: {
                cpu: settings.resources.requestsCpu,
                memory: settings.resources.requestsMemory,
              },
              limits: {
                cpu: settings.resources.limitsCpu,
                memory: settings.resources.limitsMemory,
              },
            },
            livenessProbe: probe("/healthz"),
            readinessProbe: probe("/readyz"),
            securityContext: {
              runAsNonRoot: true,
              runAsUser: NON_ROOT_UID,
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: [
              { name: "cloud-config", mountPath: CONFIG_MOUNT_PATH, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          }],
          volumes: [
            { name: "cloud-config", secret: { secretName: secret, defaultMode: 0o440, items } },
            { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
          ],
        },
      },
    },
  };
}

/** Adds the spec-hash annotation (the hash of everything else in the desired Deployment). */
export async function withSpecHash(deployment: Deployment): Promise<Deployment> {
  const hash = await contentHash(deployment);
  return {
    ...deployment,
    metadata: {
      ...deployment.metadata,
      annotations: { ...deployment.metadata.annotations, [ANNOTATION_KEYS.specHash]: hash },
    },
  };
}
