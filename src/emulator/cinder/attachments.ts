/**
 * Cinder's attachments API at `<base>/volume/v3/{project_id}/attachments` (3.27+; `os-complete`
 * 3.44+): enough to attach a volume without Nova.
 */

import { Hono } from "hono";
import type { ServiceContext } from "../context.ts";
import type { AttachmentRec, VolumeRec } from "../state.ts";
import { cinderFault, cinderTime } from "../wire.ts";
import {
  type C,
  type CEnv,
  type Json,
  lookups,
  mvAtLeast,
  param,
  readJson,
  volumeNotFound,
} from "./shared.ts";

function attachmentView(v: VolumeRec, a: AttachmentRec): Json {
  return {
    id: a.attachmentId,
    status: a.status ?? "attached",
    instance: a.serverId,
    volume_id: v.id,
    // Real Cinder 21 renders unset times as "" and the unset mode as the string "null".
    attached_at: a.attachedAt === null ? "" : cinderTime(a.attachedAt),
    detached_at: "",
    attach_mode: a.device === null ? "null" : "rw",
    connection_info: {},
  };
}

function resourceNotFound(): Response {
  return cinderFault(404, "The resource could not be found.");
}

/** The attachment routes, relative to `/volume/v3/:project`. */
export function attachmentsApp(ctx: ServiceContext): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();
  const { findVolume } = lookups(ctx);

  const findAttachment = (c: C, id: string): { v: VolumeRec; a: AttachmentRec } | undefined => {
    for (const v of state.volumes.values()) {
      if (v.projectId !== c.get("project") && !c.get("auth").isAdmin) continue;
      const a = v.attachments.find((x) => x.attachmentId === id);
      if (a) return { v, a };
    }
    return undefined;
  };

  app.post("/attachments", async (c) => {
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

  app.get("/attachments/:id", (c) => {
    if (!mvAtLeast(c.get("mv"), 3, 27)) return resourceNotFound();
    const found = findAttachment(c, param(c, "id"));
    if (!found) return cinderFault(404, `VolumeAttachment ${param(c, "id")} could not be found.`);
    return c.json({ attachment: attachmentView(found.v, found.a) });
  });

  app.post("/attachments/:id/action", async (c) => {
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

  app.delete("/attachments/:id", (c) => {
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
  return app;
}
