/**
 * OpenStack wire formats (field names exactly as the Cinder v3 and Keystone v3 API references
 * spell them) and the one place where they become the camelCase domain types of `types.ts`.
 *
 * Fields added by a microversion are optional here and name the version that added them. Each
 * answer a client reads has a schema check below (built from `wire_check.ts`), applied before it
 * is mapped.
 */
import type {
  ApplicationCredential,
  Attachment,
  Project,
  QuotaSet,
  QuotaUsage,
  Role,
  Snapshot,
  User,
  Volume,
} from "./types.ts";
import { type Check, list, num, opt, scalarMap, shape, str, timeWith } from "./wire_check.ts";

export interface WireLink {
  href: string;
  rel: string;
}

export interface WireAttachment {
  id?: string;
  attachment_id?: string;
  server_id?: string | null;
  host_name?: string | null;
  device?: string | null;
  attached_at?: string | null;
  volume_id?: string;
}

export interface WireVolume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  metadata?: Record<string, string> | null;
  attachments?: WireAttachment[] | null;
  /** Cinder sends the string "true"/"false". */
  bootable?: string | boolean | null;
  multiattach?: boolean | null;
  volume_type?: string | null;
  availability_zone?: string | null;
  created_at: string;
  updated_at?: string | null;
  "os-vol-tenant-attr:tenant_id"?: string;
}

export interface WireSnapshot {
  id: string;
  name: string | null;
  description?: string | null;
  volume_id: string;
  status: string;
  size: number;
  metadata?: Record<string, string> | null;
  created_at: string;
  updated_at?: string | null;
  "os-extended-snapshot-attributes:progress"?: string | null;
  "os-extended-snapshot-attributes:project_id"?: string | null;
  /** Added in 3.41. */
  user_id?: string;
  /** Added in 3.65. */
  consumes_quota?: boolean;
}

export interface WireQuotaUsage {
  limit: number;
  in_use: number;
  reserved?: number;
  allocated?: number;
}

export interface WireQuotaSet {
  id?: string;
  [key: string]: WireQuotaUsage | string | number | undefined;
}

/** A Cinder or Keystone version entry (`GET /v3/` on Cinder). */
export interface WireVersion {
  id: string;
  status?: string;
  /** Highest microversion; "" when the API has no microversions. */
  version?: string;
  /** Lowest microversion; "" when the API has no microversions. */
  min_version?: string;
  links?: WireLink[];
}

export interface WireCatalogEndpoint {
  id?: string;
  url: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
}

export interface WireCatalogService {
  id?: string;
  type: string;
  name?: string;
  endpoints: WireCatalogEndpoint[];
}

export interface WireToken {
  methods?: string[];
  expires_at: string;
  issued_at?: string;
  user?: { id: string; name?: string; domain?: { id?: string; name?: string } };
  project?: { id: string; name?: string; domain?: { id?: string; name?: string } };
  domain?: { id: string; name?: string };
  roles?: { id: string; name: string }[];
  catalog?: WireCatalogService[];
  application_credential?: { id: string; name?: string; restricted?: boolean };
}

export interface WireProject {
  id: string;
  name: string;
  domain_id?: string;
  description?: string | null;
  enabled?: boolean;
  tags?: string[];
  parent_id?: string | null;
  is_domain?: boolean;
}

export interface WireUser {
  id: string;
  name: string;
  domain_id?: string;
  enabled?: boolean;
  default_project_id?: string | null;
  description?: string | null;
  password_expires_at?: string | null;
}

export interface WireRole {
  id: string;
  name: string;
  domain_id?: string | null;
}

export interface WireAccessRule {
  id?: string;
  path: string;
  method: string;
  service: string;
}

export interface WireApplicationCredential {
  id: string;
  name: string;
  description?: string | null;
  project_id?: string;
  user_id?: string;
  expires_at?: string | null;
  unrestricted?: boolean;
  roles?: WireRole[];
  access_rules?: WireAccessRule[];
  /** Only in the create response. */
  secret?: string;
}

const ZONE_RE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses an OpenStack timestamp. Cinder (and Keystone's application credential `expires_at`)
 * send ISO 8601 with no zone designator, which means UTC (gophercloud's `JSONRFC3339MilliNoZ`).
 */
export function parseOpenStackTime(value: string): Temporal.Instant {
  const text = value.trim().replace(" ", "T");
  return Temporal.Instant.from(ZONE_RE.test(text) ? text : `${text}Z`);
}

function optionalTime(value: string | null | undefined): Temporal.Instant | null {
  return value ? parseOpenStackTime(value) : null;
}

function stringMap(value: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value ?? {})) out[k] = String(v);
  return out;
}

function toBool(value: string | boolean | null | undefined): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

export function toAttachment(w: WireAttachment): Attachment {
  return {
    attachmentId: w.attachment_id ?? w.id ?? "",
    serverId: w.server_id ?? null,
    hostName: w.host_name ?? null,
    device: w.device ?? null,
    attachedAt: optionalTime(w.attached_at),
  };
}

export function toVolume(w: WireVolume): Volume {
  return {
    id: w.id,
    name: w.name ?? "",
    status: w.status,
    size: w.size,
    metadata: stringMap(w.metadata),
    attachments: (w.attachments ?? []).map(toAttachment),
    multiattach: w.multiattach === true,
    bootable: toBool(w.bootable),
    volumeType: w.volume_type ?? null,
    availabilityZone: w.availability_zone ?? null,
    createdAt: parseOpenStackTime(w.created_at),
    projectId: w["os-vol-tenant-attr:tenant_id"] ?? null,
  };
}

export function toSnapshot(w: WireSnapshot): Snapshot {
  return {
    id: w.id,
    name: w.name ?? "",
    description: w.description ?? null,
    volumeId: w.volume_id,
    status: w.status,
    size: w.size,
    metadata: stringMap(w.metadata),
    createdAt: parseOpenStackTime(w.created_at),
    updatedAt: optionalTime(w.updated_at),
    progress: w["os-extended-snapshot-attributes:progress"] ?? null,
    projectId: w["os-extended-snapshot-attributes:project_id"] ?? null,
  };
}

function isUsage(v: unknown): v is WireQuotaUsage {
  return typeof v === "object" && v !== null && "limit" in v && "in_use" in v;
}

const NO_USAGE: QuotaUsage = { limit: -1, inUse: 0, reserved: 0, allocated: 0 };

/** Maps `GET /os-quota-sets/{project}?usage=true`. */
export function toQuotaSet(w: WireQuotaSet, projectId: string): QuotaSet {
  const all: Record<string, QuotaUsage> = {};
  for (const [k, v] of Object.entries(w)) {
    if (isUsage(v)) {
      all[k] = {
        limit: v.limit,
        inUse: v.in_use,
        reserved: v.reserved ?? 0,
        allocated: v.allocated ?? 0,
      };
    } else if (typeof v === "number" && k !== "id") {
      // Without ?usage=true Cinder sends bare limits.
      all[k] = { ...NO_USAGE, limit: v };
    }
  }
  return {
    projectId: typeof w.id === "string" ? w.id : projectId,
    snapshots: all.snapshots ?? NO_USAGE,
    gigabytes: all.gigabytes ?? NO_USAGE,
    volumes: all.volumes ?? NO_USAGE,
    all,
  };
}

export function toProject(w: WireProject): Project {
  return {
    id: w.id,
    name: w.name,
    domainId: w.domain_id ?? null,
    enabled: w.enabled !== false,
    tags: w.tags ?? [],
    description: w.description ?? null,
    parentId: w.parent_id ?? null,
  };
}

export function toUser(w: WireUser): User {
  return {
    id: w.id,
    name: w.name,
    domainId: w.domain_id ?? null,
    enabled: w.enabled !== false,
    defaultProjectId: w.default_project_id ?? null,
    description: w.description ?? null,
  };
}

export function toRole(w: WireRole): Role {
  return { id: w.id, name: w.name, domainId: w.domain_id ?? null };
}

export function toApplicationCredential(w: WireApplicationCredential): ApplicationCredential {
  const out: ApplicationCredential = {
    id: w.id,
    name: w.name,
    description: w.description ?? null,
    projectId: w.project_id ?? null,
    userId: w.user_id ?? null,
    expiresAt: w.expires_at ? parseOpenStackTime(w.expires_at) : null,
    unrestricted: w.unrestricted === true,
    roles: (w.roles ?? []).map(toRole),
    accessRules: (w.access_rules ?? []).map((r) => ({
      ...(r.id ? { id: r.id } : {}),
      service: r.service,
      method: r.method,
      path: r.path,
    })),
  };
  if (w.secret) out.secret = w.secret;
  return out;
}

// ---- Schema checks: one per answer the clients read (see wire_check.ts) ------------------------

const time = timeWith(parseOpenStackTime);

const checkLink = shape<WireLink>({ href: opt(str), rel: opt(str) });

/** A list page: the collection, Cinder's `<collection>_links` and Keystone's `links`. */
export function pageOf<T>(collection: string, item: Check<T>): Check<Record<string, unknown>> {
  return shape<Record<string, unknown>>({
    [collection]: list(item),
    [`${collection}_links`]: opt(list(checkLink)),
    links: opt(shape<{ next?: string | null }>({ next: opt(str) })),
  });
}

export const checkAttachment: Check<WireAttachment> = shape<WireAttachment>({
  id: opt(str),
  attachment_id: opt(str),
  server_id: opt(str),
  host_name: opt(str),
  device: opt(str),
  attached_at: opt(time),
});

export const checkVolume: Check<WireVolume> = shape<WireVolume>({
  id: str,
  name: opt(str),
  status: str,
  size: num,
  metadata: opt(scalarMap),
  attachments: opt(list(checkAttachment)),
  volume_type: opt(str),
  availability_zone: opt(str),
  created_at: time,
  "os-vol-tenant-attr:tenant_id": opt(str),
});

export const checkSnapshot: Check<WireSnapshot> = shape<WireSnapshot>({
  id: str,
  name: opt(str),
  description: opt(str),
  volume_id: str,
  status: str,
  size: num,
  metadata: opt(scalarMap),
  created_at: time,
  updated_at: opt(time),
  "os-extended-snapshot-attributes:progress": opt(str),
  "os-extended-snapshot-attributes:project_id": opt(str),
});

const checkUsage = shape<WireQuotaUsage>({
  limit: num,
  in_use: num,
  reserved: opt(num),
  allocated: opt(num),
});

/** `quota_set`: bare limits (numbers) or, with `?usage=true`, `{limit, in_use, …}` per key. */
export const checkQuotaSet: Check<WireQuotaSet> = (v, path) => {
  const record = shape<WireQuotaSet>({ id: opt(str) })(v, path);
  for (const [k, x] of Object.entries(record)) {
    if (x !== null && typeof x === "object") checkUsage(x, `${path}.${k}`);
  }
  return record;
};

/** `{"metadata": {…}}` of a metadata merge. */
export const checkMetadataBody = shape<{ metadata?: Record<string, string> }>({
  metadata: opt(scalarMap),
});

const checkRef = shape<{ id: string; name?: string }>({ id: str, name: opt(str) });

export const checkCatalogService: Check<WireCatalogService> = shape<WireCatalogService>({
  type: str,
  endpoints: opt(list(shape<WireCatalogEndpoint>({
    url: str,
    interface: str,
    region: opt(str),
    region_id: opt(str),
  }))),
});

export const checkToken: Check<WireToken> = shape<WireToken>({
  expires_at: time,
  methods: opt(list(str)),
  user: opt(checkRef),
  project: opt(shape<NonNullable<WireToken["project"]>>({
    id: str,
    name: opt(str),
    domain: opt(shape<{ id?: string; name?: string }>({ id: opt(str), name: opt(str) })),
  })),
  domain: opt(checkRef),
  roles: opt(list(shape<{ id: string; name: string }>({ name: str }))),
  catalog: opt(list(checkCatalogService)),
});

export const checkProject: Check<WireProject> = shape<WireProject>({
  id: str,
  name: str,
  domain_id: opt(str),
  description: opt(str),
  tags: opt(list(str)),
  parent_id: opt(str),
});

export const checkUser: Check<WireUser> = shape<WireUser>({
  id: str,
  name: str,
  domain_id: opt(str),
  default_project_id: opt(str),
  description: opt(str),
});

export const checkRole: Check<WireRole> = shape<WireRole>({
  id: str,
  name: str,
  domain_id: opt(str),
});

export const checkApplicationCredential: Check<WireApplicationCredential> = shape<
  WireApplicationCredential
>({
  id: str,
  name: str,
  description: opt(str),
  project_id: opt(str),
  user_id: opt(str),
  expires_at: opt(time),
  roles: opt(list(checkRole)),
  access_rules: opt(list(shape<WireAccessRule>({
    id: opt(str),
    path: str,
    method: str,
    service: str,
  }))),
  secret: opt(str),
});

const checkVersion = shape<WireVersion>({
  id: str,
  status: opt(str),
  version: opt(str),
  min_version: opt(str),
});

/** A version document: `{"version": {…}}`, `{"versions": […]}` or `{"versions": {"values": […]}}`. */
export const checkVersionDocument: Check<unknown> = (v, path) => {
  const doc = shape<Record<string, unknown>>({ version: opt(checkVersion) })(v, path);
  const versions = doc.versions;
  if (versions === undefined || versions === null) return doc;
  if (Array.isArray(versions)) list(checkVersion)(versions, "versions");
  else shape<{ values: WireVersion[] }>({ values: list(checkVersion) })(versions, "versions");
  return doc;
};
