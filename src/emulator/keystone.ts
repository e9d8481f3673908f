/**
 * Emulated Keystone v3 at `<base>/identity/v3`: token issue (password, application credential,
 * token), projects with tags, users, roles, role grants and application credentials, with the
 * default policy's admin checks. Error bodies follow Keystone's `{"error": {...}}` shape.
 *
 * This file owns the version documents and mounts one sub-app per resource from `keystone/`
 * (auth and tokens, projects, users, roles, application credentials); their shared helpers are
 * `keystone/shared.ts`.
 */

import { Hono } from "hono";
import type { HonoEnv, ServiceContext } from "./context.ts";
import type { C } from "./keystone/shared.ts";
import { applicationCredentialsApp } from "./keystone/application_credentials.ts";
import { projectsApp } from "./keystone/projects.ts";
import { rolesApp } from "./keystone/roles.ts";
import { tokensApp } from "./keystone/tokens.ts";
import { usersApp } from "./keystone/users.ts";

export { buildCatalog } from "./keystone/tokens.ts";

export function keystoneApp(ctx: ServiceContext): Hono<HonoEnv> {
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

  // Hono tries routes in registration order: keep this order.
  app.route("/identity/v3", tokensApp(ctx));
  app.route("/identity/v3", projectsApp(ctx));
  app.route("/identity/v3", usersApp(ctx));
  app.route("/identity/v3", rolesApp(ctx));
  app.route("/identity/v3", applicationCredentialsApp(ctx));

  return app;
}
