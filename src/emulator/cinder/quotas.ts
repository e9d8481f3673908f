/** Cinder quota sets at `<base>/volume/v3/{project_id}/os-quota-sets/{target}`: show and update. */

import { Hono } from "hono";
import type { ServiceContext } from "../context.ts";
import type { QuotaLimits } from "../state.ts";
import { cinderFault } from "../wire.ts";
import { type CEnv, type Json, param, policyDenied, readJson, strictBool } from "./shared.ts";

const QUOTA_KEYS: (keyof QuotaLimits)[] = [
  "volumes",
  "snapshots",
  "gigabytes",
  "backups",
  "backup_gigabytes",
  "groups",
  "per_volume_gigabytes",
];

/** The quota routes, relative to `/volume/v3/:project`. */
export function quotasApp(ctx: ServiceContext): Hono<CEnv> {
  const { state } = ctx;
  const app = new Hono<CEnv>();

  const quotaView = (target: string, usage: boolean): Json => {
    const q = state.quotaOf(target);
    const used = usage ? state.usageOf(target) : { volumes: 0, snapshots: 0, gigabytes: 0 };
    const inUse: Record<string, number> = {
      volumes: used.volumes,
      snapshots: used.snapshots,
      gigabytes: used.gigabytes,
    };
    const out: Json = { id: target };
    const put = (key: string, limit: number, n: number) => {
      // Real Cinder 21 (default quota driver) sends no "allocated" (nested quotas only).
      out[key] = usage ? { limit, in_use: n, reserved: 0 } : limit;
    };
    for (const k of QUOTA_KEYS) put(k, q[k], inUse[k] ?? 0);
    // Per-volume-type quotas of the default type, as Cinder lists them.
    put("volumes___DEFAULT__", -1, used.volumes);
    put("snapshots___DEFAULT__", -1, used.snapshots);
    put("gigabytes___DEFAULT__", -1, used.gigabytes);
    return out;
  };

  app.get("/os-quota-sets/:target", (c) => {
    const target = param(c, "target");
    if (target === "defaults") return c.json({ quota_set: quotaView(c.get("project"), false) });
    if (target !== c.get("project") && !c.get("auth").isAdmin) {
      return policyDenied("volume_extension:quotas:show");
    }
    const usage = strictBool(c.req.query("usage") ?? "false") === true;
    return c.json({ quota_set: quotaView(target, usage) });
  });

  app.get("/os-quota-sets/:target/defaults", (c) => {
    const out: Json = { id: param(c, "target") };
    for (const k of QUOTA_KEYS) out[k] = state.defaultQuotas[k];
    return c.json({ quota_set: out });
  });

  app.put("/os-quota-sets/:target", async (c) => {
    if (!c.get("auth").isAdmin) return policyDenied("volume_extension:quotas:update");
    const target = param(c, "target");
    const body = await readJson(c);
    const set = body?.quota_set;
    if (!set || typeof set !== "object") {
      return cinderFault(400, "Missing required element 'quota_set' in request body.");
    }
    const q: QuotaLimits = { ...state.quotaOf(target) };
    for (const [k, v] of Object.entries(set)) {
      if (!QUOTA_KEYS.includes(k as keyof QuotaLimits)) continue;
      const n = Number(v);
      if (!Number.isInteger(n) || n < -1) {
        return cinderFault(400, `Quota limit ${v} for ${k} must be -1 or greater.`);
      }
      q[k as keyof QuotaLimits] = n;
    }
    state.quotas.set(target, q);
    const out: Json = {};
    for (const k of QUOTA_KEYS) out[k] = q[k];
    return c.json({ quota_set: out });
  });
  return app;
}
