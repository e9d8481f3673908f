/**
 * A small Kubernetes REST client over `fetch`, for the two resources the orchestrator manages
 * (apps/v1 Deployments and v1 Secrets in one namespace). The npm Kubernetes clients do not run
 * well under Deno, and five verbs on two resources do not need one.
 *
 * Configuration loading is in client_config.ts (kubeconfig, in-cluster) and the transport (TLS,
 * requests, error mapping) in client_transport.ts; this module keeps the resource calls and
 * re-exports both, so importers of `client.ts` need no change.
 */
import { _kubeRequest, createKubeFetch, type KubeFetch } from "./client_transport.ts";
import type { KubeConfig } from "./client_config.ts";
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
};

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

  #request(method: string, path: string, body?: unknown): Promise<unknown> {
    return _kubeRequest(this.config, this.#fetch, method, path, body);
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
