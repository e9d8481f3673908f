/**
 * SnapSentry-Go's orchestrator objects, recognised by name and labels so a snapsentry pass can
 * take a Go namespace over (docs/go-compatibility.md, Orchestrator). Per tagged project Go made:
 *
 * - a Deployment `snapsentry-<project id>` labelled `app=snapsentry-go`, `project-id`,
 *   `project-name` (lower-cased) and `domain-id`, selecting its pods by all four (a selector is
 *   immutable, so snapsentry's Deployment of the same name can only replace it by delete and
 *   create);
 * - a Secret `snapsentry-creds-<lower(project id)>` with the same labels but no `app`, holding a
 *   clouds.yaml with `verify: false` and a password;
 * - a Keystone user `snapsentry-<lower(project name)>` in the project's domain with the `admin`
 *   role on the project (found by the identity adapter, see `findGoUser`).
 *
 * @module
 */
import { LABEL_KEYS } from "./desired.ts";
import type { Deployment, Secret } from "./types.ts";

/** Go's `app` label value. */
export const GO_APP = "snapsentry-go";
/** Selects Go's Deployments. */
export const GO_DEPLOYMENT_SELECTOR = `app=${GO_APP}`;
/** Selects Go's Secrets (they carry no `app` label; names are checked after listing). */
export const GO_SECRET_SELECTOR = `project-id,!${LABEL_KEYS.managedBy}`;

/** Go's Deployment name of a project (Go did not lower-case it). */
export function goDeploymentName(projectId: string): string {
  return `snapsentry-${projectId}`;
}

/** Go's Secret name of a project. */
export function goSecretName(projectId: string): string {
  return `snapsentry-creds-${projectId.toLowerCase()}`;
}

/** Go's Keystone user name of a project. */
export function goUserName(projectName: string): string {
  return `snapsentry-${projectName.toLowerCase()}`;
}

/** Go's objects of one project. */
export interface GoObjects {
  deployment?: Deployment;
  secret?: Secret;
  /** Project name and domain from Go's labels (the name lower-cased, as Go wrote it). */
  projectName?: string;
  domainId?: string;
}

function goProjectId(labels: Record<string, string> | undefined): string | undefined {
  const id = labels?.["project-id"];
  return typeof id === "string" && id !== "" ? id : undefined;
}

/** Whether a Deployment is Go's: its `app` label, a `project-id` label and the matching name. */
export function isGoDeployment(d: Deployment): boolean {
  const labels = d.metadata.labels ?? {};
  const id = goProjectId(labels);
  return labels.app === GO_APP && id !== undefined && d.metadata.name === goDeploymentName(id) &&
    labels[LABEL_KEYS.managedBy] === undefined;
}

/** Whether a Secret is Go's: a `project-id` label and the matching `snapsentry-creds-` name. */
export function isGoSecret(s: Secret): boolean {
  const labels = s.metadata.labels ?? {};
  const id = goProjectId(labels);
  return id !== undefined && s.metadata.name === goSecretName(id) &&
    labels[LABEL_KEYS.managedBy] === undefined;
}

/** Go's objects grouped by project id (lower-cased, as Keystone ids compare). */
export function groupGoObjects(
  deployments: readonly Deployment[],
  secrets: readonly Secret[],
): Map<string, GoObjects> {
  const byProject = new Map<string, GoObjects>();
  const entry = (labels: Record<string, string>) => {
    const key = goProjectId(labels)!.toLowerCase();
    const e = byProject.get(key) ?? {};
    if (labels["project-name"]) e.projectName ??= labels["project-name"];
    if (labels["domain-id"]) e.domainId ??= labels["domain-id"];
    byProject.set(key, e);
    return e;
  };
  for (const d of deployments) if (isGoDeployment(d)) entry(d.metadata.labels!).deployment = d;
  for (const s of secrets) if (isGoSecret(s)) entry(s.metadata.labels!).secret = s;
  return byProject;
}
