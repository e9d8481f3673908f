/**
 * Cinder volumes at `<base>/volume/v3/{project_id}/volumes`: list, show, create (also from a
 * snapshot), delete, and the `revert` action (3.40+). Rules and messages follow
 * cinder/api/v3/volumes.py and cinder/volume/flows/api/create_volume.py, checked against Cinder 21.
 */

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
  snapshotNotFound,
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
    snapshot_id: v.snapshotId ?? null,
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
  const { findVolume, findSnapshot } = lookups(ctx);
  const page = pager(ctx);
  /** Volume types and zones the cloud knows: the defaults and whatever volumes already use. */
  const known = (field: "volumeType" | "availabilityZone", fallback: string) =>
    new Set([fallback, ...[...state.volumes.values()].map((v) => v[field])]);

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
    // From a snapshot: Cinder reads the snapshot, then its source volume, in the caller's project.
    let source: { size: number; volume: VolumeRec; snapshotId: string } | undefined;
    if (vol.snapshot_id !== undefined && vol.snapshot_id !== null) {
      const snap = findSnapshot(c, String(vol.snapshot_id));
      if (!snap) return snapshotNotFound(String(vol.snapshot_id));
      const from = findVolume(c, snap.volumeId);
      if (!from) return volumeNotFound(snap.volumeId);
      if (snap.status !== "available") {
        return cinderFault(
          400,
          "Invalid snapshot: Originating snapshot status must be one of available values",
        );
      }
      source = { size: snap.size, volume: from, snapshotId: snap.id };
    }
    const size = vol.size === undefined || vol.size === null
      ? source?.size ?? NaN
      : Number(vol.size);
    if (!Number.isInteger(size) || size < 1) {
      return cinderFault(
        400,
        "Invalid input for field/attribute size. Value: must be an integer >= 1.",
      );
    }
    if (source && size < source.size) {
      return cinderFault(
        400,
        `Invalid input received: Volume size '${size}'GB cannot be smaller than the snapshot size ${source.size}GB. They must be >= original snapshot size.`,
      );
    }
    if (
      typeof vol.volume_type === "string" &&
      !known("volumeType", "__DEFAULT__").has(vol.volume_type)
    ) {
      return cinderFault(404, `Volume type with name ${vol.volume_type} could not be found.`);
    }
    if (typeof vol.availability_zone === "string") {
      if (!known("availabilityZone", "nova").has(vol.availability_zone)) {
        return cinderFault(400, `Availability zone '${vol.availability_zone}' is invalid.`);
      }
      // cloned_volume_same_az (default true): a volume from a snapshot stays in its zone.
      if (source && vol.availability_zone !== source.volume.availabilityZone) {
        return cinderFault(
          400,
          "Invalid input received: Volume must be in the same availability zone as the snapshot",
        );
      }
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
      bootable: source?.volume.bootable ?? false,
      volumeType: typeof vol.volume_type === "string"
        ? vol.volume_type
        : source?.volume.volumeType ?? "__DEFAULT__",
      availabilityZone: typeof vol.availability_zone === "string"
        ? vol.availability_zone
        : source?.volume.availabilityZone ?? "nova",
      createdAt: now,
      updatedAt: null,
      pending: { status: "available", at: now + ctx.volumeDelayMs },
      snapshotId: source?.snapshotId ?? null,
    };
    state.putVolume(rec);
    return c.json({ volume: volumeDetail(c, rec) }, 202);
  });

  app.post("/volumes/:id/action", async (c) => {
    const body = await readJson(c);
    if (!body || typeof body !== "object" || Object.keys(body).length !== 1) {
      return cinderFault(400, "Malformed request body");
    }
    const action = Object.keys(body)[0]!;
    // `revert` exists from 3.40; below it Cinder finds no such resource.
    if (action !== "revert" || !mvAtLeast(c.get("mv"), 3, 40)) {
      if (action === "revert") return cinderFault(404, "The resource could not be found.");
      return cinderFault(
        400,
        `There is no such action: ${action}. Verify the request body and Content-Type header and try again.`,
      );
    }
    const v = findVolume(c, param(c, "id"));
    if (!v) return volumeNotFound(param(c, "id"));
    const wanted = body.revert?.snapshot_id ?? null;
    // The latest snapshot of the volume, whatever its status (snapshot_get_latest_for_volume).
    const latest = state.snapshotsOfVolume(v.id).sort((a, b) =>
      b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)
    )[0];
    if (!latest) {
      return cinderFault(400, `Volume ${v.id} doesn't have any snapshots.`);
    }
    if (wanted !== latest.id) {
      return cinderFault(
        400,
        `Specified snapshot ${wanted ?? "None"} is None or not the latest one of volume ${v.id}.`,
      );
    }
    const cant = `Can't revert volume ${v.id} to its latest snapshot ${latest.id}.`;
    if (v.size !== latest.size) {
      return cinderFault(400, `${cant} The volume size must be equal to the snapshot size.`);
    }
    if (v.status !== "available") {
      return cinderFault(409, `Invalid volume: ${cant} Volume's status must be 'available'.`);
    }
    if (latest.status !== "available") {
      return cinderFault(409, `Invalid snapshot: ${cant} Snapshot's status must be 'available'.`);
    }
    const now = state.nowMs();
    v.status = "reverting";
    v.updatedAt = now;
    state.setVolumePending(v, { status: "available", at: now + ctx.volumeDelayMs });
    latest.status = "restoring";
    latest.updatedAt = now;
    state.setSnapshotPending(latest, { status: "available", at: now + ctx.volumeDelayMs });
    return c.body(null, 202);
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
