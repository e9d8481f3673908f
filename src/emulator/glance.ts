/**
 * Emulated Glance metadefs at `<base>/image/v2/metadefs/`: namespaces, resource type associations
 * and properties; enough for an idempotent installer. Reads need a valid token; writes need the
 * admin role (Glance's default metadef policy since Wallaby).
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { type Authenticated, type HonoEnv, type ServiceContext, validateToken } from "./context.ts";
import type { MetadefNamespace, MetadefProperty } from "./state.ts";
import { keystoneError, UNAUTHENTICATED_MESSAGE } from "./wire.ts";

type C = Context<HonoEnv>;
// deno-lint-ignore no-explicit-any
type Json = any;

/** Glance answers errors as plain text with the status line first. */
function glanceError(status: number, title: string, detail: string): Response {
  return new Response(`${status} ${title}\n\n${detail}\n\n   `, {
    status,
    headers: { "content-type": "text/plain; charset=UTF-8" },
  });
}

function isoNow(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + "Z";
}

export function glanceApp(ctx: ServiceContext): Hono<HonoEnv> {
  const { state } = ctx;
  const app = new Hono<HonoEnv>();
  const base = "/image/v2/metadefs/namespaces";

  const auth = (c: C, write: boolean): Authenticated | Response => {
    const a = validateToken(state, c.req.header("X-Auth-Token"));
    if (!a) return keystoneError(401, UNAUTHENTICATED_MESSAGE);
    if (write && !a.isAdmin) {
      return glanceError(403, "Forbidden", "You are not authorized to complete this action.");
    }
    return a;
  };

  const readJson = async (c: C): Promise<Json | undefined> => {
    try {
      return await c.req.json();
    } catch {
      return undefined;
    }
  };

  const nsView = (c: C, ns: MetadefNamespace, full: boolean): Json => {
    const out: Json = {
      namespace: ns.namespace,
      display_name: ns.display_name,
      description: ns.description,
      visibility: ns.visibility,
      protected: ns.protected,
      owner: ns.owner,
      created_at: ns.created_at,
      updated_at: ns.updated_at,
      self: `/v2/metadefs/namespaces/${ns.namespace}`,
      schema: "/v2/schemas/metadefs/namespace",
    };
    if (ns.resourceTypes.size > 0) {
      out.resource_type_associations = [...ns.resourceTypes.values()].map((r) => ({ ...r }));
    }
    if (full && ns.properties.size > 0) {
      out.properties = Object.fromEntries(
        [...ns.properties.values()].map(({ name, ...rest }) => [name, rest]),
      );
    }
    void c;
    return out;
  };

  const notFound = (name: string) =>
    glanceError(404, "Not Found", `Metadata definition namespace=${name} was not found.`);

  app.get(base, (c) => {
    const a = auth(c, false);
    if (a instanceof Response) return a;
    const rt = c.req.query("resource_types");
    const list = [...state.namespaces.values()].filter((ns) =>
      rt === undefined || rt.split(",").some((t) => ns.resourceTypes.has(t))
    );
    return c.json({
      namespaces: list.map((ns) => nsView(c, ns, false)),
      first: "/v2/metadefs/namespaces",
      schema: "/v2/schemas/metadefs/namespaces",
    });
  });

  app.post(base, async (c) => {
    const a = auth(c, true);
    if (a instanceof Response) return a;
    const body = await readJson(c);
    if (!body || typeof body.namespace !== "string" || body.namespace === "") {
      return glanceError(400, "Bad Request", "Namespace name is required.");
    }
    if (state.namespaces.has(body.namespace)) {
      return glanceError(409, "Conflict", `Namespace ${body.namespace} already exists`);
    }
    const now = isoNow(state.nowMs());
    const ns: MetadefNamespace = {
      namespace: body.namespace,
      display_name: body.display_name,
      description: body.description,
      visibility: body.visibility ?? "private",
      protected: body.protected === true,
      owner: a.token.projectId ?? "",
      created_at: now,
      updated_at: now,
      resourceTypes: new Map(),
      properties: new Map(),
    };
    for (
      const r of Array.isArray(body.resource_type_associations)
        ? body.resource_type_associations
        : []
    ) {
      if (typeof r?.name === "string") {
        ns.resourceTypes.set(r.name, { ...r, created_at: now, updated_at: now });
      }
    }
    if (body.properties && typeof body.properties === "object") {
      for (const [name, p] of Object.entries(body.properties as Record<string, Json>)) {
        ns.properties.set(name, { ...p, name });
      }
    }
    state.namespaces.set(ns.namespace, ns);
    return c.json(nsView(c, ns, true), 201);
  });

  app.get(`${base}/:ns`, (c) => {
    const a = auth(c, false);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    return c.json(nsView(c, ns, true));
  });

  app.put(`${base}/:ns`, async (c) => {
    const a = auth(c, true);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    const body = await readJson(c);
    if (!body || typeof body !== "object") return glanceError(400, "Bad Request", "Invalid body");
    if (typeof body.namespace === "string" && body.namespace !== ns.namespace) {
      if (state.namespaces.has(body.namespace)) {
        return glanceError(409, "Conflict", `Namespace ${body.namespace} already exists`);
      }
      state.namespaces.delete(ns.namespace);
      ns.namespace = body.namespace;
      state.namespaces.set(ns.namespace, ns);
    }
    for (const k of ["display_name", "description", "visibility"] as const) {
      if (typeof body[k] === "string") ns[k] = body[k];
    }
    if (typeof body.protected === "boolean") ns.protected = body.protected;
    ns.updated_at = isoNow(state.nowMs());
    return c.json(nsView(c, ns, true));
  });

  app.delete(`${base}/:ns`, (c) => {
    const a = auth(c, true);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    if (ns.protected) {
      return glanceError(
        403,
        "Forbidden",
        `Namespace ${ns.namespace} is protected and cannot be deleted.`,
      );
    }
    state.namespaces.delete(ns.namespace);
    return c.body(null, 204);
  });

  // ---- resource type associations ---------------------------------------------------------

  app.get(`${base}/:ns/resource_types`, (c) => {
    const a = auth(c, false);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    return c.json({
      resource_type_associations: [...ns.resourceTypes.values()].map((r) => ({ ...r })),
    });
  });

  app.post(`${base}/:ns/resource_types`, async (c) => {
    const a = auth(c, true);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    const body = await readJson(c);
    if (!body || typeof body.name !== "string") {
      return glanceError(400, "Bad Request", "Resource type name is required.");
    }
    if (ns.resourceTypes.has(body.name)) {
      return glanceError(
        409,
        "Conflict",
        `The metadata definition resource-type association of resource-type=${body.name} to namespace=${ns.namespace}, already exists.`,
      );
    }
    const now = isoNow(state.nowMs());
    const rec = { ...body, created_at: now, updated_at: now };
    ns.resourceTypes.set(body.name, rec);
    return c.json(rec, 201);
  });

  app.delete(`${base}/:ns/resource_types/:rt`, (c) => {
    const a = auth(c, true);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    if (!ns.resourceTypes.delete(c.req.param("rt"))) {
      return glanceError(
        404,
        "Not Found",
        `Metadata definition resource-type-association not found.`,
      );
    }
    return c.body(null, 204);
  });

  // ---- properties -------------------------------------------------------------------------

  const propView = (p: MetadefProperty) => ({ ...p });

  app.get(`${base}/:ns/properties`, (c) => {
    const a = auth(c, false);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    return c.json({
      properties: Object.fromEntries(
        [...ns.properties.values()].map(({ name, ...rest }) => [name, rest]),
      ),
    });
  });

  app.post(`${base}/:ns/properties`, async (c) => {
    const a = auth(c, true);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    const body = await readJson(c);
    if (!body || typeof body.name !== "string" || typeof body.type !== "string") {
      return glanceError(400, "Bad Request", "Property name, title and type are required.");
    }
    if (ns.properties.has(body.name)) {
      return glanceError(
        409,
        "Conflict",
        `A metadata definition property with name=${body.name} already exists in namespace=${ns.namespace}.`,
      );
    }
    const p: MetadefProperty = { ...body };
    ns.properties.set(p.name, p);
    return c.json(propView(p), 201);
  });

  const propNotFound = (ns: string, name: string) =>
    glanceError(
      404,
      "Not Found",
      `Metadata definition property=${name} not found in namespace=${ns}.`,
    );

  app.get(`${base}/:ns/properties/:p`, (c) => {
    const a = auth(c, false);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    const p = ns.properties.get(c.req.param("p"));
    if (!p) return propNotFound(ns.namespace, c.req.param("p"));
    return c.json(propView(p));
  });

  app.put(`${base}/:ns/properties/:p`, async (c) => {
    const a = auth(c, true);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    const old = ns.properties.get(c.req.param("p"));
    if (!old) return propNotFound(ns.namespace, c.req.param("p"));
    const body = await readJson(c);
    if (!body || typeof body.name !== "string" || typeof body.type !== "string") {
      return glanceError(400, "Bad Request", "Property name, title and type are required.");
    }
    ns.properties.delete(old.name);
    const p: MetadefProperty = { ...body };
    ns.properties.set(p.name, p);
    return c.json(propView(p));
  });

  app.delete(`${base}/:ns/properties/:p`, (c) => {
    const a = auth(c, true);
    if (a instanceof Response) return a;
    const ns = state.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c.req.param("ns"));
    if (!ns.properties.delete(c.req.param("p"))) {
      return propNotFound(ns.namespace, c.req.param("p"));
    }
    return c.body(null, 204);
  });

  return app;
}
