/**
 * Builds and reads the emulated cloud's state directly, without HTTP: the default seed (domain
 * `default`, projects `admin` and `demo`), state builders for projects, users, roles, application
 * credentials, volumes, snapshots and quotas, realistic sample data, and reads for assertions.
 * `Emulator` extends `CloudBuilder` with the HTTP face.
 */

import type { Clock } from "../clock.ts";
import {
  type AccessRule,
  type AppCredRec,
  type AttachmentRec,
  CloudState,
  type ProjectRec,
  type QuotaLimits,
  type SnapshotRec,
  type UserRec,
  type VolumeRec,
} from "./state.ts";
import { hexId, randomToken, seededRandom, uuidFrom } from "./wire.ts";

export interface EmulatorSeed {
  domainId: string;
  adminProjectId: string;
  demoProjectId: string;
  adminUserId: string;
  demoUserId: string;
  adminPassword: string;
  demoPassword: string;
  appCredId: string;
  appCredName: string;
  appCredSecret: string;
  memberRoleId: string;
  adminRoleId: string;
  readerRoleId: string;
}

export interface AddVolumeOptions {
  id?: string;
  name?: string;
  description?: string | null;
  size?: number;
  /** Default: "in-use" when attached, else "available". */
  status?: string;
  metadata?: Record<string, string> | undefined;
  /** Server ids (or attachment specs) the volume is attached to. */
  attachments?: (string | { serverId: string; device?: string; hostName?: string })[];
  multiattach?: boolean;
  bootable?: boolean;
  volumeType?: string;
  availabilityZone?: string;
  createdAt?: Temporal.Instant | string;
  userId?: string;
}

export interface AddSnapshotOptions {
  volumeId: string;
  id?: string;
  name?: string;
  description?: string | null;
  status?: string;
  metadata?: Record<string, string>;
  size?: number;
  createdAt?: Temporal.Instant | string;
  userId?: string;
}

export interface SeedSampleOptions {
  /** Number of VMs (default 4). */
  servers?: number;
  /** Volumes per VM, root included (default 3). */
  volumesPerServer?: number;
  /** Multi-attach volumes, each shared by two VMs (default 1). */
  shared?: number;
  /** Unattached volumes (default 2). */
  unattached?: number;
  /** PRNG seed: the same seed gives the same ids, names and sizes (default 1). */
  seed?: number;
  /** Metadata put on every generated volume (e.g. a policy). */
  metadata?: Record<string, string>;
}

export interface SampleResult {
  servers: string[];
  volumes: VolumeRec[];
}

function toMs(v: Temporal.Instant | string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  return (typeof v === "string" ? Temporal.Instant.from(v) : v).epochMilliseconds;
}

/** The emulated cloud's state with its builders and reads; seeded with the defaults on creation. */
export class CloudBuilder {
  readonly clock: Clock;
  readonly state: CloudState;
  readonly seed: EmulatorSeed;

  constructor(clock: Clock, defaultQuotas: QuotaLimits) {
    this.clock = clock;
    this.state = new CloudState(this.clock, defaultQuotas);
    this.seed = this.#seedDefaults();
  }

  // ---- state builders ---------------------------------------------------------------------------

  addProject(
    opts: {
      name: string;
      id?: string;
      domainId?: string;
      tags?: string[];
      description?: string;
      enabled?: boolean;
    },
  ): ProjectRec {
    const rec: ProjectRec = {
      id: opts.id ?? hexId(),
      name: opts.name,
      domainId: opts.domainId ?? "default",
      description: opts.description ?? "",
      enabled: opts.enabled ?? true,
      tags: [...(opts.tags ?? [])],
    };
    this.state.projects.set(rec.id, rec);
    return rec;
  }

  /** Adds a user; `roles` grants role names on project ids. */
  addUser(opts: {
    name: string;
    password: string;
    id?: string;
    domainId?: string;
    enabled?: boolean;
    defaultProjectId?: string;
    email?: string;
    roles?: { projectId: string; role: string }[];
  }): UserRec {
    const rec: UserRec = {
      id: opts.id ?? hexId(),
      name: opts.name,
      domainId: opts.domainId ?? "default",
      password: opts.password,
      enabled: opts.enabled ?? true,
      defaultProjectId: opts.defaultProjectId ?? null,
      email: opts.email ?? null,
    };
    this.state.users.set(rec.id, rec);
    for (const r of opts.roles ?? []) this.grant(r.projectId, rec.id, r.role);
    return rec;
  }

  /** Grants a role (by name; created if unknown) to a user on a project. */
  grant(projectId: string, userId: string, roleName: string): void {
    let role = this.state.roleByName(roleName);
    if (!role) {
      role = { id: hexId(), name: roleName };
      this.state.roles.set(role.id, role);
    }
    this.state.grant(projectId, userId, role.id);
  }

  addApplicationCredential(opts: {
    userId: string;
    projectId: string;
    name: string;
    id?: string;
    secret?: string;
    description?: string;
    /** Role names; default every role the user has on the project. */
    roles?: string[];
    accessRules?: Omit<AccessRule, "id">[];
    expiresAt?: Temporal.Instant | string | null;
    unrestricted?: boolean;
  }): AppCredRec {
    const roleIds = opts.roles
      ? opts.roles.map((n) => {
        const r = this.state.roleByName(n);
        if (!r) throw new RangeError(`Cannot find role "${n}": add it with grant() first`);
        return r.id;
      })
      : this.state.rolesOf(opts.userId, opts.projectId);
    const rec: AppCredRec = {
      id: opts.id ?? hexId(),
      name: opts.name,
      userId: opts.userId,
      projectId: opts.projectId,
      secret: opts.secret ?? randomToken(32).slice(6),
      description: opts.description ?? null,
      roleIds,
      expiresAt: opts.expiresAt == null ? null : toMs(opts.expiresAt, 0),
      unrestricted: opts.unrestricted ?? false,
      accessRules: (opts.accessRules ?? []).map((r) => ({
        ...r,
        id: hexId(),
        method: r.method.toUpperCase(),
      })),
    };
    this.state.appCreds.set(rec.id, rec);
    return rec;
  }

  addVolume(projectId: string, opts: AddVolumeOptions = {}): VolumeRec {
    const now = this.state.nowMs();
    const createdAt = toMs(opts.createdAt, now);
    const attachments: AttachmentRec[] = (opts.attachments ?? []).map((a, i) => {
      const spec = typeof a === "string" ? { serverId: a } : a;
      return {
        attachmentId: crypto.randomUUID(),
        serverId: spec.serverId,
        hostName: spec.hostName ?? null,
        device: spec.device ?? `/dev/vd${String.fromCharCode(98 + i)}`,
        attachedAt: createdAt,
      };
    });
    const multiattach = opts.multiattach ?? false;
    if (attachments.length > 1 && !multiattach) {
      throw new RangeError(
        `Cannot attach volume "${
          opts.name ?? opts.id ?? "?"
        }" to ${attachments.length} servers: set multiattach: true`,
      );
    }
    const rec: VolumeRec = {
      id: opts.id ?? crypto.randomUUID(),
      projectId,
      userId: opts.userId ?? this.seed?.demoUserId ?? "",
      name: opts.name ?? "",
      description: opts.description ?? null,
      status: opts.status ?? (attachments.length ? "in-use" : "available"),
      size: opts.size ?? 10,
      metadata: { ...(opts.metadata ?? {}) },
      attachments,
      multiattach,
      bootable: opts.bootable ?? false,
      volumeType: opts.volumeType ?? "__DEFAULT__",
      availabilityZone: opts.availabilityZone ?? "nova",
      createdAt,
      updatedAt: null,
      pending: null,
    };
    this.state.putVolume(rec);
    return rec;
  }

  /** Attaches a volume to a server (several servers only with multiattach); it becomes in-use. */
  attachVolume(volumeId: string, serverId: string, opts: { device?: string } = {}): VolumeRec {
    const v = this.#volume(volumeId);
    if (v.attachments.length > 0 && !v.multiattach) {
      throw new RangeError(
        `Cannot attach volume "${volumeId}" to a second server: it is not multiattach`,
      );
    }
    v.attachments.push({
      attachmentId: crypto.randomUUID(),
      serverId,
      hostName: null,
      device: opts.device ?? `/dev/vd${String.fromCharCode(98 + v.attachments.length)}`,
      attachedAt: this.state.nowMs(),
    });
    v.status = "in-use";
    v.updatedAt = this.state.nowMs();
    return v;
  }

  /** Detaches a volume from one server (or all); with no attachment left it is available. */
  detachVolume(volumeId: string, serverId?: string): VolumeRec {
    const v = this.#volume(volumeId);
    v.attachments = serverId ? v.attachments.filter((a) => a.serverId !== serverId) : [];
    if (v.attachments.length === 0 && v.status === "in-use") v.status = "available";
    v.updatedAt = this.state.nowMs();
    return v;
  }

  /** Sets a volume's status (e.g. "error") directly. */
  setVolumeStatus(volumeId: string, status: string): void {
    const v = this.#volume(volumeId);
    v.status = status;
    this.state.setVolumePending(v, null);
  }

  addSnapshot(opts: AddSnapshotOptions): SnapshotRec {
    const v = this.#volume(opts.volumeId);
    const now = this.state.nowMs();
    const rec: SnapshotRec = {
      id: opts.id ?? crypto.randomUUID(),
      projectId: v.projectId,
      userId: opts.userId ?? v.userId,
      volumeId: v.id,
      name: opts.name ?? "",
      description: opts.description ?? null,
      status: opts.status ?? "available",
      size: opts.size ?? v.size,
      metadata: { ...(opts.metadata ?? {}) },
      createdAt: toMs(opts.createdAt, now),
      updatedAt: null,
      pending: null,
      deletedAt: null,
    };
    this.state.putSnapshot(rec);
    return rec;
  }

  /** Sets a snapshot's status directly and cancels its pending transition. */
  setSnapshotStatus(snapshotId: string, status: string): void {
    const s = this.state.snapshots.get(snapshotId);
    if (!s) throw new RangeError(`Cannot find snapshot "${snapshotId}" in the emulator`);
    s.status = status;
    this.state.setSnapshotPending(s, null);
  }

  setQuota(projectId: string, limits: Partial<QuotaLimits>): void {
    this.state.quotas.set(projectId, { ...this.state.quotaOf(projectId), ...limits });
  }

  /** Expires every token (or one) now, as if its lifetime had ended. */
  expireTokens(tokenId?: string): void {
    const now = this.state.nowMs();
    for (const t of this.state.tokens.values()) {
      if (tokenId === undefined || t.id === tokenId) t.expiresAt = Math.min(t.expiresAt, now);
    }
  }

  // ---- reads for assertions ---------------------------------------------------------------

  /** Volumes of a project, newest first (live records: read, do not mutate). */
  volumes(projectId: string): VolumeRec[] {
    this.state.settle();
    return [...this.state.volumesSorted(projectId)];
  }

  volume(id: string): VolumeRec | undefined {
    this.state.settle();
    return this.state.volumes.get(id);
  }

  /** Snapshots of a project, newest first; `includeDeleted` appends the ones that are gone. */
  snapshots(projectId: string, opts: { includeDeleted?: boolean } = {}): SnapshotRec[] {
    this.state.settle();
    const live = [...this.state.snapshotsSorted(projectId)];
    if (!opts.includeDeleted) return live;
    return [...live, ...this.state.deletedSnapshots.filter((s) => s.projectId === projectId)];
  }

  snapshot(id: string): SnapshotRec | undefined {
    this.state.settle();
    return this.state.snapshots.get(id);
  }

  #volume(id: string): VolumeRec {
    const v = this.state.volumes.get(id);
    if (!v) throw new RangeError(`Cannot find volume "${id}" in the emulator`);
    return v;
  }

  // ---- seed, sample data -------------------------------------------------------------------

  #seedDefaults(): EmulatorSeed {
    this.state.domains.set("default", { id: "default", name: "Default" });
    const role = (name: string) => {
      const r = { id: hexId(), name };
      this.state.roles.set(r.id, r);
      return r.id;
    };
    const adminRoleId = role("admin");
    const memberRoleId = role("member");
    const readerRoleId = role("reader");
    const admin = this.addProject({ name: "admin", description: "Bootstrap project" });
    const demo = this.addProject({
      name: "demo",
      tags: ["snapsentry"],
      description: "Demo project",
    });
    const adminPassword = "emulator-admin-password";
    const demoPassword = "emulator-demo-password";
    const adminUser = this.addUser({
      name: "admin",
      password: adminPassword,
      defaultProjectId: admin.id,
      roles: [{ projectId: admin.id, role: "admin" }],
    });
    const demoUser = this.addUser({
      name: "demo",
      password: demoPassword,
      defaultProjectId: demo.id,
      roles: [{ projectId: demo.id, role: "member" }, { projectId: demo.id, role: "reader" }],
    });
    const cred = this.addApplicationCredential({
      userId: demoUser.id,
      projectId: demo.id,
      name: "snapsentry-demo",
      secret: "emulator-appcred-secret",
      description: "snapsentry on the emulated cloud",
    });
    return {
      domainId: "default",
      adminProjectId: admin.id,
      demoProjectId: demo.id,
      adminUserId: adminUser.id,
      demoUserId: demoUser.id,
      adminPassword,
      demoPassword,
      appCredId: cred.id,
      appCredName: cred.name,
      appCredSecret: cred.secret,
      memberRoleId,
      adminRoleId,
      readerRoleId,
    };
  }

  /**
   * Builds realistic data in a project: VMs each with a root volume and data volumes, shared
   * multi-attach volumes (each on two VMs) and unattached volumes. Deterministic for a seed.
   */
  seedSample(projectId: string, opts: SeedSampleOptions = {}): SampleResult {
    const rand = seededRandom(opts.seed ?? 1);
    const servers = opts.servers ?? 4;
    const perServer = opts.volumesPerServer ?? 3;
    const shared = opts.shared ?? 1;
    const unattached = opts.unattached ?? 2;
    const now = this.state.nowMs();
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const createdAt = () =>
      Temporal.Instant.fromEpochMilliseconds(now - Math.floor(rand() * 90 * 86_400_000));
    const width = String(servers).length < 2 ? 2 : String(servers).length;
    const serverIds: string[] = [];
    const volumes: VolumeRec[] = [];
    const roles = ["web", "db", "app", "cache", "queue", "search"];
    const names: string[] = [];
    for (let s = 0; s < servers; s++) {
      const sid = uuidFrom(rand);
      serverIds.push(sid);
      const name = `${pick(roles)}-${String(s + 1).padStart(width, "0")}`;
      names.push(name);
      for (let v = 0; v < perServer; v++) {
        volumes.push(this.addVolume(projectId, {
          id: uuidFrom(rand),
          name: v === 0 ? `${name}-root` : `${name}-data-${v}`,
          size: v === 0 ? pick([20, 40, 80]) : pick([10, 50, 100, 200, 500]),
          bootable: v === 0,
          attachments: [{ serverId: sid, device: `/dev/vd${String.fromCharCode(97 + v)}` }],
          metadata: opts.metadata,
          createdAt: createdAt(),
        }));
      }
    }
    for (let i = 0; i < shared; i++) {
      const attach = serverIds.length >= 2
        ? [serverIds[(2 * i) % serverIds.length]!, serverIds[(2 * i + 1) % serverIds.length]!]
        : serverIds.slice(0, 1);
      volumes.push(this.addVolume(projectId, {
        id: uuidFrom(rand),
        name: `shared-${String(i + 1).padStart(2, "0")}`,
        size: pick([50, 100, 250]),
        multiattach: true,
        attachments: attach.map((serverId) => ({
          serverId,
          device: `/dev/vd${String.fromCharCode(97 + perServer)}`,
        })),
        metadata: opts.metadata,
        createdAt: createdAt(),
      }));
    }
    for (let i = 0; i < unattached; i++) {
      volumes.push(this.addVolume(projectId, {
        id: uuidFrom(rand),
        name: `spare-${String(i + 1).padStart(2, "0")}`,
        size: pick([1, 5, 10, 20]),
        metadata: opts.metadata,
        createdAt: createdAt(),
      }));
    }
    return { servers: serverIds, volumes };
  }
}
