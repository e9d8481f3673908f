/** Keystone users at `<base>/identity/v3/users`: list, create, show and update. */

import { Hono } from "hono";
import type { HonoEnv, ServiceContext } from "../context.ts";
import type { UserRec } from "../state.ts";
import { hexId, keystoneError } from "../wire.ts";
import { type C, forbidden, guards, type Json, listLinks, readJson } from "./shared.ts";

function userView(c: C, u: UserRec): Json {
  return {
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    default_project_id: u.defaultProjectId ?? undefined,
    email: u.email ?? undefined,
    password_expires_at: null,
    options: {},
    links: { self: `${c.env.root}/identity/v3/users/${u.id}` },
  };
}

/** The user routes, relative to `/identity/v3`. */
export function usersApp(ctx: ServiceContext): Hono<HonoEnv> {
  const { state } = ctx;
  const app = new Hono<HonoEnv>();
  const { guard, adminOnly } = guards(ctx);

  app.get("/users", (c) => {
    const auth = adminOnly(c, "identity:list_users");
    if (auth instanceof Response) return auth;
    const name = c.req.query("name");
    const domainId = c.req.query("domain_id");
    const users = [...state.users.values()].filter((u) =>
      (name === undefined || u.name === name) && (domainId === undefined || u.domainId === domainId)
    );
    return c.json({ users: users.map((u) => userView(c, u)), links: listLinks(c) });
  });

  app.post("/users", async (c) => {
    const auth = adminOnly(c, "identity:create_user");
    if (auth instanceof Response) return auth;
    const body = await readJson(c);
    const u = body?.user;
    if (!u || typeof u.name !== "string") {
      return keystoneError(400, "Invalid input for field 'name': 'name' is a required property");
    }
    const domainId = typeof u.domain_id === "string" ? u.domain_id : "default";
    for (const other of state.users.values()) {
      if (other.name === u.name && other.domainId === domainId) {
        return keystoneError(
          409,
          `Conflict occurred attempting to store user - Duplicate entry found with name ${u.name} at domain ID ${domainId}.`,
        );
      }
    }
    const rec: UserRec = {
      id: hexId(),
      name: u.name,
      domainId,
      password: typeof u.password === "string" ? u.password : "",
      enabled: u.enabled !== false,
      defaultProjectId: typeof u.default_project_id === "string" ? u.default_project_id : null,
      email: typeof u.email === "string" ? u.email : null,
    };
    state.users.set(rec.id, rec);
    return c.json({ user: userView(c, rec) }, 201);
  });

  app.get("/users/:id", (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    if (!auth.isAdmin && auth.token.userId !== c.req.param("id")) {
      return forbidden("identity:get_user");
    }
    const u = state.users.get(c.req.param("id"));
    if (!u) return keystoneError(404, `Could not find user: ${c.req.param("id")}.`);
    return c.json({ user: userView(c, u) });
  });

  app.patch("/users/:id", async (c) => {
    const auth = adminOnly(c, "identity:update_user");
    if (auth instanceof Response) return auth;
    const u = state.users.get(c.req.param("id"));
    if (!u) return keystoneError(404, `Could not find user: ${c.req.param("id")}.`);
    const body = await readJson(c);
    const patch = body?.user;
    if (!patch || typeof patch !== "object") {
      return keystoneError(400, "Invalid input for field 'user'");
    }
    if (typeof patch.password === "string" && patch.password !== u.password) {
      u.password = patch.password;
      // A password change revokes the user's tokens (Keystone's revocation event).
      for (const [id, t] of state.tokens) if (t.userId === u.id) state.tokens.delete(id);
    }
    if (typeof patch.enabled === "boolean") u.enabled = patch.enabled;
    if (typeof patch.name === "string") u.name = patch.name;
    if (typeof patch.email === "string") u.email = patch.email;
    if (typeof patch.default_project_id === "string") u.defaultProjectId = patch.default_project_id;
    return c.json({ user: userView(c, u) });
  });
  return app;
}
