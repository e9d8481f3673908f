/**
 * A small Kubernetes REST client over `fetch`, for the two resources the orchestrator manages
 * (apps/v1 Deployments and v1 Secrets in one namespace). The npm Kubernetes clients do not run
 * well under Deno, and five verbs on two resources do not need one.
 *
 * Configuration comes from a kubeconfig file (`loadKubeconfig`) or from the pod's service account
 * (`loadInClusterConfig`). Readers are injected, so tests need no files. TLS goes through
 * `Deno.createHttpClient` with the cluster CA and, when given, the client certificate.
 */
import { parse as parseYaml } from "yaml";
import { ConfigError, SnapsentryError, TransportError } from "../errors.ts";
import { registerSecret } from "../redact.ts";
import type { KindMap, KubeStatus, ResourceKind } from "./types.ts";

/** Everything needed to talk to one API server. */
export interface KubeConfig {
  /** `https://host:port`, no trailing slash. */
  server: string;
  /** Namespace of the kubeconfig context or of the pod; undefined when none is set. */
  namespace?: string;
  /** Bearer token (registered as a secret). */
  token?: string;
  /** PEM CA certificates to trust (instead of the system store). */
  caCerts?: string[];
  /** PEM client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  /** Where this came from, for messages: `kubeconfig /path (context "x")` or `in-cluster`. */
  source: string;
}

/** File and environment access, injected so tests need neither. */
export interface ConfigReaders {
  readTextFile(path: string): Promise<string>;
  env(name: string): string | undefined;
}

/** Readers over the real file system and environment. */
export const denoReaders: ConfigReaders = {
  readTextFile: (path) => Deno.readTextFile(path),
  env: (name) => Deno.env.get(name),
};

/** Service-account files mounted into every pod (unless automounting is off). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}

function resolvePath(base: string, path: string): string {
  return path.startsWith("/") ? path : `${base.endsWith("/") ? base : `${base}/`}${path}`;
}

function decodeBase64(value: string, what: string, where: string): string {
  try {
    const bin = atob(value.replace(/\s+/g, ""));
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    throw new ConfigError(`Cannot decode ${what} in ${where}: the value is not valid base64`);
  }
}

async function readFile(
  readers: ConfigReaders,
  path: string,
  what: string,
  where: string,
): Promise<string> {
  try {
    return await readers.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      `Cannot read ${what} "${path}" named in ${where}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

function normaliseServer(server: string, where: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ConfigError(`Cannot use server "${server}" from ${where}: it is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(
      `Cannot use server "${server}" from ${where}: the scheme must be https (or http for a local proxy)`,
    );
  }
  return server.replace(/\/+$/, "");
}

function namedEntry(list: unknown, name: string, field: string): Dict | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const entry of list) {
    if (isDict(entry) && entry.name === name && isDict(entry[field])) return entry[field] as Dict;
  }
  return undefined;
}

function names(list: unknown): string {
  if (!Array.isArray(list)) return "none";
  const all = list.filter(isDict).map((e) => `"${String(e.name)}"`);
  return all.length ? all.join(", ") : "none";
}

/**
 * Loads a kubeconfig file: its current context (or `context`), that context's cluster and user.
 * Relative file paths are resolved against the kubeconfig's folder, as kubectl does.
 */
export async function loadKubeconfig(
  path: string,
  readers: ConfigReaders = denoReaders,
  options: { context?: string } = {},
): Promise<KubeConfig> {
  let text: string;
  try {
    text = await readers.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      `Cannot read kubeconfig "${path}": ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, hint: "pass --kubeconfig with a readable file, or --incluster inside a pod" },
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    // The library's message goes on with the offending lines, which may hold a token: keep only
    // its first line (what is wrong and where).
    const what = (error instanceof Error ? error.message : String(error)).split("\n")[0]!
      .replace(/:$/, "");
    throw new ConfigError(`Cannot parse kubeconfig "${path}": ${what}`);
  }
  if (!isDict(doc)) {
    throw new ConfigError(`Cannot parse kubeconfig "${path}": expected a YAML mapping`);
  }
  const contextName = options.context ?? doc["current-context"];
  if (typeof contextName !== "string" || contextName === "") {
    throw new ConfigError(
      `Cannot choose a context in kubeconfig "${path}": current-context is not set; defined contexts are ${
        names(doc.contexts)
      }`,
    );
  }
  const where = `kubeconfig "${path}" (context "${contextName}")`;
  const context = namedEntry(doc.contexts, contextName, "context");
  if (!context) {
    throw new ConfigError(
      `Cannot find context "${contextName}" in kubeconfig "${path}": defined contexts are ${
        names(doc.contexts)
      }`,
    );
  }
  const clusterName = String(context.cluster ?? "");
  const cluster = namedEntry(doc.clusters, clusterName, "cluster");
  if (!cluster) {
    throw new ConfigError(
      `Cannot find cluster "${clusterName}" of ${where}: defined clusters are ${
        names(doc.clusters)
      }`,
    );
  }
  const userName = context.user === undefined ? undefined : String(context.user);
  const user = userName === undefined ? {} : namedEntry(doc.users, userName, "user");
  if (!user) {
    throw new ConfigError(
      `Cannot find user "${userName}" of ${where}: defined users are ${names(doc.users)}`,
    );
  }
  if (cluster["insecure-skip-tls-verify"] === true) {
    throw new ConfigError(
      `Cannot use cluster "${clusterName}" of ${where}: insecure-skip-tls-verify is set and snapsentry never turns TLS verification off`,
      {
        hint: "set certificate-authority or certificate-authority-data to the cluster's CA instead",
      },
    );
  }
  if (typeof cluster.server !== "string" || cluster.server === "") {
    throw new ConfigError(`Cannot find the server of cluster "${clusterName}" in ${where}`);
  }
  const base = dirname(path);
  const config: KubeConfig = { server: normaliseServer(cluster.server, where), source: where };
  if (typeof context.namespace === "string" && context.namespace !== "") {
    config.namespace = context.namespace;
  }

  if (typeof cluster["certificate-authority-data"] === "string") {
    config.caCerts = [
      decodeBase64(cluster["certificate-authority-data"], "certificate-authority-data", where),
    ];
  } else if (typeof cluster["certificate-authority"] === "string") {
    config.caCerts = [
      await readFile(
        readers,
        resolvePath(base, cluster["certificate-authority"]),
        "certificate-authority",
        where,
      ),
    ];
  }

  for (const unsupported of ["exec", "auth-provider"]) {
    if (user[unsupported] !== undefined) {
      throw new ConfigError(
        `Cannot use user "${userName}" of ${where}: "${unsupported}" credential plugins are not supported`,
        { hint: "use a service-account token or a client certificate in the kubeconfig" },
      );
    }
  }
  if (user.username !== undefined || user.password !== undefined) {
    throw new ConfigError(
      `Cannot use user "${userName}" of ${where}: basic authentication is not supported`,
      { hint: "use a service-account token or a client certificate in the kubeconfig" },
    );
  }
  if (typeof user.token === "string" && user.token !== "") {
    config.token = user.token;
  } else if (typeof user.tokenFile === "string") {
    config.token = (await readFile(readers, resolvePath(base, user.tokenFile), "tokenFile", where))
      .trim();
  }
  if (typeof user["client-certificate-data"] === "string") {
    config.cert = decodeBase64(user["client-certificate-data"], "client-certificate-data", where);
  } else if (typeof user["client-certificate"] === "string") {
    config.cert = await readFile(
      readers,
      resolvePath(base, user["client-certificate"]),
      "client-certificate",
      where,
    );
  }
  if (typeof user["client-key-data"] === "string") {
    config.key = decodeBase64(user["client-key-data"], "client-key-data", where);
  } else if (typeof user["client-key"] === "string") {
    config.key = await readFile(
      readers,
      resolvePath(base, user["client-key"]),
      "client-key",
      where,
    );
  }
  if ((config.cert === undefined) !== (config.key === undefined)) {
    throw new ConfigError(
      `Cannot use user "${userName}" of ${where}: a client certificate needs both a certificate and a key`,
    );
  }
  if (config.token === undefined && config.cert === undefined) {
    throw new ConfigError(
      `Cannot find credentials for user "${userName}" of ${where}: set token, tokenFile or a client certificate and key`,
    );
  }
  if (config.token) registerSecret(config.token);
  if (config.key) registerSecret(config.key);
  return config;
}

/**
 * Loads the pod's service-account configuration: the API host from `KUBERNETES_SERVICE_HOST` and
 * `KUBERNETES_SERVICE_PORT`, and the token, CA and namespace files under {@link SERVICE_ACCOUNT_DIR}.
 */
export async function loadInClusterConfig(
  readers: ConfigReaders = denoReaders,
  dir = SERVICE_ACCOUNT_DIR,
): Promise<KubeConfig> {
  const host = readers.env("KUBERNETES_SERVICE_HOST");
  const port = readers.env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw new ConfigError(
      "Cannot use the in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set",
      { hint: "--incluster works only inside a pod; use --kubeconfig elsewhere" },
    );
  }
  const where = "the in-cluster service account";
  const read = async (name: string) => {
    try {
      return await readers.readTextFile(`${dir}/${name}`);
    } catch (error) {
      throw new ConfigError(
        `Cannot read "${dir}/${name}" of ${where}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        {
          cause: error,
          hint:
            "check that the pod mounts its service-account token (automountServiceAccountToken)",
        },
      );
    }
  };
  const token = (await read("token")).trim();
  if (token === "") {
    throw new ConfigError(`Cannot use the token in "${dir}/token" of ${where}: the file is empty`);
  }
  registerSecret(token);
  const ca = await read("ca.crt");
  let namespace: string | undefined;
  try {
    namespace = (await readers.readTextFile(`${dir}/namespace`)).trim() || undefined;
  } catch {
    namespace = undefined;
  }
  // An IPv6 service host needs brackets in a URL.
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const config: KubeConfig = {
    server: normaliseServer(`https://${hostPart}:${port}`, where),
    token,
    caCerts: [ca],
    source: "in-cluster",
  };
  if (namespace) config.namespace = namespace;
  return config;
}

/** Reasons the API server puts in `Status.reason` that callers act on. */
export type KubeReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "Forbidden"
  | "Unauthorized"
  | "BadRequest"
  | "InternalError"
  | string;

/** The API server answered with an error status. */
export class KubernetesApiError extends SnapsentryError {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly reason: KubeReason;
  readonly serverMessage: string;
  readonly causes: { reason?: string; message?: string; field?: string }[];
  constructor(
    init: { method: string; path: string; status: number; reason: string; message: string } & {
      causes?: { reason?: string; message?: string; field?: string }[];
    },
  ) {
    super(
      `Kubernetes ${init.method} ${init.path} failed with ${init.status} ${init.reason}: ${init.message}`,
      { code: `k8s_${init.reason.toLowerCase() || init.status}` },
    );
    this.name = "KubernetesApiError";
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.reason = init.reason;
    this.serverMessage = init.message;
    this.causes = init.causes ?? [];
  }
}

/** Whether `error` is a {@link KubernetesApiError} with that reason. */
export function isKubeReason(error: unknown, reason: KubeReason): error is KubernetesApiError {
  return error instanceof KubernetesApiError && error.reason === reason;
}

/** The calls the orchestrator makes; the client implements it, tests may fake it. */
export interface KubernetesApi {
  get<K extends ResourceKind>(kind: K, namespace: string, name: string): Promise<KindMap[K]>;
  list<K extends ResourceKind>(
    kind: K,
    namespace: string,
    options?: { labelSelector?: string },
  ): Promise<KindMap[K][]>;
  create<K extends ResourceKind>(
    kind: K,
    namespace: string,
    object: KindMap[K],
  ): Promise<KindMap[K]>;
  /** PUT; `object.metadata.resourceVersion` makes it conditional (409 Conflict when stale). */
  replace<K extends ResourceKind>(
    kind: K,
    namespace: string,
    object: KindMap[K],
  ): Promise<KindMap[K]>;
  delete(kind: ResourceKind, namespace: string, name: string): Promise<void>;
}

/** How a request reaches the server; the default adds the cluster's TLS settings. */
export type KubeFetch = (request: Request) => Promise<Response>;

const API_PATHS: Record<ResourceKind, { prefix: string; kind: string }> = {
  deployments: { prefix: "/apis/apps/v1", kind: "Deployment" },
  secrets: { prefix: "/api/v1", kind: "Secret" },
};

/**
 * Builds the fetch function for a configuration: custom CA and client certificate when set.
 * `base` is the fetch that carries the request (default the global one); the CLI passes its
 * injected fetch, so tests can route a kubeconfig's server to the emulated API.
 */
export function createKubeFetch(
  config: KubeConfig,
  base: (input: Request, init?: RequestInit & { client?: Deno.HttpClient }) => Promise<Response> =
    fetch,
): KubeFetch {
  const needsClient = config.caCerts !== undefined || config.cert !== undefined;
  let client: Deno.HttpClient | undefined;
  return (request) => {
    if (needsClient && client === undefined) {
      const options: Deno.CreateHttpClientOptions = {};
      if (config.caCerts) options.caCerts = config.caCerts;
      client = config.cert && config.key
        ? Deno.createHttpClient({ ...options, cert: config.cert, key: config.key })
        : Deno.createHttpClient(options);
    }
    return client ? base(request, { client }) : base(request);
  };
}

export interface KubernetesClientOptions {
  config: KubeConfig;
  /** Replaces the network (tests pass the emulator's handler). */
  fetch?: KubeFetch;
  /** Page size for list calls. */
  pageSize?: number;
}

/** REST client for Deployments and Secrets. */
export class KubernetesClient implements KubernetesApi {
  readonly config: KubeConfig;
  #fetch: KubeFetch;
  #pageSize: number;

  constructor(options: KubernetesClientOptions) {
    this.config = options.config;
    this.#fetch = options.fetch ?? createKubeFetch(options.config);
    this.#pageSize = options.pageSize ?? 250;
  }

  #path(kind: ResourceKind, namespace: string, name?: string): string {
    const base = `${API_PATHS[kind].prefix}/namespaces/${encodeURIComponent(namespace)}/${kind}`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers = new Headers({ accept: "application/json" });
    if (this.config.token) headers.set("authorization", `Bearer ${this.config.token}`);
    if (body !== undefined) headers.set("content-type", "application/json");
    const request = new Request(`${this.config.server}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let response: Response;
    try {
      response = await this.#fetch(request);
    } catch (error) {
      throw new TransportError(
        `Cannot reach the Kubernetes API at ${this.config.server} (${this.config.source}): ${
          error instanceof Error ? error.message : String(error)
        }`,
        { method, url: path },
        { cause: error },
      );
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!response.ok) {
      const status = isDict(parsed) && parsed.kind === "Status"
        ? parsed as unknown as KubeStatus
        : undefined;
      throw new KubernetesApiError({
        method,
        path,
        status: response.status,
        reason: status?.reason ?? reasonForStatus(response.status),
        message: status?.message ?? (text.slice(0, 200) || response.statusText),
        causes: status?.details?.causes ?? [],
      });
    }
    return parsed;
  }

  async get<K extends ResourceKind>(kind: K, namespace: string, name: string) {
    return await this.#request("GET", this.#path(kind, namespace, name)) as KindMap[K];
  }

  async list<K extends ResourceKind>(
    kind: K,
    namespace: string,
    options: { labelSelector?: string } = {},
  ): Promise<KindMap[K][]> {
    const items: KindMap[K][] = [];
    let cont: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(this.#pageSize) });
      if (options.labelSelector) query.set("labelSelector", options.labelSelector);
      if (cont) query.set("continue", cont);
      const page = await this.#request("GET", `${this.#path(kind, namespace)}?${query}`) as {
        items?: KindMap[K][];
        metadata?: { continue?: string };
      };
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  async create<K extends ResourceKind>(kind: K, namespace: string, object: KindMap[K]) {
    return await this.#request(
      "POST",
      this.#path(kind, namespace),
      withKind(kind, object),
    ) as KindMap[K];
  }

  async replace<K extends ResourceKind>(kind: K, namespace: string, object: KindMap[K]) {
    return await this.#request(
      "PUT",
      this.#path(kind, namespace, object.metadata.name),
      withKind(kind, object),
    ) as KindMap[K];
  }

  async delete(kind: ResourceKind, namespace: string, name: string): Promise<void> {
    // Background propagation: the Deployment goes at once, its ReplicaSets and pods follow.
    await this.#request("DELETE", this.#path(kind, namespace, name), {
      kind: "DeleteOptions",
      apiVersion: "v1",
      propagationPolicy: "Background",
    });
  }
}

function withKind<K extends ResourceKind>(kind: K, object: KindMap[K]): KindMap[K] {
  const apiVersion = kind === "deployments" ? "apps/v1" : "v1";
  return { ...object, apiVersion, kind: API_PATHS[kind].kind } as KindMap[K];
}

function reasonForStatus(status: number): string {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    default:
      return status >= 500 ? "InternalError" : "Unknown";
  }
}
