/**
 * Emulated Cinder v3 at `<base>/volume/v3/{project_id}`: version documents, microversion
 * negotiation, volumes, snapshots (with a lazy state machine), metadata, admin actions and quota
 * sets. Messages, statuses and fault shapes follow cinder's API layer (cinder/api/v3, v2,
 * cinder/exception.py, cinder/api/openstack/wsgi.py).
 */

import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import {
  type Authenticated,
  type RequestEnv,
  type ServiceContext,
  validateToken,
} from "./context.ts";
import type { AttachmentRec, QuotaLimits, SnapshotRec, VolumeRec } from "./state.ts";
import {
  accessRulePathMatches,
  cinderFault,
  cinderTime,
  keystoneError,
  parseMetadataFilter,
  UNAUTHENTICATED_MESSAGE,
} from "./wire.ts";

type CEnv = {
  Bindings: RequestEnv;
  Variables: { auth: Authenticated; mv: [number, number]; project: string };
};
type C = Context<CEnv>;
// deno-lint-ignore no-explicit-any
type Json = any;

/** The minimum microversion and the reference date of the v3 API document. */
const MIN_MV: [number, number] = [3, 0];

const SNAPSHOT_IN_USE_FLAG_MSG = "Since microversion 3.66 the 'force' flag is invalid for this " +
  "request.  For backward compatability, however, when the 'force' flag is passed with a value " +
  "evaluating to True, it is silently ignored.";

const SNAPSHOT_STATUSES = new Set([
  "creating",
  "available",
  "deleting",
  "error",
  "error_deleting",
  "unmanaging",
  "backing-up",
  "restoring",
]);

/** A route parameter (routes built from variables lose Hono's literal param typing). */
function param(c: C, key: string): string {
  return (c.req.param as (k: string) => string | undefined)(key) ?? "";
}

function mvAtLeast(mv: [number, number], major: number, minor: number): boolean {
  return mv[0] > major || (mv[0] === major && mv[1] >= minor);
}

function mvString(mv: [number, number]): string {
  return `${mv[0]}.${mv[1]}`;
}

/** oslo strutils.bool_from_string(strict=True). */
function strictBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  const s = String(v).trim().toLowerCase();
  if (["1", "t", "true", "on", "y", "yes"].includes(s)) return true;
  if (["0", "f", "false", "off", "n", "no"].includes(s)) return false;
  return undefined;
}

async function readJson(c: C): Promise<Json | undefined> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

function policyDenied(action: string): Response {
  return cinderFault(403, `Policy doesn't allow ${action} to be performed.`);
}

function validateMetadata(meta: unknown): Record<string, string> | Response {
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== "object" || Array.isArray(meta)) {
    return cinderFault(400, "Invalid input for field/attribute metadata. Value: not a dict.");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
    if (k.length === 0 || k.length > 255) {
      return cinderFault(
        400,
        "Invalid input for field/attribute metadata. Key length must be 1-255.",
      );
    }
    if (typeof v !== "string" || v.length > 255) {
      return cinderFault(
        400,
        `Invalid input for field/attribute metadata. Value for key ${k} must be a string of at most 255 characters.`,
      );
    }
    out[k] = v;
  }
  return out;
}

type SortKey = "created_at" | "updated_at" | "id" | "name" | "size" | "status";
const SORT_KEYS = new Set([
  "created_at",
  "updated_at",
  "id",
  "name",
  "display_name",
  "size",
  "status",
]);

interface Sortable {
  id: string;
  createdAt: number;
  updatedAt: number | null;
  name: string;
  size: number;
  status: string;
}

function parseSort(c: C): { key: SortKey; desc: boolean }[] | Response | null {
  const sort = c.req.query("sort");
  const out: { key: SortKey; desc: boolean }[] = [];
  if (sort !== undefined) {
    for (const part of sort.split(",")) {
      const [k, d] = part.split(":");
      const key = (k ?? "").trim();
      if (!SORT_KEYS.has(key)) return cinderFault(400, `Invalid sort key: ${key}`);
      const dir = (d ?? "desc").trim().toLowerCase();
      if (dir !== "asc" && dir !== "desc") return cinderFault(400, `Invalid sort dir: ${dir}`);
      out.push({ key: (key === "display_name" ? "name" : key) as SortKey, desc: dir === "desc" });
    }
  } else if (c.req.query("sort_key") !== undefined) {
    const keys = c.req.query("sort_key")!.split(",");
    const dirs = (c.req.query("sort_dir") ?? "desc").split(",");
    keys.forEach((k, i) => {
      out.push({
        key: (k === "display_name" ? "name" : k) as SortKey,
        desc: (dirs[i] ?? dirs[dirs.length - 1]) !== "asc",
      });
    });
    if (!out.every((s) => SORT_KEYS.has(s.key))) return cinderFault(400, "Invalid sort key");
  } else {
    return null;
  }
  if (out.length === 1 && out[0]!.key === "created_at" && out[0]!.desc) return null;
  if (!out.some((s) => s.key === "id")) out.push({ key: "id", desc: out[out.length - 1]!.desc });
  return out;
}

function comparator(keys: { key: SortKey; desc: boolean }[] | null) {
  const ks = keys ??
    [{ key: "created_at" as SortKey, desc: true }, { key: "id" as SortKey, desc: true }];
  return (a: Sortable, b: Sortable): number => {
    for (const { key, desc } of ks) {
      const av = key === "created_at"
        ? a.createdAt
        : key === "updated_at"
        ? a.updatedAt ?? -Infinity
        : a[key];
      const bv = key === "created_at"
        ? b.createdAt
        : key === "updated_at"
        ? b.updatedAt ?? -Infinity
        : b[key];
      if (av === bv) continue;
      const r = av < bv ? -1 : 1;
      return desc ? -r : r;
    }
    return 0;
  };
}

export function cinderApp(ctx: ServiceContext): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();
  const maxMv = ctx.maxMicroversion;

  // ---- version documents ---------------------------------------------------------------------

  const unauthenticated = () => {
    const res = keystoneError(401, UNAUTHENTICATED_MESSAGE);
    res.headers.set("WWW-Authenticate", `Keystone uri="${ctx.baseUrl()}/identity"`);
    return res;
  };

  const v3Doc = (root: string) => ({
    id: "v3.0",
    status: "CURRENT",
    version: mvString(maxMv),
    min_version: mvString(MIN_MV),
    updated: "2022-08-31T00:00:00Z",
    links: [
      { rel: "describedby", type: "text/html", href: "https://docs.openstack.org/" },
      { rel: "self", href: `${root}/volume/v3/` },
    ],
    "media-types": [
      { base: "application/json", type: "application/vnd.openstack.volume+json;version=3" },
    ],
  });
  // The root answers 300 Multiple Choices without a token, as Cinder's versions controller does.
  app.get("/volume", (c) => c.json({ versions: [v3Doc(c.env.root)] }, 300));
  app.get("/volume/", (c) => c.json({ versions: [v3Doc(c.env.root)] }, 300));
  // `/v3/` sits behind keystonemiddleware in Cinder's paste pipeline: 401 without a valid token
  // (seen on a real Cinder 21), 200 with the same list otherwise, echoing the microversion header.
  const v3Versions = (c: C) => {
    if (!validateToken(state, c.req.header("X-Auth-Token"))) return unauthenticated();
    const res = c.json({ versions: [v3Doc(c.env.root)] });
    res.headers.set("OpenStack-API-Version", `volume ${mvString(maxMv)}`);
    res.headers.set("Vary", "OpenStack-API-Version");
    return res;
  };
  app.get("/volume/v3", v3Versions);
  app.get("/volume/v3/", v3Versions);

  // ---- authentication, microversion, project check, access rules ---------------------------

  const prepare: MiddlewareHandler<CEnv> = async (c, next) => {
    const auth = validateToken(state, c.req.header("X-Auth-Token"));
    if (!auth) return unauthenticated();
    // keystonemiddleware enforces application-credential access rules for service "volumev3",
    // with paths relative to the Cinder root (e.g. /v3/*/snapshots/**); a miss is a 401.
    if (auth.appCred && auth.appCred.accessRules.length > 0) {
      const rel = new URL(c.req.url).pathname.replace(/^.*?\/volume(?=\/v3\/)/, "");
      const ok = auth.appCred.accessRules.some((r) =>
        r.service === "volumev3" && r.method.toUpperCase() === c.req.method &&
        accessRulePathMatches(r.path, rel)
      );
      if (!ok) return keystoneError(401, UNAUTHENTICATED_MESSAGE);
    }
    let mv: [number, number] = MIN_MV;
    let raw: string | undefined;
    const header = c.req.header("OpenStack-API-Version");
    if (header) {
      for (const part of header.split(",")) {
        const [svc, ver] = part.trim().split(/\s+/);
        if (svc?.toLowerCase() === "volume" && ver) raw = ver;
      }
    }
    raw ??= c.req.header("X-OpenStack-Volume-API-Version") ?? undefined;
    if (raw !== undefined) {
      if (raw.toLowerCase() === "latest") {
        mv = maxMv;
      } else {
        const m = /^(\d+)\.(\d+)$/.exec(raw.trim());
        if (!m) {
          return cinderFault(
            400,
            `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`,
          );
        }
        mv = [Number(m[1]), Number(m[2])];
        if (!mvAtLeast(mv, ...MIN_MV) || !mvAtLeast(maxMv, ...mv)) {
          return cinderFault(
            406,
            `Version ${raw} is not supported by the API. Minimum is ${
              mvString(MIN_MV)
            } and maximum is ${mvString(maxMv)}.`,
          );
        }
      }
    }
    c.set("auth", auth);
    c.set("mv", mv);
    // The project in the URL must be the token's own, even for admins.
    const project = param(c, "project") ?? "";
    c.set("project", project);
    if (project !== auth.token.projectId) {
      return withVersion(cinderFault(400, "Malformed request url"), mv);
    }
    await next();
    c.res.headers.set("OpenStack-API-Version", `volume ${mvString(mv)}`);
    c.res.headers.set("Vary", "OpenStack-API-Version");
  };
  const withVersion = (res: Response, mv: [number, number]) => {
    res.headers.set("OpenStack-API-Version", `volume ${mvString(mv)}`);
    res.headers.set("Vary", "OpenStack-API-Version");
    return res;
  };
  app.use("/volume/v3/:project/*", prepare);
  app.use("/volume/v3/:project", prepare);

  // ---- helpers ---------------------------------------------------------------------------

  const projUrl = (c: C) => `${c.env.root}/volume/v3/${c.get("project")}`;

  const volumeLinks = (c: C, v: VolumeRec) => [
    { rel: "self", href: `${projUrl(c)}/volumes/${v.id}` },
    { rel: "bookmark", href: `${c.env.root}/volume/${c.get("project")}/volumes/${v.id}` },
  ];

  const volumeDetail = (c: C, v: VolumeRec): Json => {
    const mv = c.get("mv");
    const admin = c.get("auth").isAdmin;
    const out: Json = {
      id: v.id,
      name: v.name,
      description: v.description,
      status: v.status,
      size: v.size,
      availability_zone: v.availabilityZone,
      created_at: cinderTime(v.createdAt),
      updated_at: v.updatedAt === null ? null : cinderTime(v.updatedAt),
      attachments: v.attachments.filter((a) => a.status !== "reserved").map((a) => ({
        id: v.id,
        attachment_id: a.attachmentId,
        volume_id: v.id,
        server_id: a.serverId,
        host_name: a.hostName,
        device: a.device,
        attached_at: a.attachedAt === null ? null : cinderTime(a.attachedAt),
      })),
      links: volumeLinks(c, v),
      metadata: { ...v.metadata },
      bootable: v.bootable ? "true" : "false",
      encrypted: false,
      multiattach: v.multiattach,
      migration_status: null,
      replication_status: null,
      snapshot_id: null,
      source_volid: null,
      consistencygroup_id: null,
      user_id: v.userId,
      volume_type: v.volumeType,
      "os-vol-tenant-attr:tenant_id": v.projectId,
    };
    if (admin) {
      out["os-vol-host-attr:host"] = "emulator@fake#fake";
      out["os-vol-mig-status-attr:migstat"] = null;
      out["os-vol-mig-status-attr:name_id"] = null;
    }
    if (mvAtLeast(mv, 3, 13)) out.group_id = null;
    if (mvAtLeast(mv, 3, 21)) out.provider_id = null;
    if (mvAtLeast(mv, 3, 48)) {
      out.service_uuid = "00000000-0000-4000-8000-00000000e1a0";
      out.shared_targets = false;
    }
    if (mvAtLeast(mv, 3, 63)) out.volume_type_id = "00000000-0000-4000-8000-0000000000d1";
    if (mvAtLeast(mv, 3, 65)) out.consumes_quota = true;
    return out;
  };

  const volumeSummary = (c: C, v: VolumeRec): Json => ({
    id: v.id,
    name: v.name,
    links: volumeLinks(c, v),
  });

  const snapshotView = (c: C, s: SnapshotRec, detail: boolean): Json => {
    const mv = c.get("mv");
    const out: Json = {
      id: s.id,
      name: s.name,
      description: s.description,
      volume_id: s.volumeId,
      status: s.status,
      size: s.size,
      metadata: { ...s.metadata },
      created_at: cinderTime(s.createdAt),
      updated_at: s.updatedAt === null ? null : cinderTime(s.updatedAt),
    };
    if (detail) {
      out["os-extended-snapshot-attributes:progress"] = s.status === "available" ? "100%" : "0%";
      out["os-extended-snapshot-attributes:project_id"] = s.projectId;
    }
    if (mvAtLeast(mv, 3, 14)) out.group_snapshot_id = null;
    if (mvAtLeast(mv, 3, 41)) out.user_id = s.userId;
    if (mvAtLeast(mv, 3, 65)) out.consumes_quota = true;
    return out;
  };

  /** A volume visible to the caller (own project; admins see every project). */
  const findVolume = (c: C, id: string): VolumeRec | undefined => {
    const v = state.volumes.get(id);
    if (!v) return undefined;
    if (v.projectId !== c.get("project") && !c.get("auth").isAdmin) return undefined;
    return v;
  };
  const findSnapshot = (c: C, id: string): SnapshotRec | undefined => {
    const s = state.snapshots.get(id);
    if (!s) return undefined;
    if (s.projectId !== c.get("project") && !c.get("auth").isAdmin) return undefined;
    return s;
  };
  const volumeNotFound = (id: string) => cinderFault(404, `Volume ${id} could not be found.`);
  const snapshotNotFound = (id: string) => cinderFault(404, `Snapshot ${id} could not be found.`);

  /** Shared list logic: sort, marker (404 when unknown or deleted), limit cap, next link. */
  function page<T extends Sortable>(
    c: C,
    all: T[],
    filter: (x: T) => boolean,
    markerLookup: (id: string) => T | undefined,
    collection: string,
    linkPath: string,
  ): { items: T[]; links: Json[] | undefined } | Response {
    const notFoundNoun = collection === "volumes" ? "Volume" : "Snapshot";
    const rawLimit = c.req.query("limit");
    let limit = ctx.maxLimit;
    if (rawLimit !== undefined) {
      if (!/^-?\d+$/.test(rawLimit.trim())) {
        return cinderFault(400, "limit param must be an integer");
      }
      const n = Number(rawLimit);
      if (n < 0) return cinderFault(400, "limit param must be positive");
      limit = Math.min(n, ctx.maxLimit);
    }
    const sort = parseSort(c);
    if (sort instanceof Response) return sort;
    const cmp = comparator(sort);
    let items = sort ? [...all].sort(cmp) : all;
    let start = 0;
    const markerId = c.req.query("marker");
    if (markerId !== undefined) {
      const marker = markerLookup(markerId);
      // Cinder looks the marker up as a volume/snapshot: its own not-found message.
      if (!marker) return cinderFault(404, `${notFoundNoun} ${markerId} could not be found.`);
      // First element strictly after the marker in sort order (binary search).
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(items[mid]!, marker) <= 0) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const out: T[] = [];
    if (limit > 0) {
      for (let i = start; i < items.length && out.length < limit; i++) {
        if (filter(items[i]!)) out.push(items[i]!);
      }
    }
    items = out;
    let links: Json[] | undefined;
    // cinder/api/common.py _get_collection_links: a next link only when the page is full.
    if (limit > 0 && items.length === limit) {
      const url = new URL(`${projUrl(c)}/${linkPath}`);
      const params = new URL(c.req.url).searchParams;
      params.delete("marker");
      for (const [k, v] of params) url.searchParams.append(k, v);
      url.searchParams.set("marker", items[items.length - 1]!.id);
      links = [{ rel: "next", href: url.toString() }];
    }
    return { items, links };
  }

  const allTenants = (c: C): boolean => {
    const v = c.req.query("all_tenants");
    return c.get("auth").isAdmin && v !== undefined && strictBool(v === "" ? "1" : v) === true;
  };

  const metadataFilter = (c: C): Record<string, string> | null | undefined => {
    const raw = c.req.query("metadata");
    if (raw === undefined) return undefined;
    return parseMetadataFilter(raw) ?? null;
  };

  const matchesMeta = (meta: Record<string, string>, want: Record<string, string>) => {
    for (const k in want) if (meta[k] !== want[k]) return false;
    return true;
  };

  // ---- volumes ---------------------------------------------------------------------------

  const listVolumes = (c: C, detail: boolean) => {
    const everywhere = allTenants(c);
    const projectFilter = everywhere ? c.req.query("project_id") : c.get("project");
    const all = state.volumesSorted(projectFilter);
    const status = c.req.query("status");
    const name = c.req.query("name");
    const meta = metadataFilter(c);
    const filter = (v: VolumeRec) => {
      if (meta === null) return false;
      if (status !== undefined && v.status !== status) return false;
      if (name !== undefined && v.name !== name) return false;
      if (meta && !matchesMeta(v.metadata, meta)) return false;
      return true;
    };
    const res = page(
      c,
      all,
      filter,
      (id) => {
        const v = state.volumes.get(id);
        return v && (everywhere || v.projectId === c.get("project")) ? v : undefined;
      },
      "volumes",
      detail ? "volumes/detail" : "volumes",
    );
    if (res instanceof Response) return res;
    const body: Json = {
      volumes: res.items.map((v) => detail ? volumeDetail(c, v) : volumeSummary(c, v)),
    };
    if (res.links) body.volumes_links = res.links;
    if (mvAtLeast(c.get("mv"), 3, 45) && strictBool(c.req.query("with_count") ?? "false")) {
      body.count = all.filter(filter).length;
    }
    return c.json(body);
  };
  app.get("/volume/v3/:project/volumes", (c) => listVolumes(c, false));
  app.get("/volume/v3/:project/volumes/detail", (c) => listVolumes(c, true));

  app.get("/volume/v3/:project/volumes/:id", (c) => {
    const v = findVolume(c, param(c, "id"));
    if (!v) return volumeNotFound(param(c, "id"));
    return c.json({ volume: volumeDetail(c, v) });
  });

  app.post("/volume/v3/:project/volumes", async (c) => {
    const body = await readJson(c);
    const vol = body?.volume;
    if (!vol || typeof vol !== "object") {
      return cinderFault(400, "Missing required element 'volume' in request body.");
    }
    const size = Number(vol.size);
    if (!Number.isInteger(size) || size < 1) {
      return cinderFault(
        400,
        "Invalid input for field/attribute size. Value: must be an integer >= 1.",
      );
    }
    const meta = validateMetadata(vol.metadata);
    if (meta instanceof Response) return meta;
    const project = c.get("project");
    const q = state.quotaOf(project);
    if (q.volumes >= 0 || q.gigabytes >= 0) {
      const usage = state.usageOf(project);
      if (q.gigabytes >= 0 && usage.gigabytes + size > q.gigabytes) {
        return quotaGigabytes(size, q, usage.gigabytes);
      }
      if (q.volumes >= 0 && usage.volumes + 1 > q.volumes) {
        return cinderFault(
          413,
          `VolumeLimitExceeded: Maximum number of volumes allowed (${q.volumes}) exceeded for quota 'volumes'.`,
          { "Retry-After": "0" },
        );
      }
    }
    const now = state.nowMs();
    const rec: VolumeRec = {
      id: crypto.randomUUID(),
      projectId: project,
      userId: c.get("auth").token.userId,
      name: typeof vol.name === "string" ? vol.name : "",
      description: typeof vol.description === "string" ? vol.description : null,
      status: "creating",
      size,
      metadata: meta,
      attachments: [],
      multiattach: vol.multiattach === true,
      bootable: false,
      volumeType: typeof vol.volume_type === "string" ? vol.volume_type : "__DEFAULT__",
      availabilityZone: typeof vol.availability_zone === "string" ? vol.availability_zone : "nova",
      createdAt: now,
      updatedAt: null,
      pending: { status: "available", at: now + ctx.volumeDelayMs },
    };
    state.putVolume(rec);
    return c.json({ volume: volumeDetail(c, rec) }, 202);
  });

  app.delete("/volume/v3/:project/volumes/:id", (c) => {
    const v = findVolume(c, param(c, "id"));
    if (!v) return volumeNotFound(param(c, "id"));
    if (
      !["available", "error", "error_restoring", "error_extending", "error_managing"].includes(
        v.status,
      ) || v.attachments.length > 0 || state.snapshotsOfVolume(v.id).length > 0
    ) {
      return cinderFault(
        400,
        "Invalid volume: Volume status must be available or error or error_restoring or " +
          "error_extending or error_managing and must not be migrating, attached, belong to a " +
          "group, have snapshots or be disassociated from snapshots after volume transfer.",
      );
    }
    // As Cinder: "deleting" at once, gone once the volume service is done.
    v.status = "deleting";
    v.updatedAt = state.nowMs();
    state.setVolumePending(v, { status: "deleted", at: state.nowMs() + ctx.deleteDelayMs });
    return c.body(null, 202);
  });

  // ---- attachments API (3.27+; os-complete 3.44+), enough to attach without Nova ------------

  const attachmentView = (v: VolumeRec, a: AttachmentRec): Json => ({
    id: a.attachmentId,
    status: a.status ?? "attached",
    instance: a.serverId,
    volume_id: v.id,
    // Real Cinder 21 renders unset times as "" and the unset mode as the string "null".
    attached_at: a.attachedAt === null ? "" : cinderTime(a.attachedAt),
    detached_at: "",
    attach_mode: a.device === null ? "null" : "rw",
    connection_info: {},
  });
  const findAttachment = (c: C, id: string): { v: VolumeRec; a: AttachmentRec } | undefined => {
    for (const v of state.volumes.values()) {
      if (v.projectId !== c.get("project") && !c.get("auth").isAdmin) continue;
      const a = v.attachments.find((x) => x.attachmentId === id);
      if (a) return { v, a };
    }
    return undefined;
  };
  const resourceNotFound = () => cinderFault(404, "The resource could not be found.");

  app.post("/volume/v3/:project/attachments", async (c) => {
    if (!mvAtLeast(c.get("mv"), 3, 27)) return resourceNotFound();
    const body = await readJson(c);
    const att = body?.attachment;
    if (!att || typeof att !== "object") {
      return cinderFault(400, "Missing required element 'attachment' in request body.");
    }
    if (typeof att.volume_uuid !== "string") {
      return cinderFault(
        400,
        "Invalid input for field/attribute attachment. Value: 'volume_uuid' is a required property",
      );
    }
    const v = findVolume(c, att.volume_uuid);
    if (!v) return volumeNotFound(att.volume_uuid);
    const busy = v.attachments.length > 0 && !v.multiattach;
    if (!["available", "in-use", "reserved"].includes(v.status) || busy) {
      return cinderFault(
        400,
        `Invalid volume: Volume ${v.id} status must be available or in-use or downloading to reserve, but the current status is ${v.status}.`,
      );
    }
    const connector = att.connector && typeof att.connector === "object" ? att.connector : null;
    const a: AttachmentRec = {
      attachmentId: crypto.randomUUID(),
      serverId: typeof att.instance_uuid === "string" ? att.instance_uuid : "",
      hostName: connector && typeof connector.host === "string" ? connector.host : null,
      device: connector && typeof connector.mountpoint === "string" ? connector.mountpoint : null,
      attachedAt: null,
      status: "reserved",
    };
    v.attachments.push(a);
    if (v.status === "available") v.status = "reserved";
    v.updatedAt = state.nowMs();
    return c.json({ attachment: attachmentView(v, a) }, 200);
  });

  app.get("/volume/v3/:project/attachments/:id", (c) => {
    if (!mvAtLeast(c.get("mv"), 3, 27)) return resourceNotFound();
    const found = findAttachment(c, param(c, "id"));
    if (!found) return cinderFault(404, `VolumeAttachment ${param(c, "id")} could not be found.`);
    return c.json({ attachment: attachmentView(found.v, found.a) });
  });

  app.post("/volume/v3/:project/attachments/:id/action", async (c) => {
    // os-complete arrived with 3.44; below it the action route does not exist.
    if (!mvAtLeast(c.get("mv"), 3, 44)) return resourceNotFound();
    const body = await readJson(c);
    if (!body || typeof body !== "object" || !("os-complete" in body)) {
      return cinderFault(400, "Malformed request body");
    }
    const found = findAttachment(c, param(c, "id"));
    if (!found) return cinderFault(404, `VolumeAttachment ${param(c, "id")} could not be found.`);
    found.a.status = "attached";
    found.v.status = "in-use";
    found.v.updatedAt = state.nowMs();
    return c.body(null, 204);
  });

  app.delete("/volume/v3/:project/attachments/:id", (c) => {
    if (!mvAtLeast(c.get("mv"), 3, 27)) return resourceNotFound();
    const found = findAttachment(c, param(c, "id"));
    if (!found) return cinderFault(404, `VolumeAttachment ${param(c, "id")} could not be found.`);
    const { v, a } = found;
    v.attachments = v.attachments.filter((x) => x !== a);
    if (v.attachments.length === 0) v.status = "available";
    else if (!v.attachments.some((x) => x.status !== "reserved")) v.status = "reserved";
    v.updatedAt = state.nowMs();
    return c.json({ attachments: [] }, 200);
  });

  // ---- metadata (volumes and snapshots share the routes' logic) ----------------------------

  const metadataRoutes = (
    kind: "volumes" | "snapshots",
    find: (
      c: C,
      id: string,
    ) => { metadata: Record<string, string>; updatedAt: number | null } | undefined,
    notFound: (id: string) => Response,
  ) => {
    const base = `/volume/v3/:project/${kind}/:id/metadata`;
    app.get(base, (c) => {
      const r = find(c, param(c, "id"));
      if (!r) return notFound(param(c, "id"));
      return c.json({ metadata: { ...r.metadata } });
    });
    const write = (replace: boolean) => async (c: C) => {
      const r = find(c, param(c, "id"));
      if (!r) return notFound(param(c, "id"));
      const body = await readJson(c);
      if (!body || typeof body.metadata !== "object" || body.metadata === null) {
        return cinderFault(400, "Malformed request body");
      }
      const meta = validateMetadata(body.metadata);
      if (meta instanceof Response) return meta;
      r.metadata = replace ? meta : { ...r.metadata, ...meta };
      r.updatedAt = state.nowMs();
      return c.json({ metadata: { ...r.metadata } });
    };
    app.post(base, write(false));
    app.put(base, write(true));
    app.get(`${base}/:key`, (c) => {
      const r = find(c, param(c, "id"));
      if (!r) return notFound(param(c, "id"));
      const key = param(c, "key");
      if (!(key in r.metadata)) return cinderFault(404, "Metadata item was not found");
      return c.json({ meta: { [key]: r.metadata[key] } });
    });
    app.put(`${base}/:key`, async (c) => {
      const r = find(c, param(c, "id"));
      if (!r) return notFound(param(c, "id"));
      const body = await readJson(c);
      const key = param(c, "key");
      const meta = body?.meta;
      if (!meta || typeof meta !== "object") return cinderFault(400, "Malformed request body");
      if (!(key in meta)) return cinderFault(400, "Request body and URI mismatch");
      if (Object.keys(meta).length > 1) {
        return cinderFault(400, "Request body contains too many items");
      }
      const checked = validateMetadata(meta);
      if (checked instanceof Response) return checked;
      r.metadata = { ...r.metadata, ...checked };
      r.updatedAt = state.nowMs();
      return c.json({ meta: checked });
    });
    app.delete(`${base}/:key`, (c) => {
      const r = find(c, param(c, "id"));
      if (!r) return notFound(param(c, "id"));
      const key = param(c, "key");
      if (!(key in r.metadata)) return cinderFault(404, "Metadata item was not found");
      const { [key]: _gone, ...rest } = r.metadata;
      r.metadata = rest;
      r.updatedAt = state.nowMs();
      return c.body(null, 200);
    });
  };
  metadataRoutes("volumes", findVolume, volumeNotFound);
  metadataRoutes("snapshots", findSnapshot, snapshotNotFound);

  // ---- snapshots -------------------------------------------------------------------------

  const listSnapshots = (c: C, detail: boolean) => {
    const everywhere = allTenants(c);
    const projectFilter = everywhere ? c.req.query("project_id") : c.get("project");
    const all = state.snapshotsSorted(projectFilter);
    const status = c.req.query("status");
    const volumeId = c.req.query("volume_id");
    const name = c.req.query("name");
    // Below 3.22 Cinder drops the metadata filter silently (SNAPSHOT_LIST_METADATA_FILTER).
    const meta = mvAtLeast(c.get("mv"), 3, 22) ? metadataFilter(c) : undefined;
    const filter = (s: SnapshotRec) => {
      if (meta === null) return false;
      if (status !== undefined && s.status !== status) return false;
      if (volumeId !== undefined && s.volumeId !== volumeId) return false;
      if (name !== undefined && s.name !== name) return false;
      if (meta && !matchesMeta(s.metadata, meta)) return false;
      return true;
    };
    const res = page(
      c,
      all,
      filter,
      (id) => {
        const s = state.snapshots.get(id);
        return s && (everywhere || s.projectId === c.get("project")) ? s : undefined;
      },
      "snapshots",
      detail ? "snapshots/detail" : "snapshots",
    );
    if (res instanceof Response) return res;
    const body: Json = { snapshots: res.items.map((s) => snapshotView(c, s, detail)) };
    if (res.links) body.snapshots_links = res.links;
    if (mvAtLeast(c.get("mv"), 3, 45) && strictBool(c.req.query("with_count") ?? "false")) {
      body.count = all.filter(filter).length;
    }
    return c.json(body);
  };
  app.get("/volume/v3/:project/snapshots", (c) => listSnapshots(c, false));
  app.get("/volume/v3/:project/snapshots/detail", (c) => listSnapshots(c, true));

  app.get("/volume/v3/:project/snapshots/:id", (c) => {
    const s = findSnapshot(c, param(c, "id"));
    if (!s) return snapshotNotFound(param(c, "id"));
    return c.json({ snapshot: snapshotView(c, s, true) });
  });

  const quotaGigabytes = (size: number, q: QuotaLimits, consumed: number) =>
    cinderFault(
      413,
      `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested ${size}G, quota is ${q.gigabytes}G and ${consumed}G has been consumed.`,
      { "Retry-After": "0" },
    );

  app.post("/volume/v3/:project/snapshots", async (c) => {
    const body = await readJson(c);
    const snap = body?.snapshot;
    if (!snap || typeof snap !== "object") {
      return cinderFault(400, "Missing required element 'snapshot' in request body.");
    }
    if (typeof snap.volume_id !== "string") {
      return cinderFault(
        400,
        "Invalid input for field/attribute snapshot. Value: 'volume_id' is a required property",
      );
    }
    const mv = c.get("mv");
    let force = false;
    if (snap.force !== undefined && snap.force !== null) {
      const f = strictBool(snap.force);
      if (f === undefined) {
        return cinderFault(400, `Invalid input for field/attribute force. Value: ${snap.force}.`);
      }
      force = f;
    }
    const meta = validateMetadata(snap.metadata);
    if (meta instanceof Response) return meta;
    if (typeof snap.name === "string" && snap.name.length > 255) {
      return cinderFault(400, "Invalid input for field/attribute name. Value: too long.");
    }
    const volume = findVolume(c, snap.volume_id);
    if (!volume) return volumeNotFound(snap.volume_id);
    if (mvAtLeast(mv, 3, 66) && snap.force !== undefined && snap.force !== null && !force) {
      return cinderFault(400, SNAPSHOT_IN_USE_FLAG_MSG);
    }
    const allowInUse = force || mvAtLeast(mv, 3, 66);
    if (allowInUse) {
      if (volume.status !== "available" && volume.status !== "in-use") {
        return cinderFault(
          400,
          `Invalid volume: Volume ${volume.id} status must be available or in-use, but current status is: ${volume.status}.`,
        );
      }
    } else if (volume.status !== "available") {
      return cinderFault(
        400,
        `Invalid volume: Volume ${volume.id} status must be available, but current status is: ${volume.status}.`,
      );
    }
    // Quotas are charged to the volume's project: one snapshot plus the volume's full size.
    const project = volume.projectId;
    const q = state.quotaOf(project);
    if (q.snapshots >= 0 || q.gigabytes >= 0) {
      const usage = state.usageOf(project);
      if (q.snapshots >= 0 && usage.snapshots + 1 > q.snapshots) {
        return cinderFault(
          413,
          `SnapshotLimitExceeded: Maximum number of snapshots allowed (${q.snapshots}) exceeded`,
          { "Retry-After": "0" },
        );
      }
      if (q.gigabytes >= 0 && usage.gigabytes + volume.size > q.gigabytes) {
        return quotaGigabytes(volume.size, q, usage.gigabytes);
      }
    }
    const now = state.nowMs();
    const d = c.env.directives;
    const rec: SnapshotRec = {
      id: crypto.randomUUID(),
      projectId: project,
      userId: c.get("auth").token.userId,
      volumeId: volume.id,
      name: typeof snap.name === "string"
        ? snap.name
        : (typeof snap.display_name === "string" ? snap.display_name : ""),
      description: typeof snap.description === "string" ? snap.description : null,
      status: "creating",
      size: volume.size,
      metadata: meta,
      createdAt: now,
      updatedAt: null,
      pending: d.snapshotStuck
        ? null
        : { status: d.snapshotError ? "error" : "available", at: now + ctx.snapshotDelayMs },
      deletedAt: null,
    };
    state.putSnapshot(rec);
    return c.json({ snapshot: snapshotView(c, rec, true) }, 202);
  });

  app.put("/volume/v3/:project/snapshots/:id", async (c) => {
    const s = findSnapshot(c, param(c, "id"));
    if (!s) return snapshotNotFound(param(c, "id"));
    const body = await readJson(c);
    const upd = body?.snapshot;
    if (!upd || typeof upd !== "object") {
      return cinderFault(400, "Missing required element 'snapshot' in request body.");
    }
    if (typeof upd.name === "string") s.name = upd.name;
    if (typeof upd.display_name === "string") s.name = upd.display_name;
    if (typeof upd.description === "string") s.description = upd.description;
    s.updatedAt = state.nowMs();
    return c.json({ snapshot: snapshotView(c, s, true) });
  });

  const startDelete = (c: C, s: SnapshotRec) => {
    s.status = "deleting";
    s.updatedAt = state.nowMs();
    state.setSnapshotPending(s, {
      status: c.env.directives.deleteError ? "error_deleting" : "deleted",
      at: state.nowMs() + ctx.deleteDelayMs,
    });
  };

  app.delete("/volume/v3/:project/snapshots/:id", (c) => {
    const s = findSnapshot(c, param(c, "id"));
    if (!s) return snapshotNotFound(param(c, "id"));
    if (s.status !== "available" && s.status !== "error") {
      return cinderFault(
        400,
        "Invalid snapshot: Snapshot status must be available or error and must not be part of a group.",
      );
    }
    startDelete(c, s);
    return c.body(null, 202);
  });

  app.post("/volume/v3/:project/snapshots/:id/action", async (c) => {
    const body = await readJson(c);
    if (!body || typeof body !== "object" || Object.keys(body).length !== 1) {
      return cinderFault(400, "Malformed request body");
    }
    const action = Object.keys(body)[0]!;
    if (action !== "os-force_delete" && action !== "os-reset_status") {
      return cinderFault(400, `There is no such action: ${action}`);
    }
    const s = findSnapshot(c, param(c, "id"));
    if (!s) return snapshotNotFound(param(c, "id"));
    if (action === "os-force_delete") {
      if (!c.get("auth").isAdmin) {
        return policyDenied("volume_extension:snapshot_admin_actions:force_delete");
      }
      startDelete(c, s);
      return c.body(null, 202);
    }
    if (!c.get("auth").isAdmin) {
      return policyDenied("volume_extension:snapshot_admin_actions:reset_status");
    }
    const status = body[action]?.status;
    if (typeof status !== "string" || !SNAPSHOT_STATUSES.has(status.toLowerCase())) {
      return cinderFault(400, "Must specify a valid status");
    }
    s.status = status.toLowerCase();
    s.updatedAt = state.nowMs();
    state.setSnapshotPending(s, null);
    return c.body(null, 202);
  });

  // ---- quotas ----------------------------------------------------------------------------

  const QUOTA_KEYS: (keyof QuotaLimits)[] = [
    "volumes",
    "snapshots",
    "gigabytes",
    "backups",
    "backup_gigabytes",
    "groups",
    "per_volume_gigabytes",
  ];

  const quotaView = (target: string, usage: boolean): Json => {
    const q = state.quotaOf(target);
    const used = usage ? state.usageOf(target) : { volumes: 0, snapshots: 0, gigabytes: 0 };
    const inUse: Record<string, number> = {
      volumes: used.volumes,
      snapshots: used.snapshots,
      gigabytes: used.gigabytes,
    };
    const out: Json = { id: target };
    const put = (key: string, limit: number, n: number) => {
      // Real Cinder 21 (default quota driver) sends no "allocated" (nested quotas only).
      out[key] = usage ? { limit, in_use: n, reserved: 0 } : limit;
    };
    for (const k of QUOTA_KEYS) put(k, q[k], inUse[k] ?? 0);
    // Per-volume-type quotas of the default type, as Cinder lists them.
    put("volumes___DEFAULT__", -1, used.volumes);
    put("snapshots___DEFAULT__", -1, used.snapshots);
    put("gigabytes___DEFAULT__", -1, used.gigabytes);
    return out;
  };

  app.get("/volume/v3/:project/os-quota-sets/:target", (c) => {
    const target = param(c, "target");
    if (target === "defaults") return c.json({ quota_set: quotaView(c.get("project"), false) });
    if (target !== c.get("project") && !c.get("auth").isAdmin) {
      return policyDenied("volume_extension:quotas:show");
    }
    const usage = strictBool(c.req.query("usage") ?? "false") === true;
    return c.json({ quota_set: quotaView(target, usage) });
  });

  app.get("/volume/v3/:project/os-quota-sets/:target/defaults", (c) => {
    const out: Json = { id: param(c, "target") };
    for (const k of QUOTA_KEYS) out[k] = state.defaultQuotas[k];
    return c.json({ quota_set: out });
  });

  app.put("/volume/v3/:project/os-quota-sets/:target", async (c) => {
    if (!c.get("auth").isAdmin) return policyDenied("volume_extension:quotas:update");
    const target = param(c, "target");
    const body = await readJson(c);
    const set = body?.quota_set;
    if (!set || typeof set !== "object") {
      return cinderFault(400, "Missing required element 'quota_set' in request body.");
    }
    const q: QuotaLimits = { ...state.quotaOf(target) };
    for (const [k, v] of Object.entries(set)) {
      if (!QUOTA_KEYS.includes(k as keyof QuotaLimits)) continue;
      const n = Number(v);
      if (!Number.isInteger(n) || n < -1) {
        return cinderFault(400, `Quota limit ${v} for ${k} must be -1 or greater.`);
      }
      q[k as keyof QuotaLimits] = n;
    }
    state.quotas.set(target, q);
    const out: Json = {};
    for (const k of QUOTA_KEYS) out[k] = q[k];
    return c.json({ quota_set: out });
  });

  app.notFound(() => cinderFault(404, "The resource could not be found."));
  return app;
}
