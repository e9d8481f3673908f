/**
 * The diff step of a pass: why an observed Deployment or Secret differs from the desired one.
 * Quantities compare by value and Secret data after decoding, so the server's canonical forms
 * never count as drift.
 *
 * @module
 */
import { quantityNanos } from "./_quantity.ts";
import { ANNOTATION_KEYS, canonicalJson, decodeBase64 } from "./desired.ts";
import type { Deployment, NetworkPolicy, Secret } from "./types.ts";

/** Whether two resource lists ask for the same amounts (by value, whatever the spelling). */
function sameQuantities(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const ak = Object.keys(a ?? {}).sort();
  const bk = Object.keys(b ?? {}).sort();
  if (ak.length !== bk.length || ak.some((k, i) => k !== bk[i])) return false;
  return ak.every((k) => {
    const x = quantityNanos(a![k]!);
    const y = quantityNanos(b![k]!);
    return x !== undefined && y !== undefined ? x === y : a![k] === b![k];
  });
}

function sameStringMap(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ak = Object.keys(a ?? {}).sort();
  const bk = Object.keys(b).sort();
  return ak.length === bk.length && ak.every((k, i) => k === bk[i] && a![k] === b[k]);
}

function subsetOf(sub: Record<string, string>, full: Record<string, string> | undefined): boolean {
  return Object.entries(sub).every(([k, v]) => full?.[k] === v);
}

/** Decoded data of an observed Secret. */
export function _secretData(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = decodeBase64(v) ?? "";
  return out;
}

/** Why an observed Deployment differs from the desired one (empty when equal). */
export function deploymentDrift(observed: Deployment, desired: Deployment): string[] {
  const reasons: string[] = [];
  const have = observed.spec?.template?.spec?.containers?.[0];
  const want = desired.spec.template.spec.containers[0]!;
  if (!have) return ["deployment_containers"];
  if (have.image !== want.image) reasons.push("deployment_image");
  if (JSON.stringify(have.args ?? []) !== JSON.stringify(want.args ?? [])) {
    reasons.push("deployment_args");
  }
  if (
    !sameQuantities(have.resources?.requests, want.resources?.requests) ||
    !sameQuantities(have.resources?.limits, want.resources?.limits)
  ) reasons.push("deployment_resources");
  if ((observed.spec.replicas ?? 1) !== desired.spec.replicas) reasons.push("deployment_replicas");
  const cfg = ANNOTATION_KEYS.configHash;
  if (
    observed.spec.template.metadata?.annotations?.[cfg] !==
      desired.spec.template.metadata?.annotations?.[cfg]
  ) {
    reasons.push("deployment_config");
  }
  if (!subsetOf(desired.metadata.labels ?? {}, observed.metadata.labels)) {
    reasons.push("deployment_labels");
  }
  const spec = ANNOTATION_KEYS.specHash;
  if (
    reasons.length === 0 &&
    observed.metadata.annotations?.[spec] !== desired.metadata.annotations?.[spec]
  ) {
    reasons.push("deployment_spec");
  }
  return reasons;
}

/** Why an observed Secret differs from the desired one (empty when equal). */
export function secretDrift(
  observed: Secret,
  desiredContent: Record<string, string>,
  desired: Secret,
): string[] {
  const reasons: string[] = [];
  if (!sameStringMap(_secretData(observed), desiredContent)) reasons.push("secret_content");
  if ((observed.type ?? "Opaque") !== desired.type) reasons.push("secret_type");
  if (!subsetOf(desired.metadata.labels ?? {}, observed.metadata.labels)) {
    reasons.push("secret_labels");
  }
  const have = observed.metadata.annotations ?? {};
  const want = desired.metadata.annotations ?? {};
  const recorded = [
    ANNOTATION_KEYS.credentialRules,
    ANNOTATION_KEYS.credentialExpiresAt,
    ANNOTATION_KEYS.retiredCredentials,
  ];
  if (recorded.some((k) => have[k] !== want[k])) reasons.push("secret_credential_record");
  return reasons;
}

/** Why an observed NetworkPolicy differs from the desired one (empty when equal). */
export function networkPolicyDrift(observed: NetworkPolicy, desired: NetworkPolicy): string[] {
  const reasons: string[] = [];
  if (canonicalJson(observed.spec) !== canonicalJson(desired.spec)) reasons.push("policy_spec");
  if (!subsetOf(desired.metadata.labels ?? {}, observed.metadata.labels)) {
    reasons.push("policy_labels");
  }
  return reasons;
}
