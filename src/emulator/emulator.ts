/**
 * The emulated OpenStack cloud: Keystone v3, Cinder v3 and Glance metadefs behind one
 * fetch-compatible handler, with fault injection, request counting, state builders and a default
 * seed (domain `default`, projects `admin` and `demo`).
 */

import { Hono } from "hono";
import { stringify as yamlStringify } from "yaml";
import { type Clock, systemClock } from "../clock.ts";
import { cinderApp } from "./cinder.ts";
import type { Directives, HonoEnv, RequestEnv, ServiceContext } from "./context.ts";
import { type Fault, Faults } from "./faults.ts";
import { glanceApp } from "./glance.ts";
import { keystoneApp } from "./keystone.ts";
import {
  type AccessRule,
  type AppCredRec,
  type AttachmentRec,
  CloudState,
  type ProjectRec,
  type QuotaLimits,
  type SnapshotRec,
  UNLIMITED_QUOTAS,
  type UserRec,
  type VolumeRec,
} from "./state.ts";
import { cinderFault, hexId, randomToken, seededRandom, uuidFrom } from "./wire.ts";

export interface EmulatorOptions {
  clock?: Clock;
  /** Where the catalog and clouds.yaml point (default "http://emulator.snapsentry.invalid"). */
  baseUrl?: string;
  /** `creating` → `available` delay on the clock (default 2000 ms). */
  snapshotDelayMs?: number;
  /** `deleting` → gone delay on the clock (default 1000 ms). */
  deleteDelayMs?: number;
  /** `creating` → `available` delay of new volumes (default 0: available on the next read). */
  volumeDelayMs?: number;
  /** Highest Cinder microversion, "3.70" by default. */
  maxMicroversion?: string;
  /** `osapi_max_limit` (default 1000). */
  maxLimit?: number;
  /** Token lifetime (default 1 hour). */
  tokenLifetimeMs?: number;
  /** Real time added to every request, for benchmarks (default 0). */
  realLatencyMs?: number;
  /** Quotas of projects without `setQuota` (default: every limit -1, unlimited). */
  defaultQuotas?: Partial<QuotaLimits>;
}

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

export interface RequestStats {
  total: number;
  /** Key: "METHOD kind", e.g. "GET volumes/detail". */
  byKind: Record<string, number>;
  /** Key: "METHOD STATUS", e.g. "GET 200"; "METHOD error" for dropped connections. */
  byMethodStatus: Record<string, number>;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  kind: string;
  status: number | "error";
  requestId: string;
  /** The inbound X-OpenStack-Request-ID when it had the `req-<uuid>` form. */
  globalRequestId: string | null;
  faults: Fault["type"][];
}

export interface AddVolumeOptions {
  id?: string;
  name?: string;
  description?: string | null;
  size?: number;
  /** Default: "in-use" when attached, else "available". */
  status?: string;
  metadata?: Record<string, string>;
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

export interface CloudConfig {
  auth_type?: string;
  auth: Record<string, string>;
  region_name: string;
  interface: string;
  identity_api_version: number;
}

const KEEP_SEGMENTS = new Set(["detail", "tokens", "projects", "defaults"]);

/** "GET volumes/detail", "POST snapshots/{id}/action", "POST auth/tokens", "GET versions". */
export function requestKind(method: string, path: string): string {
  const seg = path.split("/").filter(Boolean);
  const alt = (rest: string[]) =>
    rest.map((s, i) => i % 2 === 1 && !KEEP_SEGMENTS.has(s) ? "{id}" : s).join("/");
  let rest: string;
  if (seg[0] === "identity") {
    rest = seg.length <= 2 ? "versions" : alt(seg.slice(2));
  } else if (seg[0] === "volume") {
    rest = seg.length <= 2 ? "versions" : seg.length === 3 ? "project" : alt(seg.slice(3));
  } else if (seg[0] === "image") {
    rest = seg[2] === "metadefs" ? `metadefs/${alt(seg.slice(3))}` : alt(seg.slice(2));
  } else {
    rest = seg.join("/");
  }
  return `${method} ${rest}`;
}

function parseMv(s: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(s);
  if (!m) throw new RangeError(`Cannot parse maxMicroversion "${s}": expected 3.x`);
  return [Number(m[1]), Number(m[2])];
}

function toMs(v: Temporal.Instant | string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  return (typeof v === "string" ? Temporal.Instant.from(v) : v).epochMilliseconds;
}

const VALID_GLOBAL_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class Emulator {
  readonly clock: Clock;
  readonly faults = new Faults();
  readonly state: CloudState;
  readonly seed: EmulatorSeed;
  /** Every request handled (capped to the last 10,000). */
  readonly requestLog: RequestLogEntry[] = [];
  #baseUrl: string;
  #prefix: string;
  #ctx: ServiceContext;
  #app: Hono<HonoEnv>;
  #realLatencyMs: number;
  #stats: RequestStats = { total: 0, byKind: {}, byMethodStatus: {} };

  constructor(options: EmulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.state = new CloudState(this.clock, { ...UNLIMITED_QUOTAS, ...options.defaultQuotas });
    this.#baseUrl = "";
    this.#prefix = "";
    this.baseUrl = options.baseUrl ?? "http://emulator.snapsentry.invalid";
    this.#realLatencyMs = options.realLatencyMs ?? 0;
    this.#ctx = {
      state: this.state,
      baseUrl: () => this.#baseUrl,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 3_600_000,
      maxMicroversion: parseMv(options.maxMicroversion ?? "3.70"),
      maxLimit: options.maxLimit ?? 1000,
      snapshotDelayMs: options.snapshotDelayMs ?? 2000,
      deleteDelayMs: options.deleteDelayMs ?? 1000,
      volumeDelayMs: options.volumeDelayMs ?? 0,
      region: "RegionOne",
    };
    const app = new Hono<HonoEnv>();
    app.route("/", keystoneApp(this.#ctx));
    // deno-lint-ignore no-explicit-any
    app.route("/", cinderApp(this.#ctx) as any);
    app.route("/", glanceApp(this.#ctx));
    app.notFound(() => cinderFault(404, "The resource could not be found."));
    app.onError((err) => cinderFault(500, `${err.name}: ${err.message}`));
    this.#app = app;
    this.seed = this.#seedDefaults();
    this.fetch = this.fetch.bind(this);
  }

  /** The base URL the catalog and clouds.yaml point at. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  set baseUrl(url: string) {
    const u = new URL(url);
    this.#baseUrl = `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
    this.#prefix = u.pathname.replace(/\/+$/, "");
  }

  // ---- the handler --------------------------------------------------------------------------

  /** A fetch-compatible handler (bound; pass it wherever `fetch` is expected). */
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const req = input instanceof Request && init === undefined ? input : new Request(input, init);
    const url = new URL(req.url);
    let path = url.pathname;
    if (this.#prefix && path.startsWith(this.#prefix)) {
      path = path.slice(this.#prefix.length) || "/";
    }
    const method = req.method.toUpperCase();
    const kind = requestKind(method, path);
    const requestId = `req-${crypto.randomUUID()}`;
    const inbound = req.headers.get("X-OpenStack-Request-ID");
    const globalRequestId = inbound && VALID_GLOBAL_ID.test(inbound) ? inbound : null;
    const faults = this.faults.match(method, path, kind);
    const log = (status: number | "error") => {
      this.#stats.total++;
      this.#stats.byKind[kind] = (this.#stats.byKind[kind] ?? 0) + 1;
      const ms = `${method} ${status}`;
      this.#stats.byMethodStatus[ms] = (this.#stats.byMethodStatus[ms] ?? 0) + 1;
      this.requestLog.push({
        method,
        path,
        kind,
        status,
        requestId,
        globalRequestId,
        faults: faults.map((f) => f.type),
      });
      if (this.requestLog.length > 10_000) {
        this.requestLog.splice(0, this.requestLog.length - 10_000);
      }
    };
    const finish = (res: Response, status = res.status) => {
      const out = new Response(res.body, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
      out.headers.set("x-openstack-request-id", requestId);
      if (globalRequestId) out.headers.set("x-openstack-global-request-id", globalRequestId);
      log(status);
      return out;
    };
    const dropped = () => {
      log("error");
      return new TypeError(
        `error sending request for url (${req.url}): connection closed before message completed`,
      );
    };

    if (this.#realLatencyMs > 0) await systemClock.sleep(this.#realLatencyMs, req.signal);
    for (const f of faults) {
      if (f.type === "latency") {
        if (f.realMs) await systemClock.sleep(f.realMs, req.signal);
        await this.clock.sleep(f.ms, req.signal);
      }
    }
    const directives: Directives = {};
    let lost: Extract<Fault, { type: "lost_response" }> | undefined;
    for (const f of faults) {
      switch (f.type) {
        case "drop":
          throw dropped();
        case "status":
          return finish(cinderFault(f.status, f.message ?? defaultStatusMessage(f.status)));
        case "rate_limit": {
          const status = f.status ?? 429;
          return finish(
            Response.json(
              {
                overLimit: {
                  code: status,
                  message: "Too many requests.",
                  retryAfter: String(f.retryAfter),
                },
              },
              { status, headers: { "Retry-After": String(f.retryAfter) } },
            ),
          );
        }
        case "expire_token": {
          const t = this.state.tokens.get(req.headers.get("X-Auth-Token") ?? "");
          if (t) t.expiresAt = Math.min(t.expiresAt, this.state.nowMs());
          break;
        }
        case "snapshot_stuck":
          directives.snapshotStuck = true;
          break;
        case "snapshot_error":
          directives.snapshotError = true;
          break;
        case "snapshot_error_deleting":
          directives.deleteError = true;
          break;
        case "lost_response":
          lost = f;
          break;
        case "latency":
          break;
      }
    }

    this.state.settle();
    const routed = this.#prefix ? new Request(`${url.origin}${path}${url.search}`, req) : req;
    const env: RequestEnv = { root: `${url.origin}${this.#prefix}`, directives };
    const res = await this.#app.fetch(routed, env);
    if (lost) {
      await res.body?.cancel();
      if (lost.drop) throw dropped();
      const status = lost.status ?? 500;
      return finish(cinderFault(status, defaultStatusMessage(status)));
    }
    return finish(res);
  }

  /**
   * Serves the emulator on loopback (port 0 picks a free one). The catalog and clouds.yaml then
   * point at the served URL. A `drop` fault ends the response body with an error.
   */
  serve(options: { hostname?: "127.0.0.1"; port?: number } = {}): {
    url: string;
    port: number;
    shutdown: () => Promise<void>;
  } {
    const server = Deno.serve(
      { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
      async (req) => {
        try {
          return await this.fetch(req);
        } catch (err) {
          if (!(err instanceof TypeError)) throw err;
          return new Response(
            new ReadableStream({
              start(c) {
                c.error(err);
              },
            }),
            { status: 500 },
          );
        }
      },
    );
    const addr = server.addr as Deno.NetAddr;
    const url = `http://${addr.hostname}:${addr.port}`;
    this.baseUrl = url;
    return { url, port: addr.port, shutdown: () => server.shutdown() };
  }

  // ---- counts -------------------------------------------------------------------------------

  /** Requests counted by kind and by method+status since creation or `resetCounts()`. */
  requestCounts(): RequestStats {
    return {
      total: this.#stats.total,
      byKind: { ...this.#stats.byKind },
      byMethodStatus: { ...this.#stats.byMethodStatus },
    };
  }

  resetCounts(): void {
    this.#stats = { total: 0, byKind: {}, byMethodStatus: {} };
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

  // ---- seed, sample data, clouds.yaml ---------------------------------------------------------

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

  /** clouds.yaml entries: `emulator` (demo member), `emulator-appcred`, `emulator-admin`. */
  cloudConfigs(opts: { baseUrl?: string } = {}): Record<string, CloudConfig> {
    const authUrl = `${(opts.baseUrl ?? this.#baseUrl).replace(/\/+$/, "")}/identity/v3`;
    const common = { region_name: "RegionOne", interface: "public", identity_api_version: 3 };
    return {
      emulator: {
        auth_type: "password",
        auth: {
          auth_url: authUrl,
          username: "demo",
          password: this.seed.demoPassword,
          project_name: "demo",
          user_domain_name: "Default",
          project_domain_name: "Default",
        },
        ...common,
      },
      "emulator-appcred": {
        auth_type: "v3applicationcredential",
        auth: {
          auth_url: authUrl,
          application_credential_id: this.seed.appCredId,
          application_credential_secret: this.seed.appCredSecret,
        },
        ...common,
      },
      "emulator-admin": {
        auth_type: "password",
        auth: {
          auth_url: authUrl,
          username: "admin",
          password: this.seed.adminPassword,
          project_name: "admin",
          user_domain_name: "Default",
          project_domain_name: "Default",
        },
        ...common,
      },
    };
  }

  /** A clouds.yaml text with the three profiles of `cloudConfigs()`. */
  cloudsYaml(opts: { baseUrl?: string } = {}): string {
    return yamlStringify({ clouds: this.cloudConfigs(opts) });
  }
}

function defaultStatusMessage(status: number): string {
  if (status === 503) return "There was an error with the service. Please retry later.";
  if (status === 502) return "Bad Gateway";
  if (status === 504) return "Gateway Timeout";
  return "The server has either erred or is incapable of performing the requested operation.";
}

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  return new Emulator(options);
}
