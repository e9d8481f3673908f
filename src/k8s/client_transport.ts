/**
 * How a request reaches the API server: the fetch function that carries the cluster's TLS
 * settings (`createKubeFetch`), one JSON request with the bearer token, a deadline and a byte cap,
 * and the mapping of error answers to {@link KubernetesApiError}. TLS goes through
 * `Deno.createHttpClient` with the cluster CA and, when given, the client certificate.
 *
 * @module
 */
import { SnapsentryError, TransportError } from "../errors.ts";
import { isDict } from "./_dict.ts";
import type { KubeConfig } from "./client_config.ts";
import type { KubeTokenSource } from "./client_token.ts";
import type { KubeStatus } from "./types.ts";

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

/** Default deadline of one request (headers and body). */
export const DEFAULT_KUBE_TIMEOUT_MS = 30_000;
/**
 * Default cap on one answer's body. A list page of 250 Deployments is well under 2 MiB; the cap
 * only stops a broken or hostile server from filling the orchestrator's 256 MiB limit.
 */
export const DEFAULT_KUBE_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** The verb RBAC checks for a request (`GET` on a collection is `list`). */
export function rbacVerb(method: string, path: string): string {
  switch (method) {
    case "GET": {
      // `/…/namespaces/<ns>/<resource>` is a collection, one more segment is an item.
      const segments = path.split("?")[0]!.split("/").filter((s) => s !== "");
      const ns = segments.indexOf("namespaces");
      return ns >= 0 && segments.length === ns + 3 ? "list" : "get";
    }
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return method.toLowerCase();
  }
}

/** `deployments` and `apps` of `/apis/apps/v1/namespaces/ns/deployments/x`; `""` for the core group. */
function resourceOf(path: string): { resource: string; group: string; namespace: string } {
  const segments = path.split("?")[0]!.split("/").filter((s) => s !== "");
  const ns = segments.indexOf("namespaces");
  const group = segments[0] === "apis" ? (segments[1] ?? "") : "";
  return {
    resource: ns >= 0 ? decodeURIComponent(segments[ns + 2] ?? "") : "",
    group,
    namespace: ns >= 0 ? decodeURIComponent(segments[ns + 1] ?? "") : "",
  };
}

/** The API server answered with an error status. */
export class KubernetesApiError extends SnapsentryError {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly reason: KubeReason;
  readonly serverMessage: string;
  readonly causes: { reason?: string; message?: string; field?: string }[];
  /** For 403: the RBAC verb and resource that were refused. */
  readonly verb: string;
  readonly resource: string;
  constructor(
    init: { method: string; path: string; status: number; reason: string; message: string } & {
      causes?: { reason?: string; message?: string; field?: string }[];
    },
  ) {
    const verb = rbacVerb(init.method, init.path);
    const { resource, group, namespace } = resourceOf(init.path);
    let message =
      `Kubernetes ${init.method} ${init.path} failed with ${init.status} ${init.reason}: ${init.message}`;
    let hint: string | undefined;
    if (init.status === 403) {
      // The server's text names the user; ours names what to grant, in the house form.
      const user = /User "([^"]*)"/.exec(init.message)?.[1];
      message = `Cannot ${verb} ${resource || "resources"} in namespace "${namespace}": ${
        user ? `user "${user}"` : "the credential"
      } is forbidden (403); grant verb "${verb}" on resource "${resource}" (API group "${group}") in the orchestrator's Role`;
      hint =
        "deploy/kubernetes/role.yaml grants every verb the orchestrator uses; SnapSentry-Go's kustomize Role lacks secrets update and delete (deploy/kubernetes/README.md)";
    }
    super(message, {
      code: `k8s_${init.reason.toLowerCase() || init.status}`,
      ...(hint ? { hint } : {}),
    });
    this.name = "KubernetesApiError";
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.reason = init.reason;
    this.serverMessage = init.message;
    this.causes = init.causes ?? [];
    this.verb = verb;
    this.resource = resource;
  }
}

/** Whether `error` is a {@link KubernetesApiError} with that reason. */
export function isKubeReason(error: unknown, reason: KubeReason): error is KubernetesApiError {
  return error instanceof KubernetesApiError && error.reason === reason;
}

/** How a request reaches the server; the default adds the cluster's TLS settings. */
export type KubeFetch = (request: Request) => Promise<Response>;

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

/** Limits of one request. */
export interface KubeRequestLimits {
  timeoutMs: number;
  maxResponseBytes: number;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

/** Reads a body up to `max` bytes; stops reading (and cancels the stream) past it. */
async function readCapped(
  response: Response,
  max: number,
  what: () => SnapsentryError,
): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel();
    throw what();
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw what();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * Sends one request to the API server and returns its parsed JSON body (undefined when empty or
 * not JSON). An error answer throws {@link KubernetesApiError}; no answer in time, or none at all,
 * throws `TransportError`; an answer over the byte cap throws `response_too_large`.
 */
export async function _kubeRequest(
  config: KubeConfig,
  kubeFetch: KubeFetch,
  token: KubeTokenSource,
  limits: KubeRequestLimits,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  for (let attempt = 0;; attempt++) {
    try {
      return await requestOnce(config, kubeFetch, await token.token(), limits, method, path, body);
    } catch (error) {
      // A projected service-account token rotates (about hourly): on 401 read the file again and
      // retry once when it holds a new token.
      if (attempt === 0 && isKubeReason(error, "Unauthorized") && await token.refresh()) continue;
      throw error;
    }
  }
}

async function requestOnce(
  config: KubeConfig,
  kubeFetch: KubeFetch,
  token: string | undefined,
  limits: KubeRequestLimits,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const headers = new Headers({ accept: "application/json" });
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (body !== undefined) headers.set("content-type", "application/json");
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const request = new Request(`${config.server}${path}`, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    signal,
  });
  const timedOut = (error: unknown) =>
    new TransportError(
      `Cannot reach the Kubernetes API at ${config.server} (${config.source}): ${method} ${path} got no complete answer within ${
        limits.timeoutMs / 1000
      } s`,
      { method, url: path, timedOut: true },
      { cause: error, hint: "check the API server's health and the network to it" },
    );
  let response: Response;
  try {
    response = await kubeFetch(request);
  } catch (error) {
    if (signal.aborted) throw timedOut(error);
    throw new TransportError(
      `Cannot reach the Kubernetes API at ${config.server} (${config.source}): ${
        error instanceof Error ? error.message : String(error)
      }`,
      { method, url: path },
      { cause: error },
    );
  }
  let text: string;
  try {
    text = await readCapped(
      response,
      limits.maxResponseBytes,
      () =>
        new SnapsentryError(
          `Cannot read the Kubernetes API answer to ${method} ${path}: it is larger than ${
            mib(limits.maxResponseBytes)
          }; the server or a proxy in front of it is misbehaving`,
          { code: "response_too_large" },
        ),
    );
  } catch (error) {
    if (error instanceof SnapsentryError) throw error;
    if (signal.aborted) throw timedOut(error);
    throw new TransportError(
      `Cannot read the Kubernetes API answer to ${method} ${path}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { method, url: path },
      { cause: error },
    );
  }
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
