/**
 * One-shot engine scenarios on the emulated cloud (not a `Deno.bench`: each scenario is one long
 * run, timed once). 20 ms of real latency per request, 10,000 subscribed volumes (3,000 servers ×
 * 2 volumes, 500 multi-attached, 3,500 unattached) and 30,000 existing managed snapshots. Prints
 * wall time, API calls by kind and peak RSS for: a steady run (nothing due), a run where every
 * policy is due, and an expire run.
 *
 *   deno run --allow-all bench/engine_scenarios.ts [--lane-concurrency N] [--only steady|due|expire]
 */
import { stringify as yamlStringify } from "yaml";
import { systemClock } from "../src/clock.ts";
import { SNAPSHOT_KEYS } from "../src/core/mod.ts";
import { createEmulator, type Emulator } from "../src/emulator/mod.ts";
import { createEngine, type EngineConfig } from "../src/exec/mod.ts";
import type { RunSummary } from "../src/exec/mod.ts";
import { nullLogger } from "../src/log.ts";
import { openCloud } from "../src/openstack/mod.ts";

const LATENCY_MS = 20;
const SCALE = Number(Deno.args[Deno.args.indexOf("--scale") + 1] ?? 1) || 1;
const SERVERS = Math.round(3000 * SCALE);
const SHARED = Math.round(500 * SCALE);
const UNATTACHED = Math.round(3500 * SCALE);
const DAY_MS = 86_400_000;

const args = Deno.args;
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const laneConcurrency = Number(flag("--lane-concurrency") ?? 1);
const only = flag("--only");

function print(line = "") {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

const policy = {
  "x-snapsentry-managed": "true",
  "x-snapsentry-daily-enabled": "true",
  "x-snapsentry-daily-start-time": "00:00",
  "x-snapsentry-daily-timezone": "UTC",
  "x-snapsentry-daily-retention-days": "3",
};

/**
 * A cloud whose every volume has three daily snapshots: for the windows `firstDay`, +1, +2 days
 * (UTC midnight, epoch ms), each expiring three days after its window.
 */
function buildCloud(firstDay: number): { emulator: Emulator; volumes: number; snapshots: number } {
  const emulator = createEmulator({
    clock: systemClock,
    realLatencyMs: LATENCY_MS,
    snapshotDelayMs: 1000,
    deleteDelayMs: 1000,
  });
  const project = emulator.seed.demoProjectId;
  const { volumes } = emulator.seedSample(project, {
    servers: SERVERS,
    volumesPerServer: 2,
    shared: SHARED,
    unattached: UNATTACHED,
    metadata: policy,
  });
  let snapshots = 0;
  for (const v of volumes) {
    for (let d = 0; d < 3; d++) {
      const start = firstDay + d * DAY_MS;
      const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
      emulator.addSnapshot({
        volumeId: v.id,
        createdAt: iso(start + 60_000),
        metadata: {
          [SNAPSHOT_KEYS.managed]: "true",
          [SNAPSHOT_KEYS.policyType]: "daily",
          [SNAPSHOT_KEYS.windowStart]: iso(start),
          [SNAPSHOT_KEYS.expiryDate]: iso(start + 3 * DAY_MS),
          [SNAPSHOT_KEYS.retentionDays]: "3",
        },
      });
      snapshots++;
    }
  }
  return { emulator, volumes: volumes.length, snapshots };
}

async function engineFor(emulator: Emulator, config: Partial<EngineConfig>) {
  const yaml = yamlStringify({ clouds: emulator.cloudConfigs() });
  const cloud = await openCloud({
    cloudName: "emulator",
    env: { OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml" },
    readTextFile: () => Promise.resolve(yaml),
    fetch: emulator.fetch,
    clock: systemClock,
    logger: nullLogger,
    cwd: "/virtual",
    homeDir: "/virtual",
  });
  return createEngine(
    { cloud, clock: systemClock, logger: nullLogger },
    { pollIntervalMs: 2000, laneConcurrency, ...config },
  );
}

async function measure(name: string, run: () => Promise<RunSummary>): Promise<RunSummary> {
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  const summary = await run();
  const wall = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, Deno.memoryUsage().rss);
  print(`## ${name}`);
  print(`wall time: ${(wall / 1000).toFixed(1)} s   peak RSS: ${(peak / 2 ** 20).toFixed(0)} MiB`);
  print(`result: ${summary.result}   counts: ${JSON.stringify(summary.counts)}`);
  print(`API calls: ${summary.apiCallsTotal}`);
  for (const [k, v] of Object.entries(summary.apiCalls).sort()) print(`  ${k.padEnd(24)} ${v}`);
  return summary;
}

const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
print(
  `# engine scenarios: ${LATENCY_MS} ms per request, ${SERVERS} servers × 2 + ${SHARED} ` +
    `multi-attached + ${UNATTACHED} unattached volumes, 3 snapshots each; lane concurrency ` +
    `${laneConcurrency}, concurrency 8, poll 2 s, snapshots available after 1 s`,
);

if (!only || only === "steady") {
  // Windows today, yesterday, the day before: nothing is due.
  const { emulator, volumes, snapshots } = buildCloud(today - 2 * DAY_MS);
  print(`\nseeded ${volumes} volumes, ${snapshots} snapshots`);
  const engine = await engineFor(emulator, {});
  const s = await measure("steady create run (nothing due)", () => engine.create());
  const target = 2 * (Math.ceil(volumes / 1000) + Math.ceil(snapshots / 1000));
  print(
    `target: at most ${target} calls; ${s.apiCallsTotal} made: ${
      s.apiCallsTotal <= target ? "met" : "NOT met"
    }`,
  );
}

if (!only || only === "due") {
  // Windows of the three previous days: every policy is due today.
  const { emulator } = buildCloud(today - 3 * DAY_MS);
  const engine = await engineFor(emulator, {});
  await measure("create run (every policy due)", () => engine.create());
}

if (!only || only === "expire") {
  // Windows 4, 3 and 2 days ago, retention 3 days: the oldest two days are expired.
  const { emulator } = buildCloud(today - 4 * DAY_MS);
  const engine = await engineFor(emulator, {});
  await measure("expire run (20,000 expired)", () => engine.expire());
}
