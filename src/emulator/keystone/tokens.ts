/**
 * Keystone's auth API at `<base>/identity/v3/auth`: token issue (password, application
 * credential, token) with the service catalog, and the projects a token may scope to.
 */

import { Hono } from "hono";
import { type HonoEnv, type ServiceContext, validateToken } from "../context.ts";
import type { AppCredRec, ProjectRec, TokenRec, UserRec } from "../state.ts";
import { keystoneError, keystoneTime, randomToken } from "../wire.ts";
import { guards, type Json, listLinks, readJson, unauthorized } from "./shared.ts";
import { projectView } from "./projects.ts";

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

/** The auth routes, relative to `/identity/v3`. */
export function tokensApp(ctx: ServiceContext): Hono<HonoEnv> {
  const { state } = ctx;
  const app = new Hono<HonoEnv>();
  const { guard } = guards(ctx);

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

  app.post("/auth/tokens", async (c) => {
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

  app.get("/auth/projects", (c) => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    const projects = [...state.projects.values()].filter((p) =>
      state.rolesOf(auth.token.userId, p.id).length > 0
    );
    return c.json({ projects: projects.map((p) => projectView(c, p)), links: listLinks(c) });
  });
  return app;
}
