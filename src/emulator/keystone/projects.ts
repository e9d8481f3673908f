/** Keystone projects at `<base>/identity/v3/projects`: list (with tag filters), create, show and tags. */

import { Hono } from "hono";
import type { HonoEnv, ServiceContext } from "../context.ts";
import type { ProjectRec } from "../state.ts";
import { hexId, keystoneError } from "../wire.ts";
import { type C, forbidden, guards, type Json, listLinks, readJson } from "./shared.ts";

export function projectView(c: C, p: ProjectRec): Json {
  return {
    id: p.id,
    name: p.name,
    domain_id: p.domainId,
    description: p.description,
    enabled: p.enabled,
    parent_id: p.domainId,
    is_domain: false,
    tags: [...p.tags],
    options: {},
    links: { self: `${c.env.root}/identity/v3/projects/${p.id}` },
  };
}

/** The project routes, relative to `/identity/v3`. */
export function projectsApp(ctx: ServiceContext): Hono<HonoEnv> {
  const { state } = ctx;
  const app = new Hono<HonoEnv>();
  const { guard, adminOnly } = guards(ctx);

  app.get("/projects", (c) => {
    const auth = adminOnly(c, "identity:list_projects");
    if (auth instanceof Response) return auth;
    const q = (k: string) => c.req.query(k);
    const split = (v: string | undefined) => v === undefined ? undefined : v.split(",");
    const tags = split(q("tags"));
    const tagsAny = split(q("tags-any"));
    const notTags = split(q("not-tags"));
    const notTagsAny = split(q("not-tags-any"));
    const name = q("name");
    const domainId = q("domain_id");
    const enabled = q("enabled");
    const projects = [...state.projects.values()].filter((p) => {
      if (name !== undefined && p.name !== name) return false;
      if (domainId !== undefined && p.domainId !== domainId) return false;
      if (enabled !== undefined && String(p.enabled) !== enabled.toLowerCase()) return false;
      if (tags && !tags.every((t) => p.tags.includes(t))) return false;
      if (tagsAny && !tagsAny.some((t) => p.tags.includes(t))) return false;
      if (notTags && notTags.every((t) => p.tags.includes(t))) return false;
      if (notTagsAny && notTagsAny.some((t) => p.tags.includes(t))) return false;
      return true;
    });
    return c.json({ projects: projects.map((p) => projectView(c, p)), links: listLinks(c) });
  });

  app.post("/projects", async (c) => {
    const auth = adminOnly(c, "identity:create_project");
    if (auth instanceof Response) return auth;
    const body = await readJson(c);
    const p = body?.project;
    if (!p || typeof p.name !== "string") {
      return keystoneError(400, "Invalid input for field 'name': 'name' is a required property");
    }
    const domainId = typeof p.domain_id === "string" ? p.domain_id : "default";
    for (const other of state.projects.values()) {
      if (other.name === p.name && other.domainId === domainId) {
        return keystoneError(
          409,
          `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${p.name}.`,
        );
      }
    }
    const rec: ProjectRec = {
      id: hexId(),
      name: p.name,
      domainId,
      description: typeof p.description === "string" ? p.description : "",
      enabled: p.enabled !== false,
      tags: Array.isArray(p.tags) ? p.tags.map(String) : [],
    };
    state.projects.set(rec.id, rec);
    return c.json({ project: projectView(c, rec) }, 201);
  });

  app.get("/projects/:id", (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    const p = state.projects.get(c.req.param("id"));
    if (!auth.isAdmin && auth.token.projectId !== c.req.param("id")) {
      return forbidden("identity:get_project");
    }
    if (!p) return keystoneError(404, `Could not find project: ${c.req.param("id")}.`);
    return c.json({ project: projectView(c, p) });
  });

  app.get("/projects/:id/tags", (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    const p = state.projects.get(c.req.param("id"));
    if (!p) return keystoneError(404, `Could not find project: ${c.req.param("id")}.`);
    return c.json({ tags: [...p.tags] });
  });

  app.put("/projects/:id/tags/:tag", (c) => {
    const auth = adminOnly(c, "identity:create_project_tag");
    if (auth instanceof Response) return auth;
    const p = state.projects.get(c.req.param("id"));
    if (!p) return keystoneError(404, `Could not find project: ${c.req.param("id")}.`);
    const tag = decodeURIComponent(c.req.param("tag"));
    if (!p.tags.includes(tag)) p.tags.push(tag);
    return c.body(null, 201);
  });

  app.delete("/projects/:id/tags/:tag", (c) => {
    const auth = adminOnly(c, "identity:delete_project_tag");
    if (auth instanceof Response) return auth;
    const p = state.projects.get(c.req.param("id"));
    if (!p) return keystoneError(404, `Could not find project: ${c.req.param("id")}.`);
    const tag = decodeURIComponent(c.req.param("tag"));
    if (!p.tags.includes(tag)) return keystoneError(404, `Could not find project tag: ${tag}.`);
    p.tags = p.tags.filter((t) => t !== tag);
    return c.body(null, 204);
  });
  return app;
}
