/**
 * How a request reaches the API server: the fetch function that carries the cluster's TLS
 * settings (`createKubeFetch`), one JSON request with the bearer token, and the mapping of error
 * answers to {@link KubernetesApiError}. TLS goes through `Deno.createHttpClient` with the cluster
 * CA and, when given, the client certificate.
 *
 * @module
 */
import { SnapsentryError, TransportError } from "../errors.ts";
import { isDict } from "./_dict.ts";
import type { KubeConfig } from "./client_config.ts";
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

/**
 * Sends one request to the API server and returns its parsed JSON body (undefined when empty or
 * not JSON). An error answer throws {@link KubernetesApiError}; no answer throws `TransportError`.
 */
export async function _kubeRequest(
  config: KubeConfig,
  kubeFetch: KubeFetch,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const headers = new Headers({ accept: "application/json" });
  if (config.token) headers.set("authorization", `Bearer ${config.token}`);
  if (body !== undefined) headers.set("content-type", "application/json");
  const request = new Request(`${config.server}${path}`, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
  let response: Response;
  try {
    response = await kubeFetch(request);
  } catch (error) {
    throw new TransportError(
      `Cannot reach the Kubernetes API at ${config.server} (${config.source}): ${
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
