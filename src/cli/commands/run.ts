/**
 * `create-snapshots` and `expire-snapshots`: one run each, for systemd timers, CronJobs and CI.
 * Exit 0 when everything planned succeeded, 1 when any volume or snapshot failed, a policy was
 * invalid or the cloud refused the run (a wrong password, an outage), 2 on usage or configuration
 * errors, including those found only when the run starts (a region the catalog lacks).
 */
import type { Command } from "commander";
import { type ActionOutcome, type RunSummary, summaryJson } from "../../exec/mod.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { alertsFromContext, engineFromContext } from "../engine.ts";
import { addEngineOptions, type EngineFlags, nowFlag, webhookWaitFrom } from "../flags.ts";

const LABEL: Record<string, string> = {
  create: "create",
  adopt: "adopt",
  skip: "skip",
  invalid: "invalid",
  expire: "expire",
  keep: "keep",
  dedupe: "dedupe",
  zombie: "zombie",
};

function actionLine(a: ActionOutcome): string {
  const what = [
    a.volumeId ? `volume ${a.volumeId}${a.volumeName ? ` (${a.volumeName})` : ""}` : "",
    a.policy ?? "",
    a.snapshotId ? `snapshot ${a.snapshotId}` : "",
  ].filter(Boolean).join(" ");
  const err = a.error ? `: ${a.error}` : "";
  return `${a.status.padEnd(8)} ${(LABEL[a.kind] ?? a.kind).padEnd(7)} ${what} — ${a.reason}${err}`;
}

/** Prints a run summary as text (or JSON) and sets the exit code. */
export function reportRun(
  ctx: CommandContext,
  summary: RunSummary,
  json: boolean,
  verbose: boolean,
) {
  // A run refused on its configuration (nothing was changed) exits 2, like a usage error.
  if (summary.result !== "ok") ctx.setExitCode(summary.error?.config ? 2 : 1);
  if (json) return ctx.json(summaryJson(summary));
  const shown = summary.actions.filter((a) =>
    verbose || (a.kind !== "skip" && a.kind !== "keep") || a.status === "failed"
  );
  for (const a of shown) ctx.out(actionLine(a));
  const c = summary.counts;
  const calls = Object.entries(summary.apiCalls).map(([k, v]) => `${k}: ${v}`).join(", ");
  ctx.out(
    `${summary.job} ${summary.dryRun ? "(dry run) " : ""}${summary.result}: ` +
      `${c.created} created, ${c.adopted} adopted, ${c.skipped} skipped, ${c.failed} failed, ` +
      `${c.deleted} deleted, ${c.kept} kept, ${c.zombiesCleaned} zombies cleaned, ` +
      `${c.invalidPolicies} invalid policies, ${c.notDone} not done` +
      `${c.superseded > 0 ? `, ${c.superseded} superseded by another run` : ""}; ` +
      `${summary.apiCallsTotal} API calls (${calls || "none"}) in ${
        (summary.durationMs / 1000).toFixed(1)
      } s`,
  );
  if (summary.error) ctx.out(`error (${summary.error.code}): ${summary.error.message}`);
}

interface RunFlags extends EngineFlags {
  dryRun?: boolean;
  json?: boolean;
  now?: string;
  verbose?: boolean;
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const run = (job: "create" | "expire") => async (flags: RunFlags) => {
    const now = nowFlag(flags.now);
    const waitMs = webhookWaitFrom(flags);
    const alerts = alertsFromContext(ctx, flags);
    const engine = await engineFromContext(ctx, flags, alerts);
    const options = { dryRun: flags.dryRun ?? false, ...(now ? { now } : {}) };
    const summary = job === "create" ? await engine.create(options) : await engine.expire(options);
    reportRun(ctx, summary, flags.json ?? false, flags.verbose ?? false);
    // The run is reported; its alerts get a bounded wait before the command exits.
    await alerts?.drain(waitMs);
  };

  const create = addEngineOptions(
    program.command("create-snapshots")
      .description("Take the snapshots whose policy window is due (one run)")
      .option("--dry-run", "print the plan and change nothing")
      .option("--now <instant>", "plan as if it were this instant (RFC 3339), to replay a run")
      .option("--json", "print the run summary as JSON")
      .option("--verbose", "also list skipped volumes"),
    "create",
  ).action(run("create"));
  withExamples(
    create,
    "snapsentry --cloud prod create-snapshots",
    "snapsentry --cloud prod create-snapshots --dry-run --json",
  );

  const expire = addEngineOptions(
    program.command("expire-snapshots")
      .description("Delete expired managed snapshots and clean up zombies (one run)")
      .option("--dry-run", "print the plan and change nothing")
      .option("--now <instant>", "decide as if it were this instant (RFC 3339)")
      .option("--json", "print the run summary as JSON")
      .option("--verbose", "also list kept snapshots"),
    "expire",
  ).action(run("expire"));
  withExamples(expire, "snapsentry --cloud prod expire-snapshots --json");
}
