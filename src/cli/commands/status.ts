/**
 * `status` (alias `list`): every subscribed volume, each policy in words, its newest good snapshot
 * and age, the current and next window, a verdict, and the held snapshots. `--warn`/`--crit` give
 * Nagios exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) like sanoid's `--monitor-snapshots`,
 * and put a monitoring plugin's status line (`SNAPSENTRY OK - 41 volumes fresh | ok=41 warn=0
 * crit=0`) before the table. `--unprotected` lists instead every volume of the project that no
 * enabled, valid policy protects (one paged listing of every volume).
 */
import { type Command, Option } from "commander";
import {
  type AgeThreshold,
  findOtherManager,
  formatAge,
  formatUtc,
  type OtherManager,
  parsePolicyType,
  planExpire,
  planStatus,
  type PolicyType,
  type SnapshotIssue,
  type StatusReport,
  type UnprotectedReport,
} from "../../core/mod.ts";
import { UsageError } from "../../errors.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { engineFromContext } from "../engine.ts";
import { durationFlag, nowFlag } from "../flags.ts";
import { table } from "../output.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Parses `--warn`/`--crit` values: `26h` (every policy) or `daily=26h,weekly=8d` (per policy).
 */
export function parseThresholds(
  warn: string[] = [],
  crit: string[] = [],
): Partial<Record<PolicyType | "all", AgeThreshold>> {
  const out: Partial<Record<PolicyType | "all", AgeThreshold>> = {};
  const add = (values: string[], flag: "--warn" | "--crit") => {
    for (const value of values) {
      for (const part of value.split(",").map((p) => p.trim()).filter(Boolean)) {
        const eq = part.indexOf("=");
        let key: PolicyType | "all" = "all";
        let age = part;
        if (eq >= 0) {
          try {
            key = parsePolicyType(part.slice(0, eq), flag);
          } catch {
            throw new UsageError(
              `Cannot use ${flag} "${part}": expected AGE or POLICY=AGE with POLICY one of express, daily, weekly, monthly`,
            );
          }
          age = part.slice(eq + 1);
        }
        const seconds = durationFlag(flag, age, { minMs: 1000 }) / 1000;
        const t = (out[key] ??= {});
        if (flag === "--warn") t.warnSeconds = seconds;
        else t.critSeconds = seconds;
      }
    }
  };
  add(warn, "--warn");
  add(crit, "--crit");
  return out;
}

const STATES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"] as const;
// Worst first, in the order the report's own code is chosen (planStatus): CRITICAL, WARNING,
// UNKNOWN, OK.
const SEVERITY = [0, 2, 3, 1] as const;

/**
 * The first line of a monitoring plugin's output (Nagios plugin guidelines): service, state, a
 * short summary, then performance data after `|`. Volumes count once, by their worst policy.
 */
export function nagiosLine(report: StatusReport): string {
  const worst = new Map<string, 0 | 1 | 2 | 3>();
  for (const e of report.entries) {
    const prev = worst.get(e.volumeId);
    if (prev === undefined || SEVERITY[e.nagios] > SEVERITY[prev]) worst.set(e.volumeId, e.nagios);
  }
  const n = [0, 0, 0, 0];
  for (const code of worst.values()) n[code]!++;
  const [ok, warn, crit, unknown] = n as [number, number, number, number];
  const volumes = (k: number) => `${k} volume${k === 1 ? "" : "s"}`;
  const parts = [
    ...(crit ? [`${crit} critical`] : []),
    ...(warn ? [`${warn} warning`] : []),
    ...(unknown ? [`${unknown} with an invalid policy`] : []),
  ];
  const summary = worst.size === 0
    ? "no subscribed volumes"
    : parts.length === 0
    ? `${volumes(ok)} fresh`
    : `${parts.join(", ")} of ${volumes(worst.size)}`;
  const perf = `ok=${ok} warn=${warn} crit=${crit}${unknown ? ` unknown=${unknown}` : ""}`;
  return `SNAPSENTRY ${STATES[report.nagios]} - ${summary} | ${perf}`;
}

/** What else a status shows: snapshots whose expiry is unreadable, and another manager. */
export interface StatusNotes {
  issues: SnapshotIssue[];
  otherManager?: OtherManager | undefined;
}

/** The warning lines below the table (also what `--json` carries as `warnings`). */
export function statusWarnings(report: StatusReport, notes: StatusNotes): string[] {
  const lines = report.warnings.map((w) => w.message);
  for (const i of notes.issues) lines.push(i.message);
  const o = notes.otherManager;
  if (o) {
    lines.push(
      `Another tool is still creating managed snapshots: ${o.count} without snapsentry's stamps ` +
        `since ${formatUtc(o.since)}, newest ${o.snapshotId} on volume ${o.volumeId} ` +
        `(${formatUtc(o.createdAt)}); stop SnapSentry-Go's timers or CronJobs so each window ` +
        "gets one snapshot",
    );
  }
  return lines;
}

/** The JSON form of a status report. */
export function statusJson(report: StatusReport, notes: StatusNotes = { issues: [] }) {
  const o = notes.otherManager;
  return {
    now: formatUtc(report.now),
    nagios: report.nagios,
    counts: report.counts,
    warnings: statusWarnings(report, notes),
    unreadable_expiries: notes.issues.map((i) => ({
      snapshot_id: i.snapshotId,
      volume_id: i.volumeId,
      message: i.message,
    })),
    another_snapshot_manager: o
      ? {
        snapshot_id: o.snapshotId,
        volume_id: o.volumeId,
        created_at: formatUtc(o.createdAt),
        since: formatUtc(o.since),
        count: o.count,
      }
      : null,
    entries: report.entries.map((e) => ({
      volume_id: e.volumeId,
      volume_name: e.volumeName,
      server_id: e.serverId,
      policy: e.policy,
      description: e.description,
      verdict: e.verdict,
      reason: e.reason,
      newest_snapshot: e.newest
        ? {
          snapshot_id: e.newest.snapshotId,
          created_at: formatUtc(e.newest.createdAt),
          age_seconds: Math.round(e.newest.ageSeconds),
        }
        : null,
      window_start: e.window ? formatUtc(e.window.start.toInstant()) : null,
      window_end: e.window ? formatUtc(e.window.end.toInstant()) : null,
      next_window_start: e.nextWindow ? formatUtc(e.nextWindow.start.toInstant()) : null,
      interval_seconds: e.intervalSeconds,
      held: e.held,
      nagios: e.nagios,
      warnings: (e.warnings ?? []).map((w) => w.message),
    })),
    held: report.held.map((h) => ({
      snapshot_id: h.snapshotId,
      volume_id: h.volumeId,
      policy: h.policy ?? null,
      status: h.status,
      hold_until: h.until ? formatUtc(h.until) : null,
      hold_reason: h.reason ?? null,
      lapsed: h.lapsed,
    })),
  };
}

/** The JSON form of the unprotected volumes. */
export function unprotectedJson(report: UnprotectedReport, at: Temporal.Instant) {
  return {
    observed_at: formatUtc(at),
    total: report.total,
    total_gigabytes: report.totalGigabytes,
    volumes: report.volumes.map((v) => ({
      volume_id: v.volumeId,
      volume_name: v.volumeName,
      size: v.size,
      status: v.status,
      attachments: v.serverIds,
      reason: v.reason,
    })),
  };
}

function printUnprotected(ctx: CommandContext, report: UnprotectedReport): void {
  if (report.total === 0) {
    ctx.out("No unprotected volumes: every volume has an enabled, valid policy");
    return;
  }
  ctx.deps.writeOut(table(
    ["VOLUME", "NAME", "SIZE", "STATUS", "ATTACHED TO", "WHY"],
    report.volumes.map((v) => [
      v.volumeId,
      v.volumeName || "-",
      `${v.size} GiB`,
      v.status,
      v.serverIds.join(", ") || "-",
      v.reason,
    ]),
  ));
  ctx.out(
    `${report.total} unprotected volume${
      report.total === 1 ? "" : "s"
    }, ${report.totalGigabytes} GiB`,
  );
}

export function registerStatus(program: Command, ctx: CommandContext): void {
  const cmd = program.command("status").alias("list")
    .description("Show subscribed volumes, their policies, newest snapshots and verdicts")
    .addOption(
      new Option(
        "--warn <age>",
        "warn when the newest snapshot is older: 26h or daily=26h,weekly=8d",
      )
        .argParser(collect),
    )
    .addOption(
      new Option("--crit <age>", "critical when the newest snapshot is older (same forms)")
        .argParser(collect),
    )
    .option("--now <instant>", "evaluate as if it were this instant (RFC 3339)")
    .option(
      "--unprotected",
      "list instead every volume that no enabled, valid policy protects (lists all volumes)",
    )
    .option("--json", "machine-readable output")
    .action(async (
      flags: {
        warn?: string[];
        crit?: string[];
        now?: string;
        unprotected?: boolean;
        json?: boolean;
      },
    ) => {
      const thresholds = parseThresholds(flags.warn, flags.crit);
      if (flags.unprotected) {
        if ((flags.warn?.length ?? 0) + (flags.crit?.length ?? 0) > 0 || flags.now) {
          throw new UsageError(
            "Cannot use --unprotected with --warn, --crit or --now: it lists volumes, not snapshot ages",
          );
        }
        const { at, report } = await (await engineFromContext(ctx)).unprotected();
        ctx.logger().info("unprotected_listed", {
          total: report.total,
          total_gigabytes: report.totalGigabytes,
        });
        if (flags.json) return ctx.json(unprotectedJson(report, at));
        return printUnprotected(ctx, report);
      }
      const now = nowFlag(flags.now) ?? ctx.deps.clock.now();
      const engine = await engineFromContext(ctx);
      const obs = await engine.observe();
      const report = planStatus({
        now,
        volumes: obs.volumes,
        snapshots: obs.snapshots,
        thresholds,
      });
      // The same observation, no extra call: what expire would keep for a human, and another
      // tool still creating snapshots.
      const notes: StatusNotes = {
        issues: planExpire({ now, volumes: obs.volumes, snapshots: obs.snapshots }).issues,
        otherManager: findOtherManager(obs.snapshots),
      };
      const monitoring = (flags.warn?.length ?? 0) + (flags.crit?.length ?? 0) > 0;
      if (monitoring) ctx.setExitCode(report.nagios);
      if (flags.json) return ctx.json(statusJson(report, notes));
      if (monitoring) ctx.out(nagiosLine(report));
      if (report.entries.length === 0) {
        ctx.out("No subscribed volumes (none has x-snapsentry-managed=true)");
        for (const line of statusWarnings(report, notes)) ctx.out(`WARN ${line}`);
        return;
      }
      const rows = report.entries.map((e) => [
        e.volumeId,
        e.volumeName || "-",
        e.serverId ?? "-",
        e.description ?? `${e.policy} (invalid)`,
        e.newest ? `${e.newest.snapshotId} (${formatAge(e.newest.ageSeconds)} ago)` : "none",
        e.window ? formatUtc(e.window.start.toInstant()) : "-",
        e.nextWindow ? formatUtc(e.nextWindow.start.toInstant()) : "-",
        e.verdict,
        e.held ? String(e.held) : "-",
      ]);
      ctx.deps.writeOut(
        table(
          ["VOLUME", "NAME", "SERVER", "POLICY", "NEWEST", "WINDOW", "NEXT", "VERDICT", "HELD"],
          rows,
        ),
      );
      for (const e of report.entries) {
        if (e.verdict === "INVALID" || e.verdict === "LATE" || e.nagios > 0) {
          ctx.out(`${e.verdict} ${e.volumeId} ${e.policy}: ${e.reason}`);
        }
      }
      for (const h of report.held) {
        ctx.out(
          `${h.lapsed ? "HOLD LAPSED" : "HELD"} snapshot ${h.snapshotId} of volume ${h.volumeId}${
            h.policy ? ` (${h.policy})` : ""
          } ${h.until ? `${h.lapsed ? "ended" : "until"} ${formatUtc(h.until)}` : "with no end"}${
            h.reason ? `: ${h.reason}` : ""
          }`,
        );
      }
      for (const line of statusWarnings(report, notes)) ctx.out(`WARN ${line}`);
      const c = report.counts;
      ctx.out(
        `${c.OK} OK, ${c.CREATING} CREATING, ${c.DUE} DUE, ${c.LATE} LATE, ${c.INVALID} INVALID`,
      );
    });
  withExamples(
    cmd,
    "snapsentry --cloud prod status",
    "snapsentry --cloud prod status --warn daily=26h,weekly=8d --crit daily=50h   # Nagios exit codes",
    "snapsentry --cloud prod status --unprotected --json",
  );
}
