/**
 * The daemon's assembly around the real engine on the emulated cloud: what a wrong password looks
 * like from the outside (readiness, status and metrics carry the auth error's code).
 */
import assert from "node:assert/strict";
import { stringify as yamlStringify } from "yaml";
import { ManualClock } from "../../src/clock.ts";
import { assembleDaemon, resolveDaemonOptions } from "../../src/daemon/mod.ts";
import { createEmulator } from "../../src/emulator/mod.ts";
import { createEngine } from "../../src/exec/mod.ts";
import { MemoryLogger } from "../../src/log.ts";
import { openCloud } from "../../src/openstack/mod.ts";
import { validateExposition } from "./prom_validator.ts";

/** The production daemon assembly on the real engine, on `clouds` (emulator configs) as `name`. */
async function daemonOn(
  emulator: ReturnType<typeof createEmulator>,
  clock: ManualClock,
  clouds: Record<string, unknown>,
  name: string,
) {
  const yaml = yamlStringify({ clouds });
  const logger = new MemoryLogger();
  const cloud = await openCloud({
    cloudName: name,
    env: { OS_CLIENT_CONFIG_FILE: "/v/clouds.yaml" },
    readTextFile: () => Promise.resolve(yaml),
    fetch: emulator.fetch,
    clock,
    logger,
    cwd: "/v",
    retry: { maxRetries: 0 },
  });
  const engine = createEngine({ cloud, clock, logger });
  const daemon = assembleDaemon(resolveDaemonOptions({}, clock.now()), { engine, clock, logger });
  return { daemon, logger };
}

Deno.test("a daemon whose cloud password is wrong answers /readyz 503 with auth_error", async () => {
  const clock = new ManualClock("2026-01-15T12:03:00Z", { autoAdvance: true });
  const emulator = createEmulator({ clock });
  const configs = emulator.cloudConfigs();
  const wrong = {
    ...configs.emulator!,
    auth: { ...configs.emulator!.auth, password: "not-the-password" },
  };
  const { daemon, logger } = await daemonOn(emulator, clock, { wrong }, "wrong");
  const get = (path: string) => daemon.fetch(new Request(`http://daemon${path}`));

  await daemon.probe();
  const ready = await get("/readyz");
  assert.equal(ready.status, 503);
  const body = await ready.json();
  assert.equal(body.reason, "cloud_check_failed");
  assert.equal(body.error_code, "auth_error");

  const run = daemon.scheduler.trigger("create", "manual");
  assert.ok(run.started);
  const record = await run.done;
  assert.equal(record.result, "failed");
  assert.equal(record.errorCode, "auth_error");
  const status = await (await get("/status")).json();
  assert.equal(status.jobs[0].last_run.error_code, "auth_error");
  assert.equal(status.readiness.error_code, "auth_error");
  const samples = validateExposition(await (await get("/metrics")).text());
  const failures = samples.filter((s) => s.name === "snapsentry_run_failures_total");
  assert.deepEqual(failures.map((s) => [s.labels.run, s.labels.code, s.value]), [
    ["create", "auth_error", 1],
  ]);
  assert.equal(JSON.stringify(logger.entries).includes("not-the-password"), false);
  daemon.scheduler.stop();
  await daemon.scheduler.drain();
});

Deno.test("the daemon exports the quota and its forecast from its probe, and failed actions by code", async () => {
  const clock = new ManualClock("2026-01-15T12:03:00Z", { autoAdvance: true });
  const emulator = createEmulator({ clock });
  const project = emulator.seed.demoProjectId;
  const metadata = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-daily-enabled": "true",
    "x-snapsentry-daily-start-time": "00:00",
    "x-snapsentry-daily-retention-days": "7",
  };
  emulator.addVolume(project, { name: "a", size: 10, metadata });
  emulator.addVolume(project, { name: "b", size: 20, metadata });
  // Room for one snapshot: the second create of the run is refused with Cinder's 413.
  emulator.setQuota(project, { snapshots: 1, gigabytes: 1000 });
  const { daemon } = await daemonOn(emulator, clock, emulator.cloudConfigs(), "emulator");
  const metrics = async () =>
    validateExposition(await (await daemon.fetch(new Request("http://d/metrics"))).text());
  const value = (
    samples: Awaited<ReturnType<typeof metrics>>,
    name: string,
    labels: Record<string, string> = {},
  ) =>
    samples.find((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;

  // Before the first probe nothing is known: no quota series.
  assert.equal(
    value(await metrics(), "snapsentry_quota_limit", { resource: "snapshots" }),
    undefined,
  );
  await daemon.probe(); // reads the quota set and, with no observation yet, observes once
  let samples = await metrics();
  assert.equal(value(samples, "snapsentry_quota_limit", { resource: "snapshots" }), 1);
  assert.equal(value(samples, "snapsentry_quota_in_use", { resource: "snapshots" }), 0);
  // Two daily volumes kept 7 days hold at least 14 snapshots at once: far above the limit.
  const need = value(samples, "snapsentry_quota_forecast", { resource: "snapshots" })!;
  assert.ok(need >= 14, String(need));
  // Gigabytes: the 30 GB of volumes in use plus at least 7 × 30 GB of snapshots.
  assert.ok(value(samples, "snapsentry_quota_forecast", { resource: "gigabytes" })! >= 240);
  assert.ok(value(samples, "snapsentry_next_run_timestamp_seconds", { run: "create" })! > 0);

  const run = daemon.scheduler.trigger("create", "manual");
  assert.ok(run.started);
  assert.equal((await run.done).result, "partial"); // one made, one refused
  samples = await metrics();
  assert.equal(
    value(samples, "snapsentry_action_failures_total", {
      run: "create",
      kind: "create",
      code: "quota_exceeded",
    }),
    1,
  );
  daemon.scheduler.stop();
  await daemon.scheduler.drain();
});

Deno.test("the daemon exports what needs a human: Go-read values, lost expiries, another tool", async () => {
  const clock = new ManualClock("2026-01-15T12:03:00Z", { autoAdvance: true });
  const emulator = createEmulator({ clock });
  const project = emulator.seed.demoProjectId;
  const daily = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-daily-enabled": "true",
    "x-snapsentry-daily-start-time": "00:00",
  };
  const a = emulator.addVolume(project, {
    name: "a",
    metadata: { ...daily, "x-snapsentry-daily-retention-days": "010" }, // Go: octal 8
  });
  emulator.addSnapshot({
    volumeId: a.id,
    createdAt: "2026-01-14T00:00:05Z",
    metadata: {
      "x-snapsentry-managed": "true",
      "x-snapsentry-snapshot-policy-type": "daily",
      "x-snapsentry-snapshot-window-start": "2026-01-14T00:00:00Z",
      "x-snapsentry-snapshot-run-id": "req-1",
      "x-snapsentry-snapshot-expiry-date": "2026-01-22T00:00:00Z",
    },
  });
  emulator.addSnapshot({
    volumeId: a.id,
    createdAt: "2026-01-15T00:00:09Z",
    metadata: { "x-snapsentry-managed": "true", "x-snapsentry-snapshot-policy-type": "daily" },
  });
  const { daemon } = await daemonOn(emulator, clock, emulator.cloudConfigs(), "emulator");
  const scrape = async () =>
    validateExposition(await (await daemon.fetch(new Request("http://d/metrics"))).text());
  const names = (await scrape()).map((s) => s.name);
  assert.equal(names.includes("snapsentry_policy_warnings"), false, "nothing observed yet");
  await daemon.probe();
  const samples = await scrape();
  const value = (name: string) => samples.find((s) => s.name === name)?.value;
  assert.equal(value("snapsentry_policy_warnings"), 1);
  assert.equal(value("snapsentry_snapshots_expiry_unreadable"), 1);
  assert.equal(value("snapsentry_other_manager_snapshots"), 1);
  daemon.scheduler.stop();
  await daemon.scheduler.drain();
});
