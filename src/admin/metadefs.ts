/**
 * Glance metadata definitions for snapsentry's volume keys: the namespace `OS::Cinder::Snapsentry`
 * for resource type `OS::Cinder::Volume`, so Horizon and Skyline offer a form for them. The
 * properties follow what the policy parser reads, with its real defaults and bounds; the Go
 * tool's definitions disagreed with its own code (go-compatibility.md, Glance metadata definitions: daily default 1 instead of 2,
 * monthly 31 instead of 30, minimums of 7 and 31, `time` as the only retention type).
 *
 * `installMetadefs` is idempotent: it creates what is missing, updates what differs and removes
 * properties that are no longer defined. It talks to Glance through the narrow
 * {@link GlanceMetadefsApi}; {@link createGlanceMetadefsApi} implements it over any authenticated
 * `request` function. `deploy/glance/snapsentry-metadefs.json` holds the same document for
 * operators who load it by hand (`glance md-namespace-import`).
 */
import {
  DEFAULT_RETENTION_DAYS,
  MAX_RETENTION_COUNT,
  MAX_RETENTION_DAYS,
  type PolicyType,
  RETENTION_TYPE,
} from "../core/mod.ts";
import { OpenStackHttpError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { nullLogger } from "../log.ts";

export const METADEF_NAMESPACE = "OS::Cinder::Snapsentry";
export const METADEF_RESOURCE_TYPE = "OS::Cinder::Volume";

/** One metadef property (the JSON-schema subset Glance stores). */
export interface MetadefProperty {
  title: string;
  description?: string;
  type: "boolean" | "integer" | "string";
  default?: boolean | number | string;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
}

/** Namespace fields (without properties). */
export interface MetadefNamespaceFields {
  namespace: string;
  display_name: string;
  description: string;
  visibility: "public" | "private";
  protected: boolean;
}

export interface ResourceTypeAssociation {
  name: string;
  prefix?: string;
  properties_target?: string;
}

/** A namespace as Glance shows it. */
export interface MetadefNamespace extends MetadefNamespaceFields {
  resource_type_associations?: ResourceTypeAssociation[];
  properties?: Record<string, MetadefProperty>;
}

/** The full document, as `glance md-namespace-import` takes it. */
export interface MetadefDocument extends MetadefNamespaceFields {
  resource_type_associations: ResourceTypeAssociation[];
  properties: Record<string, MetadefProperty>;
}

const START_TIME_PATTERN = "^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$";
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** A policy's common properties; defaults and bounds come from the policy parser itself. */
function policyProperties(policy: PolicyType, label: string): Record<string, MetadefProperty> {
  const retentionDays = DEFAULT_RETENTION_DAYS[policy];
  const key = (field: string) => `x-snapsentry-${policy}-${field}`;
  const props: Record<string, MetadefProperty> = {
    [key("enabled")]: {
      title: `Enable ${label} Schedule`,
      description: `Take ${label.toLowerCase()} snapshots of this volume.`,
      type: "boolean",
      default: false,
    },
    [key("retention-days")]: {
      title: `${label} Retention (Days)`,
      description:
        `Days each ${label.toLowerCase()} snapshot is kept. Empty or 0 means ${retentionDays}.`,
      type: "integer",
      minimum: 1,
      maximum: MAX_RETENTION_DAYS,
      default: retentionDays,
    },
    [key("retention-count")]: {
      title: `${label} Retention (Count)`,
      description: `Keep at most the newest N ${label.toLowerCase()} snapshots (held ones do ` +
        "not count). With days as well, a snapshot goes when it is past its days or beyond the " +
        "count; with no days, by the count only. Empty means no count.",
      type: "integer",
      minimum: 1,
      maximum: MAX_RETENTION_COUNT,
    },
    [key("retention-type")]: {
      title: `${label} Retention Logic`,
      description:
        "Recorded for compatibility with SnapSentry-Go and never read: set Retention (Count) for count-based retention.",
      type: "string",
      enum: ["time", "count"],
      default: RETENTION_TYPE[policy],
    },
    [key("timezone")]: {
      title: `${label} Timezone`,
      description: "IANA time zone of the schedule, e.g. Europe/Berlin. Empty means UTC.",
      type: "string",
      default: "UTC",
    },
  };
  if (policy !== "express") {
    props[key("start-time")] = {
      title: `${label} Start Time`,
      description: "Local time the window opens, H:MM or HH:MM (24-hour clock).",
      type: "string",
      pattern: START_TIME_PATTERN,
      default: "00:00",
    };
  }
  return props;
}

/** The properties, in the order Horizon shows them. */
export const SNAPSENTRY_METADEF_PROPERTIES: Readonly<Record<string, MetadefProperty>> = Object
  .freeze({
    "x-snapsentry-managed": {
      title: "Enable SnapSentry",
      description:
        "If set to true, SnapSentry manages snapshots of this volume with the schedules enabled below.",
      type: "boolean",
      default: true,
    },
    ...policyProperties("daily", "Daily"),
    ...policyProperties("weekly", "Weekly"),
    "x-snapsentry-weekly-start-day-of-week": {
      title: "Weekly Day of Week",
      description: "Day the weekly window opens.",
      type: "string",
      enum: WEEKDAYS,
      default: "sunday",
    },
    ...policyProperties("monthly", "Monthly"),
    "x-snapsentry-monthly-start-day-of-month": {
      title: "Monthly Day of Month",
      description: "Day the monthly window opens; 29–31 fall on the last day of shorter months.",
      type: "integer",
      minimum: 1,
      maximum: 31,
      default: 1,
    },
    ...policyProperties("express", "Express"),
    "x-snapsentry-express-interval-hours": {
      title: "Express Interval (Hours)",
      description: "Hours between express snapshots, aligned to local midnight.",
      type: "string",
      enum: ["6", "8", "12"],
      default: "6",
    },
  });

/** Namespace fields snapsentry installs. */
export const SNAPSENTRY_METADEF_NAMESPACE: Readonly<MetadefNamespaceFields> = Object.freeze({
  namespace: METADEF_NAMESPACE,
  display_name: "SnapSentry - Snapshot Lifecycle Manager",
  description: "Configure automated snapshot lifecycles for this volume.",
  visibility: "public",
  protected: true,
});

/** Volume metadata (not the volume's image metadata) is what the form edits. */
export const SNAPSENTRY_RESOURCE_TYPE_ASSOCIATION: Readonly<ResourceTypeAssociation> = Object
  .freeze({ name: METADEF_RESOURCE_TYPE, properties_target: "metadata" });

/** The whole namespace document (what `deploy/glance/snapsentry-metadefs.json` holds). */
export function metadefDocument(): MetadefDocument {
  return structuredClone({
    ...SNAPSENTRY_METADEF_NAMESPACE,
    resource_type_associations: [SNAPSENTRY_RESOURCE_TYPE_ASSOCIATION],
    properties: SNAPSENTRY_METADEF_PROPERTIES,
  }) as MetadefDocument;
}

/** The Glance metadefs calls snapsentry makes. */
export interface GlanceMetadefsApi {
  /** The namespace, or undefined when Glance answers 404. */
  getNamespace(namespace: string): Promise<MetadefNamespace | undefined>;
  createNamespace(fields: MetadefNamespaceFields): Promise<void>;
  updateNamespace(namespace: string, fields: MetadefNamespaceFields): Promise<void>;
  associateResourceType(namespace: string, association: ResourceTypeAssociation): Promise<void>;
  listProperties(namespace: string): Promise<Record<string, MetadefProperty>>;
  createProperty(namespace: string, name: string, property: MetadefProperty): Promise<void>;
  updateProperty(namespace: string, name: string, property: MetadefProperty): Promise<void>;
  deleteProperty(namespace: string, name: string): Promise<void>;
  deleteNamespace(namespace: string): Promise<void>;
}

/** An authenticated request to the Glance endpoint; `path` starts with `/v2/metadefs/`. */
export type GlanceRequest = (method: string, path: string, body?: unknown) => Promise<Response>;

/** {@link GlanceMetadefsApi} over an authenticated request function. */
export function createGlanceMetadefsApi(request: GlanceRequest): GlanceMetadefsApi {
  const ns = (namespace: string) => `/v2/metadefs/namespaces/${encodeURIComponent(namespace)}`;
  const call = async (
    method: string,
    path: string,
    expected: number[],
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> => {
    const response = await request(method, path, body);
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!expected.includes(response.status)) {
      throw new OpenStackHttpError({
        method,
        url: path,
        status: response.status,
        expected,
        requestId: response.headers.get("x-openstack-request-id") ?? undefined,
        bodyExcerpt: text.slice(0, 300),
        serverMessage: glanceMessage(json, text),
      });
    }
    return { status: response.status, json };
  };
  return {
    async getNamespace(namespace) {
      const r = await call("GET", ns(namespace), [200, 404]);
      return r.status === 404 ? undefined : r.json as MetadefNamespace;
    },
    async createNamespace(fields) {
      await call("POST", "/v2/metadefs/namespaces", [201], fields);
    },
    async updateNamespace(namespace, fields) {
      await call("PUT", ns(namespace), [200], fields);
    },
    async associateResourceType(namespace, association) {
      await call("POST", `${ns(namespace)}/resource_types`, [201], association);
    },
    async listProperties(namespace) {
      const r = await call("GET", `${ns(namespace)}/properties`, [200]);
      return (r.json as { properties?: Record<string, MetadefProperty> })?.properties ?? {};
    },
    async createProperty(namespace, name, property) {
      await call("POST", `${ns(namespace)}/properties`, [201], { name, ...property });
    },
    async updateProperty(namespace, name, property) {
      await call("PUT", `${ns(namespace)}/properties/${encodeURIComponent(name)}`, [200], {
        name,
        ...property,
      });
    },
    async deleteProperty(namespace, name) {
      await call("DELETE", `${ns(namespace)}/properties/${encodeURIComponent(name)}`, [204]);
    },
    async deleteNamespace(namespace) {
      await call("DELETE", ns(namespace), [204]);
    },
  };
}

function glanceMessage(json: unknown, text: string): string | undefined {
  if (json && typeof json === "object") {
    const o = json as Record<string, unknown>;
    if (typeof o.message === "string") return o.message;
    const inner = Object.values(o)[0];
    if (
      inner && typeof inner === "object" &&
      typeof (inner as { message?: unknown }).message === "string"
    ) {
      return (inner as { message: string }).message;
    }
  }
  // Glance often answers with an HTML/plain body: "<h1>403 Forbidden</h1>…".
  const plain = text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
  return plain ? plain.slice(0, 200) : undefined;
}

const COMPARED_FIELDS = [
  "title",
  "description",
  "type",
  "default",
  "enum",
  "minimum",
  "maximum",
  "pattern",
] as const;

/** Whether an installed property equals the definition (only the fields snapsentry sets). */
export function samePropertyDefinition(
  installed: MetadefProperty,
  wanted: MetadefProperty,
): boolean {
  return COMPARED_FIELDS.every((f) =>
    JSON.stringify(installed[f] ?? null) === JSON.stringify(wanted[f] ?? null)
  );
}

export interface MetadefsInstallResult {
  namespace: "created" | "updated" | "unchanged";
  resourceTypeAssociated: boolean;
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
  /** Nothing was written. */
  changed: boolean;
}

/** Installs or brings the namespace up to date; a second run writes nothing. */
export async function installMetadefs(
  api: GlanceMetadefsApi,
  logger: Logger = nullLogger,
): Promise<MetadefsInstallResult> {
  const log = logger.with({ component: "metadefs", namespace: METADEF_NAMESPACE });
  const fields = { ...SNAPSENTRY_METADEF_NAMESPACE };
  const result: MetadefsInstallResult = {
    namespace: "unchanged",
    resourceTypeAssociated: false,
    created: [],
    updated: [],
    deleted: [],
    unchanged: [],
    changed: false,
  };
  const existing = await api.getNamespace(METADEF_NAMESPACE);
  if (!existing) {
    await api.createNamespace(fields);
    result.namespace = "created";
  } else if (
    existing.display_name !== fields.display_name ||
    existing.description !== fields.description ||
    existing.visibility !== fields.visibility ||
    existing.protected !== fields.protected
  ) {
    await api.updateNamespace(METADEF_NAMESPACE, fields);
    result.namespace = "updated";
  }
  const associated = (existing?.resource_type_associations ?? [])
    .some((a) => a.name === METADEF_RESOURCE_TYPE);
  if (!associated) {
    await api.associateResourceType(METADEF_NAMESPACE, { ...SNAPSENTRY_RESOURCE_TYPE_ASSOCIATION });
    result.resourceTypeAssociated = true;
  }
  const installed = existing ? await api.listProperties(METADEF_NAMESPACE) : {};
  for (const [name, wanted] of Object.entries(SNAPSENTRY_METADEF_PROPERTIES)) {
    const have = installed[name];
    if (!have) {
      await api.createProperty(METADEF_NAMESPACE, name, wanted);
      result.created.push(name);
    } else if (!samePropertyDefinition(have, wanted)) {
      await api.updateProperty(METADEF_NAMESPACE, name, wanted);
      result.updated.push(name);
    } else {
      result.unchanged.push(name);
    }
  }
  for (const name of Object.keys(installed)) {
    if (!(name in SNAPSENTRY_METADEF_PROPERTIES)) {
      await api.deleteProperty(METADEF_NAMESPACE, name);
      result.deleted.push(name);
    }
  }
  result.changed = result.namespace !== "unchanged" || result.resourceTypeAssociated ||
    result.created.length + result.updated.length + result.deleted.length > 0;
  log.info("metadefs_installed", {
    namespace_action: result.namespace,
    created: result.created.length,
    updated: result.updated.length,
    deleted: result.deleted.length,
    unchanged: result.unchanged.length,
  });
  return result;
}

/** The installed namespace with its properties, or undefined when it is not installed. */
export async function showMetadefs(api: GlanceMetadefsApi): Promise<MetadefNamespace | undefined> {
  const existing = await api.getNamespace(METADEF_NAMESPACE);
  if (!existing) return undefined;
  return { ...existing, properties: await api.listProperties(METADEF_NAMESPACE) };
}

/**
 * Removes the namespace. It is installed `protected` (as the Go script did), and Glance refuses to
 * delete a protected namespace, so protection is lifted first.
 */
export async function uninstallMetadefs(
  api: GlanceMetadefsApi,
  logger: Logger = nullLogger,
): Promise<{ deleted: boolean }> {
  const existing = await api.getNamespace(METADEF_NAMESPACE);
  if (!existing) return { deleted: false };
  if (existing.protected) {
    await api.updateNamespace(METADEF_NAMESPACE, {
      namespace: METADEF_NAMESPACE,
      display_name: existing.display_name,
      description: existing.description,
      visibility: existing.visibility,
      protected: false,
    });
  }
  await api.deleteNamespace(METADEF_NAMESPACE);
  logger.info("metadefs_uninstalled", { component: "metadefs", namespace: METADEF_NAMESPACE });
  return { deleted: true };
}
