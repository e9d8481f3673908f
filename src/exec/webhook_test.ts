import assert from "node:assert/strict";
import { ManualClock } from "../clock.ts";
import { MemoryLogger } from "../log.ts";
import { clearSecretsForTesting } from "../redact.ts";
import type { RunSummary } from "./types.ts";
import { notifyRun, webhookPayloads } from "./webhook.ts";

function run(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    job: "create",
    runId: "req-1",
    startedAt: "2026-01-01T00:00:00Z",
    finishedAt: "2026-01-01T00:01:00Z",
    durationMs: 60000,
    result: "partial",
    dryRun: false,
    counts: {
      created: 1,
      adopted: 0,
      skipped: 0,
      failed: 1,
      deleted: 0,
      kept: 0,
      zombiesCleaned: 0,
      invalidPolicies: 0,
      notDone: 0,
      superseded: 0,
    },
    apiCalls: {},
    apiCallsTotal: 4,
    actions: [
      {
        kind: "create",
        status: "failed",
        volumeId: "vol-1",
        serverId: "srv-1",
        policy: "daily",
        windowStart: "2026-01-01T00:00:00Z",
        windowEnd: "2026-01-02T00:00:00Z",
        reason: "window due",
        error: "quota exceeded",
      },
      { kind: "create", status: "done", volumeId: "vol-2", reason: "window due" },
    ],
    ...overrides,
  };
}

Deno.test("webhookPayloads() keeps the Go creation-failure keys and adds ours", () => {
  const [p, ...rest] = webhookPayloads(run(), { on: "failure" });
  assert.equal(rest.length, 0);
  assert.ok(p);
  for (
    const k of [
      "service",
      "virtual_machine_name",
      "virtual_machine_id",
      "volume_id",
      "snapshot_id",
      "message",
      "snapshot_window",
    ]
  ) {
    assert.ok(k in p, `Go key ${k}`);
  }
  assert.equal(p.service, "snapsentry");
  assert.equal(p.event, "snapshot_creation_failed");
  assert.equal(p.virtual_machine_id, "srv-1");
  assert.deepEqual(Object.keys(p.snapshot_window as object), [
    "StartTime",
    "EndTime",
    "ValidatedTime",
  ]);
  assert.match(String(p.message), /quota exceeded/);
});

Deno.test("webhookPayloads() adds a run summary with on=always, not with on=failure", () => {
  assert.equal(webhookPayloads(run(), { on: "always" }).at(-1)?.event, "run_summary");
  const ok = run({ result: "ok", actions: [] });
  assert.equal(webhookPayloads(ok, { on: "failure" }).length, 0);
  assert.equal(webhookPayloads(ok, { on: "always" }).length, 1);
});

Deno.test("notifyRun() retries 3 times with backoff, sends basic auth, never logs the password", async () => {
  clearSecretsForTesting();
  const clock = new ManualClock("2026-01-01T00:00:00Z", { autoAdvance: true });
  const logger = new MemoryLogger();
  const seen: { auth: string | null; body: unknown }[] = [];
  let calls = 0;
  const fakeFetch = ((_url: string | URL | Request, init?: RequestInit) => {
    calls++;
    const headers = new Headers(init?.headers);
    seen.push({ auth: headers.get("authorization"), body: JSON.parse(String(init?.body)) });
    return Promise.resolve(new Response("", { status: calls < 3 ? 503 : 200 }));
  }) as typeof fetch;
  const start = clock.now();
  const r = await notifyRun(run(), {
    url: "https://hooks.example/x",
    username: "alert",
    password: "hunter2-secret",
    on: "failure",
  }, { fetch: fakeFetch, clock, logger });
  assert.deepEqual(r, { sent: 1, failed: 0 });
  assert.equal(calls, 3);
  assert.equal(seen[0]?.auth, "Basic " + btoa("alert:hunter2-secret"));
  // 1 s then 2 s of backoff on the clock.
  assert.equal(clock.now().since(start).total("milliseconds"), 3000);
  assert.ok(!JSON.stringify(logger.entries).includes("hunter2-secret"));
});

Deno.test("notifyRun() gives up after 1 + 3 attempts and reports the failure", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z", { autoAdvance: true });
  const logger = new MemoryLogger();
  let calls = 0;
  const failing = (() => {
    calls++;
    return Promise.reject(new TypeError("connection refused"));
  }) as typeof fetch;
  const r = await notifyRun(run(), { url: "https://hooks.example/x", on: "failure" }, {
    fetch: failing,
    clock,
    logger,
  });
  assert.deepEqual(r, { sent: 0, failed: 1 });
  assert.equal(calls, 4);
  assert.equal(logger.events("webhook_gave_up").length, 1);
});

Deno.test("webhookPayloads() reports an invalid policy as a creation failure, not an expiry one", () => {
  const [p] = webhookPayloads(
    run({
      actions: [{
        kind: "invalid",
        status: "failed",
        volumeId: "vol-3",
        policy: "daily",
        reason:
          'Cannot parse x-snapsentry-daily-start-time "25:00" on volume vol-3: expected HH:MM',
      }],
    }),
    { on: "failure" },
  );
  assert.ok(p);
  assert.equal(p.event, "snapshot_creation_failed");
  assert.equal(p.volume_id, "vol-3");
  assert.match(
    String(p.message),
    /^Snapsentry Snapshot has failed due to Cannot parse x-snapsentry/,
  );
});
