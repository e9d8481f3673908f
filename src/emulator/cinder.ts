/**
 * Emulated Cinder v3 at `<base>/volume/v3/{project_id}`: version documents, microversion
 * negotiation, volumes (also from a snapshot, and reverted to one), snapshots (with a lazy state
 * machine), metadata, admin actions, volume transfers and quota sets. Messages, statuses and fault shapes follow cinder's API layer (cinder/api/v3, v2,
 * cinder/exception.py, cinder/api/openstack/wsgi.py).
 *
 * This file owns the `prepare` middleware (token, access rules, microversion, project check) and
 * mounts one sub-app per resource from `cinder/`; their shared helpers are `cinder/shared.ts`
 * and `cinder/_list.ts`.
 */

import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { type ServiceContext, validateToken } from "./context.ts";
import {
  accessRulePathMatches,
  cinderFault,
  keystoneError,
  UNAUTHENTICATED_MESSAGE,
} from "./wire.ts";
import {
  type CEnv,
  lookups,
  MIN_MV,
  mvAtLeast,
  mvString,
  param,
  snapshotNotFound,
  unauthenticated,
  volumeNotFound,
} from "./cinder/shared.ts";
import { attachmentsApp } from "./cinder/attachments.ts";
import { metadataApp } from "./cinder/metadata.ts";
import { quotasApp } from "./cinder/quotas.ts";
import { snapshotsApp } from "./cinder/snapshots.ts";
import { transfersApp } from "./cinder/transfers.ts";
import { versionsApp } from "./cinder/versions.ts";
import { volumesApp } from "./cinder/volumes.ts";

/** Where every project-scoped Cinder route is mounted. */
const PROJECT = "/volume/v3/:project";

export function cinderApp(ctx: ServiceContext): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();
  const maxMv = ctx.maxMicroversion;
  const { findVolume, findSnapshot } = lookups(ctx);

  // ---- version documents ---------------------------------------------------------------------

  app.route("/", versionsApp(ctx));

  // ---- authentication, microversion, project check, access rules ---------------------------

  const prepare: MiddlewareHandler<CEnv> = async (c, next) => {
    const auth = validateToken(state, c.req.header("X-Auth-Token"));
    if (!auth) return unauthenticated(ctx);
    // keystonemiddleware enforces application-credential access rules for service "volumev3",
    // with paths relative to the Cinder root (e.g. /v3/*/snapshots/**); a miss is a 401.
    if (auth.appCred && auth.appCred.accessRules.length > 0) {
      const rel = new URL(c.req.url).pathname.replace(/^.*?\/volume(?=\/v3\/)/, "");
      const ok = auth.appCred.accessRules.some((r) =>
        r.service === "volumev3" && r.method.toUpperCase() === c.req.method &&
        accessRulePathMatches(r.path, rel)
      );
      if (!ok) return keystoneError(401, UNAUTHENTICATED_MESSAGE);
    }
    let mv: [number, number] = MIN_MV;
    let raw: string | undefined;
    const header = c.req.header("OpenStack-API-Version");
    if (header) {
      for (const part of header.split(",")) {
        const [svc, ver] = part.trim().split(/\s+/);
        if (svc?.toLowerCase() === "volume" && ver) raw = ver;
      }
    }
    raw ??= c.req.header("X-OpenStack-Volume-API-Version") ?? undefined;
    if (raw !== undefined) {
      if (raw.toLowerCase() === "latest") {
        mv = maxMv;
      } else {
        const m = /^(\d+)\.(\d+)$/.exec(raw.trim());
        if (!m) {
          return cinderFault(
            400,
            `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`,
          );
        }
        mv = [Number(m[1]), Number(m[2])];
        if (!mvAtLeast(mv, ...MIN_MV) || !mvAtLeast(maxMv, ...mv)) {
          return cinderFault(
            406,
            `Version ${raw} is not supported by the API. Minimum is ${
              mvString(MIN_MV)
            } and maximum is ${mvString(maxMv)}.`,
          );
        }
      }
    }
    c.set("auth", auth);
    c.set("mv", mv);
    // The project in the URL must be the token's own, even for admins.
    const project = param(c, "project") ?? "";
    c.set("project", project);
    if (project !== auth.token.projectId) {
      return withVersion(cinderFault(400, "Malformed request url"), mv);
    }
    await next();
    c.res.headers.set("OpenStack-API-Version", `volume ${mvString(mv)}`);
    c.res.headers.set("Vary", "OpenStack-API-Version");
  };
  const withVersion = (res: Response, mv: [number, number]) => {
    res.headers.set("OpenStack-API-Version", `volume ${mvString(mv)}`);
    res.headers.set("Vary", "OpenStack-API-Version");
    return res;
  };
  app.use(`${PROJECT}/*`, prepare);
  app.use(PROJECT, prepare);

  // ---- resources (Hono tries routes in registration order: keep this order) ---------------

  app.route(PROJECT, volumesApp(ctx));
  app.route(PROJECT, attachmentsApp(ctx));
  app.route(PROJECT, metadataApp(ctx, "volumes", findVolume, volumeNotFound));
  app.route(PROJECT, metadataApp(ctx, "snapshots", findSnapshot, snapshotNotFound));
  app.route(PROJECT, snapshotsApp(ctx));
  app.route(PROJECT, quotasApp(ctx));
  app.route(PROJECT, transfersApp(ctx));

  app.notFound(() => cinderFault(404, "The resource could not be found."));
  return app;
}
