import assert from "node:assert/strict";
import {
  DEFAULT_RETENTION_DAYS,
  MAX_RETENTION_DAYS,
  parseRetentionCount,
  parseRetentionDays,
  parseStartTime,
  POLICY_TYPES,
  RETENTION_TYPE,
} from "../core/mod.ts";
import { OpenStackHttpError } from "../errors.ts";
import {
  createGlanceMetadefsApi,
  installMetadefs,
  METADEF_NAMESPACE,
  metadefDocument,
  type MetadefNamespace,
  type MetadefProperty,
  showMetadefs,
  SNAPSENTRY_METADEF_PROPERTIES,
  uninstallMetadefs,
} from "./metadefs.ts";

/** A small in-memory Glance metadefs endpoint, answering like Glance does (201/204/404/403/409). */
class FakeGlance {
  namespaces = new Map<
    string,
    MetadefNamespace & { properties: Record<string, MetadefProperty> }
  >();
  calls: string[] = [];

  request = (method: string, path: string, body?: unknown): Promise<Response> => {
    this.calls.push(`${method} ${path}`);
    const json = (status: number, value?: unknown) =>
      Promise.resolve(
        new Response(value === undefined ? null : JSON.stringify(value), {
          status,
          headers: { "content-type": "application/json" },
        }),
      );
    const m = path.match(
      /^\/v2\/metadefs\/namespaces(?:\/([^/]+))?(?:\/(properties|resource_types)(?:\/([^/]+))?)?$/,
    );
    if (!m) return json(404, { message: "not found" });
    const name = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    const sub = m[2];
    const prop = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
    const b = body as Record<string, unknown>;
    if (!name) {
      if (method !== "POST") return json(405);
      const ns = b.namespace as string;
      if (this.namespaces.has(ns)) return json(409, { message: `Namespace ${ns} already exists` });
      this.namespaces.set(ns, {
        ...(b as unknown as MetadefNamespace),
        properties: {},
        resource_type_associations: [],
      });
      return json(201, b);
    }
    const ns = this.namespaces.get(name);
    if (!ns) return json(404, { message: `Metadata definition namespace=${name} was not found.` });
    if (!sub) {
      if (method === "GET") return json(200, structuredClone(ns));
      if (method === "PUT") {
        Object.assign(ns, b);
        return json(200, ns);
      }
      if (method === "DELETE") {
        if (ns.protected) {
          return json(403, { message: `Namespace ${name} is protected and cannot be deleted.` });
        }
        this.namespaces.delete(name);
        return json(204);
      }
    }
    if (sub === "resource_types" && method === "POST") {
      ns.resource_type_associations!.push(b as never);
      return json(201, b);
    }
    if (sub === "properties") {
      if (!prop && method === "GET") {
        return json(200, { properties: structuredClone(ns.properties) });
      }
      if (!prop && method === "POST") {
        const { name: pn, ...rest } = b;
        if (ns.properties[pn as string]) return json(409, { message: "exists" });
        ns.properties[pn as string] = rest as unknown as MetadefProperty;
        return json(201, b);
      }
      if (prop && method === "PUT") {
        const { name: _n, ...rest } = b;
        ns.properties[prop] = rest as unknown as MetadefProperty;
        return json(200, b);
      }
      if (prop && method === "DELETE") {
        delete ns.properties[prop];
        return json(204);
      }
    }
    return json(405);
  };

  writes(): string[] {
    return this.calls.filter((c) => !c.startsWith("GET"));
  }
}

Deno.test("installMetadefs()", async (t) => {
  await t.step("creates the namespace, its association and every property", async () => {
    const glance = new FakeGlance();
    const result = await installMetadefs(createGlanceMetadefsApi(glance.request));
    assert.equal(result.namespace, "created");
    assert.equal(result.resourceTypeAssociated, true);
    assert.equal(result.created.length, Object.keys(SNAPSENTRY_METADEF_PROPERTIES).length);
    const ns = glance.namespaces.get(METADEF_NAMESPACE)!;
    assert.deepEqual(ns.properties, SNAPSENTRY_METADEF_PROPERTIES);
    assert.deepEqual(ns.resource_type_associations, [
      { name: "OS::Cinder::Volume", properties_target: "metadata" },
    ]);
    assert.ok(glance.calls.includes("POST /v2/metadefs/namespaces"));
    assert.ok(
      glance.calls.includes(
        "POST /v2/metadefs/namespaces/OS%3A%3ACinder%3A%3ASnapsentry/resource_types",
      ),
    );
  });

  await t.step("installing twice writes nothing", async () => {
    const glance = new FakeGlance();
    const api = createGlanceMetadefsApi(glance.request);
    await installMetadefs(api);
    const writes = glance.writes().length;
    const again = await installMetadefs(api);
    assert.equal(again.changed, false);
    assert.equal(glance.writes().length, writes);
    assert.equal(again.unchanged.length, Object.keys(SNAPSENTRY_METADEF_PROPERTIES).length);
  });

  await t.step("updates changed properties and removes stale ones", async () => {
    const glance = new FakeGlance();
    const api = createGlanceMetadefsApi(glance.request);
    await installMetadefs(api);
    const ns = glance.namespaces.get(METADEF_NAMESPACE)!;
    // What the Go script installed: wrong defaults and bounds.
    ns.properties["x-snapsentry-monthly-retention-days"] = {
      title: "Monthly Retention (Days)",
      type: "integer",
      minimum: 31,
      default: 31,
    };
    ns.properties["x-snapsentry-old-key"] = { title: "Old", type: "string" };
    ns.description = "old text";
    const result = await installMetadefs(api);
    assert.equal(result.namespace, "updated");
    assert.deepEqual(result.updated, ["x-snapsentry-monthly-retention-days"]);
    assert.deepEqual(result.deleted, ["x-snapsentry-old-key"]);
    assert.equal(result.resourceTypeAssociated, false);
    assert.equal(ns.properties["x-snapsentry-monthly-retention-days"]!.default, 30);
    assert.equal(
      glance.namespaces.get(METADEF_NAMESPACE)!.properties["x-snapsentry-old-key"],
      undefined,
    );
  });

  await t.step("surfaces Glance errors with the server message", async () => {
    const api = createGlanceMetadefsApi(() =>
      Promise.resolve(
        new Response("<html><h1>403 Forbidden</h1>Access was denied to this resource.</html>", {
          status: 403,
        }),
      )
    );
    await assert.rejects(installMetadefs(api), (e: unknown) => {
      assert.ok(e instanceof OpenStackHttpError);
      assert.equal(e.status, 403);
      assert.match(e.message, /Access was denied/);
      return true;
    });
  });
});

Deno.test("showMetadefs() and uninstallMetadefs()", async () => {
  const glance = new FakeGlance();
  const api = createGlanceMetadefsApi(glance.request);
  assert.equal(await showMetadefs(api), undefined);
  await installMetadefs(api);
  const shown = await showMetadefs(api);
  assert.equal(shown?.display_name, "SnapSentry - Snapshot Lifecycle Manager");
  assert.deepEqual(shown?.properties, SNAPSENTRY_METADEF_PROPERTIES);
  // Protected namespaces cannot be deleted: protection is lifted first.
  assert.deepEqual(await uninstallMetadefs(api), { deleted: true });
  assert.equal(glance.namespaces.size, 0);
  assert.deepEqual(await uninstallMetadefs(api), { deleted: false });
});

Deno.test("definitions match the policy parser's defaults and bounds", () => {
  const p = SNAPSENTRY_METADEF_PROPERTIES;
  const defaults = { daily: 2, weekly: 7, monthly: 30, express: 1 };
  for (const [policy, days] of Object.entries(defaults)) {
    const r = p[`x-snapsentry-${policy}-retention-days`]!;
    assert.equal(r.default, days, policy);
    assert.equal(r.minimum, 1, policy);
    assert.deepEqual(p[`x-snapsentry-${policy}-retention-type`]!.enum, ["time", "count"]);
    assert.equal(p[`x-snapsentry-${policy}-timezone`]!.type, "string");
  }
  const pattern = new RegExp(p["x-snapsentry-daily-start-time"]!.pattern!);
  for (const ok of ["0:00", "7:30", "08:00", "23:59", "08:00:30"]) assert.match(ok, pattern);
  for (const bad of ["24:00", "8:5", "08:60", "8h"]) assert.doesNotMatch(bad, pattern);
  assert.equal(p["x-snapsentry-express-start-time"], undefined, "express has no start time");
  assert.deepEqual(p["x-snapsentry-weekly-start-day-of-week"]!.enum, [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
  ]);
  const day = p["x-snapsentry-monthly-start-day-of-month"]!;
  assert.deepEqual([day.type, day.minimum, day.maximum, day.default], ["integer", 1, 31, 1]);
  assert.deepEqual(p["x-snapsentry-express-interval-hours"]!.enum, ["6", "8", "12"]);
});

Deno.test("retention and start-time definitions follow the parser itself", () => {
  const p = SNAPSENTRY_METADEF_PROPERTIES;
  for (const type of POLICY_TYPES) {
    const r = p[`x-snapsentry-${type}-retention-days`]!;
    assert.equal(r.default, DEFAULT_RETENTION_DAYS[type], type);
    assert.equal(r.minimum, 1, type);
    // The form's bound is the parser's: the largest value it takes, and one more it refuses.
    assert.equal(r.maximum, MAX_RETENTION_DAYS, type);
    assert.equal(parseRetentionDays(String(r.maximum), type), r.maximum);
    assert.throws(() => parseRetentionDays(String(r.maximum! + 1), type));
    assert.equal(p[`x-snapsentry-${type}-retention-type`]!.default, RETENTION_TYPE[type], type);
    const c = p[`x-snapsentry-${type}-retention-count`]!;
    assert.deepEqual([c.type, c.minimum, c.default], ["integer", 1, undefined], type);
    assert.equal(parseRetentionCount(String(c.maximum)), c.maximum);
    assert.throws(() => parseRetentionCount(String(c.maximum! + 1)));
  }
  const pattern = new RegExp(p["x-snapsentry-daily-start-time"]!.pattern!);
  for (const v of ["0:00", "9:05", "23:59", "08:00:59", "24:00", "12:60", "1:2", "123:00", "7"]) {
    let parsed = true;
    try {
      parseStartTime(v);
    } catch {
      parsed = false;
    }
    assert.equal(pattern.test(v), parsed, v);
  }
});

Deno.test("deploy/glance/snapsentry-metadefs.json matches the definitions in code", async () => {
  const url = new URL("../../deploy/glance/snapsentry-metadefs.json", import.meta.url);
  const file = JSON.parse(await Deno.readTextFile(url));
  assert.deepEqual(file, metadefDocument());
});
