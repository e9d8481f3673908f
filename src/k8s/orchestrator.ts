/**
 * `admin orchestrator`: one `snapsentry daemon` Deployment per Keystone project tagged
 * `snapsentry-enabled`, each with its own least-privilege application credential in a Secret.
 *
 * A reconciler in the snapscheduler shape: observe everything once (tagged projects, and the
 * managed Deployments and Secrets of the namespace through one label-selector list each), decide
 * per project by comparing desired with observed, act only on differences, and record one outcome
 * per project. One project's failure never stops the others; a second pass with nothing changed
 * makes no write call. Objects of projects that lost the tag are removed only with `prune`.
 *
 * SnapSentry-Go's objects of a tagged project are replaced (orchestrator_go.ts); the namespace
 * gets one NetworkPolicy for the daemons; credentials expire and are rotated before they do; work
 * that must wait for a rollout (Go's Secret, rotated-out credentials, Go's user) runs once the
 * Deployments of the pass have rolled. `dryRun` reports every write and makes none.
 *
 * The steps live beside this file: orchestrator_observe.ts, orchestrator_diff.ts,
 * orchestrator_act.ts (with orchestrator_credential.ts, orchestrator_network.ts and
 * orchestrator_finish.ts) and orchestrator_report.ts; the settings and the Keystone contract in
 * orchestrator_options.ts and orchestrator_identity.ts. This module runs them in order and
 * re-exports their public names, so importers of `orchestrator.ts` need no change.
 */
import { ConfigError, describeError, SnapsentryError } from "../errors.ts";
import {
  deploymentName,
  LABEL_KEYS,
  projectFromObject,
  type ProjectRef,
  secretName,
} from "./desired.ts";
import { type _AfterRollout, _outcome, _Pass } from "./orchestrator_act.ts";
import { _finish } from "./orchestrator_finish.ts";
import { type GoObjects, groupGoObjects } from "./orchestrator_go.ts";
import { _reconcileNetworkPolicy } from "./orchestrator_network.ts";
import { _observe } from "./orchestrator_observe.ts";
import {
  type OrchestratorDeps,
  type OrchestratorOptions,
  validateOrchestratorOptions,
} from "./orchestrator_options.ts";
import {
  _report,
  type GoUserOutcome,
  type OrchestratorResult,
  type ProjectOutcome,
} from "./orchestrator_report.ts";
import type { Deployment, Secret } from "./types.ts";

export { quantityNanos } from "./_quantity.ts";
export { deploymentDrift, secretDrift } from "./orchestrator_diff.ts";
export {
  type AccessRule,
  accessRulesFor,
  credentialName,
  credentialRulesHash,
  type GoUser,
  type OrchestratorIdentity,
  SNAPSENTRY_ACCESS_RULES,
} from "./orchestrator_identity.ts";
export {
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorDeps,
  type OrchestratorOptions,
  validateOrchestratorOptions,
} from "./orchestrator_options.ts";
export {
  type GoUserOutcome,
  type OrchestratorResult,
  type ProjectAction,
  type ProjectOutcome,
} from "./orchestrator_report.ts";

/** Runs one observe → diff → act pass. Rejects only when discovery or observation fails. */
export async function reconcileOnce(
  options: OrchestratorOptions,
  deps: OrchestratorDeps,
): Promise<OrchestratorResult> {
  const startedAt = deps.clock.now().toString();
  const pass = new _Pass(options, deps);
  const log = pass.log;

  const observed = await _observe(options, deps, log);
  const { projects, deployments, secrets } = observed;
  const go = groupGoObjects(observed.goDeployments, observed.goSecrets);

  const deploymentByName = new Map(deployments.map((d) => [d.metadata.name, d]));
  const secretByName = new Map(secrets.map((s) => [s.metadata.name, s]));
  const outcomes: ProjectOutcome[] = [];
  const wanted = new Set<string>();
  const seen = new Set<string>();
  const after: _AfterRollout[] = [];
  const goUsers: GoUserOutcome[] = [];

  /** Logs one project's failure and records it; the pass carries on with the others. */
  const failed = (event: string, project: ProjectRef, outcome: ProjectOutcome, error: unknown) => {
    const message = describeError(error);
    log.error(event, {
      project_id: project.id,
      project_name: project.name,
      error: message,
      error_code: error instanceof SnapsentryError ? error.code : undefined,
    });
    outcome.action = "failed";
    outcome.error = message;
  };

  // The daemons are protected before the first one starts (or changes), and the policy is
  // repaired at the end of a pass that found daemons running.
  let networkPolicy: OrchestratorResult["networkPolicy"];
  let policyDone: Promise<void> | undefined;
  pass.ensureNetworkPolicy = () =>
    policyDone ??= _reconcileNetworkPolicy(pass, observed.networkPolicies).then((r) => {
      networkPolicy = r;
    });

  for (const project of projects) {
    if (seen.has(project.id)) continue;
    seen.add(project.id);
    const dName = deploymentName(project.id);
    const sName = secretName(project.id);
    wanted.add(dName);
    wanted.add(sName);
    const goObjects = go.get(project.id.toLowerCase());
    go.delete(project.id.toLowerCase());
    const outcome = _outcome(project);
    outcomes.push(outcome);
    try {
      const task = await pass.project(
        project,
        outcome,
        secretByName.get(sName),
        deploymentByName.get(dName),
        goObjects,
      );
      if (task) after.push(task);
    } catch (error) {
      failed("orchestrator_project_failed", project, outcome, error);
    }
  }
  await _finish(pass, after, goUsers);
  if (projects.length > 0 && deployments.length > 0) await pass.ensureNetworkPolicy();

  // Objects no tagged project wants, grouped by the project recorded on them.
  const strays = new Map<
    string,
    { project: ProjectRef; deployment?: Deployment; secret?: Secret; go?: GoObjects }
  >();
  const addStray = (object: Deployment | Secret, key: "deployment" | "secret") => {
    if (wanted.has(object.metadata.name)) return;
    const project = projectFromObject(object) ??
      { id: object.metadata.labels?.[LABEL_KEYS.projectId] ?? object.metadata.name, name: "" };
    const entry = strays.get(project.id.toLowerCase()) ?? { project };
    (entry as Record<string, unknown>)[key] = object;
    strays.set(project.id.toLowerCase(), entry);
  };
  for (const d of deployments) addStray(d, "deployment");
  for (const s of secrets) addStray(s, "secret");
  // Go's objects of projects that are not tagged (Go never removed anything).
  for (const [id, objects] of go) {
    const entry = strays.get(id) ??
      { project: { id, name: objects.projectName ?? "" } };
    entry.go = objects;
    strays.set(id, entry);
  }
  const orphans: OrchestratorResult["orphans"] = [];
  for (const { project, deployment, secret, go: goObjects } of strays.values()) {
    const onlyGo = !deployment && !secret;
    if (!options.prune) {
      orphans.push({ projectId: project.id, name: project.name, ...(onlyGo ? { go: true } : {}) });
      log.warn("orchestrator_orphan_kept", {
        project_id: project.id,
        project_name: project.name,
        ...(onlyGo ? { owner: "snapsentry-go" } : {}),
        hint: "the project lost its tag; run with --prune to remove its daemon and credential",
      });
      continue;
    }
    const outcome = _outcome(project);
    outcomes.push(outcome);
    try {
      await pass.prune(project, outcome, deployment, secret, goObjects);
    } catch (error) {
      failed("orchestrator_prune_failed", project, outcome, error);
    }
  }

  return _report(
    log,
    {
      projects: outcomes,
      orphans,
      goUsers,
      ...(networkPolicy ? { networkPolicy } : {}),
      dryRun: options.dryRun,
      steps: pass.journal,
    },
    startedAt,
    deps.clock,
  );
}

export interface RunOrchestratorOptions {
  /** Repeat passes this far apart; undefined runs one pass (for a CronJob). */
  intervalMs?: number;
  /** Stops the loop (between passes; a running pass finishes). */
  signal?: AbortSignal;
  /** Called after every pass. */
  onPass?: (result: OrchestratorResult) => void;
}

/**
 * Runs one pass, or with `intervalMs` repeats passes until `signal` aborts, and returns the last
 * result. In a loop a failed pass is logged and retried at the next interval; a single pass
 * rethrows its failure.
 */
export async function runOrchestrator(
  options: OrchestratorOptions,
  deps: OrchestratorDeps,
  run: RunOrchestratorOptions = {},
): Promise<OrchestratorResult> {
  validateOrchestratorOptions(options);
  if (run.intervalMs !== undefined && !(run.intervalMs > 0)) {
    throw new ConfigError(`Cannot use interval "${run.intervalMs}" ms: it must be positive`);
  }
  for (;;) {
    let result: OrchestratorResult;
    try {
      result = await reconcileOnce(options, deps);
    } catch (error) {
      if (run.intervalMs === undefined) throw error;
      const now = deps.clock.now().toString();
      result = {
        projects: [],
        orphans: [],
        goUsers: [],
        converged: false,
        dryRun: options.dryRun,
        steps: [],
        error: describeError(error),
        startedAt: now,
        finishedAt: now,
      };
      deps.logger.error("orchestrator_pass_failed", {
        component: "orchestrator",
        error: result.error,
      });
    }
    run.onPass?.(result);
    if (run.intervalMs === undefined || run.signal?.aborted) return result;
    try {
      await deps.clock.sleep(run.intervalMs, run.signal);
    } catch {
      return result;
    }
  }
}
