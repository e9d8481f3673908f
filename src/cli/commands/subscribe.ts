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
  planOnDemand,
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
import type { PreparedOnDemand, RunSummary } from "../../exec/mod.ts";
import { type BlockStorageApi, hasStatus, type Volume } from "../../openstack/mod.ts";
import { blockStorage } from "../cloud.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { engineFromContext } from "../engine.ts";
import { volumeIdsFlag } from "../flags.ts";
import { planLines, refuseUnless, takeAndReport, takenLines } from "../on_demand.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Volume ids as given: non-empty, no whitespace; duplicates removed. */
export function parseVolumeIds(ids: string[] | undefined, action = "subscribe"): string[] {
  return volumeIdsFlag(ids, action);
}

interface SubscribeFlags {
  volumeId?: string[];
  enabled?: string | boolean;
  retention?: string;
  retentionCount?: string;
  timezone?: string;
  startTime?: string;
  weekDay?: string;
  monthDay?: string;
  intervalHours?: string;
  snapshotNow?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** `--enabled` says to disable (any false form the metadata reader takes: `F`, `0`, `False`…). */
function isDisabling(enabled: string | boolean | undefined): boolean {
  if (typeof enabled !== "string") return enabled === false;
  try {
    return !parseBool(enabled);
  } catch {
    return false; // a bad value is reported by policyFromOptions
  }
}

/** policyFromOptions() with its RangeError as a usage error naming the flag. */
function policyOf(type: PolicyType, options: PolicyOptions): Policy {
  try {
    return policyFromOptions(type, options);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new UsageError(e.message.replace(/^Cannot parse /, "Cannot use "));
    }
    throw e;
  }
}

/** The flags given, as policy options (nothing from a volume). */
function givenOptions(flags: SubscribeFlags): PolicyOptions {
  const options: PolicyOptions = { enabled: flags.enabled === undefined ? true : flags.enabled };
  if (flags.retention !== undefined) options.retentionDays = flags.retention;
  if (flags.retentionCount !== undefined) options.retentionCount = flags.retentionCount;
  if (flags.timezone !== undefined) options.timezone = flags.timezone;
  if (flags.startTime !== undefined) options.startTime = flags.startTime;
  if (flags.weekDay !== undefined) options.dayOfWeek = flags.weekDay;
  if (flags.monthDay !== undefined) options.dayOfMonth = flags.monthDay;
  if (flags.intervalHours !== undefined) options.intervalHours = flags.intervalHours;
  return options;
}

/**
 * Checks every flag value before any API call (the volumes' own values come later): a bad
 * `--start-time`, `--retention`, `--retention-count`… is a usage error now.
 */
export function checkSubscribeFlags(type: PolicyType, flags: SubscribeFlags): void {
  const options = givenOptions(flags);
  if (type !== "express") options.startTime ??= "00:00";
  policyOf(type, options);
}

/**
 * The option values of a policy already on the volume, field by field, for the flags not given:
 * a re-run of `subscribe` keeps them. A value the reader would refuse is not kept (the default
 * replaces it, and the diff shows that).
 */
function existingOptions(type: PolicyType, metadata: Record<string, string>): PolicyOptions {
  const k = VOLUME_KEYS[type] as Record<string, string>;
  const lower = new Map(Object.entries(metadata).map(([key, v]) => [key.toLowerCase(), v]));
  const raw = (key: string | undefined) =>
    key === undefined ? undefined : metadata[key] ?? lower.get(key.toLowerCase());
  const field = (key: string | undefined, option: keyof PolicyOptions): PolicyOptions => {
    const v = raw(key);
    if (v === undefined || v.trim() === "") return {};
    const probe: PolicyOptions = {
      [option]: v,
      ...(type !== "express" ? { startTime: "00:00" } : {}),
    };
    if (option === "startTime") probe.startTime = v;
    try {
      policyFromOptions(type, probe);
      return { [option]: v };
    } catch {
      return {};
    }
  };
  return {
    ...field(k.retentionDays, "retentionDays"),
    ...field(k.retentionCount, "retentionCount"),
    ...field(k.timezone, "timezone"),
    ...field(k.startTime, "startTime"),
    ...field(k.startDayOfWeek, "dayOfWeek"),
    ...field(
      raw(k.startDayOfMonth) !== undefined ? k.startDayOfMonth : k.legacyDayOfMonth,
      "dayOfMonth",
    ),
    ...field(k.intervalHours, "intervalHours"),
  };
}

/** What subscribing one volume writes and removes. */
export interface Subscription {
  policy: Policy;
  /** The keys the policy has on the volume afterwards (written when they differ). */
  keys: Record<string, string>;
  /** Keys to remove (`--retention-count 0` drops the count). */
  remove: string[];
}

/**
 * Builds the policy and the keys of one volume: the flags given, else the values the volume
 * already has for this policy (a re-run keeps them), else the defaults. Throws UsageError on a
 * bad flag, or when a daily/weekly/monthly policy has no start time from either.
 */
export function subscriptionKeys(
  type: PolicyType,
  flags: SubscribeFlags,
  volume: { id: string; metadata: Record<string, string> } = { id: "", metadata: {} },
): Subscription {
  const disabling = isDisabling(flags.enabled);
  const options: PolicyOptions = {
    ...existingOptions(type, volume.metadata),
    ...givenOptions(flags),
  };
  // `--retention-count 0` means "no count": nothing from the volume survives it.
  if (flags.retentionCount !== undefined && /^\s*0+\s*$/.test(flags.retentionCount)) {
    delete options.retentionCount;
  }
  if (!disabling && type !== "express" && options.startTime === undefined) {
    throw new UsageError(
      `Cannot subscribe${
        volume.id ? ` volume ${volume.id}` : ""
      } to ${type} without --start-time: pass --start-time HH:MM (in --timezone, default UTC)`,
    );
  }
  const policy = policyOf(type, options);
  const countKey = VOLUME_KEYS[type].retentionCount;
  const remove = policy.retentionCount === undefined && countKey in volume.metadata
    ? [countKey]
    : [];
  // Disabling without a schedule only flips the enabled key (plus managed, as Go always wrote it),
  // so the schedule written earlier survives for a later --enabled=true.
  const scheduleGiven = type === "express" ? flags.intervalHours !== undefined : !!flags.startTime;
  if (!policy.enabled && !scheduleGiven) {
    return {
      policy,
      keys: { [MANAGED_KEY]: "true", [VOLUME_KEYS[type].enabled]: "false" },
      remove: [],
    };
  }
  return { policy, keys: policyToMetadata(policy), remove };
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

/** Keys of `want` whose value differs from `have`, and the keys of `remove` that `have` has. */
function changedKeys(have: Record<string, string>, want: Record<string, string>, remove: string[]) {
  const changed: Record<string, { from: string | null; to: string | null }> = {};
  for (const [k, v] of Object.entries(want)) {
    if (have[k] !== v) changed[k] = { from: have[k] ?? null, to: v };
  }
  for (const k of remove) if (k in have) changed[k] = { from: have[k]!, to: null };
  return changed;
}

async function runSubscribe(ctx: CommandContext, type: PolicyType, flags: SubscribeFlags) {
  const volumeIds = parseVolumeIds(flags.volumeId);
  checkSubscribeFlags(type, flags);
  if (flags.snapshotNow && isDisabling(flags.enabled)) {
    throw new UsageError(
      `Cannot use --snapshot-now with --enabled=false: a disabled ${type} policy takes no snapshot`,
    );
  }
  const log = ctx.logger().with({ workflow: `subscribe-${type}`, policy: type });
  const cinder = await blockStorage(ctx);
  const volumes = await readVolumes(cinder, volumeIds, "subscribe");
  // Every volume's keys are known (and valid) before the first write.
  const plans = volumes.map((v) => ({ volume: v, ...subscriptionKeys(type, flags, v) }));
  // With --snapshot-now, the snapshots are planned on the keys about to be written, so a volume
  // that could not be snapshotted is refused before anything is written.
  const planned = flags.snapshotNow
    ? planOnDemand({
      now: ctx.deps.clock.now(),
      volumes: plans.map((p) => ({ ...p.volume, metadata: { ...p.volume.metadata, ...p.keys } })),
      policy: type,
    })
    : undefined;
  if (planned) refuseUnless({ plan: planned, missing: [], volumes: new Map() }, "this project");
  const results = [];
  for (const { volume: before, policy, keys, remove } of plans) {
    const volumeId = before.id;
    const changed = changedKeys(before.metadata, keys, remove);
    const write = Object.fromEntries(
      Object.entries(keys).filter(([k]) => changed[k]?.to !== undefined && changed[k]?.to !== null),
    );
    if (!flags.dryRun) {
      if (Object.keys(write).length > 0) await cinder.mergeVolumeMetadata(volumeId, write);
      for (const k of remove) {
        if (k in before.metadata) await cinder.deleteVolumeMetadataKey(volumeId, k);
      }
    }
    results.push({
      volume_id: volumeId,
      volume_name: before.name,
      policy: type,
      description: describePolicy(policy),
      enabled: policy.enabled,
      dry_run: flags.dryRun ?? false,
      changed,
      unchanged: Object.keys(keys).filter((k) => !(k in changed)),
    });
    log.info(flags.dryRun ? "subscription_planned" : "subscription_applied", {
      volume_id: volumeId,
      changed_keys: Object.keys(changed),
    });
  }
  let snapshots: RunSummary | undefined;
  let prepared: PreparedOnDemand | undefined;
  if (flags.snapshotNow) {
    const now = ctx.deps.clock.now();
    const engine = await engineFromContext(ctx);
    // After the writes the volumes are read back: they now carry the policy the snapshot is
    // stamped with. A dry run wrote nothing, so it plans against the keys it would write.
    prepared = flags.dryRun
      ? { plan: planned!, missing: [], volumes: new Map() }
      : await engine.prepareOnDemand({ volumeIds, policy: type }, now);
    refuseUnless(prepared, `project ${cinder.projectId}`);
    snapshots = await takeAndReport(ctx, engine, prepared, {
      dryRun: flags.dryRun ?? false,
      json: true,
    });
  }
  const snapshotOf = (volumeId: string) => {
    if (!flags.snapshotNow) return {};
    if (!snapshots) return { snapshot_now: { dry_run: true } };
    const a = snapshots.actions.find((x) => x.volumeId === volumeId);
    return {
      snapshot_now: a
        ? {
          snapshot_id: a.snapshotId ?? null,
          status: a.status,
          window_start: a.windowStart ?? null,
          ...(a.error ? { error: a.error } : {}),
        }
        : null,
    };
  };
  if (flags.json) return ctx.json(results.map((r) => ({ ...r, ...snapshotOf(r.volume_id) })));
  for (const r of results) {
    const verb = flags.dryRun ? "Would set" : "Set";
    const n = Object.keys(r.changed).length;
    ctx.out(
      `${r.volume_id} (${r.volume_name || "unnamed"}): ${
        r.enabled ? r.description : `${type} disabled`
      }${n === 0 ? " (already so, nothing changed)" : ""}`,
    );
    for (const [k, c] of Object.entries(r.changed)) {
      if (c.to === null) {
        ctx.out(`  ${flags.dryRun ? "Would remove" : "Removed"} ${k} (was ${c.from})`);
      } else ctx.out(`  ${verb} ${k} = ${c.to}${c.from === null ? "" : ` (was ${c.from})`}`);
    }
  }
  if (snapshots) { for (const l of takenLines(snapshots)) ctx.out(l); }
  else if (flags.snapshotNow && prepared) { for (const l of planLines(prepared.plan)) ctx.out(l); }
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
    .option(
      "--retention-count <n>",
      "keep at most the newest N snapshots (1–1000; 0 removes the count); with --retention, " +
        "a snapshot goes past its days OR beyond the count",
    )
    .option("--timezone <iana>", "IANA time zone of the schedule (default UTC)")
    .option(
      "--snapshot-now",
      "also take the first snapshot at once, stamped for the current window",
    )
    .option("--dry-run", "show the keys that would change and change nothing")
    .option("--json", "machine-readable output");
  withExamples(
    sub,
    "snapsentry --cloud prod subscribe daily --volume-id 3f0c… --start-time 08:00 --timezone Asia/Kolkata --retention 7",
  );

  // Only what was given: an option's default (--week-day sunday, --month-day 1) must not overwrite
  // the value a volume already has when subscribe is run again.
  const given = (cmd: Command): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(cmd.opts()).filter(([k]) => cmd.getOptionValueSource(k) !== "default"),
    );
  const parentFlags = (cmd: Command): SubscribeFlags => ({
    ...(cmd.parent ? given(cmd.parent) : {}),
    ...given(cmd),
  });

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
