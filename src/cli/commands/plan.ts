/**
 * `plan`: what `create-snapshots` and `expire-snapshots` would do now (or at `--now`), one line per
 * action with its reason; with `--days N`, a steady-state forecast of snapshot count and gigabytes
 * compared with the project's Cinder quotas.
 */
import type { Command } from "commander";
import { type Forecast, forecast, formatUtc, managedUsage } from "../../core/mod.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { engineFromContext } from "../engine.ts";
import { cloudFor } from "../cloud.ts";
import { addEngineOptions, type EngineFlags, intFlag, nowFlag } from "../flags.ts";

export function registerPlan(program: Command, ctx: CommandContext): void {
  const cmd = addEngineOptions(
    program.command("plan")
      .description("Show what create-snapshots and expire-snapshots would do, and why")
      .option("--now <instant>", "plan as if it were this instant (RFC 3339)")
      .option("--days <n>", "forecast snapshot count and gigabytes over N days vs quotas")
      .option("--json", "machine-readable output"),
    "plan",
  ).action(async (flags: { now?: string; days?: string; json?: boolean } & EngineFlags) => {
    const now = nowFlag(flags.now) ?? ctx.deps.clock.now();
    const days = flags.days === undefined
      ? undefined
      : intFlag("--days", flags.days, { min: 1, max: 3660 });
    const engine = await engineFromContext(ctx, {
      ...(flags.stuckAfter !== undefined ? { stuckAfter: flags.stuckAfter } : {}),
      ...(flags.rateLimit !== undefined ? { rateLimit: flags.rateLimit } : {}),
    });
    const { create, expire, observation } = await engine.plan(now);
    let fc: Forecast | undefined;
    if (days !== undefined) {
      const cinder = await (await cloudFor(ctx)).blockStorage();
      const q = await cinder.getQuotaSet();
      // The observation lists every snapshot of the project; only the managed ones are the
      // policies' share of the quota.
      const managed = managedUsage(observation.snapshots);
      fc = forecast({
        now,
        volumes: observation.volumes,
        days,
        quota: {
          snapshots: q.snapshots.limit,
          gigabytes: q.gigabytes.limit,
          otherSnapshots: Math.max(0, q.snapshots.inUse - managed.snapshots),
          otherGigabytes: Math.max(0, q.gigabytes.inUse - managed.gigabytes),
        },
      });
    }
    const createJson = create.entries.map((e) => ({
      volume_id: e.volumeId,
      volume_name: e.volumeName,
      server_id: e.serverId,
      policy: e.policy,
      window_start: e.windowStart ? formatUtc(e.windowStart) : null,
      window_end: e.windowEnd ? formatUtc(e.windowEnd) : null,
      action: e.action,
      reason: e.reason,
      ...(e.satisfiedBy ? { snapshot_id: e.satisfiedBy } : {}),
    }));
    // A raced duplicate is listed once, as what the create run does with it (delete), never also
    // as a snapshot the expire run keeps.
    const duplicates = new Set(create.dedupe.map((d) => d.snapshotId));
    const expireJson = [
      ...expire.entries.filter((e) => !duplicates.has(e.snapshotId)).map((e) => ({
        snapshot_id: e.snapshotId,
        volume_id: e.volumeId,
        policy: e.policy ?? null,
        status: e.status,
        expires_at: e.expiresAt ? formatUtc(e.expiresAt) : null,
        action: e.action === "keep" ? "keep" : "expire",
        ...(e.cause ? { cause: e.cause } : {}),
        ...(e.held ? { held: true } : {}),
        ...(e.action === "zombie" ? { zombie: true, force: e.force } : {}),
        reason: e.reason,
      })),
      ...create.dedupe.map((d) => ({
        snapshot_id: d.snapshotId,
        volume_id: d.volumeId,
        policy: d.policy,
        status: "available",
        expires_at: null,
        action: "expire",
        cause: "duplicate",
        duplicate_of: d.keepId,
        reason: d.reason,
      })),
    ];
    if (flags.json) {
      return ctx.json({
        now: formatUtc(now),
        create: createJson,
        expire: expireJson,
        issues: [...create.issues.map((i) => i.message), ...expire.issues.map((i) => i.message)],
        warnings: create.warnings.map((w) => ({
          volume_id: w.volumeId,
          policy: w.policy,
          key: w.key,
          value: w.value,
          used: w.used,
          message: w.message,
        })),
        ...(fc ? { forecast: fc } : {}),
      });
    }
    ctx.out(`Plan at ${formatUtc(now)}`);
    for (const e of createJson) {
      ctx.out(`${e.action.padEnd(7)} ${e.volume_id} ${e.policy}: ${e.reason}`);
    }
    for (const e of expireJson) {
      ctx.out(`${e.action.padEnd(7)} snapshot ${e.snapshot_id} of ${e.volume_id}: ${e.reason}`);
    }
    for (const w of create.warnings) ctx.out(`WARN    ${w.message}`);
    const n = (a: string) => createJson.filter((e) => e.action === a).length;
    ctx.out(
      `${n("create")} to create, ${n("skip")} to skip, ${n("invalid")} invalid; ` +
        `${expireJson.filter((e) => e.action === "expire").length} to delete, ` +
        `${expireJson.filter((e) => e.action === "keep").length} to keep`,
    );
    if (fc) {
      ctx.out(
        `Forecast over ${fc.days} days: ${fc.totalSnapshots} snapshots, ${fc.totalGigabytes} GB held by the current policies`,
      );
      for (const w of fc.warnings) ctx.out(`WARNING: ${w}`);
    }
  });
  withExamples(
    cmd,
    "snapsentry --cloud prod plan",
    "snapsentry --cloud prod plan --now 2026-03-29T01:30:00Z --json",
    "snapsentry --cloud prod plan --days 90",
  );
}
