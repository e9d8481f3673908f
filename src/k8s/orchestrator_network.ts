/**
 * The namespace's NetworkPolicy for the project daemons (desired_network.ts): created when
 * missing, updated when it drifted, left alone with `--no-network-policy` or when the Role may
 * not list NetworkPolicies (observe warns once per pass).
 *
 * @module
 */
import { describeError } from "../errors.ts";
import { desiredNetworkPolicy, NETWORK_POLICY_NAME } from "./desired_network.ts";
import type { _Pass } from "./orchestrator_act.ts";
import { networkPolicyDrift } from "./orchestrator_diff.ts";
import type { OrchestratorResult } from "./orchestrator_report.ts";
import type { NetworkPolicy } from "./types.ts";

/** Converges the daemons' NetworkPolicy; never throws (a failure is reported, not fatal). */
export async function _reconcileNetworkPolicy(
  pass: _Pass,
  observed: NetworkPolicy[] | undefined,
): Promise<NonNullable<OrchestratorResult["networkPolicy"]>> {
  const steps: string[] = [];
  if (observed === undefined) return { action: "skipped", steps };
  const desired = desiredNetworkPolicy(pass.ns, pass.options.prometheusSelector);
  const current = observed.find((p) => p.metadata.name === NETWORK_POLICY_NAME);
  const outcome = { steps };
  try {
    if (!current) {
      await pass.create(outcome, "networkpolicies", desired);
      pass.log.info("orchestrator_network_policy_created", { name: NETWORK_POLICY_NAME });
      return { action: "created", steps };
    }
    const drift = networkPolicyDrift(current, desired);
    if (drift.length === 0) return { action: "unchanged", steps };
    await pass.replace(
      outcome,
      "networkpolicies",
      desired,
      current,
      (fresh) => networkPolicyDrift(fresh, desired).length > 0,
    );
    pass.log.info("orchestrator_network_policy_updated", { name: NETWORK_POLICY_NAME, drift });
    return { action: "updated", steps };
  } catch (error) {
    const message = describeError(error);
    pass.log.error("orchestrator_network_policy_failed", { error: message });
    return { action: "failed", steps, error: message };
  }
}
