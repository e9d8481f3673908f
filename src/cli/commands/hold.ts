/**
 * `hold` and `release`: keep a managed snapshot past its expiry, and let it go again. A hold is
 * three snapshot metadata keys (`x-snapsentry-snapshot-hold`, `-hold-until`, `-hold-reason`);
 * while it is in force no run deletes the snapshot (expiry, count, zombie or duplicate), and a
 * held snapshot does not count for count-based retention. `hold` writes the hold as given (a hold
 * without `--until` has no end); `release` removes the keys.
 */
import { type Command, Option } from "commander";
import {
  formatUtc,
  HOLD_KEYS,
  holdMetadata,
  isHeld,
  parseSnapshotStamp,
  SNAPSHOT_KEYS,
} from "../../core/mod.ts";
import { UsageError } from "../../errors.ts";
import { type BlockStorageApi, hasStatus, type Snapshot } from "../../openstack/mod.ts";
import { blockStorage } from "../cloud.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { idsFlag, instantFlag, metadataTextFlag } from "../flags.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Reads every snapshot first (so an unknown id among several changes none) and checks it is ours. */
async function readManaged(
  cinder: BlockStorageApi,
  ids: string[],
  action: string,
): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for (const id of ids) {
    let s: Snapshot;
    try {
      s = await cinder.getSnapshot(id);
    } catch (e) {
      if (!hasStatus(e, 404)) throw e;
      throw new UsageError(
        `Cannot ${action} snapshot "${id}": Cinder has no such snapshot in project ${cinder.projectId}`,
        { hint: "list them with `snapsentry snapshots --all`" },
      );
    }
    if (!parseSnapshotStamp(s).managed) {
      throw new UsageError(
        `Cannot ${action} snapshot ${id}: it is not managed by snapsentry (no ${SNAPSHOT_KEYS.managed}=true), so snapsentry never deletes it and a hold would mean nothing`,
      );
    }
    out.push(s);
  }
  return out;
}

interface HoldFlags {
  snapshotId?: string[];
  until?: string;
  reason?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerHold(program: Command, ctx: CommandContext): void {
  const hold = program.command("hold")
    .description("Keep managed snapshots past their expiry until released (or until --until)")
    .addOption(
      new Option("--snapshot-id <id>", "snapshot to hold (repeatable)").argParser(collect),
    )
    .option("--until <instant>", "end of the hold (RFC 3339); without it the hold has no end")
    .option("--reason <text>", "why it is held (shown by status and snapshots)")
    .option("--dry-run", "show what would be written and change nothing")
    .option("--json", "machine-readable output")
    .action(async (flags: HoldFlags) => {
      const ids = idsFlag(
        "--snapshot-id",
        flags.snapshotId,
        "Cannot hold without a snapshot: pass --snapshot-id <id> (repeatable)",
      );
      const now = ctx.deps.clock.now();
      const until = flags.until === undefined ? undefined : instantFlag("--until", flags.until);
      if (until && Temporal.Instant.compare(until, now) <= 0) {
        throw new UsageError(
          `Cannot use --until "${flags.until}": it is not in the future (now is ${formatUtc(now)})`,
        );
      }
      const reason = flags.reason === undefined
        ? undefined
        : metadataTextFlag("--reason", flags.reason);
      const cinder = await blockStorage(ctx);
      const log = ctx.logger().with({ workflow: "hold" });
      const results = [];
      for (const s of await readManaged(cinder, ids, "hold")) {
        const write = holdMetadata({
          ...(until ? { until } : {}),
          ...(reason !== undefined ? { reason } : {}),
        });
        // A new hold replaces the old one: an end or a reason not given now goes.
        const drop = [SNAPSHOT_KEYS.holdUntil, SNAPSHOT_KEYS.holdReason].filter((k) =>
          !(k in write) && k in s.metadata
        );
        if (!flags.dryRun) {
          await cinder.updateSnapshotMetadata(s.id, write);
          for (const k of drop) await cinder.deleteSnapshotMetadataKey(s.id, k);
        }
        log.info(flags.dryRun ? "hold_planned" : "snapshot_held", {
          snapshot_id: s.id,
          volume_id: s.volumeId,
          until: until ? formatUtc(until) : null,
        });
        results.push({
          snapshot_id: s.id,
          volume_id: s.volumeId,
          held: true,
          hold_until: until ? formatUtc(until) : null,
          hold_reason: reason ?? null,
          dry_run: flags.dryRun ?? false,
        });
      }
      if (flags.json) return ctx.json(results);
      for (const r of results) {
        ctx.out(
          `${
            flags.dryRun ? "Would hold" : "Held"
          } snapshot ${r.snapshot_id} of volume ${r.volume_id} ${
            r.hold_until ? `until ${r.hold_until}` : "with no end (until released)"
          }${r.hold_reason ? `: ${r.hold_reason}` : ""}`,
        );
      }
    });
  withExamples(
    hold,
    'snapsentry --cloud prod hold --snapshot-id 9a1b… --until 2026-06-30T00:00:00Z --reason "audit 2026-Q2"',
  );

  const release = program.command("release")
    .description("Remove the hold from snapshots: they expire as any other again")
    .addOption(
      new Option("--snapshot-id <id>", "snapshot to release (repeatable)").argParser(collect),
    )
    .option("--dry-run", "show what would be removed and change nothing")
    .option("--json", "machine-readable output")
    .action(async (flags: { snapshotId?: string[]; dryRun?: boolean; json?: boolean }) => {
      const ids = idsFlag(
        "--snapshot-id",
        flags.snapshotId,
        "Cannot release without a snapshot: pass --snapshot-id <id> (repeatable)",
      );
      const cinder = await blockStorage(ctx);
      const log = ctx.logger().with({ workflow: "release" });
      const now = ctx.deps.clock.now();
      const results = [];
      for (const s of await readManaged(cinder, ids, "release")) {
        const remove = HOLD_KEYS.filter((k) => k in s.metadata);
        if (!flags.dryRun) {
          for (const k of remove) await cinder.deleteSnapshotMetadataKey(s.id, k);
        }
        log.info(flags.dryRun ? "release_planned" : "snapshot_released", {
          snapshot_id: s.id,
          removed_keys: remove,
        });
        results.push({
          snapshot_id: s.id,
          volume_id: s.volumeId,
          was_held: isHeld(parseSnapshotStamp(s), now),
          removed: remove,
          dry_run: flags.dryRun ?? false,
        });
      }
      if (flags.json) return ctx.json(results);
      for (const r of results) {
        ctx.out(
          r.removed.length === 0
            ? `Snapshot ${r.snapshot_id} was not held: nothing to remove`
            : `${flags.dryRun ? "Would release" : "Released"} snapshot ${r.snapshot_id} (${
              flags.dryRun ? "would remove" : "removed"
            } ${r.removed.join(", ")})`,
        );
      }
    });
  withExamples(release, "snapsentry --cloud prod release --snapshot-id 9a1b…");
}
