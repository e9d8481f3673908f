/**
 * The emulated cloud's state: Keystone identities, Cinder volumes and snapshots, quotas and Glance
 * metadefs. Snapshot transitions (`creating` → `available`/`error`, `deleting` → gone) are lazy:
 * each record carries the instant its pending transition is due, and `settle()` applies every due
 * transition when the cloud is read. Nothing runs on a timer.
 */

import type { Clock } from "../clock.ts";

export interface DomainRec {
  id: string;
  name: string;
}

export interface ProjectRec {
  id: string;
  name: string;
  domainId: string;
  description: string;
  enabled: boolean;
  tags: string[];
}

export interface UserRec {
  id: string;
  name: string;
  domainId: string;
  password: string;
  enabled: boolean;
  defaultProjectId: string | null;
  email: string | null;
}

export interface RoleRec {
  id: string;
  name: string;
}

export interface AccessRule {
  id: string;
  path: string;
  method: string;
  service: string;
}

export interface AppCredRec {
  id: string;
  name: string;
  userId: string;
  projectId: string;
  secret: string;
  description: string | null;
  roleIds: string[];
  /** Epoch ms, or null for never. */
  expiresAt: number | null;
  unrestricted: boolean;
  accessRules: AccessRule[];
}

export interface TokenRec {
  id: string;
  userId: string;
  projectId: string | null;
  roleIds: string[];
  methods: string[];
  issuedAt: number;
  expiresAt: number;
  appCredId: string | null;
  auditId: string;
}

export interface AttachmentRec {
  attachmentId: string;
  serverId: string;
  hostName: string | null;
  device: string | null;
  /** Null for an attachment completed without a connector (attachments API, as real Cinder). */
  attachedAt: number | null;
  /**
   * Attachments API state: "reserved" until `os-complete`, then "attached" (absent = attached).
   * Reserved attachments are not listed in the volume's `attachments`.
   */
  status?: "reserved" | "attached";
}

export interface VolumeRec {
  id: string;
  projectId: string;
  userId: string;
  name: string;
  description: string | null;
  status: string;
  size: number;
  metadata: Record<string, string>;
  attachments: AttachmentRec[];
  multiattach: boolean;
  bootable: boolean;
  volumeType: string;
  availabilityZone: string;
  createdAt: number;
  updatedAt: number | null;
  /** Pending transition (e.g. `creating` → `available`; status "deleted": gone at `at`). */
  pending: { status: string; at: number } | null;
  /** The snapshot the volume was created from, if any (`snapshot_id`). */
  snapshotId?: string | null;
}

/** A volume transfer offered and not yet accepted (`/volume-transfers`, 3.55+). */
export interface TransferRec {
  id: string;
  volumeId: string;
  /** The project the volume is transferred from. */
  projectId: string;
  name: string | null;
  authKey: string;
  /** 3.55 `no_snapshots`: the snapshots stay in the giving project. */
  noSnapshots: boolean;
  createdAt: number;
}

export interface SnapshotRec {
  id: string;
  projectId: string;
  userId: string;
  volumeId: string;
  name: string;
  description: string | null;
  status: string;
  size: number;
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number | null;
  /** Pending transition; status "deleted" means the snapshot disappears at `at`. */
  pending: { status: string; at: number } | null;
  /** Set once the snapshot is gone (kept in `deletedSnapshots` for assertions). */
  deletedAt: number | null;
}

export interface QuotaLimits {
  volumes: number;
  snapshots: number;
  gigabytes: number;
  backups: number;
  backup_gigabytes: number;
  groups: number;
  per_volume_gigabytes: number;
}

export interface MetadefProperty {
  name: string;
  [key: string]: unknown;
}

export interface MetadefResourceType {
  name: string;
  prefix?: string;
  properties_target?: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefNamespace {
  namespace: string;
  display_name?: string;
  description?: string;
  visibility: string;
  protected: boolean;
  owner: string;
  created_at: string;
  updated_at: string;
  resourceTypes: Map<string, MetadefResourceType>;
  properties: Map<string, MetadefProperty>;
}

/** Default sort of Cinder lists: newest first, ties by id descending. */
function defaultOrder(a: { createdAt: number; id: string }, b: { createdAt: number; id: string }) {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Records of one project, with a cached default-sorted array rebuilt only after a change. */
class ProjectIndex<T extends { id: string; createdAt: number }> {
  readonly byId = new Map<string, T>();
  #sorted: T[] | null = null;

  add(rec: T): void {
    this.byId.set(rec.id, rec);
    this.#sorted = null;
  }

  remove(id: string): void {
    if (this.byId.delete(id)) this.#sorted = null;
  }

  /** Records in Cinder's default order (created_at desc, id desc). Do not mutate. */
  sorted(): T[] {
    if (!this.#sorted) this.#sorted = [...this.byId.values()].sort(defaultOrder);
    return this.#sorted;
  }
}

export const UNLIMITED_QUOTAS: QuotaLimits = {
  volumes: -1,
  snapshots: -1,
  gigabytes: -1,
  backups: -1,
  backup_gigabytes: -1,
  groups: -1,
  per_volume_gigabytes: -1,
};

export class CloudState {
  readonly clock: Clock;
  readonly domains = new Map<string, DomainRec>();
  readonly projects = new Map<string, ProjectRec>();
  readonly users = new Map<string, UserRec>();
  readonly roles = new Map<string, RoleRec>();
  /** projectId → userId → roleIds */
  readonly assignments = new Map<string, Map<string, Set<string>>>();
  readonly appCreds = new Map<string, AppCredRec>();
  readonly tokens = new Map<string, TokenRec>();
  readonly volumes = new Map<string, VolumeRec>();
  readonly snapshots = new Map<string, SnapshotRec>();
  readonly deletedSnapshots: SnapshotRec[] = [];
  readonly quotas = new Map<string, QuotaLimits>();
  readonly transfers = new Map<string, TransferRec>();
  readonly namespaces = new Map<string, MetadefNamespace>();
  defaultQuotas: QuotaLimits;

  readonly #volumesByProject = new Map<string, ProjectIndex<VolumeRec>>();
  readonly #snapshotsByProject = new Map<string, ProjectIndex<SnapshotRec>>();
  readonly #snapshotsByVolume = new Map<string, Set<SnapshotRec>>();
  readonly #pendingVolumes = new Set<VolumeRec>();
  readonly #pendingSnapshots = new Set<SnapshotRec>();

  constructor(clock: Clock, defaultQuotas: QuotaLimits = UNLIMITED_QUOTAS) {
    this.clock = clock;
    this.defaultQuotas = { ...defaultQuotas };
  }

  nowMs(): number {
    return this.clock.now().epochMilliseconds;
  }

  // ---- identity -------------------------------------------------------------------------

  rolesOf(userId: string, projectId: string): string[] {
    return [...(this.assignments.get(projectId)?.get(userId) ?? [])];
  }

  grant(projectId: string, userId: string, roleId: string): void {
    let byUser = this.assignments.get(projectId);
    if (!byUser) this.assignments.set(projectId, byUser = new Map());
    let roles = byUser.get(userId);
    if (!roles) byUser.set(userId, roles = new Set());
    roles.add(roleId);
  }

  roleByName(name: string): RoleRec | undefined {
    for (const r of this.roles.values()) if (r.name.toLowerCase() === name.toLowerCase()) return r;
    return undefined;
  }

  findDomain(ref: { id?: string; name?: string } | undefined): DomainRec | undefined {
    if (!ref) return undefined;
    if (ref.id !== undefined) return this.domains.get(ref.id);
    for (const d of this.domains.values()) if (d.name === ref.name) return d;
    return undefined;
  }

  // ---- volumes ----------------------------------------------------------------------------

  #volIndex(projectId: string): ProjectIndex<VolumeRec> {
    let idx = this.#volumesByProject.get(projectId);
    if (!idx) this.#volumesByProject.set(projectId, idx = new ProjectIndex());
    return idx;
  }

  #snapIndex(projectId: string): ProjectIndex<SnapshotRec> {
    let idx = this.#snapshotsByProject.get(projectId);
    if (!idx) this.#snapshotsByProject.set(projectId, idx = new ProjectIndex());
    return idx;
  }

  putVolume(v: VolumeRec): void {
    this.volumes.set(v.id, v);
    this.#volIndex(v.projectId).add(v);
    if (v.pending) this.#pendingVolumes.add(v);
  }

  removeVolume(id: string): void {
    const v = this.volumes.get(id);
    if (!v) return;
    this.volumes.delete(id);
    this.#volIndex(v.projectId).remove(id);
    this.#pendingVolumes.delete(v);
  }

  /** Gives a volume to another project (a transfer); its snapshots move only with `snapshots`. */
  moveVolume(v: VolumeRec, projectId: string, snapshots: boolean): void {
    this.#volIndex(v.projectId).remove(v.id);
    v.projectId = projectId;
    this.#volIndex(projectId).add(v);
    if (!snapshots) return;
    for (const s of this.snapshotsOfVolume(v.id)) {
      this.#snapIndex(s.projectId).remove(s.id);
      s.projectId = projectId;
      this.#snapIndex(projectId).add(s);
    }
  }

  setVolumePending(v: VolumeRec, pending: VolumeRec["pending"]): void {
    v.pending = pending;
    if (pending) this.#pendingVolumes.add(v);
    else this.#pendingVolumes.delete(v);
  }

  /** Volumes of a project in default order; `undefined` project means every project. */
  volumesSorted(projectId?: string): VolumeRec[] {
    if (projectId !== undefined) return this.#volumesByProject.get(projectId)?.sorted() ?? [];
    return [...this.volumes.values()].sort(defaultOrder);
  }

  // ---- snapshots --------------------------------------------------------------------------

  putSnapshot(s: SnapshotRec): void {
    this.snapshots.set(s.id, s);
    this.#snapIndex(s.projectId).add(s);
    let byVol = this.#snapshotsByVolume.get(s.volumeId);
    if (!byVol) this.#snapshotsByVolume.set(s.volumeId, byVol = new Set());
    byVol.add(s);
    if (s.pending) this.#pendingSnapshots.add(s);
  }

  setSnapshotPending(s: SnapshotRec, pending: SnapshotRec["pending"]): void {
    s.pending = pending;
    if (pending) this.#pendingSnapshots.add(s);
    else this.#pendingSnapshots.delete(s);
  }

  /** Removes a snapshot for good (it moves to `deletedSnapshots`). */
  dropSnapshot(s: SnapshotRec, at: number): void {
    if (!this.snapshots.delete(s.id)) return;
    this.#snapIndex(s.projectId).remove(s.id);
    this.#snapshotsByVolume.get(s.volumeId)?.delete(s);
    this.#pendingSnapshots.delete(s);
    s.pending = null;
    s.status = "deleted";
    s.deletedAt = at;
    this.deletedSnapshots.push(s);
  }

  snapshotsSorted(projectId?: string): SnapshotRec[] {
    if (projectId !== undefined) return this.#snapshotsByProject.get(projectId)?.sorted() ?? [];
    return [...this.snapshots.values()].sort(defaultOrder);
  }

  snapshotsOfVolume(volumeId: string): SnapshotRec[] {
    return [...(this.#snapshotsByVolume.get(volumeId) ?? [])];
  }

  /** Applies every transition that is due at the clock's current time. */
  settle(): void {
    const now = this.nowMs();
    for (const v of this.#pendingVolumes) {
      if (v.pending && v.pending.at <= now) {
        if (v.pending.status === "deleted") {
          this.removeVolume(v.id);
          continue;
        }
        v.status = v.pending.status;
        v.updatedAt = v.pending.at;
        v.pending = null;
        this.#pendingVolumes.delete(v);
      }
    }
    for (const s of this.#pendingSnapshots) {
      if (s.pending && s.pending.at <= now) {
        if (s.pending.status === "deleted") {
          this.dropSnapshot(s, s.pending.at);
        } else {
          s.status = s.pending.status;
          s.updatedAt = s.pending.at;
          s.pending = null;
          this.#pendingSnapshots.delete(s);
        }
      }
    }
  }

  // ---- quotas -----------------------------------------------------------------------------

  quotaOf(projectId: string): QuotaLimits {
    return this.quotas.get(projectId) ?? this.defaultQuotas;
  }

  /** Usage as Cinder counts it: every existing record counts, deleting ones included. */
  usageOf(projectId: string): { volumes: number; snapshots: number; gigabytes: number } {
    let gigabytes = 0;
    const vols = this.#volumesByProject.get(projectId)?.byId;
    const snaps = this.#snapshotsByProject.get(projectId)?.byId;
    for (const v of vols?.values() ?? []) gigabytes += v.size;
    for (const s of snaps?.values() ?? []) gigabytes += s.size;
    return { volumes: vols?.size ?? 0, snapshots: snaps?.size ?? 0, gigabytes };
  }
}
