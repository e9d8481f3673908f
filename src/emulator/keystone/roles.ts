/** Keystone roles at `<base>/identity/v3/roles` and role grants on a project's users. */

import { Hono } from "hono";
import type { HonoEnv, ServiceContext } from "../context.ts";
import { keystoneError } from "../wire.ts";
import { guards, listLinks } from "./shared.ts";

/** The role and grant routes, relative to `/identity/v3`. */
export function rolesApp(ctx: ServiceContext): Hono<HonoEnv> {
  const { state } = ctx;
  const app = new Hono<HonoEnv>();
  const { adminOnly } = guards(ctx);

  app.get("/roles", (c) => {
    const auth = adminOnly(c, "identity:list_roles");
    if (auth instanceof Response) return auth;
    const name = c.req.query("name");
    const roles = [...state.roles.values()].filter((r) => name === undefined || r.name === name);
    return c.json({
      roles: roles.map((r) => ({
        id: r.id,
        name: r.name,
        domain_id: null,
        description: null,
        options: {},
        links: { self: `${c.env.root}/identity/v3/roles/${r.id}` },
      })),
      links: listLinks(c),
    });
  });

  app.put("/projects/:p/users/:u/roles/:r", (c) => {
    const auth = adminOnly(c, "identity:create_grant");
    if (auth instanceof Response) return auth;
    const { p, u, r } = c.req.param();
    if (!state.projects.has(p)) return keystoneError(404, `Could not find project: ${p}.`);
    if (!state.users.has(u)) return keystoneError(404, `Could not find user: ${u}.`);
    if (!state.roles.has(r)) return keystoneError(404, `Could not find role: ${r}.`);
    state.grant(p, u, r);
    return c.body(null, 204);
  });

  app.get("/projects/:p/users/:u/roles", (c) => {
    const auth = adminOnly(c, "identity:list_grants");
    if (auth instanceof Response) return auth;
    const { p, u } = c.req.param();
    return c.json({
      roles: state.rolesOf(u, p).map((id) => ({ id, name: state.roles.get(id)?.name ?? id })),
      links: listLinks(c),
    });
  });
  return app;
}
