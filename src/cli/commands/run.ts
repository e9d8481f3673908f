/**
 * `create-snapshots` and `expire-snapshots`: one run each, for systemd timers, CronJobs and CI.
 * Exit 0 when everything planned succeeded, 1 when any volume or snapshot failed or a policy was
 * invalid, 2 on usage or configuration errors.
 */
import { type Command, Option } from "commander";
import { UsageError } from "../../errors.ts";
import type { ActionOutcome, RunSummary } from "../../exec/types.ts";
import { type EngineFlags, engineFromContext } from "../engine.ts";
import { type CommandContext, withExamples } from "../program.ts";

/** Parses `--now` (an RFC 3339 instant with offset or Z). */
export function parseNow(value: string | undefined): Temporal.Instant | undefined {
  if (value === undefined) return undefined;
  try {
    return Temporal.Instant.from(value);
  } catch {
    throw new UsageError(
      `Cannot use --now "${value}": expected an RFC 3339 instant such as 2026-03-01T08:00:00Z`,
    );
  }
}

/**
 * Adds the engine flags shared by the run commands, `plan` and the daemon. `plan` gets only those
 * that change what it shows or how it talks to the cloud: it never creates and never notifies.
 */
export function addEngineOptions(
  cmd: Command,
  job: "create" | "expire" | "both" | "plan",
): Command {
  if (job === "create" || job === "both") {
    cmd.option("--concurrency <n>", "server groups snapshotted in parallel", "8")
      .option(
        "--lane-concurrency <n>",
        "parallel creates for multi-attached and unattached volumes",
        "1",
      )
      .option(
        "--wait-timeout <duration>",
        "how long to wait for snapshots to become available",
        "10m",
      );
  }
  cmd
    .option("--rate-limit <rps>", "at most this many API requests per second")
    .option("--stuck-after <duration>", "a snapshot creating for longer is a zombie", "2h");
  if (job === "plan") return cmd;
  return cmd
    .addOption(
      new Option("--webhook-on <when>", "send webhooks on failure only, or always (summary)")
        .choices(["failure", "always"]).default("failure"),
    );
}

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
  if (summary.result !== "ok") ctx.setExitCode(1);
  if (json) return ctx.json(summary);
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
      `${c.invalidPolicies} invalid policies, ${c.notDone} not done; ` +
      `${summary.apiCallsTotal} API calls (${calls || "none"}) in ${
        (summary.durationMs / 1000).toFixed(1)
      } s`,
  );
  if (summary.error) ctx.out(`error: ${summary.error}`);
}

interface RunFlags extends EngineFlags {
  dryRun?: boolean;
  json?: boolean;
  now?: string;
  verbose?: boolean;
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const run = (job: "create" | "expire") => async (flags: RunFlags) => {
    const now = parseNow(flags.now);
    const engine = await engineFromContext(ctx, flags);
    const options = { dryRun: flags.dryRun ?? false, ...(now ? { now } : {}) };
    const summary = job === "create" ? await engine.create(options) : await engine.expire(options);
    reportRun(ctx, summary, flags.json ?? false, flags.verbose ?? false);
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
