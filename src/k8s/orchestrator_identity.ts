/**
 * What the orchestrator asks of Keystone: the {@link OrchestratorIdentity} interface (the admin
 * layer implements it over the OpenStack client), the access rules a project's application
 * credential carries, and that credential's name.
 *
 * @module
 */
import type { ProjectCredential, ProjectRef } from "./desired.ts";

/** One Keystone application-credential access rule. */
export interface AccessRule {
  service: string;
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
}

/**
 * The Cinder calls a project daemon makes, and nothing else (service type `volumev3`, paths
 * relative to the Cinder root as keystonemiddleware matches them: `*` is one path segment).
 * `subscribe` writes volume metadata and is not a daemon call, so no rule allows PUT/POST on
 * volumes. `GET /v3/` is the version document used for microversion discovery: it sits behind
 * keystonemiddleware like every `/v3` path, so it needs its own rule (the unversioned root `/` is
 * served without authentication).
 */
export const SNAPSENTRY_ACCESS_RULES: readonly AccessRule[] = Object.freeze(
  [
    { service: "volumev3", method: "GET", path: "/v3/" },
    { service: "volumev3", method: "GET", path: "/v3/*/volumes/detail" },
    { service: "volumev3", method: "GET", path: "/v3/*/volumes/*" },
    { service: "volumev3", method: "GET", path: "/v3/*/snapshots" },
    { service: "volumev3", method: "GET", path: "/v3/*/snapshots/detail" },
    { service: "volumev3", method: "GET", path: "/v3/*/snapshots/*" },
    { service: "volumev3", method: "GET", path: "/v3/*/os-quota-sets/*" },
    { service: "volumev3", method: "POST", path: "/v3/*/snapshots" },
    { service: "volumev3", method: "POST", path: "/v3/*/snapshots/*/action" },
    { service: "volumev3", method: "POST", path: "/v3/*/snapshots/*/metadata" },
    { service: "volumev3", method: "DELETE", path: "/v3/*/snapshots/*" },
  ] satisfies AccessRule[],
);

/** What the orchestrator needs from Keystone; the lead implements it over the OpenStack client. */
export interface OrchestratorIdentity {
  /** Every project carrying `tag` (all pages). A failure aborts the pass before any change. */
  listTaggedProjects(tag: string): Promise<ProjectRef[]>;
  /**
   * Issues an application credential for `project`, restricted by `accessRules`, carrying `role`
   * on that project, named `name`. Called only when the project's Secret is missing or holds no
   * usable credential, so it may replace (delete and recreate) an earlier credential of the same
   * name: its secret cannot be read back. The returned secret is registered for redaction.
   */
  ensureProjectCredential(
    project: ProjectRef,
    request: { name: string; role: string; accessRules: readonly AccessRule[] },
  ): Promise<ProjectCredential>;
  /**
   * Optional: whether the credential a Secret holds still exists in Keystone. When it answers
   * false, a new credential is issued and the Secret updated.
   */
  credentialExists?(project: ProjectRef, applicationCredentialId: string): Promise<boolean>;
  /** Removes what `ensureProjectCredential` created for `project` (only called when pruning). */
  deleteProjectCredential(project: ProjectRef, request: { name: string }): Promise<void>;
}

/** Name of a project's application credential in Keystone. */
export function credentialName(projectId: string): string {
  return `snapsentry-${projectId}`;
}
