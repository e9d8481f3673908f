/**
 * `snapshot`: take a snapshot now. Under `--policy P` it is stamped for P's current window with
 * P's retention, exactly as a run stamps it, so the next run finds the window satisfied and the
 * snapshot expires like the others; with `--retention D` it is an ad-hoc managed snapshot that
 * expires after D and counts for no window. Volumes attached to one server are requested together,
 * as in a run. Every volume is checked before any snapshot is requested.
 */
import { type Command, Option } from "commander";
import { formatDuration, formatUtc } from "../../core/mod.ts";
import { UsageError } from "../../errors.ts";
import { ENGINE_DEFAULTS, summaryJson } from "../../exec/mod.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { engineFromContext } from "../engine.ts";
import { metadataTextFlag, policyFlag, retentionDurationFlag, volumeIdsFlag } from "../flags.ts";
import { refuseUnless, takeAndReport, takenLines } from "../on_demand.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface SnapshotFlags {
  volumeId?: string[];
  policy?: string;
  retention?: string;
  name?: string;
  waitTimeout?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerSnapshot(program: Command, ctx: CommandContext): void {
  const cmd = program.command("snapshot")
    .description("Take a snapshot now: under a policy (--policy) or ad hoc (--retention)")
    .addOption(
      new Option("--volume-id <id>", "volume to snapshot (repeatable)").argParser(collect),
    )
    .option(
      "--policy <policy>",
      "stamp it for this policy's current window, with its retention (the volume must have it)",
    )
    .option(
      "--retention <duration>",
      "ad hoc: keep it this long, e.g. 36h or 7d (a unit is required)",
    )
    .option("--name <name>", "snapshot name (default ondemand-[<policy>-]<volume id>-<time>)")
    .option(
      "--wait-timeout <duration>",
      `how long to wait for the snapshots to become available, e.g. 30m (default: ${
        formatDuration(ENGINE_DEFAULTS.waitTimeoutMs)
      })`,
    )
    .option("--dry-run", "say what would be taken and take nothing")
    .option("--json", "print the run summary as JSON")
    .action(async (flags: SnapshotFlags) => {
      const volumeIds = volumeIdsFlag(flags.volumeId, "snapshot");
      if ((flags.policy === undefined) === (flags.retention === undefined)) {
        throw new UsageError(
          "Cannot snapshot: pass exactly one of --policy <policy> (stamped for its window) and --retention <duration> (ad hoc, e.g. 7d)",
        );
      }
      const policy = flags.policy === undefined ? undefined : policyFlag(flags.policy);
      const retentionMs = flags.retention === undefined
        ? undefined
        : retentionDurationFlag("--retention", flags.retention);
      const name = flags.name === undefined ? undefined : metadataTextFlag("--name", flags.name);
      const engine = await engineFromContext(
        ctx,
        flags.waitTimeout === undefined ? {} : { waitTimeout: flags.waitTimeout },
      );
      const prepared = await engine.prepareOnDemand({
        volumeIds,
        ...(policy ? { policy } : {}),
        ...(retentionMs !== undefined ? { retentionMs } : {}),
        ...(name !== undefined ? { name } : {}),
      });
      refuseUnless(prepared, "this project");
      ctx.logger().info("on_demand_planned", {
        policy: policy ?? null,
        retention: retentionMs === undefined ? null : formatDuration(retentionMs),
        volumes: prepared.plan.entries.length,
        groups: prepared.plan.groups.length,
      });
      const summary = await takeAndReport(ctx, engine, prepared, flags);
      if (flags.json) {
        return ctx.json(
          summary ? summaryJson(summary) : prepared.plan.entries.map((e) => ({
            volume_id: e.volumeId,
            policy: e.policy,
            server_id: e.serverId,
            window_start: e.window ? formatUtc(e.window.start.toInstant()) : null,
            dry_run: true,
            reason: e.reason,
          })),
        );
      }
      if (summary) { for (const l of takenLines(summary)) ctx.out(l); }
    });
  withExamples(
    cmd,
    "snapsentry --cloud prod snapshot --volume-id 3f0c… --policy daily",
    'snapsentry --cloud prod snapshot --volume-id 3f0c… --volume-id 7d2e… --retention 7d --name "before upgrade"',
  );
}
