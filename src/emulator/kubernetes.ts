/**
 * An emulated Kubernetes API server for apps/v1 Deployments and v1 Secrets in namespaces, as a
 * fetch handler (Hono). No API server can be installed on our machines, so the orchestrator is
 * tested against this: bearer-token auth with per-token rights (401/403), label selectors
 * (equality, `!=`, `in`, `notin`, exists, `!key`), resourceVersion with 409 Conflict on a stale
 * update, 409 AlreadyExists, 422 Invalid for names, labels and a few Deployment rules the real
 * server enforces, 404 NotFound, `continue` paging, request counting and fault injection.
 *
 * Error bodies are `Status` objects shaped like the real server's. It models Kubernetes, not
 * snapsentry: nothing here imports from the project.
 */
import { Hono } from "hono";
import type { Context } from "hono";

type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

/** Resources served, by plural name. */
export type EmulatedResource = "deployments" | "secrets";
/** The verbs of the RBAC model. */
export type EmulatedVerb = "get" | "list" | "create" | "update" | "delete";

/** Rights of one token: `"*"` for everything, or `"<verb>:<resource>"` entries. */
export interface TokenRights {
  /** The user name shown in 403 messages. */
  user: string;
  allow: "*" | readonly string[];
}

export interface FaultRule {
  /** How many matching calls fail. */
  times: number;
  status: number;
  message?: string;
  verb?: EmulatedVerb;
  resource?: EmulatedResource;
  /** Only calls on this object name (create: the name in the body). */
  name?: string;
}

export interface KubernetesEmulatorOptions {
  /** Namespaces that exist; objects in others answer 404. Default `["default", "snapsentry"]`. */
  namespaces?: string[];
  /** Accepted bearer tokens. Default: `{"test-token": all rights}`. */
  tokens?: Record<string, TokenRights>;
  /** Timestamp source for `creationTimestamp` (default a fixed instant, so tests are stable). */
  now?: () => string;
}

/** One recorded call. */
export interface RecordedCall {
  method: string;
  verb: EmulatedVerb | "unknown";
  resource?: EmulatedResource;
  namespace?: string;
  name?: string;
  status: number;
}

const KIND: Record<EmulatedResource, { kind: string; group: string; apiVersion: string }> = {
  deployments: { kind: "Deployment", group: "apps", apiVersion: "apps/v1" },
  secrets: { kind: "Secret", group: "", apiVersion: "v1" },
};

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

interface Cause {
  reason: string;
  message: string;
  field: string;
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

/** Validation errors of a qualified key such as `app.kubernetes.io/name`. */
export function validateQualifiedName(key: string, field: string): Cause[] {
  const causes: Cause[] = [];
  const parts = key.split("/");
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: "${key}": prefix part ${SUBDOMAIN_MSG}`,
        field,
      });
    }
  } else if (parts.length > 2) {
    causes.push({
      reason: "FieldValueInvalid",
      message:
        `Invalid value: "${key}": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      field,
    });
    return causes;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    causes.push({
      reason: "FieldValueInvalid",
      message: name.length > 63
        ? `Invalid value: "${key}": name part must be no more than 63 characters`
        : `Invalid value: "${key}": ${QUALIFIED_MSG}`,
      field,
    });
  }
  return causes;
}

/** Validation errors of a label map. */
export function validateLabels(labels: unknown, field: string): Cause[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== "object" || Array.isArray(labels)) {
    return [{ reason: "FieldValueInvalid", message: "Invalid value: expected a map", field }];
  }
  const causes: Cause[] = [];
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    causes.push(...validateQualifiedName(key, field));
    if (typeof value !== "string") {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: ${JSON.stringify(value)}: label values must be strings`,
        field: `${field}.${key}`,
      });
    } else if (value.length > 63) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: "${value}": must be no more than 63 characters`,
        field,
      });
    } else if (!LABEL_VALUE.test(value)) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: "${value}": ${LABEL_VALUE_MSG}`,
        field,
      });
    }
  }
  return causes;
}

type Requirement =
  | { key: string; op: "exists" | "!exists" }
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] };

/** Parses a label selector string; throws `Error` with the server's wording when it is invalid. */
export function parseLabelSelector(selector: string): Requirement[] {
  const reqs: Requirement[] = [];
  // Split on commas that are not inside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (current.trim() !== "" || parts.length > 0) parts.push(current);
  for (const raw of parts) {
    const part = raw.trim();
    if (part === "") throw new Error(`unable to parse requirement: found '', expected: identifier`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^!\s*([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: "!exists" });
    } else if ((m = part.match(/^([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)$/))) {
      const values = m[3]!.split(",").map((v) => v.trim());
      for (const v of values) {
        if (!LABEL_VALUE.test(v) || v.length > 63) {
          throw new Error(`unable to parse requirement: invalid label value: "${v}"`);
        }
      }
      reqs.push({ key: m[1]!, op: m[2] as "in" | "notin", values });
    } else if ((m = part.match(/^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/))) {
      const value = m[3]!;
      if (!LABEL_VALUE.test(value) || value.length > 63) {
        throw new Error(`unable to parse requirement: invalid label value: "${value}"`);
      }
      reqs.push({ key: m[1]!, op: m[2] === "!=" ? "!=" : "=", value });
    } else if ((m = part.match(/^([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: "exists" });
    } else {
      throw new Error(`unable to parse requirement: "${part}"`);
    }
    const key = reqs[reqs.length - 1]!.key;
    if (validateQualifiedName(key, "selector").length > 0) {
      throw new Error(`unable to parse requirement: invalid label key "${key}"`);
    }
  }
  return reqs;
}

/** Whether `labels` satisfy every requirement. */
export function matchesSelector(
  labels: Record<string, string> | undefined,
  reqs: Requirement[],
): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "=":
        return has && l[r.key] === r.value;
      case "!=":
        return !has || l[r.key] !== r.value;
      case "in":
        return has && r.values.includes(l[r.key]!);
      case "notin":
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}

function isBase64(value: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0;
}

function validateResources(resources: unknown, field: string): Cause[] {
  const causes: Cause[] = [];
  if (!resources || typeof resources !== "object") return causes;
  for (const section of ["requests", "limits"] as const) {
    const map = (resources as Record<string, unknown>)[section];
    if (!map || typeof map !== "object") continue;
    for (const [name, value] of Object.entries(map as Record<string, unknown>)) {
      if (typeof value !== "string" || !QUANTITY.test(value)) {
        causes.push({
          reason: "FieldValueInvalid",
          message: `Invalid value: "${String(value)}": must be a valid quantity`,
          field: `${field}.${section}.${name}`,
        });
      }
    }
  }
  return causes;
}

function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** The emulated API server. Pass `emulator.fetch` wherever a fetch function is expected. */
export class KubernetesEmulator {
  readonly app: Hono;
  readonly namespaces: Set<string>;
  tokens: Record<string, TokenRights>;
  /** Every call, in order. */
  readonly calls: RecordedCall[] = [];
  #objects = new Map<string, Obj>();
  #rv = 1000;
  #uid = 0;
  #faults: FaultRule[] = [];
  #now: () => string;

  constructor(options: KubernetesEmulatorOptions = {}) {
    this.namespaces = new Set(options.namespaces ?? ["default", "snapsentry"]);
    this.tokens = options.tokens ?? { "test-token": { user: "admin", allow: "*" } };
    this.#now = options.now ?? (() => "2026-01-01T00:00:00Z");
    this.app = this.#routes();
  }

  /** The fetch handler. */
  fetch = (request: Request): Promise<Response> => Promise.resolve(this.app.fetch(request));

  /** Makes the next `times` matching calls fail with `status` (default 500). */
  failNext(times: number, rule: Partial<Omit<FaultRule, "times">> = {}): void {
    this.#faults.push({ times, status: rule.status ?? 500, ...rule });
  }

  /** Number of write calls (create, update, delete) recorded so far, successful or not. */
  get writeCount(): number {
    return this.calls.filter((c) => ["create", "update", "delete"].includes(c.verb)).length;
  }

  /** Calls matching a filter. */
  count(filter: Partial<Pick<RecordedCall, "verb" | "resource" | "name" | "status">> = {}): number {
    return this.calls.filter((c) =>
      (filter.verb === undefined || c.verb === filter.verb) &&
      (filter.resource === undefined || c.resource === filter.resource) &&
      (filter.name === undefined || c.name === filter.name) &&
      (filter.status === undefined || c.status === filter.status)
    ).length;
  }

  /** Stored object (a copy), or undefined. */
  getObject(resource: EmulatedResource, namespace: string, name: string): Obj | undefined {
    const o = this.#objects.get(`${resource}/${namespace}/${name}`);
    return o ? cloneJson(o) : undefined;
  }

  /** Every stored object of a resource in a namespace (copies). */
  listObjects(resource: EmulatedResource, namespace: string): Obj[] {
    return [...this.#objects.entries()]
      .filter(([k]) => k.startsWith(`${resource}/${namespace}/`))
      .map(([, v]) => cloneJson(v));
  }

  /** Stores an object directly (test set-up), as a create would. */
  seed(resource: EmulatedResource, namespace: string, object: Obj): Obj {
    const stored = this.#store(resource, namespace, cloneJson(object), undefined);
    return cloneJson(stored);
  }

  /** Changes an object behind the client's back (a concurrent writer), bumping its version. */
  mutate(resource: EmulatedResource, namespace: string, name: string, fn: (o: Obj) => void): void {
    const key = `${resource}/${namespace}/${name}`;
    const o = this.#objects.get(key);
    if (!o) throw new Error(`no ${resource} ${namespace}/${name}`);
    fn(o);
    o.metadata.resourceVersion = String(++this.#rv);
  }

  #store(resource: EmulatedResource, namespace: string, body: Obj, previous: Obj | undefined): Obj {
    const meta = body.metadata;
    meta.namespace = namespace;
    meta.resourceVersion = String(++this.#rv);
    meta.uid = previous?.metadata.uid ?? `uid-${++this.#uid}`;
    meta.creationTimestamp = previous?.metadata.creationTimestamp ?? this.#now();
    body.apiVersion = KIND[resource].apiVersion;
    body.kind = KIND[resource].kind;
    if (resource === "secrets") {
      const data = { ...(body.data as Record<string, string> | undefined ?? {}) };
      const stringData = body.stringData as Record<string, string> | undefined;
      for (const [k, v] of Object.entries(stringData ?? {})) {
        const bytes = new TextEncoder().encode(v);
        data[k] = btoa(String.fromCharCode(...bytes));
      }
      delete body.stringData;
      body.data = data;
      body.type ??= "Opaque";
    } else {
      // Defaults the real server fills in, so a naive full-spec comparison would always differ.
      const spec = body.spec as Record<string, unknown>;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      const tmplSpec = (spec.template as { spec: Record<string, unknown> }).spec;
      tmplSpec.restartPolicy ??= "Always";
      tmplSpec.dnsPolicy ??= "ClusterFirst";
      tmplSpec.terminationGracePeriodSeconds ??= 30;
      tmplSpec.schedulerName ??= "default-scheduler";
      for (const c of tmplSpec.containers as Record<string, unknown>[]) {
        c.terminationMessagePath ??= "/dev/termination-log";
        c.terminationMessagePolicy ??= "File";
      }
      const specChanged = !previous ||
        JSON.stringify(previous.spec) !== JSON.stringify(body.spec);
      meta.generation = (previous?.metadata.generation ?? 0) + (specChanged ? 1 : 0);
      body.status = { observedGeneration: meta.generation, replicas: spec.replicas };
    }
    this.#objects.set(`${resource}/${namespace}/${meta.name}`, body);
    return body;
  }

  #validate(resource: EmulatedResource, body: Obj, previous: Obj | undefined): Cause[] {
    const causes: Cause[] = [];
    const name = body.metadata?.name ?? "";
    if (name === "") {
      causes.push({
        reason: "FieldValueRequired",
        message: "Required value: name or generateName is required",
        field: "metadata.name",
      });
    } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: "${name}": ${SUBDOMAIN_MSG}`,
        field: "metadata.name",
      });
    }
    causes.push(...validateLabels(body.metadata.labels, "metadata.labels"));
    if (body.metadata.annotations) {
      for (const key of Object.keys(body.metadata.annotations)) {
        causes.push(...validateQualifiedName(key, "metadata.annotations"));
      }
      const size = Object.entries(body.metadata.annotations)
        .reduce((n, [k, v]) => n + k.length + String(v).length, 0);
      if (size > 256 * 1024) {
        causes.push({
          reason: "FieldValueTooLong",
          message: "Too long: must have at most 262144 bytes",
          field: "metadata.annotations",
        });
      }
    }
    if (resource === "secrets") {
      let total = 0;
      for (const [k, v] of Object.entries(body.data as Record<string, unknown> ?? {})) {
        if (!SECRET_KEY.test(k) || k.length > 253) {
          causes.push({
            reason: "FieldValueInvalid",
            message:
              `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
            field: `data[${k}]`,
          });
        }
        if (typeof v !== "string" || !isBase64(v)) {
          causes.push({
            reason: "FieldValueInvalid",
            message: "Invalid value: illegal base64 data",
            field: `data[${k}]`,
          });
        } else total += v.length;
      }
      if (total > 1024 * 1024 * 4 / 3) {
        causes.push({
          reason: "FieldValueTooLong",
          message: "Too long: must have at most 1048576 bytes",
          field: "data",
        });
      }
      return causes;
    }
    const spec = body.spec as Record<string, unknown> | undefined;
    if (!spec || typeof spec !== "object") {
      causes.push({ reason: "FieldValueRequired", message: "Required value", field: "spec" });
      return causes;
    }
    const selector = spec.selector as { matchLabels?: Record<string, string> } | undefined;
    const template = spec.template as
      | { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> }
      | undefined;
    if (!selector || Object.keys(selector.matchLabels ?? {}).length === 0) {
      causes.push({
        reason: "FieldValueInvalid",
        message: "Invalid value: empty selector is invalid for deployment",
        field: "spec.selector",
      });
    } else {
      causes.push(...validateLabels(selector.matchLabels, "spec.selector.matchLabels"));
      const tl = template?.metadata?.labels ?? {};
      const matches = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => tl[k] === v);
      if (!matches) {
        causes.push({
          reason: "FieldValueInvalid",
          message: "Invalid value: `selector` does not match template `labels`",
          field: "spec.template.metadata.labels",
        });
      }
      if (previous) {
        const before = JSON.stringify(
          (previous.spec as { selector?: unknown }).selector ?? null,
        );
        if (before !== JSON.stringify(selector)) {
          causes.push({
            reason: "FieldValueInvalid",
            message: "Invalid value: field is immutable",
            field: "spec.selector",
          });
        }
      }
    }
    causes.push(...validateLabels(template?.metadata?.labels, "spec.template.metadata.labels"));
    if (typeof spec.replicas === "number" && spec.replicas < 0) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
        field: "spec.replicas",
      });
    }
    const strategy = spec.strategy as { type?: string; rollingUpdate?: unknown } | undefined;
    if (strategy?.type === "Recreate" && strategy.rollingUpdate !== undefined) {
      causes.push({
        reason: "FieldValueForbidden",
        message: "Forbidden: may not be specified when strategy `type` is 'Recreate'",
        field: "spec.strategy.rollingUpdate",
      });
    }
    const containers = template?.spec?.containers as Record<string, unknown>[] | undefined;
    if (!Array.isArray(containers) || containers.length === 0) {
      causes.push({
        reason: "FieldValueRequired",
        message: "Required value",
        field: "spec.template.spec.containers",
      });
    } else {
      containers.forEach((c, i) => {
        const field = `spec.template.spec.containers[${i}]`;
        if (typeof c.name !== "string" || !DNS1123_LABEL.test(c.name) || c.name.length > 63) {
          causes.push({
            reason: "FieldValueInvalid",
            message: `Invalid value: "${String(c.name)}": a lowercase RFC 1123 label`,
            field: `${field}.name`,
          });
        }
        if (typeof c.image !== "string" || c.image.trim() === "") {
          causes.push({
            reason: "FieldValueRequired",
            message: "Required value",
            field: `${field}.image`,
          });
        }
        causes.push(...validateResources(c.resources, `${field}.resources`));
      });
    }
    return causes;
  }

  #routes(): Hono {
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
        this.calls.push(call);
        return c.json(payload as Record<string, unknown>, code as 200);
      };
      const { group, kind } = KIND[resource];
      const qualified = group ? `${resource}.${group}` : resource;

      // Authentication and authorisation come first, as in the real server.
      const auth = c.req.header("authorization") ?? "";
      const token = auth.startsWith("Bearer ") ? auth.slice(7) : undefined;
      const rights = token === undefined ? undefined : this.tokens[token];
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
      const fault = this.#faults.find((f) =>
        f.times > 0 && (f.verb === undefined || f.verb === verb) &&
        (f.resource === undefined || f.resource === resource) &&
        (f.name === undefined || f.name === call.name)
      );
      if (fault) {
        fault.times--;
        this.#faults = this.#faults.filter((f) => f.times > 0);
        return reply(
          fault.status,
          status(
            fault.status,
            fault.status >= 500 ? "InternalError" : fault.status === 422 ? "Invalid" : "BadRequest",
            fault.message ?? "Internal error occurred: injected fault",
          ),
        );
      }
      if (!this.namespaces.has(namespace)) {
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
        const all = this.listObjects(resource, namespace)
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
          metadata: { resourceVersion: String(this.#rv), ...(next ? { continue: next } : {}) },
          items,
        });
      }
      if (verb === "get") {
        const o = this.getObject(resource, namespace, name!);
        return o ? reply(200, o) : notFound(name!);
      }
      if (verb === "delete") {
        const key = `${resource}/${namespace}/${name}`;
        if (!this.#objects.has(key)) return notFound(name!);
        this.#objects.delete(key);
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
      const previous = this.#objects.get(key);
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
      const causes = this.#validate(resource, body, verb === "update" ? previous : undefined);
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
      const stored = this.#store(resource, namespace, cloneJson(body), previous);
      return reply(verb === "create" ? 201 : 200, cloneJson(stored));
    };

    for (
      const [resource, prefix] of [["deployments", "/apis/apps/v1"], [
        "secrets",
        "/api/v1",
      ]] as const
    ) {
      app.all(`${prefix}/namespaces/:ns/${resource}`, (c) => handle(c, resource, "collection"));
      app.all(`${prefix}/namespaces/:ns/${resource}/:name`, (c) => handle(c, resource, "item"));
    }
    app.notFound((c) =>
      c.json(status(404, "NotFound", "the server could not find the requested resource"), 404)
    );
    return app;
  }
}
