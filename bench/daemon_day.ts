/**
 * A day of the daemon with its default schedules (create every 10 min, expire every 6 h, a probe
 * every 30 s, the unprotected listing hourly) on the emulated cloud with 10,000 subscribed
 * volumes, run on a simulated clock: the production wiring (`startDaemon`, the real engine, the
 * real HTTP client) against the in-process emulator, with time jumping ahead whenever the process
 * is idle. Prints API calls per day by kind and CPU seconds per day.
 *
 * The CPU figure is the whole process's (`process.cpuUsage`): the daemon and the emulated cloud
 * it talks to share it, so it is an upper bound of the daemon's own CPU.
 *
 *   deno run --allow-all bench/daemon_day.ts [--volumes 10000] [--no-scrapes] [--json]
 */
import process from "node:process";
import { stringify as yamlStringify } from "yaml";
import { ManualClock } from "../src/clock.ts";
import { seedEmulatorSample } from "../src/cli/emulator_sample.ts";
import { resolveDaemonOptions, startDaemon } from "../src/daemon/mod.ts";
import { createEmulator } from "../src/emulator/mod.ts";
import { createEngine } from "../src/exec/mod.ts";
import { nullLogger } from "../src/log.ts";
import { openCloud } from "../src/openstack/mod.ts";

const args = Deno.args;
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const VOLUMES = Number(flag("--volumes") ?? 10_000);
if (!Number.isInteger(VOLUMES) || VOLUMES < 20) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `Cannot use --volumes "${flag("--volumes")}": expected a whole number, at least 20\n`,
    ),
  );
  Deno.exit(2);
}
const JSON_OUT = args.includes("--json");
const SCRAPES = !args.includes("--no-scrapes");
const DAY_MS = 86_400_000;

function print(line = "") {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

// The day starts at 06:30 UTC on a fixed date, in the steady state of a daily policy with 2 days'
// retention: today's and yesterday's snapshots exist (the one before went at 06:00). During the
// day, one window (the next midnight) is taken, and the 06:00 expire run deletes yesterday's
// (expired a minute after the midnight create run): one create and one delete per volume.
const start = Date.UTC(2026, 5, 10, 6, 30);
const clock = new ManualClock(Temporal.Instant.fromEpochMilliseconds(start), { autoAdvance: true });
const emulator = createEmulator({ clock, snapshotDelayMs: 1000, deleteDelayMs: 1000 });
const servers = Math.round(VOLUMES * 0.3);
const shared = Math.round(VOLUMES * 0.05);
// Every volume on the daily defaults (00:00 UTC, 2 days' retention), with the snapshots of
// today's and yesterday's windows, as snapsentry itself would have left them.
const seeded = seedEmulatorSample(emulator, {
  servers,
  volumesPerServer: 2,
  shared,
  unattached: VOLUMES - 2 * servers - shared,
  policy: "daily",
  snapshotsPerVolume: 2,
  windowsBack: 0,
});

const yaml = yamlStringify({ clouds: emulator.cloudConfigs() });
const cloud = await openCloud({
  cloudName: "emulator",
  env: { OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml" },
  readTextFile: () => Promise.resolve(yaml),
  fetch: emulator.fetch,
  clock,
  logger: nullLogger,
  cwd: "/virtual",
  homeDir: "/virtual",
});
const engine = createEngine({ cloud, clock, logger: nullLogger });
const options = resolveDaemonOptions({ hostTimezone: "UTC" });

const runs = { create: 0, expire: 0 };
const served = { "/metrics": { n: 0, ms: 0 }, "/": { n: 0, ms: 0 } };
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const daemon = startDaemon(options, {
  engine: {
    run: (job, o) => {
      runs[job]++;
      return engine.run(job, o);
    },
    observe: () => engine.observe(),
    probe: () => engine.probe(),
    requestStats: () => engine.requestStats(),
    unprotected: () => engine.unprotected(),
  },
  clock,
  logger: nullLogger,
  serve: (bind) => ({ addr: bind, shutdown: () => Promise.resolve() }),
});
const end = start + DAY_MS;
// Scrapes and page views during the day (one per minute each): served from the history.
while (clock.now().epochMilliseconds < end) {
  await clock.sleep(60_000);
  if (!SCRAPES) continue;
  for (const path of ["/metrics", "/"] as const) {
    const t0 = performance.now();
    await (await daemon.fetch(new Request(`http://daemon${path}`))).text();
    served[path].ms += performance.now() - t0;
    served[path].n++;
  }
}
await daemon.stop("bench");
const cpu = process.cpuUsage(cpu0);
const wall = (performance.now() - wall0) / 1000;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const stats = cloud.stats();
const total = Object.values(stats.byKind).reduce((a, b) => a + b, 0);

if (JSON_OUT) {
  print(JSON.stringify({
    goal: "5",
    name: `daemon day API calls (${VOLUMES} volumes)`,
    figure: total,
    unit: "calls/day",
    bound: null,
    ratio: null,
  }));
  print(JSON.stringify({
    goal: "5",
    name: `daemon day CPU, tool + emulator (${VOLUMES} volumes)`,
    figure: Number(cpuSeconds.toFixed(1)),
    unit: "s/day",
    bound: null,
    ratio: null,
  }));
} else {
  print(
    `# a simulated day of the daemon (default schedules) on the emulated cloud: ${seeded.volumes} ` +
      `volumes, ${seeded.snapshots} snapshots at the start`,
  );
  print(`runs: ${runs.create} create, ${runs.expire} expire`);
  print(`API calls per day: ${total}`);
  for (const [k, v] of Object.entries(stats.byKind).sort()) print(`  ${k.padEnd(24)} ${v}`);
  print(
    `CPU per day: ${cpuSeconds.toFixed(1)} s (tool + in-process emulator); wall ${
      wall.toFixed(1)
    } s`,
  );
}
