/**
 * The demo scenario: the whole lifecycle on the built-in emulated cloud, in one process, over a
 * simulated clock. It runs the real commands (doctor, subscribe, status, plan, create-snapshots,
 * expire-snapshots, hold, snapshots, restore) against an in-process Keystone + Cinder, simulates
 * a month of hourly create runs and six-hourly expire runs in seconds (a held snapshot outlives
 * its expiry, a volume is restored mid-month) and prints a timeline per volume, then starts the
 * daemon on a free loopback port and makes one orchestrator pass against an emulated Kubernetes.
 */
import { type Clock, ManualClock } from "../../clock.ts";
import { resolveDaemonOptions, startDaemon } from "../../daemon/mod.ts";
import { SNAPSHOT_KEYS } from "../../core/mod.ts";
import { createEmulator, type Emulator } from "../../emulator/mod.ts";
import { UsageError } from "../../errors.ts";
import { createEngine, type Observation, type TimelineEvent } from "../../exec/mod.ts";
import { nullLogger } from "../../log.ts";
import { openCloud } from "../../openstack/mod.ts";
import type { CommandContext } from "../command.ts";
import type { CliDeps } from "../context.ts";
import { intFlag } from "../flags.ts";
import { demoOrchestratorPass } from "./orchestrator.ts";
import { printTimeline } from "./timeline.ts";

export const DEMO_START = "2026-03-20T06:00:00Z";
const CLOUDS_PATH = "/demo/clouds.yaml";

export interface DemoFlags {
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
  const vols = sample.volumes;
  // A snapshot someone took by hand: snapsentry must never touch it.
  emulator.addSnapshot({
    volumeId: vols[1]!.id,
    name: "manual-before-upgrade",
    metadata: { owner: "ops" },
    createdAt: Temporal.Instant.from("2026-03-01T10:00:00Z"),
  });
  return { sample, vols };
}

/** Runs the demo; see the module doc. */
export async function runDemo(ctx: CommandContext, flags: DemoFlags): Promise<void> {
  const days = intFlag("--days", flags.days, { min: 1, max: 400 });
  let start: Temporal.Instant;
  try {
    start = Temporal.Instant.from(flags.start);
  } catch {
    throw new UsageError(
      `Cannot use --start "${flags.start}": expected an RFC 3339 instant such as ${DEMO_START}`,
    );
  }
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
    if (!flags.quiet) {
      out(`\n$ snapsentry ${argv.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ")}`);
    }
    return await ctx.runCli(["--cloud", "emulator", "--log-level", "error", ...argv], inner);
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

  // A hold: the audit wants the first daily snapshot of a database volume kept 12 days, though
  // its policy keeps snapshots 3 days.
  const holdDays = Math.min(12, Math.max(1, days - 2));
  const heldSnapshot = emulator.snapshots(emulator.seed.demoProjectId).find((s) =>
    s.volumeId === dbData1!.id && s.metadata[SNAPSHOT_KEYS.policyType] === "daily"
  );
  const holdUntil = clock.now().add({ hours: 24 * holdDays });
  if (heldSnapshot) {
    heading(`Hold a snapshot for an audit: kept ${holdDays} days although its policy keeps 3`);
    await run(
      "hold",
      "--snapshot-id",
      heldSnapshot.id,
      "--until",
      holdUntil.toString(),
      "--reason",
      "quarter-end audit",
    );
  }
  // A restore: mid-month someone asks for a database volume as it was the morning before.
  const restoreHour = days >= 3 ? 24 * Math.min(15, days - 1) + 3 : undefined;
  let restoredFrom: string | undefined;

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
  const engine = createEngine({ cloud, clock, logger: nullLogger }, { pollIntervalMs: 15_000 });
  let lastView: Observation | undefined;
  const events: TimelineEvent[] = [];
  const totals = { runs: 0, created: 0, deleted: 0, failed: 0, zombies: 0, calls: 0 };
  const simStart = clock.now();
  // A bad afternoon on day 9: new snapshots turn to error for a while.
  const badFrom = simStart.add({ hours: 24 * 8 + 14 });
  let faultAdded = false;
  const holdEvents: { lapsedReported: string[]; deletedAt?: string } = { lapsedReported: [] };
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
    const reports = [await engine.run("create")];
    if (hour % 6 === 0) reports.push(await engine.run("expire"));
    if (hour === restoreHour) {
      const at = clock.now().subtract({ hours: 24 });
      heading(
        `Day ${Math.floor(hour / 24) + 1}: restore ${
          dbData1!.name
        } as it was at ${at} (a new volume)`,
      );
      await run("snapshots", "--volume-id", dbData1!.id, "--policy", "daily");
      await run(
        "restore",
        "--volume-id",
        dbData1!.id,
        "--at",
        at.toString(),
        "--name",
        `${dbData1!.name}-restored`,
      );
      restoredFrom = at.toString();
    }
    for (const { summary: s, observation } of reports) {
      if (observation) lastView = observation;
      if (heldSnapshot) {
        for (const w of s.warnings) {
          if (w.code === "hold_expired" && w.snapshotId === heldSnapshot.id) {
            holdEvents.lapsedReported.push(s.finishedAt);
          }
        }
        const gone = s.actions.find((a) =>
          a.kind === "expire" && a.status === "done" && a.snapshotId === heldSnapshot.id
        );
        if (gone) holdEvents.deletedAt = s.finishedAt;
      }
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
  printTimeline(ctx, emulator, simStart, days, events, lastView);
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

  if (heldSnapshot) {
    const expiry = heldSnapshot.metadata[SNAPSHOT_KEYS.expiryDate];
    ctx.out(
      `The held snapshot ${heldSnapshot.id} of ${
        dbData1!.name
      } (expiry ${expiry}) was kept until ` +
        `its hold ended at ${holdUntil}; ${
          holdEvents.lapsedReported.length === 1
            ? `the expire run at ${holdEvents.lapsedReported[0]} reported that once`
            : `the end of the hold was reported ${holdEvents.lapsedReported.length} times`
        }${holdEvents.deletedAt ? ` and deleted it at ${holdEvents.deletedAt}` : ""}.`,
    );
  }
  if (restoredFrom) {
    const restored = emulator.volumes(emulator.seed.demoProjectId).find((v) =>
      v.name === `${dbData1!.name}-restored`
    );
    ctx.out(
      `The volume restored on the way, ${restored?.name ?? "(missing!)"}, is ${
        restored?.status ?? "gone"
      }: the newest daily snapshot of ${
        dbData1!.name
      } at ${restoredFrom}, and no policy of its own.`,
    );
  }

  heading("Status after the simulation");
  await ctx.runCli(["--cloud", "emulator", "--log-level", "error", "status"], {
    ...inner,
    writeOut: ctx.deps.writeOut,
  });
  await run("status", "--unprotected");

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
    { engine, clock, logger: nullLogger, stuckAfterMs: engine.config.stuckAfterMs },
  );
  clock.autoAdvance = true;
  await waitUntil(
    clock,
    () => daemon.scheduler.status().every((j) => j.lastRun !== null && !j.running),
  );
  const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
  const shown = metrics.split("\n").filter((l) =>
    /^snapsentry_(runs_total|snapshots_created_total|api_requests_total\{method="GET")/.test(
      l,
    ) ||
    /^snapsentry_newest_snapshot_timestamp_seconds\{/.test(l)
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
}

/**
 * Waits on the demo's clock until `cond` holds (the demo's daemon answers on a real socket; its
 * clock moves by itself while the process is idle).
 */
async function waitUntil(clock: Clock, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = clock.now().add({ milliseconds: timeoutMs });
  while (!cond()) {
    if (Temporal.Instant.compare(clock.now(), until) > 0) {
      throw new Error("The demo daemon did not finish its start-up runs");
    }
    await clock.sleep(20);
  }
}
