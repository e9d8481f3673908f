/**
 * `subscribe daily|weekly|monthly|express` and `unsubscribe`: write or remove policy metadata on
 * volumes. Flags are SnapSentry-Go's (go-compatibility.md, Commands and flags) with its bugs fixed: `--week-day` and
 * `--month-day` have defaults and are optional, `--month-day` writes the key that is read, several
 * `--volume-id` are allowed, everything is validated before any API call, and keys are written with
 * Cinder's metadata merge call (never a read-modify-write of the whole map).
 */
import { type Command, Option } from "commander";
import {
  describePolicy,
  isSubscribed,
  KEY_PREFIX,
  MANAGED_KEY,
  parseBool,
  parsePolicyType,
  type Policy,
  POLICY_TYPES,
  policyFromOptions,
  policyKeys,
  type PolicyOptions,
  policyToMetadata,
  type PolicyType,
  VOLUME_KEYS,
} from "../../core/mod.ts";
import { SnapsentryError, UsageError } from "../../errors.ts";
import { type BlockStorageApi, hasStatus, type Volume } from "../../openstack/mod.ts";
import { blockStorage } from "../cloud.ts";
import { type CommandContext, withExamples } from "../command.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Volume ids as given: non-empty, no whitespace; duplicates removed. */
export function parseVolumeIds(ids: string[] | undefined): string[] {
  if (!ids || ids.length === 0) {
    throw new UsageError("Cannot subscribe without a volume: pass --volume-id <id> (repeatable)");
  }
  for (const id of ids) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/.test(id)) {
      throw new UsageError(
        `Cannot use --volume-id "${id}": expected a Cinder volume id such as 3f0c2b1e-…`,
      );
    }
  }
  return [...new Set(ids)];
}

interface SubscribeFlags {
  volumeId?: string[];
  enabled?: string | boolean;
  retention?: string;
  timezone?: string;
  startTime?: string;
  weekDay?: string;
  monthDay?: string;
  intervalHours?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Builds the policy and the exact keys to write; throws UsageError on any bad flag. */
export function subscriptionKeys(
  type: PolicyType,
  flags: SubscribeFlags,
): { policy: Policy; keys: Record<string, string> } {
  const enabled = flags.enabled === undefined ? true : flags.enabled;
  // Any false form the metadata reader takes (`F`, `0`, `False`…); a bad value is reported below.
  let disabling = enabled === false;
  if (typeof enabled === "string") {
    try {
      disabling = !parseBool(enabled);
    } catch {
      disabling = false;
    }
  }
  if (!disabling && type !== "express" && !flags.startTime) {
    throw new UsageError(
      `Cannot subscribe to ${type} without --start-time: pass --start-time HH:MM (in --timezone, default UTC)`,
    );
  }
  const options: PolicyOptions = { enabled };
  if (flags.retention !== undefined) options.retentionDays = flags.retention;
  if (flags.timezone !== undefined) options.timezone = flags.timezone;
  if (flags.startTime !== undefined) options.startTime = flags.startTime;
  if (flags.weekDay !== undefined) options.dayOfWeek = flags.weekDay;
  if (flags.monthDay !== undefined) options.dayOfMonth = flags.monthDay;
  if (flags.intervalHours !== undefined) options.intervalHours = flags.intervalHours;
  let policy: Policy;
  try {
    policy = policyFromOptions(type, options);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new UsageError(e.message.replace(/^Cannot parse /, "Cannot use "));
    }
    throw e;
  }
  // Disabling without a schedule only flips the enabled key (plus managed, as Go always wrote it),
  // so the schedule written earlier survives for a later --enabled=true.
  const scheduleGiven = type === "express" ? flags.intervalHours !== undefined : !!flags.startTime;
  if (!policy.enabled && !scheduleGiven) {
    return { policy, keys: { [MANAGED_KEY]: "true", [VOLUME_KEYS[type].enabled]: "false" } };
  }
  return { policy, keys: policyToMetadata(policy) };
}

/** Reads a volume, turning a 404 into a message that says what to check. */
async function readVolume(cinder: BlockStorageApi, id: string, action: string): Promise<Volume> {
  try {
    return await cinder.getVolume(id);
  } catch (e) {
    if (hasStatus(e, 404)) {
      throw new SnapsentryError(
        `Cannot ${action} volume "${id}": Cinder has no such volume in project ${cinder.projectId}`,
        {
          code: "volume_not_found",
          cause: e,
          hint: "check the id with `openstack volume list` and the --cloud/project",
        },
      );
    }
    throw e;
  }
}

/** Reads every volume first, so an unknown id among several changes none of them. */
async function readVolumes(
  cinder: BlockStorageApi,
  ids: string[],
  action: string,
): Promise<Volume[]> {
  const volumes: Volume[] = [];
  for (const id of ids) volumes.push(await readVolume(cinder, id, action));
  return volumes;
}

/** Keys of `want` whose value differs from `have`. */
function changedKeys(have: Record<string, string>, want: Record<string, string>) {
  const changed: Record<string, { from: string | null; to: string }> = {};
  for (const [k, v] of Object.entries(want)) {
    if (have[k] !== v) changed[k] = { from: have[k] ?? null, to: v };
  }
  return changed;
}

async function runSubscribe(ctx: CommandContext, type: PolicyType, flags: SubscribeFlags) {
  const volumeIds = parseVolumeIds(flags.volumeId);
  const { policy, keys } = subscriptionKeys(type, flags);
  const log = ctx.logger().with({ workflow: `subscribe-${type}`, policy: type });
  const cinder = await blockStorage(ctx);
  const results = [];
  for (const before of await readVolumes(cinder, volumeIds, "subscribe")) {
    const volumeId = before.id;
    const changed = changedKeys(before.metadata, keys);
    if (!flags.dryRun && Object.keys(changed).length > 0) {
      await cinder.mergeVolumeMetadata(volumeId, keys);
    }
    const result = {
      volume_id: volumeId,
      volume_name: before.name,
      policy: type,
      description: describePolicy(policy),
      enabled: policy.enabled,
      dry_run: flags.dryRun ?? false,
      changed,
      unchanged: Object.keys(keys).filter((k) => !(k in changed)),
    };
    results.push(result);
    log.info(flags.dryRun ? "subscription_planned" : "subscription_applied", {
      volume_id: volumeId,
      changed_keys: Object.keys(changed),
    });
  }
  if (flags.json) return ctx.json(results);
  for (const r of results) {
    const verb = flags.dryRun ? "Would set" : "Set";
    const n = Object.keys(r.changed).length;
    ctx.out(
      `${r.volume_id} (${r.volume_name || "unnamed"}): ${
        r.enabled ? r.description : `${type} disabled`
      }${n === 0 ? " (already so, nothing changed)" : ""}`,
    );
    for (const [k, c] of Object.entries(r.changed)) {
      ctx.out(`  ${verb} ${k} = ${c.to}${c.from === null ? "" : ` (was ${c.from})`}`);
    }
  }
}

export function registerSubscribe(program: Command, ctx: CommandContext): void {
  const sub = program.command("subscribe")
    .description("Write a snapshot policy into volume metadata")
    .addOption(
      new Option("--volume-id <id>", "volume to subscribe (repeatable)").argParser(collect),
    )
    .addOption(
      new Option("--enabled [bool]", "enable (default) or disable the policy: --enabled=false"),
    )
    .option("--retention <days>", "days to keep each snapshot (0 = the policy default)")
    .option("--timezone <iana>", "IANA time zone of the schedule (default UTC)")
    .option("--dry-run", "show the keys that would change and change nothing")
    .option("--json", "machine-readable output");
  withExamples(
    sub,
    "snapsentry --cloud prod subscribe daily --volume-id 3f0c… --start-time 08:00 --timezone Asia/Kolkata --retention 7",
  );

  const parentFlags = (cmd: Command): SubscribeFlags => ({ ...cmd.parent?.opts(), ...cmd.opts() });

  const daily = sub.command("daily").description("Snapshot once a day at --start-time")
    .option("--start-time <HH:MM>", "local start of each daily window")
    .action((_o, cmd: Command) => runSubscribe(ctx, "daily", parentFlags(cmd)));
  withExamples(
    daily,
    "snapsentry --cloud prod subscribe daily --volume-id 3f0c… --start-time 02:30 --retention 7",
  );

  const weekly = sub.command("weekly").description("Snapshot once a week on --week-day")
    .option("--start-time <HH:MM>", "local start of each weekly window")
    .option(
      "--week-day <day>",
      // What parseWeekday (core/values.ts) reads; tests/cli/help_test.ts checks every form.
      "monday…sunday or mon…sun in any case (also tues, weds, thur, thurs), or 0–7 (0 and 7 = sunday)",
      "sunday",
    )
    .action((_o, cmd: Command) => runSubscribe(ctx, "weekly", parentFlags(cmd)));
  withExamples(
    weekly,
    "snapsentry --cloud prod subscribe weekly --volume-id 3f0c… --start-time 03:00 --week-day sat --retention 28",
  );

  const monthly = sub.command("monthly").description("Snapshot once a month on --month-day")
    .option("--start-time <HH:MM>", "local start of each monthly window")
    .option("--month-day <1-31>", "day of month; 29–31 fall on the last day of shorter months", "1")
    .action((_o, cmd: Command) => runSubscribe(ctx, "monthly", parentFlags(cmd)));
  withExamples(
    monthly,
    "snapsentry --cloud prod subscribe monthly --volume-id 3f0c… --start-time 01:00 --month-day 31 --retention 365",
  );

  const express = sub.command("express").description("Snapshot every 6, 8 or 12 hours")
    .option("--interval-hours <6|8|12>", "slot length; slots start at local midnight (default 6)")
    .action((_o, cmd: Command) => runSubscribe(ctx, "express", parentFlags(cmd)));
  withExamples(
    express,
    "snapsentry --cloud prod subscribe express --volume-id 3f0c… --interval-hours 8",
  );

  const unsub = program.command("unsubscribe")
    .description("Remove a policy's keys from volumes (existing snapshots keep their expiry)")
    .addOption(
      new Option("--volume-id <id>", "volume to unsubscribe (repeatable)").argParser(collect),
    )
    .option("--policy <policy>", "daily, weekly, monthly, express or all", "all")
    .option("--dry-run", "show the keys that would be removed and change nothing")
    .option("--json", "machine-readable output")
    .action(
      async (flags: { volumeId?: string[]; policy: string; dryRun?: boolean; json?: boolean }) => {
        const volumeIds = parseVolumeIds(flags.volumeId);
        let types: readonly PolicyType[];
        if (flags.policy.toLowerCase() === "all") types = POLICY_TYPES;
        else {
          try {
            types = [parsePolicyType(flags.policy, "--policy")];
          } catch {
            throw new UsageError(
              `Cannot use --policy "${flags.policy}": expected daily, weekly, monthly, express or all`,
            );
          }
        }
        const cinder = await blockStorage(ctx);
        const log = ctx.logger().with({ workflow: "unsubscribe" });
        const results = [];
        for (const volume of await readVolumes(cinder, volumeIds, "unsubscribe")) {
          const volumeId = volume.id;
          // Keys match case-insensitively, as the reader matches them.
          const wanted = new Set(types.flatMap((t) => policyKeys(t)));
          const remove = Object.keys(volume.metadata).filter((k) => wanted.has(k.toLowerCase()));
          const left = Object.keys(volume.metadata).filter((k) =>
            k.toLowerCase().startsWith(KEY_PREFIX) && k !== MANAGED_KEY && !remove.includes(k)
          );
          if (left.length === 0 && isSubscribed(volume)) remove.push(MANAGED_KEY);
          if (!flags.dryRun) {
            for (const key of remove) await cinder.deleteVolumeMetadataKey(volumeId, key);
          }
          log.info(flags.dryRun ? "unsubscribe_planned" : "unsubscribed", {
            volume_id: volumeId,
            removed_keys: remove,
          });
          results.push({ volume_id: volumeId, removed: remove, dry_run: flags.dryRun ?? false });
        }
        if (flags.json) return ctx.json(results);
        for (const r of results) {
          ctx.out(
            `${r.volume_id}: ${
              r.removed.length === 0
                ? "nothing to remove"
                : `${flags.dryRun ? "would remove" : "removed"} ${r.removed.join(", ")}`
            }`,
          );
        }
      },
    );
  withExamples(unsub, "snapsentry --cloud prod unsubscribe --volume-id 3f0c… --policy weekly");
}
