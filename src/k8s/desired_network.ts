/**
 * The NetworkPolicy of the project daemons. Each daemon listens on 0.0.0.0:8080 (the kubelet
 * probes and Prometheus need it), so the namespace gets one policy that admits only the pods
 * picked by the Prometheus selector, on that port. The kubelet's probes need no rule: traffic
 * from a pod's own node is always allowed ("Network Policies", kubernetes.io: "traffic to and
 * from the node where a Pod is running is always allowed"). Egress stays open: the daemons need
 * Keystone, Cinder, DNS and the webhook, whose addresses the orchestrator does not know.
 *
 * @module
 */
import { DAEMON_PORT, LABEL_KEYS, MANAGER } from "./desired.ts";
import type { NetworkPolicy } from "./types.ts";

/** Name of the daemons' NetworkPolicy. */
export const NETWORK_POLICY_NAME = "snapsentry-daemons";

/** Pods the default policy admits: the Prometheus Operator's and the Helm chart's label. */
export const DEFAULT_PROMETHEUS_SELECTOR: Readonly<Record<string, string>> = Object.freeze({
  "app.kubernetes.io/name": "prometheus",
});

/** The desired NetworkPolicy of the namespace's project daemons. */
export function desiredNetworkPolicy(
  namespace: string,
  prometheusSelector: Readonly<Record<string, string>>,
): NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: NETWORK_POLICY_NAME,
      namespace,
      labels: {
        [LABEL_KEYS.name]: "snapsentry",
        [LABEL_KEYS.component]: "network-policy",
        [LABEL_KEYS.managedBy]: MANAGER,
      },
    },
    spec: {
      podSelector: {
        matchLabels: { [LABEL_KEYS.managedBy]: MANAGER, [LABEL_KEYS.component]: "daemon" },
      },
      policyTypes: ["Ingress"],
      ingress: [{
        from: [{ podSelector: { matchLabels: { ...prometheusSelector } } }],
        ports: [{ protocol: "TCP", port: DAEMON_PORT }],
      }],
    },
  };
}
