/**
 * Which application credential a project's Secret holds after this pass: the one it holds, kept
 * while it exists in Keystone, carries today's role and access rules and has more than a third of
 * `--credential-ttl` left; otherwise a new one. A replaced credential a running daemon still uses
 * (a rotation) is recorded on the Secret as retired and deleted only after the Deployment rolled
 * (orchestrator_finish.ts); an unusable or vanished one is simply replaced.
 *
 * @module
 */
import { registerSecret } from "../redact.ts";
import { ANNOTATION_KEYS, type ProjectCredential, type ProjectRef } from "./desired.ts";
import type { CredentialRecord } from "./desired_secret.ts";
import type { _Pass } from "./orchestrator_act.ts";
import { _secretData } from "./orchestrator_diff.ts";
import { accessRulesFor, credentialName, credentialRulesHash } from "./orchestrator_identity.ts";
import type { ProjectOutcome } from "./orchestrator_report.ts";
import type { Secret } from "./types.ts";
import { credentialFromCloudsYaml } from "./desired_secret.ts";
import { SECRET_KEYS } from "./desired.ts";

/** Stand-in for a credential a dry run would issue; never written anywhere. */
const DRY_RUN_CREDENTIAL: ProjectCredential = {
  application_credential_id: "(issued by the real pass)",
  application_credential_secret: "(issued by the real pass)",
};

function parseInstant(text: string | undefined): Temporal.Instant | undefined {
  if (!text) return undefined;
  try {
    return Temporal.Instant.from(text);
  } catch {
    return undefined;
  }
}

/** Why the credential a Secret holds must be replaced now, or undefined to keep it. */
export function rotationReason(
  annotations: Record<string, string>,
  rulesHash: string,
  now: Temporal.Instant,
  ttlMs: number,
): string | undefined {
  const recorded = annotations[ANNOTATION_KEYS.credentialRules];
  if (recorded !== rulesHash) {
    return recorded === undefined
      ? "issued before snapsentry recorded its access rules (wildcard project id, no expiry)"
      : "its role or access rules changed";
  }
  const expiresAt = parseInstant(annotations[ANNOTATION_KEYS.credentialExpiresAt]);
  if (!expiresAt) return "it has no recorded expiry";
  const rotateAt = expiresAt.subtract({ milliseconds: Math.round(ttlMs / 3) });
  if (Temporal.Instant.compare(now, rotateAt) >= 0) {
    return `it expires at ${expiresAt.toString()}, less than a third of --credential-ttl away`;
  }
  return undefined;
}

/** The credential and its record for the desired Secret; issues or rotates when needed. */
export async function _credentialFor(
  pass: _Pass,
  project: ProjectRef,
  outcome: ProjectOutcome,
  observedSecret: Secret | undefined,
): Promise<{ credential: ProjectCredential; record: CredentialRecord }> {
  const { identity, clock } = pass.deps;
  const { options } = pass;
  const log = pass.log.with({ project_id: project.id, project_name: project.name });
  const rules = accessRulesFor(project.id);
  const rulesHash = credentialRulesHash(options.role, rules);
  const annotations = observedSecret?.metadata.annotations ?? {};
  const retired = (annotations[ANNOTATION_KEYS.retiredCredentials] ?? "").split(",")
    .map((s) => s.trim()).filter((s) => s !== "");

  let held = observedSecret
    ? credentialFromCloudsYaml(_secretData(observedSecret)[SECRET_KEYS.cloudsYaml] ?? "")
    : undefined;
  if (held) registerSecret(held.application_credential_secret);
  if (held && identity.credentialExists) {
    if (!(await identity.credentialExists(project, held.application_credential_id))) {
      log.warn("orchestrator_credential_missing", {
        application_credential_id: held.application_credential_id,
      });
      held = undefined;
    }
  }
  const now = clock.now();
  const reason = held ? rotationReason(annotations, rulesHash, now, options.credentialTtlMs) : "";
  if (held && reason === undefined) {
    const record: CredentialRecord = { rulesHash, retired };
    const expiresAt = annotations[ANNOTATION_KEYS.credentialExpiresAt];
    if (expiresAt) record.expiresAt = expiresAt;
    return { credential: held, record };
  }
  if (!held && observedSecret) {
    log.warn("orchestrator_secret_unusable", { secret: observedSecret.metadata.name });
  }

  const expiresAt = now.add({ milliseconds: options.credentialTtlMs });
  const rotating = held !== undefined;
  // A rotation keeps the credential the running pods use (and earlier retired ones) until the
  // new Deployment has rolled; a replacement has nothing running on the old one to protect.
  const keep = rotating ? [held!.application_credential_id, ...retired] : [];
  const name = credentialName(project.id);
  let credential = DRY_RUN_CREDENTIAL;
  await pass.write(
    outcome,
    `${
      rotating ? "rotate" : "issue"
    } application credential "${name}" in Keystone (role ${options.role}, ${rules.length} access rules for project ${project.id}, expires ${expiresAt.toString()})${
      rotating ? `: ${reason}` : ""
    }`,
    async () => {
      credential = await identity.ensureProjectCredential(project, {
        name,
        role: options.role,
        accessRules: rules,
        expiresAt,
        keep,
      });
      registerSecret(credential.application_credential_secret);
    },
  );
  outcome.changes.push(rotating ? "credential_rotated" : "credential_issued");
  log.info(rotating ? "orchestrator_credential_rotated" : "orchestrator_credential_issued", {
    application_credential_id: credential.application_credential_id,
    role: options.role,
    expires_at: credential.expiresAt ?? expiresAt.toString(),
    ...(rotating ? { reason, replaces: held!.application_credential_id } : {}),
  });
  return {
    credential,
    record: {
      rulesHash,
      expiresAt: credential.expiresAt ?? expiresAt.toString(),
      retired: rotating ? keep : [],
    },
  };
}
