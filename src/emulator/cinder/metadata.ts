/**
 * Cinder's metadata routes, `…/{volumes|snapshots}/{id}/metadata[/{key}]`: one implementation
 * mounted once per resource.
 */

import { Hono } from "hono";
import type { ServiceContext } from "../context.ts";
import { cinderFault } from "../wire.ts";
import { type C, type CEnv, param, readJson, validateMetadata } from "./shared.ts";

/** The metadata routes of `kind`, relative to `/volume/v3/:project`. */
export function metadataApp(
  ctx: ServiceContext,
  kind: "volumes" | "snapshots",
  find: (
    c: C,
    id: string,
  ) => { metadata: Record<string, string>; updatedAt: number | null } | undefined,
  notFound: (id: string) => Response,
): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();
  const base = `/${kind}/:id/metadata`;
  // As Cinder words it (VolumeMetadataNotFound, SnapshotMetadataNotFound).
  const noKey = (id: string, key: string) =>
    cinderFault(
      404,
      `${kind === "volumes" ? "Volume" : "Snapshot"} ${id} has no metadata with key ${key}.`,
    );
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
    if (!(key in r.metadata)) return noKey(param(c, "id"), key);
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
    if (!(key in r.metadata)) return noKey(param(c, "id"), key);
    const { [key]: _gone, ...rest } = r.metadata;
    r.metadata = rest;
    r.updatedAt = state.nowMs();
    return c.body(null, 200);
  });
  return app;
}
