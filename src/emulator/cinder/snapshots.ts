/**
 * Cinder snapshots at `<base>/volume/v3/{project_id}/snapshots`: list, show, create (quota and
 * the `force` flag), update, delete and the admin actions `os-force_delete` and
 * `os-reset_status`. New and deleted snapshots move on lazily (see `CloudState.settle`).
 */

import { Hono } from "hono";
import type { ServiceContext } from "../context.ts";
import type { SnapshotRec } from "../state.ts";
import { cinderFault, cinderTime } from "../wire.ts";
import { allTenants, matchesMeta, metadataFilter, pager } from "./_list.ts";
import {
  type C,
  type CEnv,
  type Json,
  lookups,
  mvAtLeast,
  param,
  policyDenied,
  quotaGigabytes,
  readJson,
  snapshotNotFound,
  strictBool,
  validateMetadata,
  volumeNotFound,
} from "./shared.ts";

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

function snapshotView(c: C, s: SnapshotRec, detail: boolean): Json {
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
}

/** The snapshot routes, relative to `/volume/v3/:project`. */
export function snapshotsApp(ctx: ServiceContext): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();
  const { findVolume, findSnapshot } = lookups(ctx);
  const page = pager(ctx);

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
  app.get("/snapshots", (c) => listSnapshots(c, false));
  app.get("/snapshots/detail", (c) => listSnapshots(c, true));

  app.get("/snapshots/:id", (c) => {
    const s = findSnapshot(c, param(c, "id"));
    if (!s) return snapshotNotFound(param(c, "id"));
    return c.json({ snapshot: snapshotView(c, s, true) });
  });

  app.post("/snapshots", async (c) => {
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

  app.put("/snapshots/:id", async (c) => {
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

  app.delete("/snapshots/:id", (c) => {
    const s = findSnapshot(c, param(c, "id"));
    if (!s) return snapshotNotFound(param(c, "id"));
    // Cinder loads the snapshot's volume in the caller's project: once the volume was transferred
    // away without its snapshots, the snapshot cannot be deleted (real Cinder 21 answers so).
    if (!findVolume(c, s.volumeId)) return volumeNotFound(s.volumeId);
    if (s.status !== "available" && s.status !== "error") {
      return cinderFault(
        400,
        "Invalid snapshot: Snapshot status must be available or error and must not be part of a group.",
      );
    }
    startDelete(c, s);
    return c.body(null, 202);
  });

  app.post("/snapshots/:id/action", async (c) => {
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
  return app;
}
