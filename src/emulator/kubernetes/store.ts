/**
 * What the emulated Kubernetes API server keeps between calls: the stored objects (by
 * `resource/namespace/name`), the resourceVersion and uid counters, the pending fault rules, and
 * the defaults the real server fills in on a write.
 */

import { type EmulatedResource, type FaultRule, KIND, type Obj } from "./resources.ts";

export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** The API server's objects, counters and pending faults, shared by the emulator and its routes. */
export class ApiStore {
  readonly objects = new Map<string, Obj>();
  /** The last resourceVersion handed out. */
  rv = 1000;
  uid = 0;
  /** Pending fault rules; the routes count them down and drop the used-up ones. */
  faults: FaultRule[] = [];
  readonly now: () => string;
  /**
   * How Deployments roll out: `ready` (every write is rolled out at once, as if the pods started
   * and passed their probes instantly) or `pending` (status shows the new generation unavailable
   * until {@link completeRollout}).
   */
  rollout: "ready" | "pending" = "ready";

  constructor(now: () => string) {
    this.now = now;
  }

  /** Marks a Deployment's current generation as rolled out (all replicas updated and ready). */
  completeRollout(namespace: string, name: string): void {
    const o = this.objects.get(`deployments/${namespace}/${name}`);
    if (!o) throw new Error(`no deployments ${namespace}/${name}`);
    o.status = readyStatus(o);
  }

  /** Stored object (a copy), or undefined. */
  getObject(resource: EmulatedResource, namespace: string, name: string): Obj | undefined {
    const o = this.objects.get(`${resource}/${namespace}/${name}`);
    return o ? cloneJson(o) : undefined;
  }

  /** Every stored object of a resource in a namespace (copies). */
  listObjects(resource: EmulatedResource, namespace: string): Obj[] {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(`${resource}/${namespace}/`))
      .map(([, v]) => cloneJson(v));
  }

  /** Changes an object behind the client's back (a concurrent writer), bumping its version. */
  mutate(resource: EmulatedResource, namespace: string, name: string, fn: (o: Obj) => void): void {
    const key = `${resource}/${namespace}/${name}`;
    const o = this.objects.get(key);
    if (!o) throw new Error(`no ${resource} ${namespace}/${name}`);
    fn(o);
    o.metadata.resourceVersion = String(++this.rv);
  }

  /** Stores a create or update (`previous`: the stored object it replaces), as the server would. */
  put(resource: EmulatedResource, namespace: string, body: Obj, previous: Obj | undefined): Obj {
    const meta = body.metadata;
    meta.namespace = namespace;
    meta.resourceVersion = String(++this.rv);
    meta.uid = previous?.metadata.uid ?? `uid-${++this.uid}`;
    meta.creationTimestamp = previous?.metadata.creationTimestamp ?? this.now();
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
    } else if (resource === "networkpolicies") {
      const spec = body.spec as Record<string, unknown>;
      spec.policyTypes ??= ["Ingress"];
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
      body.status = this.rollout === "ready" ? readyStatus(body) : {
        observedGeneration: meta.generation,
        replicas: spec.replicas,
        updatedReplicas: 0,
        readyReplicas: 0,
        availableReplicas: 0,
        unavailableReplicas: spec.replicas,
      };
    }
    this.objects.set(`${resource}/${namespace}/${meta.name}`, body);
    return body;
  }
}

/** The status of a Deployment whose current generation is fully rolled out. */
function readyStatus(o: Obj): Record<string, unknown> {
  const replicas = (o.spec as { replicas?: number }).replicas ?? 1;
  return {
    observedGeneration: o.metadata.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
  };
}
