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

Deno.test("a daemon whose cloud password is wrong answers /readyz 503 with auth_error", async () => {
  const clock = new ManualClock("2026-01-15T12:03:00Z", { autoAdvance: true });
  const emulator = createEmulator({ clock });
  const configs = emulator.cloudConfigs();
  const wrong = {
    ...configs.emulator!,
    auth: { ...configs.emulator!.auth, password: "not-the-password" },
  };
  const yaml = yamlStringify({ clouds: { wrong } });
  const logger = new MemoryLogger();
  const cloud = await openCloud({
    cloudName: "wrong",
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
