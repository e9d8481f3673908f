/** Cinder volumes at `<base>/volume/v3/{project_id}/volumes`: list, show, create and delete. */

import { Hono } from "hono";
import type { ServiceContext } from "../context.ts";
import type { VolumeRec } from "../state.ts";
import { cinderFault, cinderTime } from "../wire.ts";
import { allTenants, matchesMeta, metadataFilter, pager } from "./_list.ts";
import {
  type C,
  type CEnv,
  type Json,
  lookups,
  mvAtLeast,
  param,
  projUrl,
  quotaGigabytes,
  readJson,
  strictBool,
  validateMetadata,
  volumeNotFound,
} from "./shared.ts";

function volumeLinks(c: C, v: VolumeRec): Json[] {
  return [
    { rel: "self", href: `${projUrl(c)}/volumes/${v.id}` },
    { rel: "bookmark", href: `${c.env.root}/volume/${c.get("project")}/volumes/${v.id}` },
  ];
}

function volumeDetail(c: C, v: VolumeRec): Json {
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
}

function volumeSummary(c: C, v: VolumeRec): Json {
  return {
    id: v.id,
    name: v.name,
    links: volumeLinks(c, v),
  };
}

/** The volume routes, relative to `/volume/v3/:project`. */
export function volumesApp(ctx: ServiceContext): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();
  const { findVolume } = lookups(ctx);
  const page = pager(ctx);

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
  app.get("/volumes", (c) => listVolumes(c, false));
  app.get("/volumes/detail", (c) => listVolumes(c, true));

  app.get("/volumes/:id", (c) => {
    const v = findVolume(c, param(c, "id"));
    if (!v) return volumeNotFound(param(c, "id"));
    return c.json({ volume: volumeDetail(c, v) });
  });

  app.post("/volumes", async (c) => {
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

  app.delete("/volumes/:id", (c) => {
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
  return app;
}
