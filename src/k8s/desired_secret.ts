/**
 * The desired Secret of a project: its clouds.yaml (built with the YAML library, so any value is
 * quoted right), the admin profile's TLS files as file contents, the webhook settings and the
 * optional trigger token.
 *
 * @module
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import {
  ANNOTATION_KEYS,
  CLOUD_PROFILE,
  CONFIG_MOUNT_PATH,
  encodeBase64,
  projectAnnotations,
  type ProjectCredential,
  projectLabels,
  type ProjectRef,
  SECRET_KEYS,
  secretName,
} from "./desired.ts";
import type { Secret } from "./types.ts";

/** A PEM file of the admin profile, carried into every project Secret by content. */
export interface PemFile {
  pem: string;
  /** The admin profile's path, for messages only (the pods read the mounted copy). */
  sourcePath?: string;
}

/** Block-storage settings of the admin profile that the project daemons need too. */
export interface BlockStorageSettings {
  /** `block_storage_service_type` when not the default. */
  serviceType?: string;
  interface?: string;
  regionName?: string;
  /** `block_storage_endpoint_override`; an admin project id in it is already `%(project_id)s`. */
  endpointOverride?: string;
  /** `block_storage_api_version` (a pinned 3.x microversion). */
  apiVersion?: string;
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
  cacert?: PemFile;
  /** The admin profile's client certificate and key (mutual TLS), carried the same way. */
  cert?: PemFile;
  key?: PemFile;
  /** `api_timeout` in seconds. */
  apiTimeoutSeconds?: number;
  blockStorage?: BlockStorageSettings;
}

export interface WebhookSettings {
  url?: string;
  username?: string;
  password?: string;
}

/**
 * The project's clouds.yaml. TLS settings follow the admin profile: `verify: false` only when it
 * has it, `cacert`, `cert` and `key` pointing at the mounted copies of its files.
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
  if (cloud.cert && cloud.key) {
    profile.cert = `${CONFIG_MOUNT_PATH}/${SECRET_KEYS.clientCert}`;
    profile.key = `${CONFIG_MOUNT_PATH}/${SECRET_KEYS.clientKey}`;
  }
  if (cloud.apiTimeoutSeconds !== undefined) profile.api_timeout = cloud.apiTimeoutSeconds;
  const bs = cloud.blockStorage ?? {};
  if (bs.serviceType) profile.block_storage_service_type = bs.serviceType;
  if (bs.interface) profile.block_storage_interface = bs.interface;
  if (bs.regionName) profile.block_storage_region_name = bs.regionName;
  if (bs.endpointOverride) profile.block_storage_endpoint_override = bs.endpointOverride;
  if (bs.apiVersion) profile.block_storage_api_version = bs.apiVersion;
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

/** What goes into a project Secret besides the credential and the cloud settings. */
export interface SecretExtras {
  /** The daemon's trigger token; absent: no token, the trigger routes stay off. */
  apiToken?: string;
}

/** The Secret's data as plain text. */
export function secretContent(
  credential: ProjectCredential,
  cloud: CloudSettings,
  webhook: WebhookSettings,
  extras: SecretExtras = {},
): Record<string, string> {
  const content: Record<string, string> = {
    [SECRET_KEYS.cloudsYaml]: buildCloudsYaml(credential, cloud),
  };
  if (cloud.cacert) content[SECRET_KEYS.cacert] = cloud.cacert.pem;
  if (cloud.cert && cloud.key) {
    content[SECRET_KEYS.clientCert] = cloud.cert.pem;
    content[SECRET_KEYS.clientKey] = cloud.key.pem;
  }
  if (webhook.url) content[SECRET_KEYS.webhookUrl] = webhook.url;
  if (webhook.username) content[SECRET_KEYS.webhookUsername] = webhook.username;
  if (webhook.password) content[SECRET_KEYS.webhookPassword] = webhook.password;
  if (extras.apiToken) content[SECRET_KEYS.apiToken] = extras.apiToken;
  return content;
}

/** The credential facts kept on the Secret, so later passes know when to rotate. */
export interface CredentialRecord {
  expiresAt?: string;
  /** Hash of the role and access rules the credential carries. */
  rulesHash: string;
  /** Replaced credentials still to delete once the Deployment has rolled. */
  retired?: readonly string[];
}

/** The desired Secret of a project. */
export function desiredSecret(
  project: ProjectRef,
  namespace: string,
  content: Record<string, string>,
  record?: CredentialRecord,
): Secret {
  const data: Record<string, string> = {};
  for (const key of Object.keys(content).sort()) data[key] = encodeBase64(content[key]!);
  const annotations = projectAnnotations(project);
  if (record) {
    annotations[ANNOTATION_KEYS.credentialRules] = record.rulesHash;
    if (record.expiresAt) annotations[ANNOTATION_KEYS.credentialExpiresAt] = record.expiresAt;
    if (record.retired?.length) {
      annotations[ANNOTATION_KEYS.retiredCredentials] = record.retired.join(",");
    }
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: secretName(project.id),
      namespace,
      labels: projectLabels(project),
      annotations,
    },
    type: "Opaque",
    data,
  };
}
