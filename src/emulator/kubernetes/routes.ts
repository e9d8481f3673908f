/**
 * The emulated Kubernetes API server's HTTP routes: bearer-token authentication and per-token
 * rights (401/403), injected faults, namespaces, and the verbs list (label selector, `continue`
 * paging), get, create, update (resourceVersion conflicts) and delete, answering errors as
 * `Status` objects shaped like the real server's. Every call is recorded.
 */

import { Hono } from "hono";
import type { Context } from "hono";
import {
  API_PREFIX,
  type EmulatedResource,
  type EmulatedVerb,
  KIND,
  type Obj,
  type RecordedCall,
  type TokenRights,
} from "./resources.ts";
import { matchesSelector, parseLabelSelector, type Requirement } from "./selector.ts";
import { type ApiStore, cloneJson } from "./store.ts";
import { validateObject } from "./validation.ts";

/** The emulator's public fields the routes read and append to (`tokens` may be replaced). */
export interface ApiServer {
  readonly namespaces: Set<string>;
  readonly tokens: Record<string, TokenRights>;
  readonly calls: RecordedCall[];
}

function status(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** The routes of `server`, working on `store`. */
export function apiRoutes(server: ApiServer, store: ApiStore): Hono {
  const app = new Hono();
  const handle = async (
    c: Context,
    resource: EmulatedResource,
    verbHint: "collection" | "item",
  ) => {
    const method = c.req.method;
    const namespace = c.req.param("ns") ?? "";
    const name = verbHint === "item" ? c.req.param("name") : undefined;
    let verb: EmulatedVerb | "unknown" = "unknown";
    if (verbHint === "collection") {
      verb = method === "GET" ? "list" : method === "POST" ? "create" : "unknown";
    } else {
      verb = method === "GET"
        ? "get"
        : method === "PUT"
        ? "update"
        : method === "DELETE"
        ? "delete"
        : "unknown";
    }
    let body: Obj | undefined;
    if (method === "POST" || method === "PUT") {
      try {
        body = await c.req.json() as Obj;
      } catch {
        body = undefined;
      }
    }
    const call: RecordedCall = {
      method,
      verb,
      resource,
      namespace,
      name: name ?? body?.metadata?.name,
      status: 0,
    };
    const reply = (code: number, payload: unknown) => {
      call.status = code;
      server.calls.push(call);
      return c.json(payload as Record<string, unknown>, code as 200);
    };
    const { group, kind } = KIND[resource];
    const qualified = group ? `${resource}.${group}` : resource;

    // Authentication and authorisation come first, as in the real server.
    const auth = c.req.header("authorization") ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : undefined;
    const rights = token === undefined ? undefined : server.tokens[token];
    if (!rights) return reply(401, status(401, "Unauthorized", "Unauthorized"));
    if (verb === "unknown") {
      return reply(
        405,
        status(
          405,
          "MethodNotAllowed",
          "the server does not allow this method on the requested resource",
        ),
      );
    }
    if (rights.allow !== "*" && !rights.allow.includes(`${verb}:${resource}`)) {
      const target = name ? `${qualified} "${name}"` : qualified;
      return reply(
        403,
        status(
          403,
          "Forbidden",
          `${target} is forbidden: User "${rights.user}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"`,
          { ...(name ? { name } : {}), group, kind: resource },
        ),
      );
    }
    const fault = store.faults.find((f) =>
      f.times > 0 && (f.verb === undefined || f.verb === verb) &&
      (f.resource === undefined || f.resource === resource) &&
      (f.name === undefined || f.name === call.name)
    );
    if (fault) {
      fault.times--;
      store.faults = store.faults.filter((f) => f.times > 0);
      return reply(
        fault.status,
        status(
          fault.status,
          fault.status >= 500 ? "InternalError" : fault.status === 422 ? "Invalid" : "BadRequest",
          fault.message ?? "Internal error occurred: injected fault",
        ),
      );
    }
    if (!server.namespaces.has(namespace)) {
      return reply(
        404,
        status(404, "NotFound", `namespaces "${namespace}" not found`, {
          name: namespace,
          kind: "namespaces",
        }),
      );
    }
    const notFound = (n: string) =>
      reply(
        404,
        status(404, "NotFound", `${qualified} "${n}" not found`, {
          name: n,
          group,
          kind: resource,
        }),
      );

    if (verb === "list") {
      let reqs: Requirement[] = [];
      const selector = c.req.query("labelSelector");
      if (selector) {
        try {
          reqs = parseLabelSelector(selector);
        } catch (error) {
          return reply(400, status(400, "BadRequest", (error as Error).message));
        }
      }
      const all = store.listObjects(resource, namespace)
        .filter((o) => matchesSelector(o.metadata.labels, reqs))
        .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
      const limit = Number(c.req.query("limit") ?? "0");
      const start = Number(c.req.query("continue") ?? "0");
      const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
      const next = limit > 0 && start + limit < all.length ? String(start + limit) : undefined;
      // Items of a list carry no kind/apiVersion, as on the real server.
      const items = page.map((o) => {
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
      return reply(200, {
        kind: `${kind}List`,
        apiVersion: KIND[resource].apiVersion,
        metadata: { resourceVersion: String(store.rv), ...(next ? { continue: next } : {}) },
        items,
      });
    }
    if (verb === "get") {
      const o = store.getObject(resource, namespace, name!);
      return o ? reply(200, o) : notFound(name!);
    }
    if (verb === "delete") {
      const key = `${resource}/${namespace}/${name}`;
      if (!store.objects.has(key)) return notFound(name!);
      store.objects.delete(key);
      return reply(200, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: { name, group, kind: resource },
      });
    }
    // create / update
    if (
      !body || typeof body !== "object" || typeof body.metadata !== "object" ||
      body.metadata === null
    ) {
      return reply(
        400,
        status(400, "BadRequest", "the body of the request was in an unknown format"),
      );
    }
    if (body.kind !== undefined && body.kind !== kind) {
      return reply(
        400,
        status(
          400,
          "BadRequest",
          `the API version in the data (${
            String(body.apiVersion)
          }) does not match the expected API version (${KIND[resource].apiVersion})`,
        ),
      );
    }
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) {
      return reply(
        400,
        status(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        ),
      );
    }
    if (verb === "update" && body.metadata.name !== name) {
      return reply(
        400,
        status(
          400,
          "BadRequest",
          "the name of the object (" + String(body.metadata.name) +
            ") does not match the name on the URL (" + name + ")",
        ),
      );
    }
    const objName = body.metadata.name ?? "";
    const key = `${resource}/${namespace}/${objName}`;
    const previous = store.objects.get(key);
    if (verb === "create" && previous) {
      return reply(
        409,
        status(409, "AlreadyExists", `${qualified} "${objName}" already exists`, {
          name: objName,
          group,
          kind: resource,
        }),
      );
    }
    if (verb === "update") {
      if (!previous) return notFound(objName);
      const rv = body.metadata.resourceVersion;
      if (rv !== undefined && rv !== "" && rv !== previous.metadata.resourceVersion) {
        return reply(
          409,
          status(
            409,
            "Conflict",
            `Operation cannot be fulfilled on ${qualified} "${objName}": the object has been modified; please apply your changes to the latest version and try again`,
            { name: objName, group, kind: resource },
          ),
        );
      }
    }
    const causes = validateObject(resource, body, verb === "update" ? previous : undefined);
    if (causes.length > 0) {
      const message = `${kind}${group ? `.${group}` : ""} "${objName}" is invalid: ${
        causes.map((x) => `${x.field}: ${x.message}`).join(", ")
      }`;
      return reply(
        422,
        status(422, "Invalid", message, {
          name: objName,
          group,
          kind: KIND[resource].kind,
          causes,
        }),
      );
    }
    const stored = store.put(resource, namespace, cloneJson(body), previous);
    return reply(verb === "create" ? 201 : 200, cloneJson(stored));
  };

  for (const [resource, prefix] of Object.entries(API_PREFIX) as [EmulatedResource, string][]) {
    app.all(`${prefix}/namespaces/:ns/${resource}`, (c) => handle(c, resource, "collection"));
    app.all(`${prefix}/namespaces/:ns/${resource}/:name`, (c) => handle(c, resource, "item"));
  }
  app.notFound((c) =>
    c.json(status(404, "NotFound", "the server could not find the requested resource"), 404)
  );
  return app;
}
