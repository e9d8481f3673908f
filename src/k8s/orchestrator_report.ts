/**
 * The report step of a pass: one outcome per project, the pass result, and the
 * `orchestrator_pass_finished` summary event.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { MANAGER } from "./desired.ts";

export type ProjectAction = "created" | "updated" | "unchanged" | "pruned" | "failed";

export interface ProjectOutcome {
  projectId: string;
  name: string;
  action: ProjectAction;
  /** What changed (`secret_created`, `deployment_image`, `credential_issued`, …). */
  changes: string[];
  error?: string;
}

export interface OrchestratorResult {
  projects: ProjectOutcome[];
  /** Projects that lost the tag whose objects were kept (no `prune`). */
  orphans: { projectId: string; name: string }[];
  /** Every project reached its desired state (and the pass itself did not fail). */
  converged: boolean;
  /** Set when the pass failed as a whole (discovery or observation). */
  error?: string;
  startedAt: string;
  finishedAt: string;
}

/** Logs the pass summary and builds the pass result from the outcomes and orphans. */
export function _report(
  log: Logger,
  outcomes: ProjectOutcome[],
  orphans: OrchestratorResult["orphans"],
  startedAt: string,
  clock: Clock,
): OrchestratorResult {
  const converged = outcomes.every((o) => o.action !== "failed");
  const count = (a: ProjectAction) => outcomes.filter((o) => o.action === a).length;
  log.info("orchestrator_pass_finished", {
    converged,
    created: count("created"),
    updated: count("updated"),
    unchanged: count("unchanged"),
    pruned: count("pruned"),
    failed: count("failed"),
    orphans: orphans.length,
    manager: MANAGER,
  });
  return {
    projects: outcomes,
    orphans,
    converged,
    startedAt,
    finishedAt: clock.now().toString(),
  };
}
