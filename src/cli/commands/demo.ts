/**
 * `demo`: the whole lifecycle on the built-in emulated cloud, in one process, over a simulated
 * clock. It runs the real commands (doctor, subscribe, status, plan, create-snapshots,
 * expire-snapshots) against an in-process Keystone + Cinder, then simulates a month of hourly
 * create runs and six-hourly expire runs in seconds and prints a timeline per volume.
 */
import type { Command } from "commander";
import { ManualClock } from "../../clock.ts";
import { createEmulator, type Emulator } from "../../emulator/mod.ts";
import { UsageError } from "../../errors.ts";
import { SnapshotEngine } from "../../exec/engine.ts";
import type { TimelineEvent } from "../../exec/types.ts";
import { nullLogger } from "../../log.ts";
import { openCloud } from "../../openstack/mod.ts";
import { resolveDaemonOptions, startDaemon } from "../../daemon/mod.ts";
import { demoOrchestratorPass } from "../../admin/demo.ts";
import type { CliDeps } from "../context.ts";
import { type CommandContext, runCli, withExamples } from "../program.ts";

const DEMO_START = "2026-03-20T06:00:00Z";
const CLOUDS_PATH = "/demo/clouds.yaml";

interface DemoFlags {
  days: string;
  start: string;
  quiet?: boolean;
}

/** Builds the demo project: 4 VMs with 3 volumes each, a shared volume, 2 unattached ones. */
function seedDemo(emulator: Emulator) {
  const project = emulator.seed.demoProjectId;
  const sample = emulator.seedSample(project, {
    servers: 4,
    volumesPerServer: 3,
    shared: 1,
    unattached: 2,
    seed: 7,
  });
  const byName = new Map(sample.volumes.map((v) => [v.name, v]));
  const vols = sample.volumes;
  // A snapshot someone took by hand: snapsentry must never touch it.
  emulator.addSnapshot({
    volumeId: vols[1]!.id,
    name: "manual-before-upgrade",
    metadata: { owner: "ops" },
    createdAt: Temporal.Instant.from("2026-03-01T10:00:00Z"),
  });
  return { sample, byName, vols };
}

export function registerDemo(program: Command, ctx: CommandContext): void {
  const cmd = program.command("demo")
    .description("Run the whole lifecycle on the built-in emulated cloud (no cloud needed)")
    .option("--days <n>", "days to simulate", "30")
    .option("--start <instant>", "simulated start time (RFC 3339)", DEMO_START)
    .option("--quiet", "only the timeline and the summary")
    .action(async (flags: DemoFlags) => {
      if (!/^\d+$/.test(flags.days) || Number(flags.days) < 1 || Number(flags.days) > 400) {
        throw new UsageError(
          `Cannot use --days "${flags.days}": expected a whole number from 1 to 400`,
        );
      }
      let start: Temporal.Instant;
      try {
        start = Temporal.Instant.from(flags.start);
      } catch {
        throw new UsageError(
          `Cannot use --start "${flags.start}": expected an RFC 3339 instant such as ${DEMO_START}`,
        );
      }
      const days = Number(flags.days);
      const clock = new ManualClock(start, { autoAdvance: true });
      const emulator = createEmulator({ clock, snapshotDelayMs: 45_000, deleteDelayMs: 5_000 });
      const { vols } = seedDemo(emulator);
      // Realistic quotas, so `plan --days` can show whether the policies fit.
      emulator.setQuota(emulator.seed.demoProjectId, { snapshots: 120, gigabytes: 9000 });
      const out = (t: string) => ctx.out(t);
      const heading = (t: string) => out(`\n=== ${t}`);

      const inner: CliDeps = {
        ...ctx.deps,
        env: { OS_CLIENT_CONFIG_FILE: CLOUDS_PATH },
        clock,
        fetch: emulator.fetch,
        readTextFile: (p) =>
          p === CLOUDS_PATH
            ? Promise.resolve(emulator.cloudsYaml())
            : Promise.reject(new Deno.errors.NotFound(`No such file: ${p}`)),
        cwd: "/demo",
        homeDir: "/demo",
        writeOut: flags.quiet ? () => {} : ctx.deps.writeOut,
      };
      const run = async (...argv: string[]) => {
        if (!flags.quiet) out(`\n$ snapsentry ${argv.join(" ")}`);
        return await runCli(["--cloud", "emulator", "--log-level", "error", ...argv], inner);
      };

      heading(
        `An emulated Keystone + Cinder with project "demo": 4 VMs x 3 volumes, 1 shared, 2 unattached (clock starts ${start})`,
      );
      await run("doctor");

      heading("Subscribe volumes to policies (the metadata SnapSentry-Go also reads)");
      const [web, webData1, , db, dbData1, dbData2, app, , , cache] = vols;
      const shared = vols.find((v) => v.multiattach);
      const loose = vols.filter((v) => v.attachments.length === 0);
      await run(
        "subscribe",
        "daily",
        "--volume-id",
        web!.id,
        "--volume-id",
        webData1!.id,
        "--start-time",
        "02:30",
        "--timezone",
        "Europe/Berlin",
        "--retention",
        "7",
      );
      await run(
        "subscribe",
        "daily",
        "--volume-id",
        db!.id,
        "--volume-id",
        dbData1!.id,
        "--volume-id",
        dbData2!.id,
        "--start-time",
        "01:00",
        "--timezone",
        "America/New_York",
        "--retention",
        "3",
      );
      await run(
        "subscribe",
        "weekly",
        "--volume-id",
        dbData1!.id,
        "--start-time",
        "03:00",
        "--week-day",
        "sunday",
        "--timezone",
        "America/New_York",
        "--retention",
        "21",
      );
      await run(
        "subscribe",
        "express",
        "--volume-id",
        app!.id,
        "--interval-hours",
        "8",
        "--retention",
        "2",
        "--timezone",
        "Asia/Kolkata",
      );
      if (shared) {
        await run(
          "subscribe",
          "daily",
          "--volume-id",
          shared.id,
          "--start-time",
          "00:00",
          "--retention",
          "5",
        );
      }
      if (loose[0]) {
        await run(
          "subscribe",
          "monthly",
          "--volume-id",
          loose[0].id,
          "--start-time",
          "01:00",
          "--month-day",
          "31",
          "--retention",
          "60",
          "--timezone",
          "Australia/Lord_Howe",
        );
      }
      // A volume whose metadata someone typed by hand, wrongly: reported, never silently ignored.
      emulator.state.volumes.get(cache!.id)!.metadata = {
        "x-snapsentry-managed": "true",
        "x-snapsentry-daily-enabled": "true",
        "x-snapsentry-daily-start-time": "25:00",
      };
      if (!flags.quiet) {
        out(`\n(volume ${cache!.name} got x-snapsentry-daily-start-time=25:00 by hand)`);
      }

      heading("What snapsentry sees and would do");
      await run("status");
      await run("plan", "--days", "30");

      heading("One create run, then the same run again (idempotent: nothing new)");
      await run("create-snapshots");
      await run("create-snapshots");

      heading(`Simulating ${days} days: create every hour, expire every 6 hours`);
      const cloud = await openCloud({
        cloudName: "emulator",
        env: inner.env,
        readTextFile: inner.readTextFile,
        cwd: "/demo",
        fetch: emulator.fetch,
        clock,
        logger: nullLogger,
      });
      const engine = new SnapshotEngine({
        blockStorage: () => cloud.blockStorage(),
        stats: () => cloud.stats(),
        clock,
        logger: nullLogger,
        useRequestId: (id) => {
          cloud.transport.requestId = id;
        },
      }, { pollIntervalMs: 15_000 });
      const events: TimelineEvent[] = [];
      const totals = { runs: 0, created: 0, deleted: 0, failed: 0, zombies: 0, calls: 0 };
      const simStart = clock.now();
      // A bad afternoon on day 9: new snapshots turn to error for a while.
      const badFrom = simStart.add({ hours: 24 * 8 + 14 });
      let faultAdded = false;
      for (let hour = 1; hour <= days * 24; hour++) {
        clock.set(simStart.add({ hours: hour }));
        if (!faultAdded && Temporal.Instant.compare(clock.now(), badFrom) >= 0) {
          faultAdded = true;
          emulator.faults.add({
            method: "POST",
            path: "/volume/v3/*/snapshots",
            times: 3,
            fault: { type: "snapshot_error" },
          });
        }
        const runs = [await engine.create()];
        if (hour % 6 === 0) runs.push(await engine.expire());
        for (const s of runs) {
          for (const a of s.actions) {
            const kind = a.status === "failed"
              ? "failed"
              : a.status === "done" && (a.kind === "create" || a.kind === "adopt")
              ? "created"
              : a.status === "done" && a.kind === "expire"
              ? "expired"
              : undefined;
            if (kind && a.volumeId) {
              events.push({
                volumeId: a.volumeId,
                ...(a.policy ? { policy: a.policy } : {}),
                at: s.finishedAt,
                kind,
              });
            }
          }
          totals.runs++;
          totals.created += s.counts.created + s.counts.adopted;
          totals.deleted += s.counts.deleted;
          totals.failed += s.counts.failed;
          totals.zombies += s.counts.zombiesCleaned;
          totals.calls += s.apiCallsTotal;
        }
      }
      printTimeline(ctx, emulator, simStart, days, events, engine);
      ctx.out(
        `\n${totals.runs} runs: ${totals.created} snapshots created, ${totals.deleted} expired, ` +
          `${totals.failed} failed (cleaned up: ${totals.zombies} zombies), ${totals.calls} API calls in all`,
      );
      const manual = emulator.snapshots(emulator.seed.demoProjectId).find((s) =>
        s.name === "manual-before-upgrade"
      );
      ctx.out(
        `The hand-made snapshot "manual-before-upgrade" is ${
          manual ? manual.status + ", untouched" : "GONE (bug!)"
        }.`,
      );

      heading("Status after the simulation");
      await runCli(["--cloud", "emulator", "--log-level", "error", "status"], {
        ...inner,
        writeOut: ctx.deps.writeOut,
      });

      heading("The daemon on 127.0.0.1 (a free port): one run at start, then GET /metrics");
      clock.autoAdvance = false;
      const daemon = startDaemon(
        resolveDaemonOptions({
          createSchedule: "0 * * * *",
          expireSchedule: "0 */6 * * *",
          bindAddress: "127.0.0.1:0",
          runAtStart: true,
          shutdownTimeoutSeconds: 10,
          metricsPerVolume: true,
        }, clock.now()),
        { engine, clock, logger: nullLogger },
      );
      clock.autoAdvance = true;
      await waitUntil(() =>
        daemon.scheduler.status().every((j) => j.lastRun !== null && !j.running)
      );
      const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
      const shown = metrics.split("\n").filter((l) =>
        /^snapsentry_(runs_total|snapshots_created_total|api_requests_total\{method="GET")/.test(
          l,
        ) ||
        /^snapsentry_newest_snapshot_age_seconds\{/.test(l)
      );
      ctx.out(
        `$ curl ${daemon.url}/metrics   (${metrics.split("\n").length} lines; a few of them)`,
      );
      for (const l of shown.slice(0, 12)) ctx.out(l);
      const ready = await fetch(`${daemon.url}/readyz`);
      ctx.out(`$ curl ${daemon.url}/readyz   -> ${ready.status} ${await ready.text()}`);
      await daemon.stop();
      await daemon.done;

      heading("Admin: one orchestrator pass for the demo project (emulated Kubernetes)");
      await demoOrchestratorPass((t) => ctx.out(t), emulator, clock);
      cloud.close();
    });
  withExamples(cmd, "snapsentry demo", "snapsentry demo --days 45 --quiet");
}

/** One row per volume and policy, one column per simulated day. */
function printTimeline(
  ctx: CommandContext,
  emulator: Emulator,
  start: Temporal.Instant,
  days: number,
  events: TimelineEvent[],
  engine: SnapshotEngine,
) {
  const names = new Map(emulator.volumes(emulator.seed.demoProjectId).map((v) => [v.id, v.name]));
  const rows = new Map<string, { created: number[]; expired: number[]; failed: number[] }>();
  for (const e of events) {
    const day = Math.floor(
      Number(Temporal.Instant.from(e.at).since(start).total("hours")) / 24,
    );
    if (day < 0 || day >= days) continue;
    const key = `${names.get(e.volumeId) ?? e.volumeId} ${e.policy ?? ""}`.trim();
    const row = rows.get(key) ??
      { created: Array(days).fill(0), expired: Array(days).fill(0), failed: Array(days).fill(0) };
    rows.set(key, row);
    row[e.kind][day]++;
  }
  const width = Math.max(...[...rows.keys()].map((k) => k.length), 10);
  ctx.out(
    `\nTimeline (one column per day from ${start.toString().slice(0, 10)}; ` +
      `+ created, - expired, ± both, digits = snapshots created that day, x failed or invalid):`,
  );
  const ruler = Array.from({ length: days }, (_, i) => ((i + 1) % 10 === 0 ? "|" : " ")).join("");
  ctx.out(`${"".padEnd(width)}  ${ruler}`);
  for (const key of [...rows.keys()].sort()) {
    const r = rows.get(key)!;
    const cells = r.created.map((c, i) => {
      const e = r.expired[i]!;
      if (r.failed[i]! > 0 && c === 0) return "x";
      if (c > 0 && e > 0) return "±";
      if (c > 1) return String(Math.min(c, 9));
      if (c === 1) return "+";
      if (e > 0) return "-";
      return "·";
    }).join("");
    ctx.out(`${key.padEnd(width)}  ${cells}`);
  }
  const obs = engine.lastObservation();
  if (obs) {
    const held = new Map<string, number>();
    for (const s of obs.snapshots) {
      if (s.status === "available") held.set(s.volumeId, (held.get(s.volumeId) ?? 0) + 1);
    }
    ctx.out(
      "\nSnapshots held now: " +
        [...held].map(([id, n]) => `${names.get(id) ?? id} ${n}`).sort().join(", "),
    );
  }
}

/** Polls a condition on real time (the demo's daemon runs on a real socket). */
async function waitUntil(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error("The demo daemon did not finish its start-up runs");
    await new Promise((r) => setTimeout(r, 20));
  }
}
