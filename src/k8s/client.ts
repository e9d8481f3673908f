/**
 * A small Kubernetes REST client over `fetch`, for the resources the orchestrator manages
 * (apps/v1 Deployments, v1 Secrets and networking.k8s.io/v1 NetworkPolicies in one namespace). The npm Kubernetes clients do not run
 * well under Deno, and five verbs on two resources do not need one.
 *
 * Configuration loading is in client_config.ts (kubeconfig, in-cluster) and the transport (TLS,
 * requests, error mapping) in client_transport.ts; this module keeps the resource calls and
 * re-exports both, so importers of `client.ts` need no change.
 */
import { SnapsentryError } from "../errors.ts";
import {
  _kubeRequest,
  createKubeFetch,
  DEFAULT_KUBE_MAX_RESPONSE_BYTES,
  DEFAULT_KUBE_TIMEOUT_MS,
  type KubeFetch,
  type KubeRequestLimits,
} from "./client_transport.ts";
import type { KubeConfig } from "./client_config.ts";
import { KubeTokenSource } from "./client_token.ts";
import type { KindMap, ResourceKind } from "./types.ts";

export {
  type ConfigReaders,
  denoReaders,
  type KubeConfig,
  loadInClusterConfig,
  loadKubeconfig,
  SERVICE_ACCOUNT_DIR,
} from "./client_config.ts";
export {
  createKubeFetch,
  DEFAULT_KUBE_MAX_RESPONSE_BYTES,
  DEFAULT_KUBE_TIMEOUT_MS,
  isKubeReason,
  type KubeFetch,
  type KubeReason,
  KubernetesApiError,
} from "./client_transport.ts";

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

const API_PATHS: Record<ResourceKind, { prefix: string; kind: string }> = {
  deployments: { prefix: "/apis/apps/v1", kind: "Deployment" },
  secrets: { prefix: "/api/v1", kind: "Secret" },
  networkpolicies: { prefix: "/apis/networking.k8s.io/v1", kind: "NetworkPolicy" },
};

/** Pages one list may take before it is refused (250 items a page: 2.5 million objects). */
export const MAX_LIST_PAGES = 10_000;

export interface KubernetesClientOptions {
  config: KubeConfig;
  /** Replaces the network (tests pass the emulator's handler). */
  fetch?: KubeFetch;
  /** Page size for list calls. */
  pageSize?: number;
  /** Deadline of one request (default 30 s). */
  timeoutMs?: number;
  /** Cap on one answer's body (default 64 MiB). */
  maxResponseBytes?: number;
  /** Reads `config.tokenFile` again (rotated service-account tokens); default Deno's. */
  readTextFile?: (path: string) => Promise<string>;
  /** Milliseconds since the epoch, for the token re-read interval (tests). */
  now?: () => number;
}

/** REST client for Deployments and Secrets. */
export class KubernetesClient implements KubernetesApi {
  readonly config: KubeConfig;
  #fetch: KubeFetch;
  #pageSize: number;
  #limits: KubeRequestLimits;
  #token: KubeTokenSource;

  constructor(options: KubernetesClientOptions) {
    this.config = options.config;
    this.#fetch = options.fetch ?? createKubeFetch(options.config);
    this.#pageSize = options.pageSize ?? 250;
    this.#limits = {
      timeoutMs: options.timeoutMs ?? DEFAULT_KUBE_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_KUBE_MAX_RESPONSE_BYTES,
    };
    this.#token = new KubeTokenSource(options.config, {
      ...(options.readTextFile ? { readTextFile: options.readTextFile } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  #path(kind: ResourceKind, namespace: string, name?: string): string {
    const base = `${API_PATHS[kind].prefix}/namespaces/${encodeURIComponent(namespace)}/${kind}`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  #request(method: string, path: string, body?: unknown): Promise<unknown> {
    return _kubeRequest(this.config, this.#fetch, this.#token, this.#limits, method, path, body);
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
    const seen = new Set<string>();
    let cont: string | undefined;
    let pages = 0;
    do {
      if (++pages > MAX_LIST_PAGES) {
        throw new SnapsentryError(
          `Cannot list ${kind} in namespace "${namespace}": the API server sent more than ${MAX_LIST_PAGES} pages`,
          { code: "k8s_list_unbounded" },
        );
      }
      const query = new URLSearchParams({ limit: String(this.#pageSize) });
      if (options.labelSelector) query.set("labelSelector", options.labelSelector);
      if (cont) query.set("continue", cont);
      const page = await this.#request("GET", `${this.#path(kind, namespace)}?${query}`) as {
        items?: KindMap[K][];
        metadata?: { continue?: string };
      };
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
      if (cont !== undefined) {
        if (seen.has(cont)) {
          throw new SnapsentryError(
            `Cannot list ${kind} in namespace "${namespace}": the API server repeated a continue token, so the listing would never end`,
            { code: "k8s_list_loop" },
          );
        }
        seen.add(cont);
      }
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
  const apiVersion = API_PATHS[kind].prefix.replace(/^\/apis?\//, "");
  return { ...object, apiVersion, kind: API_PATHS[kind].kind } as KindMap[K];
}
