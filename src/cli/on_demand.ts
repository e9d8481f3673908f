/**
 * What `snapshot` and `subscribe --snapshot-now` share: refusing bad volumes before anything is
 * created, taking a prepared on-demand plan (or printing it for a dry run), and the text lines of
 * what was taken.
 */
import type { OnDemandPlan } from "../core/mod.ts";
import { UsageError } from "../errors.ts";
import type { PreparedOnDemand, RunSummary, SnapshotEngine } from "../exec/mod.ts";
import type { CommandContext } from "./command.ts";

/** Refuses, before anything is created, volumes Cinder does not know or that cannot be taken. */
export function refuseUnless(prepared: PreparedOnDemand, projectHint: string): void {
  const problems = [
    ...prepared.missing.map((id) =>
      `Cannot snapshot volume "${id}": Cinder has no such volume in ${projectHint}`
    ),
    ...prepared.plan.refused.map((r) => r.message),
  ];
  if (problems.length === 0) return;
  // Alone, the one problem says it all; beside volumes that were fine, say none was taken either.
  throw new UsageError(
    problems.length === 1 && prepared.plan.entries.length === 0
      ? problems[0]!
      : `Cannot take the snapshots; nothing was created:\n  ${problems.join("\n  ")}`,
  );
}

/** What a dry run prints: one line per snapshot it would take. */
export function planLines(plan: OnDemandPlan): string[] {
  return plan.entries.map((e) =>
    `would take ${e.policy ?? "ad-hoc"} snapshot of volume ${e.volumeId}${
      e.volumeName ? ` (${e.volumeName})` : ""
    }${e.serverId ? ` with server ${e.serverId}'s group` : ""} — ${e.reason}`
  );
}

/** One line per snapshot taken (or failed), then the counts. */
export function takenLines(summary: RunSummary): string[] {
  const lines = summary.actions.map((a) =>
    `${a.status.padEnd(8)} ${a.policy ?? "ad-hoc"} snapshot of volume ${a.volumeId}${
      a.snapshotId ? `: ${a.snapshotId}` : ""
    }${a.windowStart ? ` for window ${a.windowStart}` : ""}${a.error ? ` — ${a.error}` : ""}`
  );
  const c = summary.counts;
  lines.push(
    `${c.created + c.adopted} snapshot${c.created + c.adopted === 1 ? "" : "s"} taken` +
      `${c.failed ? `, ${c.failed} failed` : ""}${c.notDone ? `, ${c.notDone} not done` : ""}` +
      ` (run ${summary.runId})`,
  );
  return lines;
}

/** Takes a prepared plan (or prints it for a dry run) and reports it; sets the exit code. */
export async function takeAndReport(
  ctx: CommandContext,
  engine: SnapshotEngine,
  prepared: PreparedOnDemand,
  flags: { dryRun?: boolean; json?: boolean },
): Promise<RunSummary | undefined> {
  if (flags.dryRun) {
    if (!flags.json) { for (const l of planLines(prepared.plan)) ctx.out(l); }
    return undefined;
  }
  const { summary } = await engine.takeOnDemand(prepared);
  if (summary.result !== "ok") ctx.setExitCode(1);
  return summary;
}
