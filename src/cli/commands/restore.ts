/**
 * `restore`: a new volume from the right snapshot (the newest available managed one at or before
 * `--at`, or `--snapshot-id`), or with `--in-place --yes` the volume itself reverted with Cinder's
 * revert-to-snapshot. The new volume carries where it came from
 * (`x-snapsentry-restored-from-volume`, `-snapshot`) and no policy key, so it is never subscribed
 * by accident. The source volume need not exist: the restore point is found from one snapshot
 * listing of that volume id.
 */
import type { Command } from "commander";
import {
  formatDuration,
  formatUtc,
  type PlanSnapshot,
  RESTORED_KEYS,
  restorePointAt,
  restoreSourceProblem,
  revertProblem,
} from "../../core/mod.ts";
import { ENGINE_DEFAULTS } from "../../exec/mod.ts";
import {
  messageOf,
  OpenStackHttpError,
  QuotaExceededError,
  RetryExhaustedError,
  SnapsentryError,
  TransportError,
  UsageError,
} from "../../errors.ts";
import type { Logger } from "../../log.ts";
import {
  atLeast,
  type BlockStorageApi,
  hasStatus,
  MV_REVERT,
  type Volume,
} from "../../openstack/mod.ts";
import { blockStorage } from "../cloud.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { durationFlag, idsFlag, instantFlag, metadataTextFlag } from "../flags.ts";
import type { Clock } from "../../clock.ts";

/** What restore reads of a snapshot: a listing's row or a GET's answer alike. */
type SnapshotRow = PlanSnapshot & { size: number };

interface RestoreFlags {
  volumeId?: string;
  at?: string;
  snapshotId?: string;
  name?: string;
  volumeType?: string;
  availabilityZone?: string;
  waitTimeout?: string;
  inPlace?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** The machine form: the fields issue 12 names, plus what an in-place or dry run adds. */
interface RestoreJson {
  volume_id: string | null;
  snapshot_id: string;
  source_volume_id: string;
  /** The new (or reverted) volume's status; `dry_run`, `would_revert` or `refused` otherwise. */
  status: string;
  in_place?: boolean;
  reason?: string;
}

/** Checks the flags (before any API call). */
function checkFlags(flags: RestoreFlags) {
  const [volumeId] = idsFlag(
    "--volume-id",
    flags.volumeId === undefined ? undefined : [flags.volumeId],
    "Cannot restore without a volume: pass --volume-id <id> (the source volume, which may be gone)",
  );
  if ((flags.at === undefined) === (flags.snapshotId === undefined)) {
    throw new UsageError(
      "Cannot restore: pass exactly one of --at <instant> (the newest snapshot at or before it) and --snapshot-id <id>",
    );
  }
  const at = flags.at === undefined ? undefined : instantFlag("--at", flags.at);
  const snapshotId = flags.snapshotId === undefined
    ? undefined
    : idsFlag("--snapshot-id", [flags.snapshotId], "pass --snapshot-id <id>")[0]!;
  if (flags.inPlace) {
    for (
      const [flag, value] of [
        ["--name", flags.name],
        ["--volume-type", flags.volumeType],
        ["--availability-zone", flags.availabilityZone],
      ] as const
    ) {
      if (value !== undefined) {
        throw new UsageError(
          `Cannot use ${flag} with --in-place: it reverts the volume itself; ${flag} is for a new volume`,
        );
      }
    }
  } else if (flags.yes) {
    throw new UsageError(
      "Cannot use --yes without --in-place: a restore to a new volume changes nothing that exists",
    );
  }
  return {
    volumeId: volumeId!,
    at,
    snapshotId,
    name: flags.name === undefined ? undefined : metadataTextFlag("--name", flags.name),
    volumeType: flags.volumeType,
    availabilityZone: flags.availabilityZone,
    waitMs: flags.waitTimeout === undefined
      ? ENGINE_DEFAULTS.waitTimeoutMs
      : durationFlag("--wait-timeout", flags.waitTimeout, { minMs: 1000 }),
  };
}

/** The snapshot to restore from, out of one listing of the volume's snapshots. */
async function chooseSnapshot(
  cinder: BlockStorageApi,
  want: ReturnType<typeof checkFlags>,
  listed: SnapshotRow[],
): Promise<SnapshotRow> {
  if (want.at) {
    const pick = restorePointAt(want.volumeId, listed, want.at);
    if (pick.snapshot) return pick.snapshot as SnapshotRow;
    if (pick.why === "none") {
      throw new SnapsentryError(pick.problem!, {
        code: "no_restore_point",
        hint: "list what there is with `snapsentry snapshots --all --volume-id " +
          `${want.volumeId}\``,
      });
    }
    throw new UsageError(pick.problem!);
  }
  let snapshot: SnapshotRow | undefined = listed.find((s) => s.id === want.snapshotId);
  if (!snapshot) {
    try {
      snapshot = await cinder.getSnapshot(want.snapshotId!);
    } catch (e) {
      if (!hasStatus(e, 404)) throw e;
      throw new UsageError(
        `Cannot use --snapshot-id "${want.snapshotId}": Cinder has no such snapshot in project ${cinder.projectId}`,
        {
          hint:
            `list the restore points with \`snapsentry snapshots --volume-id ${want.volumeId}\``,
        },
      );
    }
  }
  const problem = restoreSourceProblem(want.volumeId, snapshot);
  if (problem && snapshot.volumeId !== want.volumeId) throw new UsageError(problem);
  if (problem) throw new SnapsentryError(problem, { code: "snapshot_not_available" });
  return snapshot;
}

/** Polls a volume until it leaves `transient` (backing off from 1 s to the engine's interval). */
async function waitVolume(
  cinder: BlockStorageApi,
  clock: Clock,
  id: string,
  transient: string,
  waitMs: number,
  logger: Logger,
): Promise<string> {
  const deadline = clock.now().add({ milliseconds: waitMs });
  let delay = 1000;
  let status = transient;
  while (Temporal.Instant.compare(clock.now(), deadline) < 0) {
    await clock.sleep(delay);
    delay = Math.min(delay * 2, ENGINE_DEFAULTS.pollIntervalMs);
    try {
      status = (await cinder.getVolume(id)).status;
    } catch (e) {
      logger.warn("volume_poll_failed", { volume_id: id, error: messageOf(e) });
      continue;
    }
    if (status !== transient) return status;
  }
  return status;
}

/** A create whose answer is unclear (the volume may exist). */
function isAmbiguous(e: unknown): boolean {
  if (e instanceof QuotaExceededError) return false;
  if (e instanceof RetryExhaustedError || e instanceof TransportError) return true;
  if (e instanceof OpenStackHttpError) return e.status >= 500;
  return e instanceof TypeError;
}

/** Cinder's refusals of a create, as the flag or the state to fix. */
function createError(
  e: unknown,
  want: ReturnType<typeof checkFlags>,
  snapshot: SnapshotRow,
): never {
  if (e instanceof OpenStackHttpError) {
    const msg = e.serverMessage ?? "";
    if (want.volumeType !== undefined && e.status === 404 && /volume type/i.test(msg)) {
      throw new UsageError(
        `Cannot use --volume-type "${want.volumeType}": ${msg}`,
        { hint: "see `openstack volume type list`", cause: e },
      );
    }
    if (want.availabilityZone !== undefined && e.status === 400 && /availability zone/i.test(msg)) {
      throw new UsageError(`Cannot use --availability-zone "${want.availabilityZone}": ${msg}`, {
        hint: "a volume from a snapshot usually stays in the snapshot's zone; leave the flag out",
        cause: e,
      });
    }
    if (e.status === 404 && msg.includes(snapshot.volumeId)) {
      throw new SnapsentryError(
        `Cannot restore from snapshot ${snapshot.id}: Cinder makes a volume from a snapshot only ` +
          `while the snapshot's volume ${snapshot.volumeId} is in the project, and it is not ` +
          `(Cinder: "${msg}")`,
        {
          code: "source_volume_gone",
          hint:
            "a volume transferred away without its snapshots takes this ability with it: transfer it back, or ask an admin to restore in the project that holds it",
          cause: e,
        },
      );
    }
  }
  throw e;
}

/**
 * Finds the volume an unclear create made: from this snapshot (server-side metadata filter), with
 * our name, created since `since`. A listing's rows carry no `created_at`, so each candidate (a
 * handful: restores of this one snapshot under this name) is read once.
 */
async function findCreated(
  cinder: BlockStorageApi,
  name: string,
  snapshotId: string,
  since: Temporal.Instant,
): Promise<Volume | undefined> {
  const listed = await cinder.listVolumes({
    metadata: { [RESTORED_KEYS.fromSnapshot]: snapshotId },
  });
  const mine: Volume[] = [];
  for (const row of listed.filter((v) => v.name === name)) {
    const v = await cinder.getVolume(row.id);
    if (Temporal.Instant.compare(v.createdAt, since.subtract({ seconds: 5 })) >= 0) mine.push(v);
  }
  return mine.length === 1 ? mine[0] : undefined;
}

async function restoreInPlace(
  ctx: CommandContext,
  cinder: BlockStorageApi,
  want: ReturnType<typeof checkFlags>,
  snapshot: SnapshotRow,
  listed: PlanSnapshot[],
  flags: RestoreFlags,
): Promise<RestoreJson> {
  const log = ctx.logger().with({ volume_id: want.volumeId, snapshot_id: snapshot.id });
  let volume: Volume | null = null;
  try {
    volume = await cinder.getVolume(want.volumeId);
  } catch (e) {
    if (!hasStatus(e, 404)) throw e;
  }
  const base = {
    volume_id: want.volumeId,
    snapshot_id: snapshot.id,
    source_volume_id: want.volumeId,
    in_place: true,
  };
  const refuse = (reason: string): RestoreJson => {
    log.warn("revert_refused", { reason });
    ctx.setExitCode(1);
    return { ...base, status: "refused", reason };
  };
  const problem = revertProblem({
    volume,
    snapshot,
    volumeSnapshots: listed,
    revertSupported: atLeast(cinder.microversion, MV_REVERT),
  });
  if (problem) return refuse(problem);
  const what = `revert volume ${want.volumeId} in place to snapshot ${snapshot.id} (created ${
    formatUtc(snapshot.createdAt)
  }): everything written to it since is lost`;
  if (!flags.yes || flags.dryRun) {
    return {
      ...base,
      status: "would_revert",
      reason: `Would ${what}; pass --yes to do it${flags.dryRun ? " (without --dry-run)" : ""}`,
    };
  }
  try {
    await cinder.revertToSnapshot(want.volumeId, snapshot.id);
  } catch (e) {
    // Cinder had the last word (another snapshot appeared, the volume got attached meanwhile).
    if (e instanceof OpenStackHttpError && (e.status === 400 || e.status === 409)) {
      return refuse(
        `Cinder refused to ${what.split(":")[0]}: ${
          e.serverMessage ?? e.message
        }; restore it to a new volume instead (drop --in-place)`,
      );
    }
    throw e;
  }
  log.info("volume_reverting", {});
  const status = await waitVolume(
    cinder,
    ctx.deps.clock,
    want.volumeId,
    "reverting",
    want.waitMs,
    log,
  );
  log.info(status === "available" ? "volume_reverted" : "revert_failed", { status });
  if (status !== "available") ctx.setExitCode(1);
  return { ...base, status };
}

async function restoreToNew(
  ctx: CommandContext,
  cinder: BlockStorageApi,
  want: ReturnType<typeof checkFlags>,
  snapshot: SnapshotRow,
  flags: RestoreFlags,
): Promise<RestoreJson> {
  const log = ctx.logger().with({ source_volume_id: want.volumeId, snapshot_id: snapshot.id });
  const name = want.name ?? `restore-${snapshot.id}`;
  const base = { snapshot_id: snapshot.id, source_volume_id: want.volumeId };
  if (flags.dryRun) {
    return {
      ...base,
      volume_id: null,
      status: "dry_run",
      reason: `Would create volume "${name}" from snapshot ${snapshot.id} (created ${
        formatUtc(snapshot.createdAt)
      })`,
    };
  }
  const since = ctx.deps.clock.now();
  let volume: Volume;
  try {
    volume = await cinder.createVolume({
      name,
      snapshotId: snapshot.id,
      description: `Restored by snapsentry from snapshot ${snapshot.id} of volume ${want.volumeId}`,
      metadata: {
        [RESTORED_KEYS.fromVolume]: want.volumeId,
        [RESTORED_KEYS.fromSnapshot]: snapshot.id,
      },
      ...(want.volumeType !== undefined ? { volumeType: want.volumeType } : {}),
      ...(want.availabilityZone !== undefined ? { availabilityZone: want.availabilityZone } : {}),
    });
  } catch (e) {
    const found = isAmbiguous(e)
      ? await findCreated(cinder, name, snapshot.id, since).catch(() => undefined)
      : undefined;
    if (!found) createError(e, want, snapshot);
    log.warn("volume_create_adopted", { volume_id: found.id, error: messageOf(e) });
    volume = found;
  }
  log.info("volume_restoring", { volume_id: volume.id, name });
  const status = volume.status === "creating"
    ? await waitVolume(cinder, ctx.deps.clock, volume.id, "creating", want.waitMs, log)
    : volume.status;
  log.info(status === "available" ? "volume_restored" : "restore_failed", {
    volume_id: volume.id,
    status,
  });
  if (status !== "available") ctx.setExitCode(1);
  return { ...base, volume_id: volume.id, status };
}

export function registerRestore(program: Command, ctx: CommandContext): void {
  const cmd = program.command("restore")
    .description(
      "Create a new volume from a volume's snapshot (or revert it in place with --in-place --yes)",
    )
    .option("--volume-id <id>", "the source volume (it may no longer exist)")
    .option("--at <instant>", "restore the newest available snapshot at or before this (RFC 3339)")
    .option("--snapshot-id <id>", "restore this snapshot of the volume")
    .option("--name <name>", "name of the new volume (default restore-<snapshot id>)")
    .option("--volume-type <type>", "volume type of the new volume (default: Cinder's choice)")
    .option("--availability-zone <zone>", "zone of the new volume (default: the snapshot's)")
    .option(
      "--wait-timeout <duration>",
      `how long to wait for the volume to become available, e.g. 30m (default: ${
        formatDuration(ENGINE_DEFAULTS.waitTimeoutMs)
      })`,
    )
    .option("--in-place", "revert the volume itself (Cinder: only to its latest snapshot)")
    .option("--yes", "with --in-place: really revert (without it, only say what would happen)")
    .option("--dry-run", "say which snapshot would be restored, change nothing")
    .option("--json", "machine-readable output")
    .action(async (flags: RestoreFlags) => {
      const want = checkFlags(flags);
      const cinder = await blockStorage(ctx);
      // One listing: every snapshot of the volume (Cinder's "latest" for --in-place is among them).
      const listed = await cinder.listSnapshots({ volumeId: want.volumeId });
      const snapshot = await chooseSnapshot(cinder, want, listed);
      const result = flags.inPlace
        ? await restoreInPlace(ctx, cinder, want, snapshot, listed, flags)
        : await restoreToNew(ctx, cinder, want, snapshot, flags);
      if (flags.json) return ctx.json(result);
      if (result.reason) {
        ctx.out(result.status === "refused" ? `Refused: ${result.reason}` : result.reason);
      }
      if (result.in_place && result.status !== "refused" && result.status !== "would_revert") {
        ctx.out(
          `Volume ${want.volumeId} reverted to snapshot ${snapshot.id}: ${result.status}`,
        );
      } else if (!result.in_place && result.volume_id) {
        ctx.out(
          `Restored snapshot ${snapshot.id} (created ${
            formatUtc(snapshot.createdAt)
          }) of volume ${want.volumeId} to new volume ${result.volume_id}: ${result.status}`,
        );
      }
    });
  withExamples(
    cmd,
    "snapsentry --cloud prod restore --volume-id 3f0c… --at 2026-03-01T08:00:00Z",
    "snapsentry --cloud prod restore --volume-id 3f0c… --snapshot-id 9a1b… --name db-restored --json",
    "snapsentry --cloud prod restore --volume-id 3f0c… --snapshot-id 9a1b… --in-place --yes",
  );
}
