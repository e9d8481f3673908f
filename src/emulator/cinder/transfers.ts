/**
 * Volume transfers at `<base>/volume/v3/{project_id}/volume-transfers` (3.55+): offer a volume
 * (`no_snapshots` keeps its snapshots in the giving project) and accept it in another project
 * with the auth key. As in real Cinder 21, snapshots left behind stay listed and their metadata
 * writable, but neither deleting them nor creating a volume from them works any more: both load
 * the source volume in the caller's project and answer 404 for it.
 */

import { Hono } from "hono";
import type { ServiceContext } from "../context.ts";
import type { TransferRec } from "../state.ts";
import { cinderFault, cinderTime } from "../wire.ts";
import {
  type C,
  type CEnv,
  type Json,
  lookups,
  mvAtLeast,
  param,
  projUrl,
  readJson,
  strictBool,
  volumeNotFound,
} from "./shared.ts";

function links(c: C, t: TransferRec): Json[] {
  return [
    { rel: "self", href: `${projUrl(c)}/os-volume-transfer/${t.id}` },
    {
      rel: "bookmark",
      href: `${c.env.root}/volume/${c.get("project")}/os-volume-transfer/${t.id}`,
    },
  ];
}

/** The transfer routes, relative to `/volume/v3/:project`. */
export function transfersApp(ctx: ServiceContext): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();
  const { findVolume } = lookups(ctx);
  const notFound = () => cinderFault(404, "The resource could not be found.");

  app.post("/volume-transfers", async (c) => {
    if (!mvAtLeast(c.get("mv"), 3, 55)) return notFound();
    const body = await readJson(c);
    const t = body?.transfer;
    if (!t || typeof t !== "object" || typeof t.volume_id !== "string") {
      return cinderFault(400, "Missing required element 'transfer' in request body.");
    }
    const v = findVolume(c, t.volume_id);
    if (!v) return volumeNotFound(t.volume_id);
    if (v.status !== "available") {
      return cinderFault(400, "Invalid volume: status must be available");
    }
    const noSnapshots = t.no_snapshots === undefined ? false : strictBool(t.no_snapshots);
    if (noSnapshots === undefined) {
      return cinderFault(
        400,
        `Invalid input for field/attribute no_snapshots. Value: ${t.no_snapshots}.`,
      );
    }
    const rec: TransferRec = {
      id: crypto.randomUUID(),
      volumeId: v.id,
      projectId: v.projectId,
      name: typeof t.name === "string" ? t.name : null,
      authKey: crypto.randomUUID().replaceAll("-", "").slice(0, 16),
      noSnapshots,
      createdAt: state.nowMs(),
    };
    state.transfers.set(rec.id, rec);
    v.status = "awaiting-transfer";
    v.updatedAt = state.nowMs();
    return c.json({
      transfer: {
        id: rec.id,
        created_at: cinderTime(rec.createdAt),
        name: rec.name,
        volume_id: rec.volumeId,
        auth_key: rec.authKey,
        links: links(c, rec),
      },
    }, 202);
  });

  app.post("/volume-transfers/:id/accept", async (c) => {
    if (!mvAtLeast(c.get("mv"), 3, 55)) return notFound();
    const id = param(c, "id");
    const rec = state.transfers.get(id);
    if (!rec) return cinderFault(404, `Transfer ${id} could not be found.`);
    const body = await readJson(c);
    if (body?.accept?.auth_key !== rec.authKey) {
      return cinderFault(400, `Invalid auth key: Attempt to transfer ${id} with invalid auth key.`);
    }
    const v = state.volumes.get(rec.volumeId);
    if (!v) return volumeNotFound(rec.volumeId);
    state.transfers.delete(id);
    state.moveVolume(v, c.get("project"), !rec.noSnapshots);
    v.status = "available";
    v.updatedAt = state.nowMs();
    return c.json({ transfer: { id, name: rec.name, volume_id: v.id, links: links(c, rec) } }, 202);
  });
  return app;
}
