/**
 * `status` (alias `list`): every subscribed volume, each policy in words, its newest good snapshot
 * and age, the current and next window, and a verdict. `--warn`/`--crit` give Nagios exit codes
 * (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) like sanoid's `--monitor-snapshots`, and put a monitoring
 * plugin's status line (`SNAPSENTRY OK - 41 volumes fresh | ok=41 warn=0 crit=0`) before the table.
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
      nagios: e.nagios,
      warnings: (e.warnings ?? []).map((w) => w.message),
    })),
  };
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
    .option("--json", "machine-readable output")
    .action(async (flags: { warn?: string[]; crit?: string[]; now?: string; json?: boolean }) => {
      const thresholds = parseThresholds(flags.warn, flags.crit);
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
      ]);
      ctx.deps.writeOut(
        table(["VOLUME", "NAME", "SERVER", "POLICY", "NEWEST", "WINDOW", "NEXT", "VERDICT"], rows),
      );
      for (const e of report.entries) {
        if (e.verdict === "INVALID" || e.verdict === "LATE" || e.nagios > 0) {
          ctx.out(`${e.verdict} ${e.volumeId} ${e.policy}: ${e.reason}`);
        }
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
  );
}
