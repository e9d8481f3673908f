/**
 * An emulated Kubernetes API server for apps/v1 Deployments, v1 Secrets and networking.k8s.io/v1
 * NetworkPolicies in namespaces, as a fetch handler (Hono). No API server can be installed on our machines, so the orchestrator is
 * tested against this: bearer-token auth with per-token rights (401/403), label selectors
 * (equality, `!=`, `in`, `notin`, exists, `!key`), resourceVersion with 409 Conflict on a stale
 * update, 409 AlreadyExists, 422 Invalid for names, labels and a few Deployment rules the real
 * server enforces, 404 NotFound, `continue` paging, request counting and fault injection.
 *
 * Error bodies are `Status` objects shaped like the real server's. It models Kubernetes, not
 * snapsentry: nothing here imports from the project.
 *
 * This file owns the emulator's public face; the pieces live in `kubernetes/`: `resources.ts`
 * (kinds and record types), `validation.ts` (422 rules), `selector.ts` (label selectors),
 * `store.ts` (objects, versions, pending faults) and `routes.ts` (the HTTP API).
 */

import type { Hono } from "hono";
import type {
  EmulatedResource,
  FaultRule,
  Obj,
  RecordedCall,
  TokenRights,
} from "./kubernetes/resources.ts";
import { apiRoutes } from "./kubernetes/routes.ts";
import { ApiStore, cloneJson } from "./kubernetes/store.ts";

export type {
  EmulatedResource,
  EmulatedVerb,
  FaultRule,
  RecordedCall,
  TokenRights,
} from "./kubernetes/resources.ts";
export { matchesSelector, parseLabelSelector } from "./kubernetes/selector.ts";
export { validateLabels, validateQualifiedName } from "./kubernetes/validation.ts";

export interface KubernetesEmulatorOptions {
  /** Namespaces that exist; objects in others answer 404. Default `["default", "snapsentry"]`. */
  namespaces?: string[];
  /** Accepted bearer tokens. Default: `{"test-token": all rights}`. */
  tokens?: Record<string, TokenRights>;
  /** Timestamp source for `creationTimestamp` (default a fixed instant, so tests are stable). */
  now?: () => string;
  /** `ready` (default): Deployments roll out at once; `pending`: see {@link completeRollout}. */
  rollout?: "ready" | "pending";
}

/** The emulated API server. Pass `emulator.fetch` wherever a fetch function is expected. */
export class KubernetesEmulator {
  readonly app: Hono;
  readonly namespaces: Set<string>;
  tokens: Record<string, TokenRights>;
  /** Every call, in order. */
  readonly calls: RecordedCall[] = [];
  #store: ApiStore;

  constructor(options: KubernetesEmulatorOptions = {}) {
    this.namespaces = new Set(options.namespaces ?? ["default", "snapsentry"]);
    this.tokens = options.tokens ?? { "test-token": { user: "admin", allow: "*" } };
    this.#store = new ApiStore(options.now ?? (() => "2026-01-01T00:00:00Z"));
    this.#store.rollout = options.rollout ?? "ready";
    this.app = apiRoutes(this, this.#store);
  }

  /** The fetch handler. */
  fetch = (request: Request): Promise<Response> => Promise.resolve(this.app.fetch(request));

  /** Makes the next `times` matching calls fail with `status` (default 500). */
  failNext(times: number, rule: Partial<Omit<FaultRule, "times">> = {}): void {
    this.#store.faults.push({ times, status: rule.status ?? 500, ...rule });
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
    return this.#store.getObject(resource, namespace, name);
  }

  /** Every stored object of a resource in a namespace (copies). */
  listObjects(resource: EmulatedResource, namespace: string): Obj[] {
    return this.#store.listObjects(resource, namespace);
  }

  /** Stores an object directly (test set-up), as a create would. */
  seed(resource: EmulatedResource, namespace: string, object: Obj): Obj {
    const stored = this.#store.put(resource, namespace, cloneJson(object), undefined);
    return cloneJson(stored);
  }

  /** How later Deployment writes roll out (`pending` leaves them unavailable). */
  set rollout(mode: "ready" | "pending") {
    this.#store.rollout = mode;
  }

  get rollout(): "ready" | "pending" {
    return this.#store.rollout;
  }

  /** Finishes a pending rollout: the Deployment's pods are updated and ready. */
  completeRollout(namespace: string, name: string): void {
    this.#store.completeRollout(namespace, name);
  }

  /** Changes an object behind the client's back (a concurrent writer), bumping its version. */
  mutate(resource: EmulatedResource, namespace: string, name: string, fn: (o: Obj) => void): void {
    this.#store.mutate(resource, namespace, name, fn);
  }
}
