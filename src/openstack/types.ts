/**
 * Domain types of the OpenStack adapter: camelCase, with times as `Temporal.Instant`. Wire JSON is
 * mapped to these in exactly one place (the Cinder/Keystone client modules). Cinder's `created_at`
 * has no zone designator and is UTC.
 */

export interface Attachment {
  attachmentId: string;
  serverId: string | null;
  hostName: string | null;
  device: string | null;
  attachedAt: Temporal.Instant | null;
}

export interface Volume {
  id: string;
  name: string;
  status: string;
  /** GiB. */
  size: number;
  metadata: Record<string, string>;
  attachments: Attachment[];
  multiattach: boolean;
  bootable: boolean;
  volumeType: string | null;
  availabilityZone: string | null;
  createdAt: Temporal.Instant;
  projectId: string | null;
}

export interface Snapshot {
  id: string;
  name: string;
  description: string | null;
  volumeId: string;
  status: string;
  /** GiB. */
  size: number;
  metadata: Record<string, string>;
  createdAt: Temporal.Instant;
  updatedAt: Temporal.Instant | null;
  progress: string | null;
  projectId: string | null;
  /** Set on a snapshot returned by create: the `x-openstack-request-id` of that request. */
  requestId?: string;
}

/** What a mutating call returns: the request id Cinder gave it (for logs and reports). */
export interface MutationResult {
  requestId?: string;
  /** A delete answered 404: the resource was already gone (someone else deleted it). */
  alreadyGone?: boolean;
}

export interface QuotaUsage {
  /** -1 means unlimited. */
  limit: number;
  inUse: number;
  reserved: number;
  allocated: number;
}

export interface QuotaSet {
  projectId: string;
  snapshots: QuotaUsage;
  gigabytes: QuotaUsage;
  volumes: QuotaUsage;
  /** Every quota key returned, per-volume-type ones included. */
  all: Record<string, QuotaUsage>;
}

export interface ListVolumesOptions {
  /** Server-side metadata filter (exact match on every pair). */
  metadata?: Record<string, string>;
  status?: string;
  /** Page size (capped at the server's maximum, 1000 by default). */
  limit?: number;
}

export interface ListSnapshotsOptions {
  /** Server-side from microversion 3.22; filtered client-side below it. */
  metadata?: Record<string, string>;
  status?: string;
  volumeId?: string;
  limit?: number;
}

export interface CreateSnapshotOptions {
  volumeId: string;
  name: string;
  description?: string;
  metadata: Record<string, string>;
  /** Sent only below microversion 3.66, where in-use volumes need it. */
  force?: boolean;
  /** A refused create (429) is retried only while its wait ends before this (a run's deadline). */
  deadline?: Temporal.Instant;
}

/** A new volume (`restore`: from a snapshot). */
export interface CreateVolumeOptions {
  name: string;
  /** Create from this snapshot; without `size` the volume gets the snapshot's size. */
  snapshotId?: string;
  /** GiB; required without `snapshotId`. */
  size?: number;
  description?: string;
  metadata?: Record<string, string>;
  /** A volume type name (Cinder answers 404 for an unknown one). */
  volumeType?: string;
  /** An availability zone (Cinder answers 400 for an unknown one). */
  availabilityZone?: string;
}

/** The Cinder v3 calls snapsentry makes. Implemented by `CinderClient`. */
export interface BlockStorageApi {
  /** Negotiated microversion, e.g. "3.70". */
  readonly microversion: string;
  readonly projectId: string;
  listVolumes(options?: ListVolumesOptions): Promise<Volume[]>;
  getVolume(id: string): Promise<Volume>;
  /** POST …/metadata: merges keys, keeps the others. Returns the resulting map. */
  mergeVolumeMetadata(
    id: string,
    metadata: Record<string, string>,
  ): Promise<Record<string, string>>;
  /** DELETE …/metadata/{key}; a missing key is not an error. */
  deleteVolumeMetadataKey(id: string, key: string): Promise<void>;
  /**
   * POST /volumes (202). Never retried blindly: after a 5xx, a timeout or a dropped connection it
   * throws, and the caller looks for the volume before trying again.
   */
  createVolume(options: CreateVolumeOptions): Promise<Volume>;
  /**
   * POST /volumes/{id}/action `revert` (202): reverts the volume to its latest snapshot. Needs
   * microversion 3.40; Cinder answers 400 when the snapshot is not the latest and 409 when the
   * volume is not available.
   */
  revertToSnapshot(volumeId: string, snapshotId: string): Promise<MutationResult>;
  listSnapshots(options?: ListSnapshotsOptions): Promise<Snapshot[]>;
  /** POST /snapshots. Never retried blindly: on timeout, 5xx or a dropped connection it throws. */
  createSnapshot(options: CreateSnapshotOptions): Promise<Snapshot>;
  getSnapshot(id: string): Promise<Snapshot>;
  /** DELETE; resolves when Cinder accepted it (202) or the snapshot is already gone (404). */
  deleteSnapshot(id: string): Promise<MutationResult>;
  /** os-force_delete (admin by default policy). */
  forceDeleteSnapshot(id: string): Promise<MutationResult>;
  /** os-reset_status (admin by default policy). */
  resetSnapshotStatus(id: string, status: string): Promise<MutationResult>;
  updateSnapshotMetadata(
    id: string,
    metadata: Record<string, string>,
  ): Promise<Record<string, string>>;
  /** DELETE /snapshots/{id}/metadata/{key}; a missing key is not an error. */
  deleteSnapshotMetadataKey(id: string, key: string): Promise<void>;
  getQuotaSet(): Promise<QuotaSet>;
}

/** Counts of API requests, by method and kind (e.g. "GET volumes/detail") and by status. */
export interface RequestStatsSnapshot {
  total: number;
  byKind: Record<string, number>;
  /** Key: "METHOD STATUS", e.g. "GET 200"; status "error" for transport failures. */
  byMethodStatus: Record<string, number>;
}

// ---- Identity (Keystone v3) types used by the admin orchestrator. Added by the client module. ----

export interface Project {
  id: string;
  name: string;
  domainId: string | null;
  enabled: boolean;
  tags: string[];
  description: string | null;
  parentId: string | null;
}

export interface User {
  id: string;
  name: string;
  domainId: string | null;
  enabled: boolean;
  defaultProjectId: string | null;
  description: string | null;
}

export interface Role {
  id: string;
  name: string;
  domainId: string | null;
}

export interface AccessRule {
  /** Set by Keystone once stored. */
  id?: string;
  /** Service type, e.g. "block-storage" or "volumev3". */
  service: string;
  method: string;
  /** Path template, e.g. "/v3/{project_id}/snapshots" (Keystone allows * and ** wildcards). */
  path: string;
}

export interface ApplicationCredential {
  id: string;
  name: string;
  description: string | null;
  projectId: string | null;
  userId: string | null;
  expiresAt: Temporal.Instant | null;
  unrestricted: boolean;
  roles: Role[];
  accessRules: AccessRule[];
  /** Only on the value returned by create; registered as a secret at once. */
  secret?: string;
}

export interface CreateApplicationCredentialOptions {
  name: string;
  description?: string;
  /** Roles by id or by name; default (omitted): all roles of the user on the project. */
  roles?: ({ id: string } | { name: string })[];
  expiresAt?: Temporal.Instant;
  unrestricted?: boolean;
  accessRules?: AccessRule[];
  /** Let Keystone generate it when omitted. */
  secret?: string;
}

export interface CreateUserOptions {
  name: string;
  password: string;
  domainId?: string;
  defaultProjectId?: string;
  description?: string;
  enabled?: boolean;
}

export interface ListProjectsOptions {
  /** Projects having all these tags (`tags=a,b`). */
  tags?: string[];
  /** Projects having any of these tags (`tags-any=a,b`). */
  tagsAny?: string[];
  domainId?: string;
  name?: string;
  enabled?: boolean;
}

/** The Keystone v3 calls the admin orchestrator makes. Implemented by `IdentityClient`. */
export interface IdentityApi {
  listProjects(options?: ListProjectsOptions): Promise<Project[]>;
  getProject(id: string): Promise<Project>;
  getUser(id: string): Promise<User>;
  /** Users with this exact name (in a domain, when given). */
  findUsers(name: string, domainId?: string): Promise<User[]>;
  createUser(options: CreateUserOptions): Promise<User>;
  /** Admin password reset (PATCH /v3/users/{id}). */
  setUserPassword(userId: string, password: string): Promise<void>;
  /** Roles with this exact name. */
  listRoles(name?: string): Promise<Role[]>;
  /** PUT /v3/projects/{p}/users/{u}/roles/{r}; idempotent. */
  assignProjectRole(projectId: string, userId: string, roleId: string): Promise<void>;
  listApplicationCredentials(userId: string, name?: string): Promise<ApplicationCredential[]>;
  createApplicationCredential(
    userId: string,
    options: CreateApplicationCredentialOptions,
  ): Promise<ApplicationCredential>;
  /** DELETE; an already deleted credential is not an error. */
  deleteApplicationCredential(userId: string, id: string): Promise<void>;
}
