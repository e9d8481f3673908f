/**
 * Emulated Keystone v3 at `<base>/identity/v3`: token issue (password, application credential,
 * token), projects with tags, users, roles, role grants and application credentials, with the
 * default policy's admin checks. Error bodies follow Keystone's `{"error": {...}}` shape.
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { type Authenticated, type HonoEnv, type ServiceContext, validateToken } from "./context.ts";
import type { AccessRule, AppCredRec, ProjectRec, TokenRec, UserRec } from "./state.ts";
import {
  hexId,
  keystoneError,
  keystoneTime,
  randomToken,
  UNAUTHENTICATED_MESSAGE,
} from "./wire.ts";

type C = Context<HonoEnv>;

// deno-lint-ignore no-explicit-any
type Json = any;

async function readJson(c: C): Promise<Json | undefined> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

function forbidden(action: string): Response {
  return keystoneError(
    403,
    `You are not authorized to perform the requested action: ${action}.`,
  );
}

/** Service catalog entries for a project (types identity, volumev3, block-storage, image). */
export function buildCatalog(ctx: ServiceContext, projectId: string): Json[] {
  const base = ctx.baseUrl();
  const volumeUrl = `${base}/volume/v3/${projectId}`;
  const service = (type: string, name: string, url: string, seed: string) => ({
    endpoints: ["public", "internal", "admin"].map((iface) => ({
      id: `${seed}${iface.slice(0, 3)}`.padEnd(32, "0"),
      interface: iface,
      region: ctx.region,
      region_id: ctx.region,
      url,
    })),
    id: seed.padEnd(32, "0"),
    type,
    name,
  });
  return [
    service("identity", "keystone", `${base}/identity`, "1d"),
    service("volumev3", "cinderv3", volumeUrl, "3a"),
    service("block-storage", "cinder", volumeUrl, "3b"),
    service("image", "glance", `${base}/image`, "9a"),
  ];
}

function projectView(c: C, p: ProjectRec): Json {
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

export function keystoneApp(ctx: ServiceContext): Hono<HonoEnv> {
  const { state } = ctx;
  const app = new Hono<HonoEnv>();

  const versionDoc = (c: C) => ({
    id: "v3.14",
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: `${c.env.root}/identity/v3/` }],
    "media-types": [{
      base: "application/json",
      type: "application/vnd.openstack.identity-v3+json",
    }],
  });
  app.get("/identity", (c) => c.json({ versions: { values: [versionDoc(c)] } }, 300));
  app.get("/identity/", (c) => c.json({ versions: { values: [versionDoc(c)] } }, 300));
  app.get("/identity/v3", (c) => c.json({ version: versionDoc(c) }));
  app.get("/identity/v3/", (c) => c.json({ version: versionDoc(c) }));

  // ---- tokens -----------------------------------------------------------------------------

  const unauthorized = () => keystoneError(401, UNAUTHENTICATED_MESSAGE);

  const findUser = (ref: Json): UserRec | undefined => {
    if (!ref || typeof ref !== "object") return undefined;
    if (typeof ref.id === "string") return state.users.get(ref.id);
    if (typeof ref.name !== "string") return undefined;
    const domain = state.findDomain(ref.domain);
    if (!domain) return undefined;
    for (const u of state.users.values()) {
      if (u.name === ref.name && u.domainId === domain.id) return u;
    }
    return undefined;
  };

  const findProject = (ref: Json): ProjectRec | undefined => {
    if (!ref || typeof ref !== "object") return undefined;
    if (typeof ref.id === "string") return state.projects.get(ref.id);
    const domain = state.findDomain(ref.domain);
    if (!domain) return undefined;
    for (const p of state.projects.values()) {
      if (p.name === ref.name && p.domainId === domain.id) return p;
    }
    return undefined;
  };

  app.post("/identity/v3/auth/tokens", async (c) => {
    const body = await readJson(c);
    const identity = body?.auth?.identity;
    const methods: unknown = identity?.methods;
    if (!Array.isArray(methods) || methods.length === 0) {
      return keystoneError(
        400,
        "Invalid input for field 'identity': 'methods' is a required property",
      );
    }
    const method = String(methods[0]);
    const now = state.nowMs();
    let user: UserRec | undefined;
    let appCred: AppCredRec | null = null;
    let inherited: TokenRec | undefined;
    if (method === "password") {
      const u = identity.password?.user;
      user = findUser(u);
      if (
        !user || !user.enabled || typeof u?.password !== "string" || u.password !== user.password
      ) {
        return unauthorized();
      }
    } else if (method === "application_credential") {
      const ref = identity.application_credential;
      if (!ref || typeof ref.secret !== "string") return unauthorized();
      if (typeof ref.id === "string") {
        appCred = state.appCreds.get(ref.id) ?? null;
      } else if (typeof ref.name === "string") {
        const owner = findUser(ref.user);
        for (const a of state.appCreds.values()) {
          if (owner && a.userId === owner.id && a.name === ref.name) appCred = a;
        }
      }
      if (!appCred || appCred.secret !== ref.secret) return unauthorized();
      if (appCred.expiresAt !== null && appCred.expiresAt <= now) return unauthorized();
      if (body.auth.scope) {
        return keystoneError(401, "Application credentials cannot request a scope.");
      }
      user = state.users.get(appCred.userId);
      if (!user || !user.enabled) return unauthorized();
    } else if (method === "token") {
      const auth = validateToken(state, identity.token?.id);
      if (!auth) return unauthorized();
      if (auth.appCred) {
        return keystoneError(403, "Using a delegated token to create another token is not allowed");
      }
      inherited = auth.token;
      user = state.users.get(auth.token.userId);
      if (!user) return unauthorized();
    } else {
      return keystoneError(401, `Attempted to authenticate with an unsupported method.`);
    }

    let project: ProjectRec | undefined;
    let roleIds: string[] = [];
    if (appCred) {
      project = state.projects.get(appCred.projectId);
      // Roles the user lost since the credential was made are dropped, as Keystone does.
      const current = new Set(state.rolesOf(user.id, appCred.projectId));
      roleIds = appCred.roleIds.filter((r) => current.has(r));
      if (!project || roleIds.length === 0) return unauthorized();
    } else {
      const scope = body.auth.scope;
      let projectRef = scope?.project;
      if (!scope && inherited?.projectId) projectRef = { id: inherited.projectId };
      if (!scope && !inherited && user.defaultProjectId) projectRef = { id: user.defaultProjectId };
      if (projectRef) {
        project = findProject(projectRef);
        if (!project || !project.enabled) return unauthorized();
        roleIds = state.rolesOf(user.id, project.id);
        if (roleIds.length === 0) return unauthorized();
      } else if (scope) {
        return keystoneError(400, "Only project scope is supported by this emulator");
      }
    }

    const id = randomToken();
    const expiresAt = Math.min(
      inherited ? inherited.expiresAt : Infinity,
      appCred?.expiresAt ?? Infinity,
      now + ctx.tokenLifetimeMs,
    );
    const token: TokenRec = {
      id,
      userId: user.id,
      projectId: project?.id ?? null,
      roleIds,
      methods: [method],
      issuedAt: now,
      expiresAt,
      appCredId: appCred?.id ?? null,
      auditId: randomToken(12).slice(6, 28),
    };
    state.tokens.set(id, token);
    const domain = state.domains.get(user.domainId);
    const out: Json = {
      methods: token.methods,
      user: {
        domain: { id: user.domainId, name: domain?.name ?? user.domainId },
        id: user.id,
        name: user.name,
        password_expires_at: null,
      },
      audit_ids: [token.auditId],
      expires_at: keystoneTime(expiresAt),
      issued_at: keystoneTime(now),
    };
    if (project) {
      const pdomain = state.domains.get(project.domainId);
      out.project = {
        domain: { id: project.domainId, name: pdomain?.name ?? project.domainId },
        id: project.id,
        name: project.name,
      };
      out.is_domain = false;
      out.roles = roleIds.map((r) => ({ id: r, name: state.roles.get(r)?.name ?? r }));
      out.catalog = buildCatalog(ctx, project.id);
    }
    if (appCred) {
      out.application_credential = {
        id: appCred.id,
        name: appCred.name,
        restricted: !appCred.unrestricted,
        ...(appCred.accessRules.length
          ? { access_rules: appCred.accessRules.map((r) => ({ ...r })) }
          : {}),
      };
    }
    return c.json({ token: out }, 201, { "X-Subject-Token": id });
  });

  // ---- authenticated admin API -----------------------------------------------------------

  const guard = (c: C): Authenticated | Response => {
    const auth = validateToken(state, c.req.header("X-Auth-Token"));
    if (!auth) return unauthorized();
    return auth;
  };
  const adminOnly = (c: C, action: string): Authenticated | Response => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    if (!auth.isAdmin) return forbidden(action);
    return auth;
  };

  app.get("/identity/v3/auth/projects", (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    const projects = [...state.projects.values()].filter((p) =>
      state.rolesOf(auth.token.userId, p.id).length > 0
    );
    return c.json({ projects: projects.map((p) => projectView(c, p)), links: listLinks(c) });
  });

  const listLinks = (c: C) => ({ self: c.req.url, previous: null, next: null });

  app.get("/identity/v3/projects", (c) => {
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

  app.post("/identity/v3/projects", async (c) => {
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

  app.get("/identity/v3/projects/:id", (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    const p = state.projects.get(c.req.param("id"));
    if (!auth.isAdmin && auth.token.projectId !== c.req.param("id")) {
      return forbidden("identity:get_project");
    }
    if (!p) return keystoneError(404, `Could not find project: ${c.req.param("id")}.`);
    return c.json({ project: projectView(c, p) });
  });

  app.get("/identity/v3/projects/:id/tags", (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    const p = state.projects.get(c.req.param("id"));
    if (!p) return keystoneError(404, `Could not find project: ${c.req.param("id")}.`);
    return c.json({ tags: [...p.tags] });
  });

  app.put("/identity/v3/projects/:id/tags/:tag", (c) => {
    const auth = adminOnly(c, "identity:create_project_tag");
    if (auth instanceof Response) return auth;
    const p = state.projects.get(c.req.param("id"));
    if (!p) return keystoneError(404, `Could not find project: ${c.req.param("id")}.`);
    const tag = decodeURIComponent(c.req.param("tag"));
    if (!p.tags.includes(tag)) p.tags.push(tag);
    return c.body(null, 201);
  });

  app.delete("/identity/v3/projects/:id/tags/:tag", (c) => {
    const auth = adminOnly(c, "identity:delete_project_tag");
    if (auth instanceof Response) return auth;
    const p = state.projects.get(c.req.param("id"));
    if (!p) return keystoneError(404, `Could not find project: ${c.req.param("id")}.`);
    const tag = decodeURIComponent(c.req.param("tag"));
    if (!p.tags.includes(tag)) return keystoneError(404, `Could not find project tag: ${tag}.`);
    p.tags = p.tags.filter((t) => t !== tag);
    return c.body(null, 204);
  });

  // ---- users ------------------------------------------------------------------------------

  app.get("/identity/v3/users", (c) => {
    const auth = adminOnly(c, "identity:list_users");
    if (auth instanceof Response) return auth;
    const name = c.req.query("name");
    const domainId = c.req.query("domain_id");
    const users = [...state.users.values()].filter((u) =>
      (name === undefined || u.name === name) && (domainId === undefined || u.domainId === domainId)
    );
    return c.json({ users: users.map((u) => userView(c, u)), links: listLinks(c) });
  });

  app.post("/identity/v3/users", async (c) => {
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

  app.get("/identity/v3/users/:id", (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    if (!auth.isAdmin && auth.token.userId !== c.req.param("id")) {
      return forbidden("identity:get_user");
    }
    const u = state.users.get(c.req.param("id"));
    if (!u) return keystoneError(404, `Could not find user: ${c.req.param("id")}.`);
    return c.json({ user: userView(c, u) });
  });

  app.patch("/identity/v3/users/:id", async (c) => {
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

  // ---- roles ------------------------------------------------------------------------------

  app.get("/identity/v3/roles", (c) => {
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

  app.put("/identity/v3/projects/:p/users/:u/roles/:r", (c) => {
    const auth = adminOnly(c, "identity:create_grant");
    if (auth instanceof Response) return auth;
    const { p, u, r } = c.req.param();
    if (!state.projects.has(p)) return keystoneError(404, `Could not find project: ${p}.`);
    if (!state.users.has(u)) return keystoneError(404, `Could not find user: ${u}.`);
    if (!state.roles.has(r)) return keystoneError(404, `Could not find role: ${r}.`);
    state.grant(p, u, r);
    return c.body(null, 204);
  });

  app.get("/identity/v3/projects/:p/users/:u/roles", (c) => {
    const auth = adminOnly(c, "identity:list_grants");
    if (auth instanceof Response) return auth;
    const { p, u } = c.req.param();
    return c.json({
      roles: state.rolesOf(u, p).map((id) => ({ id, name: state.roles.get(id)?.name ?? id })),
      links: listLinks(c),
    });
  });

  // ---- application credentials -----------------------------------------------------------

  const ownerOrAdmin = (c: C, action: string): Authenticated | Response => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    if (auth.token.userId !== c.req.param("user") && !auth.isAdmin) return forbidden(action);
    return auth;
  };

  app.get("/identity/v3/users/:user/application_credentials", (c) => {
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

  app.get("/identity/v3/users/:user/application_credentials/:id", (c) => {
    const auth = ownerOrAdmin(c, "identity:get_application_credential");
    if (auth instanceof Response) return auth;
    const a = state.appCreds.get(c.req.param("id"));
    if (!a || a.userId !== c.req.param("user")) {
      return keystoneError(404, `Could not find Application Credential: ${c.req.param("id")}.`);
    }
    return c.json({ application_credential: appCredView(c, ctx, a, false) });
  });

  app.post("/identity/v3/users/:user/application_credentials", async (c) => {
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

  app.delete("/identity/v3/users/:user/application_credentials/:id", (c) => {
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
