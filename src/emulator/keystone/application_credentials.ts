/**
 * Keystone application credentials at `<base>/identity/v3/users/{user_id}/application_credentials`:
 * list, show, create (roles, access rules, expiry) and delete (revoking its tokens).
 */

import { Hono } from "hono";
import type { Authenticated, HonoEnv, ServiceContext } from "../context.ts";
import type { AccessRule, AppCredRec } from "../state.ts";
import { hexId, keystoneError, keystoneTime, randomToken } from "../wire.ts";
import { type C, forbidden, guards, type Json, listLinks, readJson } from "./shared.ts";

function appCredView(c: C, ctx: ServiceContext, a: AppCredRec, withSecret: boolean): Json {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    project_id: a.projectId,
    user_id: a.userId,
    expires_at: a.expiresAt === null ? null : keystoneTime(a.expiresAt).slice(0, -1),
    unrestricted: a.unrestricted,
    roles: a.roleIds.map((id) => ({
      id,
      name: ctx.state.roles.get(id)?.name ?? id,
      domain_id: null,
    })),
    access_rules: a.accessRules.map((r) => ({ ...r })),
    ...(withSecret ? { secret: a.secret } : {}),
    links: {
      self: `${c.env.root}/identity/v3/users/${a.userId}/application_credentials/${a.id}`,
    },
  };
}

/** The application credential routes, relative to `/identity/v3`. */
export function applicationCredentialsApp(ctx: ServiceContext): Hono<HonoEnv> {
  const { state } = ctx;
  const app = new Hono<HonoEnv>();
  const { guard } = guards(ctx);

  const ownerOrAdmin = (c: C, action: string): Authenticated | Response => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    if (auth.token.userId !== c.req.param("user") && !auth.isAdmin) return forbidden(action);
    return auth;
  };

  app.get("/users/:user/application_credentials", (c) => {
    const auth = ownerOrAdmin(c, "identity:list_application_credentials");
    if (auth instanceof Response) return auth;
    const name = c.req.query("name");
    const list = [...state.appCreds.values()].filter((a) =>
      a.userId === c.req.param("user") && (name === undefined || a.name === name)
    );
    return c.json({
      application_credentials: list.map((a) => appCredView(c, ctx, a, false)),
      links: listLinks(c),
    });
  });

  app.get("/users/:user/application_credentials/:id", (c) => {
    const auth = ownerOrAdmin(c, "identity:get_application_credential");
    if (auth instanceof Response) return auth;
    const a = state.appCreds.get(c.req.param("id"));
    if (!a || a.userId !== c.req.param("user")) {
      return keystoneError(404, `Could not find Application Credential: ${c.req.param("id")}.`);
    }
    return c.json({ application_credential: appCredView(c, ctx, a, false) });
  });

  app.post("/users/:user/application_credentials", async (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    const userId = c.req.param("user");
    // A user creates its own credentials only (policy "user_id:%(user_id)s").
    if (auth.token.userId !== userId) return forbidden("identity:create_application_credential");
    if (auth.appCred && !auth.appCred.unrestricted) {
      return keystoneError(
        403,
        "Using method 'application_credential' is not allowed for managing additional application credentials.",
      );
    }
    if (!auth.token.projectId) {
      return keystoneError(401, "Application credential requires a project-scoped token.");
    }
    const body = await readJson(c);
    const a = body?.application_credential;
    if (!a || typeof a.name !== "string") {
      return keystoneError(400, "Invalid input for field 'name': 'name' is a required property");
    }
    for (const other of state.appCreds.values()) {
      if (other.userId === userId && other.name === a.name) {
        return keystoneError(
          409,
          `Conflict occurred attempting to store application_credential - Duplicate entry found with name ${a.name}.`,
        );
      }
    }
    let roleIds = [...auth.token.roleIds];
    if (Array.isArray(a.roles) && a.roles.length > 0) {
      const wanted: string[] = [];
      for (const r of a.roles) {
        const role = typeof r?.id === "string"
          ? state.roles.get(r.id)
          : state.roleByName(String(r?.name));
        if (!role || !roleIds.includes(role.id)) {
          return keystoneError(
            400,
            `Invalid application credential: User ${userId} does not have role ${
              r?.id ?? r?.name
            } in project ${auth.token.projectId}`,
          );
        }
        wanted.push(role.id);
      }
      roleIds = wanted;
    }
    const accessRules: AccessRule[] = [];
    if (Array.isArray(a.access_rules)) {
      for (const r of a.access_rules) {
        if (
          typeof r?.path !== "string" || typeof r?.method !== "string" ||
          typeof r?.service !== "string"
        ) {
          return keystoneError(400, "Invalid input for field 'access_rules'");
        }
        accessRules.push({
          id: hexId(),
          path: r.path,
          method: r.method.toUpperCase(),
          service: r.service,
        });
      }
    }
    let expiresAt: number | null = null;
    if (typeof a.expires_at === "string") {
      const s = /Z|[+-]\d\d:?\d\d$/.test(a.expires_at) ? a.expires_at : `${a.expires_at}Z`;
      const ms = Date.parse(s);
      if (Number.isNaN(ms)) return keystoneError(400, "Invalid input for field 'expires_at'");
      expiresAt = ms;
    }
    const rec: AppCredRec = {
      id: hexId(),
      name: a.name,
      userId,
      projectId: auth.token.projectId,
      secret: typeof a.secret === "string" && a.secret ? a.secret : randomToken(48).slice(6),
      description: typeof a.description === "string" ? a.description : null,
      roleIds,
      expiresAt,
      unrestricted: a.unrestricted === true,
      accessRules,
    };
    state.appCreds.set(rec.id, rec);
    return c.json({ application_credential: appCredView(c, ctx, rec, true) }, 201);
  });

  app.delete("/users/:user/application_credentials/:id", (c) => {
    const auth = ownerOrAdmin(c, "identity:delete_application_credential");
    if (auth instanceof Response) return auth;
    const a = state.appCreds.get(c.req.param("id"));
    if (!a || a.userId !== c.req.param("user")) {
      return keystoneError(404, `Could not find Application Credential: ${c.req.param("id")}.`);
    }
    state.appCreds.delete(a.id);
    for (const [id, t] of state.tokens) if (t.appCredId === a.id) state.tokens.delete(id);
    return c.body(null, 204);
  });

  return app;
}
