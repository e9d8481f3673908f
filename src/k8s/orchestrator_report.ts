/**
 * The report step of a pass: one outcome per project, the pass result, and the
 * `orchestrator_pass_finished` summary event.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { MANAGER } from "./desired.ts";

export type ProjectAction =
  | "created"
  | "updated"
  | "adopted"
  | "unchanged"
  | "pruned"
  | "failed";

export interface ProjectOutcome {
  projectId: string;
  name: string;
  action: ProjectAction;
  /** What changed (`secret_created`, `deployment_image`, `credential_issued`, …). */
  changes: string[];
  /**
   * Every write, in order, as a sentence (`create Secret ns/name`); with `--dry-run` the writes a
   * real pass would make. Never holds a secret.
   */
  steps: string[];
  /** Work left for a later pass (a rollout that did not finish in time); the pass is not converged. */
  pending?: string;
  error?: string;
}

/** SnapSentry-Go's Keystone user of a project, and what the pass did with it. */
export interface GoUserOutcome {
  projectId: string;
  userId: string;
  name: string;
  /** `kept` (no --prune-go-users, or the adoption is not finished), `deleted`, or `would_delete`. */
  action: "kept" | "deleted" | "would_delete";
  reason?: string;
}

export interface OrchestratorResult {
  projects: ProjectOutcome[];
  /** Projects that lost the tag whose objects were kept (no `prune`); `go` when they are Go's. */
  orphans: { projectId: string; name: string; go?: boolean }[];
  /** SnapSentry-Go's users seen this pass. */
  goUsers: GoUserOutcome[];
  /** The daemons' NetworkPolicy: what the pass did, or why it was left alone. */
  networkPolicy?: {
    action: "created" | "updated" | "unchanged" | "skipped" | "failed";
    steps: string[];
    error?: string;
  };
  /** Every project reached its desired state (and the pass itself did not fail). */
  converged: boolean;
  /** The pass only reported what it would do. */
  dryRun: boolean;
  /** Every write of the pass in order (`<project id>: <step>`); with `dryRun`, the planned ones. */
  steps: string[];
  /** Set when the pass failed as a whole (discovery or observation). */
  error?: string;
  startedAt: string;
  finishedAt: string;
}

/** Logs the pass summary and builds the pass result from the outcomes and orphans. */
export function _report(
  log: Logger,
  parts: Pick<
    OrchestratorResult,
    "projects" | "orphans" | "goUsers" | "networkPolicy" | "dryRun" | "steps"
  >,
  startedAt: string,
  clock: Clock,
): OrchestratorResult {
  const outcomes = parts.projects;
  const converged = outcomes.every((o) => o.action !== "failed" && o.pending === undefined) &&
    parts.networkPolicy?.action !== "failed";
  const count = (a: ProjectAction) => outcomes.filter((o) => o.action === a).length;
  log.info("orchestrator_pass_finished", {
    converged,
    dry_run: parts.dryRun,
    created: count("created"),
    updated: count("updated"),
    adopted: count("adopted"),
    unchanged: count("unchanged"),
    pruned: count("pruned"),
    failed: count("failed"),
    pending: outcomes.filter((o) => o.pending !== undefined).length,
    orphans: parts.orphans.length,
    go_users: parts.goUsers.length,
    manager: MANAGER,
  });
  return {
    ...parts,
    converged,
    startedAt,
    finishedAt: clock.now().toString(),
  };
}
