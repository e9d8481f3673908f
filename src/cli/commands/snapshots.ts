/**
 * `snapshots`: the restore points. The managed snapshots of the project from ONE snapshot listing
 * (server-side `volume_id` filter for one volume) plus the volumes for their names (a GET per
 * named volume, else one listing), newest first per volume, with who made each one. A volume
 * that no longer exists keeps its restore points (its name shows as "-").
 */
import { type Command, Option } from "commander";
import { formatUtc, type RestorePoint, restorePoints } from "../../core/mod.ts";
import { hasStatus } from "../../openstack/mod.ts";
import { blockStorage } from "../cloud.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { idsFlag, nowFlag, policyFlag } from "../flags.ts";
import { table } from "../output.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The machine form of a restore point: exactly the fields issue 12 names, snake_case. */
export function restorePointJson(p: RestorePoint) {
  return {
    snapshot_id: p.snapshotId,
    volume_id: p.volumeId,
    volume_name: p.volumeName,
    policy: p.policy,
    window_start: p.windowStart ? formatUtc(p.windowStart) : null,
    created_at: formatUtc(p.createdAt),
    expires_at: p.expiresAt ? formatUtc(p.expiresAt) : null,
    status: p.status,
    held: p.held,
    made_by: p.madeBy,
  };
}

interface SnapshotsFlags {
  volumeId?: string[];
  policy?: string;
  all?: boolean;
  now?: string;
  json?: boolean;
}

export function registerSnapshots(program: Command, ctx: CommandContext): void {
  const cmd = program.command("snapshots")
    .description("List the restore points: managed snapshots, newest first per volume")
    .addOption(
      new Option("--volume-id <id>", "only this volume's snapshots (repeatable)").argParser(
        collect,
      ),
    )
    .option("--policy <policy>", "only snapshots of this policy: express, daily, weekly, monthly")
    .option("--all", "also snapshots snapsentry does not manage (made_by unmanaged)")
    .option("--now <instant>", "decide which holds are in force as of this instant (RFC 3339)")
    .option("--json", "machine-readable output")
    .action(async (flags: SnapshotsFlags) => {
      const volumeIds = flags.volumeId
        ? idsFlag("--volume-id", flags.volumeId, "pass --volume-id <id>")
        : undefined;
      const policy = flags.policy === undefined ? undefined : policyFlag(flags.policy);
      const now = nowFlag(flags.now) ?? ctx.deps.clock.now();
      const cinder = await blockStorage(ctx);
      // One snapshot listing: filtered by the server for one volume, else the whole project.
      const snapshots = await cinder.listSnapshots(
        volumeIds?.length === 1 ? { volumeId: volumeIds[0]! } : {},
      );
      // Names and policies only: a listing's rows and a GET's answers alike.
      let volumes: { id: string; name: string; metadata: Record<string, string> }[];
      if (volumeIds) {
        volumes = [];
        for (const id of volumeIds) {
          try {
            volumes.push(await cinder.getVolume(id));
          } catch (e) {
            // Gone (or moved to another project): its snapshots are still restore points.
            if (!hasStatus(e, 404)) throw e;
          }
        }
      } else volumes = await cinder.listVolumes();
      const points = restorePoints({
        now,
        snapshots,
        volumes,
        ...(volumeIds ? { volumeIds } : {}),
        ...(policy ? { policy } : {}),
        all: flags.all ?? false,
      });
      ctx.logger().info("restore_points_listed", {
        count: points.length,
        snapshots_listed: snapshots.length,
      });
      if (flags.json) return ctx.json(points.map(restorePointJson));
      if (points.length === 0) {
        ctx.out(
          `No ${flags.all ? "" : "managed "}snapshots${policy ? ` of policy ${policy}` : ""}${
            volumeIds ? ` of volume ${volumeIds.join(", ")}` : ""
          }`,
        );
        return;
      }
      const when = (t: Temporal.Instant | null) => (t ? formatUtc(t) : "-");
      ctx.deps.writeOut(table(
        [
          "SNAPSHOT",
          "VOLUME",
          "NAME",
          "POLICY",
          "WINDOW",
          "CREATED",
          "EXPIRES",
          "STATUS",
          "HELD",
          "MADE BY",
        ],
        points.map((p) => [
          p.snapshotId,
          p.volumeId,
          p.volumeName === null ? "- (gone)" : p.volumeName || "-",
          p.policy ?? "-",
          when(p.windowStart),
          when(p.createdAt),
          when(p.expiresAt),
          p.status,
          p.held ? "held" : "-",
          p.madeBy,
        ]),
      ));
      const held = points.filter((p) => p.held).length;
      ctx.out(
        `${points.length} snapshot${points.length === 1 ? "" : "s"}${held ? `, ${held} held` : ""}`,
      );
    });
  withExamples(
    cmd,
    "snapsentry --cloud prod snapshots --volume-id 3f0c…",
    "snapsentry --cloud prod snapshots --policy daily --all --json",
  );
}
