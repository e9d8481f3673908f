/**
 * Cinder's version documents: `<base>/volume/` (300 Multiple Choices, no token) and
 * `<base>/volume/v3/` (behind keystonemiddleware).
 */

import { Hono } from "hono";
import { type ServiceContext, validateToken } from "../context.ts";
import { type C, type CEnv, MIN_MV, mvString, unauthenticated } from "./shared.ts";

/** The version routes, with absolute paths (mount at "/"). */
export function versionsApp(ctx: ServiceContext): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();
  const maxMv = ctx.maxMicroversion;

  const v3Doc = (root: string) => ({
    id: "v3.0",
    status: "CURRENT",
    version: mvString(maxMv),
    min_version: mvString(MIN_MV),
    updated: "2022-08-31T00:00:00Z",
    links: [
      { rel: "describedby", type: "text/html", href: "https://docs.openstack.org/" },
      { rel: "self", href: `${root}/volume/v3/` },
    ],
    "media-types": [
      { base: "application/json", type: "application/vnd.openstack.volume+json;version=3" },
    ],
  });
  // The root answers 300 Multiple Choices without a token, as Cinder's versions controller does.
  app.get("/volume", (c) => c.json({ versions: [v3Doc(c.env.root)] }, 300));
  app.get("/volume/", (c) => c.json({ versions: [v3Doc(c.env.root)] }, 300));
  // `/v3/` sits behind keystonemiddleware in Cinder's paste pipeline: 401 without a valid token
  // (seen on a real Cinder 21), 200 with the same list otherwise, echoing the microversion header.
  const v3Versions = (c: C) => {
    if (!validateToken(state, c.req.header("X-Auth-Token"))) return unauthenticated(ctx);
    const res = c.json({ versions: [v3Doc(c.env.root)] });
    res.headers.set("OpenStack-API-Version", `volume ${mvString(maxMv)}`);
    res.headers.set("Vary", "OpenStack-API-Version");
    return res;
  };
  app.get("/volume/v3", v3Versions);
  app.get("/volume/v3/", v3Versions);
  return app;
}
