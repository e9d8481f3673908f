/**
 * What the orchestrator asks of Keystone: the {@link OrchestratorIdentity} interface (the admin
 * layer implements it over the OpenStack client), the access rules a project's application
 * credential carries, and that credential's name.
 *
 * @module
 */
import { canonicalJson, type ProjectCredential, type ProjectRef } from "./desired.ts";
import { shortHash } from "./names.ts";

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

/**
 * The access rules of one project's credential: {@link SNAPSENTRY_ACCESS_RULES} with the project's
 * own id in place of the `*` after `/v3/`, so a leaked credential cannot reach another project's
 * paths even where Cinder's policy would let the role do so.
 */
export function accessRulesFor(projectId: string): AccessRule[] {
  return SNAPSENTRY_ACCESS_RULES.map((r) => ({
    ...r,
    path: r.path.replace(/^\/v3\/\*\//, `/v3/${projectId}/`),
  }));
}

/** Short hash of the role and rules a credential carries; a change means a new credential. */
export function credentialRulesHash(role: string, rules: readonly AccessRule[]): string {
  return shortHash(canonicalJson({ role, rules }));
}

/** SnapSentry-Go's password user of a project (`snapsentry-<lower(project name)>`, role admin). */
export interface GoUser {
  id: string;
  name: string;
  domainId?: string;
}

/** What the orchestrator needs from Keystone; the lead implements it over the OpenStack client. */
export interface OrchestratorIdentity {
  /** Every project carrying `tag` (all pages). A failure aborts the pass before any change. */
  listTaggedProjects(tag: string): Promise<ProjectRef[]>;
  /**
   * Issues an application credential for `project`, restricted by `accessRules`, carrying `role`
   * on that project, named `name`. Called only when the project's Secret is missing or holds no
   * usable credential, or to rotate one, so it deletes earlier credentials named `name` (or
   * `name-…`): their secret cannot be read back. Ids in `keep` (the credential a running daemon
   * still uses during a rotation) are kept, and the new one then gets a distinct name. With
   * `expiresAt`, Keystone stops accepting the credential then. The returned secret is registered
   * for redaction.
   */
  ensureProjectCredential(
    project: ProjectRef,
    request: {
      name: string;
      role: string;
      accessRules: readonly AccessRule[];
      expiresAt?: Temporal.Instant;
      keep?: readonly string[];
    },
  ): Promise<ProjectCredential>;
  /**
   * Optional: whether the credential a Secret holds still exists in Keystone. When it answers
   * false, a new credential is issued and the Secret updated.
   */
  credentialExists?(project: ProjectRef, applicationCredentialId: string): Promise<boolean>;
  /**
   * Removes what `ensureProjectCredential` created for `project`: every credential named `name`
   * (or `name-…`) when pruning, or only the one with `id` (a rotated-out credential).
   */
  deleteProjectCredential(
    project: ProjectRef,
    request: { name: string; id?: string },
  ): Promise<void>;
  /**
   * Optional: authenticates with `credential` and makes one Cinder call within its access rules;
   * rejects when Keystone or Cinder refuses. Needed before SnapSentry-Go's user is deleted.
   */
  verifyProjectCredential?(project: ProjectRef, credential: ProjectCredential): Promise<void>;
  /** Optional: SnapSentry-Go's password user of `project`, when it exists. */
  findGoUser?(project: ProjectRef): Promise<GoUser | undefined>;
  /** Optional: deletes SnapSentry-Go's user (only with `--prune-go-users`). */
  deleteGoUser?(project: ProjectRef, user: GoUser): Promise<void>;
}

/** Name of a project's application credential in Keystone. */
export function credentialName(projectId: string): string {
  return `snapsentry-${projectId}`;
}
