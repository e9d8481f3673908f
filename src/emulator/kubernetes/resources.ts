/**
 * The resources the emulated Kubernetes API server serves (kinds, API groups and versions), the
 * shape of a stored object, and the record types of its RBAC model, faults and call log.
 */

export type Obj = {
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
export type EmulatedResource = "deployments" | "secrets" | "networkpolicies";
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

/** One recorded call. */
export interface RecordedCall {
  method: string;
  verb: EmulatedVerb | "unknown";
  resource?: EmulatedResource;
  namespace?: string;
  name?: string | undefined;
  status: number;
}

export const KIND: Record<EmulatedResource, { kind: string; group: string; apiVersion: string }> = {
  deployments: { kind: "Deployment", group: "apps", apiVersion: "apps/v1" },
  secrets: { kind: "Secret", group: "", apiVersion: "v1" },
  networkpolicies: {
    kind: "NetworkPolicy",
    group: "networking.k8s.io",
    apiVersion: "networking.k8s.io/v1",
  },
};

/** The URL prefix of each resource's API group and version. */
export const API_PREFIX: Record<EmulatedResource, string> = {
  deployments: "/apis/apps/v1",
  secrets: "/api/v1",
  networkpolicies: "/apis/networking.k8s.io/v1",
};
