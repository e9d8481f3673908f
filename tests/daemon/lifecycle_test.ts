/** startDaemon in-process: a real socket on 127.0.0.1:0, signals, shutdown, probes, busy port. */
import assert from "node:assert/strict";
import { ManualClock } from "../../src/clock.ts";
import {
  type DaemonHandle,
  type DaemonOptionsInput,
  resolveDaemonOptions,
  type ShutdownSignal,
  startDaemon,
} from "../../src/daemon/mod.ts";
import { SnapsentryError, TransportError, UsageError } from "../../src/errors.ts";
import { AlertQueue, type RunSummary } from "../../src/exec/mod.ts";
import { MemoryLogger } from "../../src/log.ts";
import { FakeEngine, settle, ZERO_COUNTS } from "./fake_engine.ts";
import { validateExposition } from "./prom_validator.ts";

function start(
  input: DaemonOptionsInput = {},
  extra: { alerts?: AlertQueue; alertWaitMs?: number; clock?: ManualClock } = {},
) {
  const clock = extra.clock ?? new ManualClock("2026-01-15T12:03:00Z");
  const engine = new FakeEngine(clock);
  const logger = new MemoryLogger();
  let handler: ((s: ShutdownSignal) => void) | undefined;
  let unsubscribed = false;
  const options = resolveDaemonOptions({ bindAddress: "127.0.0.1:0", ...input }, clock.now());
  const handle: DaemonHandle = startDaemon(options, {
    engine,
    clock,
    logger,
    ...(extra.alerts ? { alerts: extra.alerts } : {}),
    ...(extra.alertWaitMs !== undefined ? { alertWaitMs: extra.alertWaitMs } : {}),
    onSignal: (h) => {
      handler = h;
      return () => (unsubscribed = true);
    },
  });
  return {
    clock,
    engine,
    logger,
    handle,
    signal: (s: ShutdownSignal) => handler!(s),
    get unsubscribed() {
      return unsubscribed;
    },
  };
}

Deno.test("daemon serves health, readiness, status and metrics over a real socket", async () => {
  const d = start();
  try {
    assert.equal(d.handle.address.hostname, "127.0.0.1");
    assert.ok(d.handle.address.port > 0, "port 0 resolved to an ephemeral port");
    await settle();
    const get = async (path: string) => {
      const r = await fetch(`${d.handle.url}${path}`);
      return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
    };
    assert.equal((await get("/healthz")).status, 200);
    const ready = await get("/readyz");
    assert.equal(ready.status, 200, "the start-up probe succeeded");
    const status = JSON.parse((await get("/status")).text);
    assert.deepEqual(status.jobs.map((j: { job: string }) => j.job), ["create", "expire"]);
    const metrics = await get("/metrics");
    assert.equal(metrics.type, "text/plain; version=0.0.4; charset=utf-8");
    validateExposition(metrics.text);
    assert.match(metrics.text, /^snapsentry_ready 1$/m);
    const page = await get("/");
    assert.match(page.type ?? "", /text\/html/);
    assert.match(page.text, /snapsentry daemon/);
    assert.equal((await get("/nope")).status, 404);
  } finally {
    d.signal("SIGTERM");
    assert.equal(await d.handle.done, 0);
  }
  assert.equal(d.unsubscribed, true, "signal handlers are removed on exit");
});

Deno.test("SIGTERM during a run: scheduling stops, the run finishes, then exit 0", async () => {
  const d = start({ shutdownTimeoutSeconds: 3600 });
  d.engine.hold("create");
  d.clock.set("2026-01-15T12:10:00Z");
  await settle();
  assert.equal(d.engine.inFlight.create, 1);
  d.signal("SIGTERM");
  await settle();
  // Health says stopping; the server still answers while the run drains.
  const r = await d.handle.fetch(new Request("http://x/healthz"));
  assert.equal(r.status, 503);
  d.clock.set("2026-01-15T12:30:00Z"); // ticks after the signal start nothing
  await settle();
  assert.equal(d.engine.calls.create, 1);
  let resolved = false;
  d.handle.done.then(() => (resolved = true));
  await settle();
  assert.equal(resolved, false, "waits for the run in flight");
  d.engine.release("create");
  assert.equal(await d.handle.done, 0);
  assert.equal(d.engine.completed.create, 1, "the run completed");
  assert.equal(d.engine.aborted.create, 0);
  assert.deepEqual(
    d.logger.entries.filter((e) => e.event.startsWith("shutdown_")).map((e) => e.event),
    ["shutdown_started", "shutdown_complete"],
  );
});

Deno.test("the daemon observes once at start, then takes each run's view: no second listing", async () => {
  const d = start();
  try {
    await settle();
    assert.equal(d.engine.observeCalls, 1, "the first probe fills the history");
    assert.equal(d.handle.history.observedAt()?.toString(), "2026-01-15T12:03:00Z");
    d.clock.set("2026-01-15T12:10:00Z");
    await settle();
    assert.equal(d.engine.observeCalls, 1, "a run's own view needs no listing");
    assert.equal(d.handle.history.observedAt()?.toString(), "2026-01-15T12:10:00Z");
    d.engine.runError.create = new TransportError("down", { method: "GET", url: "x" });
    d.clock.set("2026-01-15T12:20:00Z");
    await settle();
    assert.equal(d.engine.observeCalls, 1, "nor after a failed run");
  } finally {
    d.signal("SIGTERM");
    await d.handle.done;
  }
});

Deno.test("shutdown timeout cancels the run in flight and exits 1", async () => {
  const d = start({ shutdownTimeoutSeconds: 60 });
  d.engine.hold("expire");
  d.handle.scheduler.trigger("expire", "manual");
  await settle();
  d.signal("SIGINT");
  await settle();
  d.clock.advance({ seconds: 59 });
  await settle();
  assert.equal(d.engine.aborted.expire, 0);
  d.clock.advance({ seconds: 1 });
  assert.equal(await d.handle.done, 1);
  assert.equal(d.engine.aborted.expire, 1);
  assert.equal(d.logger.events("shutdown_timeout").length, 1);
});

Deno.test("a probe that never answers does not hold shutdown past the timeout", async () => {
  const d = start({ shutdownTimeoutSeconds: 60 });
  await settle();
  d.engine.probeHangs = true;
  d.clock.advance({ seconds: 30 }); // the next probe starts and hangs
  await settle();
  assert.equal(d.engine.calls.probe, 2);
  d.signal("SIGTERM");
  await settle();
  let resolved = false;
  d.handle.done.then(() => (resolved = true));
  d.clock.advance({ seconds: 60 });
  await settle();
  assert.equal(resolved, true, "shutdown finished within --shutdown-timeout");
  assert.equal(await d.handle.done, 0, "no run was cut short");
});

Deno.test("a second signal exits at once with 128+signal", async () => {
  const d = start();
  d.engine.hold("create");
  d.handle.scheduler.trigger("create", "manual");
  await settle();
  d.signal("SIGTERM");
  d.signal("SIGTERM");
  assert.equal(await d.handle.done, 143);
  assert.equal(d.logger.events("shutdown_forced").length, 1);
  const again = start();
  again.signal("SIGINT");
  again.signal("SIGINT");
  assert.equal(await again.handle.done, 130);
});

Deno.test("a cloud that is down makes runs fail and readiness false; the daemon recovers", async () => {
  const d = start();
  try {
    const down = new TransportError("Cannot reach Keystone: connection refused", {
      method: "POST",
      url: "http://127.0.0.1:1/v3/auth/tokens",
    });
    d.engine.probeError = down;
    d.engine.runError.create = down;
    d.clock.set("2026-01-15T12:10:00Z"); // a run fails
    await settle();
    const ready = await d.handle.fetch(new Request("http://x/readyz"));
    assert.equal(ready.status, 503);
    const body = await ready.json();
    assert.equal(body.reason, "cloud_check_failed");
    assert.equal(body.error_code, "transport_error");
    assert.equal(d.handle.scheduler.status()[0]!.lastRun?.result, "failed");
    assert.equal((await d.handle.fetch(new Request("http://x/healthz"))).status, 200);

    d.clock.advance({ seconds: 30 }); // a probe also fails; logged once at warn
    await settle();
    d.clock.advance({ seconds: 30 });
    await settle();
    assert.equal(
      d.logger.events("cloud_probe_failed").filter((e) => e.level === "warn").length,
      1,
    );

    // The cloud comes back: the next probe (every 30 s on the clock) makes the daemon ready.
    d.engine.probeError = null;
    delete d.engine.runError.create;
    d.clock.advance({ seconds: 30 });
    await settle();
    assert.equal((await d.handle.fetch(new Request("http://x/readyz"))).status, 200);
    assert.equal(d.logger.events("cloud_recovered").length, 1);
    d.clock.set("2026-01-15T12:20:00Z");
    await settle();
    assert.equal(d.handle.scheduler.status()[0]!.lastRun?.result, "ok");
  } finally {
    d.signal("SIGTERM");
    await d.handle.done;
  }
});

Deno.test("a port in use fails with a clear message before anything runs", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (blocker.addr as Deno.NetAddr).port;
  try {
    const clock = new ManualClock("2026-01-15T12:03:00Z");
    const engine = new FakeEngine(clock);
    const options = resolveDaemonOptions({ bindAddress: `127.0.0.1:${port}`, runAtStart: true });
    assert.throws(
      () => startDaemon(options, { engine, clock, logger: new MemoryLogger() }),
      (e: unknown) => {
        assert.ok(e instanceof SnapsentryError);
        assert.equal(
          e.message,
          `Cannot listen on 127.0.0.1:${port}: address already in use; pass --bind-address HOST:PORT`,
        );
        return true;
      },
    );
    await settle();
    assert.equal(engine.calls.create + engine.calls.expire + engine.calls.probe, 0);
  } finally {
    blocker.close();
  }
});

Deno.test("resolveDaemonOptions() validates every option up front", async (t) => {
  const bad: [string, DaemonOptionsInput, RegExp][] = [
    [
      "cron",
      { createSchedule: "*/61 * * * *" },
      /^Cannot parse --create-schedule "\*\/61 \* \* \* \*": /,
    ],
    ["expire cron", { expireSchedule: "nope" }, /^Cannot parse --expire-schedule "nope": /],
    [
      "zone",
      { scheduleTimezone: "Mars/Olympus" },
      /^Cannot use --schedule-timezone "Mars\/Olympus"/,
    ],
    [
      "bind",
      { bindAddress: "localhost" },
      /^Cannot use --bind-address "localhost": expected HOST:PORT/,
    ],
    ["port", { bindAddress: "127.0.0.1:70000" }, /between 0 and 65535/],
    ["timeout", { shutdownTimeoutSeconds: -1 }, /--shutdown-timeout/],
    ["short token", { apiToken: "short" }, /SNAPSENTRY_API_TOKEN: it has 5 characters/],
  ];
  for (const [name, input, want] of bad) {
    await t.step(name, () => {
      assert.throws(() => resolveDaemonOptions(input), (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, want);
        return true;
      });
    });
  }
  await t.step("defaults", () => {
    const o = resolveDaemonOptions({});
    assert.deepEqual(o.bind, { hostname: "127.0.0.1", port: 8080 });
    assert.equal(o.schedules.create.expression, "*/10 * * * *");
    assert.equal(o.schedules.expire.expression, "0 */6 * * *");
    assert.equal(o.shutdownTimeoutSeconds, 60);
    assert.equal(o.metricsPerVolume, true);
    assert.equal(o.runAtStart, false);
    assert.equal(o.apiToken, undefined);
  });
  await t.step("bind forms", () => {
    assert.deepEqual(resolveDaemonOptions({ bindAddress: ":9090" }).bind, {
      hostname: "0.0.0.0",
      port: 9090,
    });
    assert.deepEqual(resolveDaemonOptions({ bindAddress: "[::1]:8080" }).bind, {
      hostname: "::1",
      port: 8080,
    });
  });
});

Deno.test("SIGTERM while an alert is being delivered exits 0 after the bounded wait", async () => {
  const clock = new ManualClock("2026-01-15T12:03:00Z");
  let attempts = 0;
  const hang = ((_u: unknown, init?: RequestInit) => {
    attempts++;
    return new Promise<Response>((_, reject) =>
      init?.signal?.addEventListener("abort", () => reject(new DOMException("x", "AbortError")))
    );
  }) as typeof fetch;
  const alerts = new AlertQueue({
    config: { url: "https://hooks.example/x", on: "failure" },
    fetch: hang,
    clock,
    logger: new MemoryLogger(),
  });
  const d = start({ shutdownTimeoutSeconds: 60 }, { alerts, alertWaitMs: 5_000, clock });
  await settle();
  const failed: RunSummary = {
    job: "create",
    runId: "req-x",
    startedAt: "2026-01-15T12:03:00Z",
    finishedAt: "2026-01-15T12:03:00Z",
    durationMs: 0,
    result: "partial",
    dryRun: false,
    counts: { ...ZERO_COUNTS, failed: 1 },
    apiCalls: {},
    apiCallsTotal: 0,
    actions: [{ kind: "create", status: "failed", volumeId: "v", reason: "r", error: "e" }],
    warnings: [],
  };
  alerts.enqueue(failed);
  await settle();
  const status = await (await d.handle.fetch(new Request("http://x/status"))).json();
  assert.equal(status.alerts.delivering, true, "/status shows the delivery in progress");
  d.signal("SIGTERM");
  await settle();
  let code: number | undefined;
  d.handle.done.then((c) => (code = c));
  clock.advance({ seconds: 4 });
  await settle();
  assert.equal(code, undefined, "still within the bounded wait");
  clock.advance({ seconds: 2 });
  await settle();
  assert.equal(code, 0);
  assert.equal(alerts.state().abandoned, 1);
  assert.equal(attempts, 1);
});

Deno.test("a trigger token on a non-loopback address is warned about at start", async () => {
  for (const [bindAddress, warned] of [["0.0.0.0:0", true], ["127.0.0.1:0", false]] as const) {
    const d = start({ bindAddress, apiToken: "0123456789abcdef0123" });
    try {
      await settle();
      const w = d.logger.events("trigger_token_without_tls");
      assert.equal(w.length, warned ? 1 : 0, bindAddress);
      if (warned) assert.match(String(w[0]!.hint), /TLS-terminating proxy/);
      assert.equal(JSON.stringify(d.logger.entries).includes("0123456789abcdef0123"), false);
    } finally {
      d.signal("SIGTERM");
      assert.equal(await d.handle.done, 0);
    }
  }
  // No token, no warning: the endpoint then has no route that changes anything.
  const d = start({ bindAddress: "0.0.0.0:0" });
  try {
    await settle();
    assert.equal(d.logger.events("trigger_token_without_tls").length, 0);
  } finally {
    d.signal("SIGTERM");
    await d.handle.done;
  }
});
