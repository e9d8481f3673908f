import assert from "node:assert/strict";
import { ManualClock } from "../clock.ts";
import { MemoryLogger } from "../log.ts";
import { clearSecretsForTesting } from "../redact.ts";
import type { RunSummary } from "./types.ts";
import { AlertQueue } from "./alerts.ts";
import { deliver, webhookPayloads, withoutWebhookPath } from "./webhook.ts";

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
    warnings: [],
    ...overrides,
  };
}

Deno.test("webhookPayloads() keeps the Go creation-failure keys and adds ours", () => {
  const [p, ...rest] = webhookPayloads(run(), { on: "failure", format: "go" });
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
  assert.equal(
    webhookPayloads(run(), { on: "always", format: "go" }).at(-1)?.event,
    "run_summary",
  );
  const ok = run({ result: "ok", actions: [] });
  assert.equal(webhookPayloads(ok, { on: "failure", format: "go" }).length, 0);
  assert.equal(webhookPayloads(ok, { on: "failure" }).length, 0);
  assert.equal(webhookPayloads(ok, { on: "always" })[0]?.event, "run_report");
});

Deno.test("webhookPayloads() batches a run's failures into one message with Go's payloads", () => {
  const failures = Array.from({ length: 25 }, (_, i) => ({
    kind: "expire" as const,
    status: "failed" as const,
    volumeId: `vol-${i}`,
    policy: "daily",
    snapshotId: `snap-${i}`,
    reason: "Expired",
    error: "refused",
    expiresAt: "2026-01-03T08:30:00Z",
    retentionDays: 2,
  }));
  const messages = webhookPayloads(run({ actions: failures }), { on: "failure" });
  assert.equal(messages.length, 1, "one message per run");
  const [m] = messages;
  assert.equal(m!.event, "run_report");
  assert.equal((m!.failures as unknown[]).length, 20, "at most maxFailureMessages entries");
  assert.equal(m!.unsent_failure_messages, 5);
  const first = (m!.failures as Record<string, unknown>[])[0]!;
  assert.equal(first.event, "snapshot_expiry_failed");
  assert.deepEqual(first.snapshot_metadata, {
    "x-snapsentry-managed": true,
    "x-snapsentry-snapshot-expiry-date": "2026-01-03T08:30:00Z",
    "x-snapsentry-snapshot-policy-type": "daily",
    "x-snapsentry-snapshot-retention-days": 2,
  }, "Go's four snapshot keys, with Go's JSON types");
});

Deno.test("deliver() retries 3 times with backoff, sends basic auth, never logs the password", async () => {
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
  const [payload] = webhookPayloads(run(), { on: "failure" });
  const r = await deliver(payload!, {
    url: "https://hooks.example/x",
    username: "alert",
    password: "hunter2-secret",
    on: "failure",
  }, { fetch: fakeFetch, clock, logger });
  assert.equal(r, true);
  assert.equal(calls, 3);
  assert.equal(seen[0]?.auth, "Basic " + btoa("alert:hunter2-secret"));
  // 1 s then 2 s of backoff on the clock.
  assert.equal(clock.now().since(start).total("milliseconds"), 3000);
  assert.ok(!JSON.stringify(logger.entries).includes("hunter2-secret"));
});

Deno.test("deliver() gives up after 1 + 3 attempts and reports the failure", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z", { autoAdvance: true });
  const logger = new MemoryLogger();
  let calls = 0;
  const failing = (() => {
    calls++;
    return Promise.reject(new TypeError("connection refused"));
  }) as typeof fetch;
  const [payload] = webhookPayloads(run(), { on: "failure" });
  const r = await deliver(payload!, { url: "https://hooks.example/x", on: "failure" }, {
    fetch: failing,
    clock,
    logger,
  });
  assert.equal(r, false);
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
    { on: "failure", format: "go" },
  );
  assert.ok(p);
  assert.equal(p.event, "snapshot_creation_failed");
  assert.equal(p.volume_id, "vol-3");
  assert.match(
    String(p.message),
    /^Snapsentry Snapshot has failed due to Cannot parse x-snapsentry/,
  );
});

Deno.test("AlertQueue: a receiver that never answers never holds the caller; drain is bounded", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z", { autoAdvance: true });
  const logger = new MemoryLogger();
  let calls = 0;
  const hang = ((_u: unknown, init?: RequestInit) => {
    calls++;
    return new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener(
        "abort",
        () => reject(new DOMException("aborted", "AbortError")),
      );
    });
  }) as typeof fetch;
  const queue = new AlertQueue({
    config: { url: "https://hooks.example/x", on: "failure", timeoutMs: 30_000 },
    fetch: hang,
    clock,
    logger,
  });
  const start = clock.now();
  queue.enqueue(run());
  queue.enqueue(run({ runId: "req-2" }));
  assert.equal(queue.state().queued, 1, "one is being delivered, one waits");
  assert.equal(clock.now().epochMilliseconds, start.epochMilliseconds, "enqueue returns at once");
  const emptied = await queue.drain(10_000);
  assert.equal(emptied, false);
  assert.ok(clock.now().since(start).total("milliseconds") <= 10_000 + 1);
  const st = queue.state();
  assert.equal(st.abandoned, 2, "the one in flight and the one waiting");
  assert.equal(st.sent + st.failed, 0);
  assert.equal(calls, 1);
  assert.equal(logger.events("webhook_abandoned").length, 1);
});

Deno.test("AlertQueue: delivers in order, counts, drops the oldest when full", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z", { autoAdvance: true });
  const seen: string[] = [];
  const ok = ((_u: unknown, init?: RequestInit) => {
    seen.push(String(JSON.parse(String(init?.body)).run_id));
    return Promise.resolve(new Response("", { status: 200 }));
  }) as typeof fetch;
  const queue = new AlertQueue({
    config: { url: "https://hooks.example/x", on: "failure" },
    fetch: ok,
    clock,
    logger: new MemoryLogger(),
    maxQueued: 2,
  });
  for (const id of ["a", "b", "c", "d"]) queue.enqueue(run({ runId: id }));
  assert.equal(await queue.drain(60_000), true);
  assert.deepEqual(seen, ["a", "c", "d"], "b was dropped: the queue held 2 behind the one sent");
  const st = queue.state();
  assert.deepEqual([st.sent, st.dropped, st.queued, st.delivering], [3, 1, 0, false]);
});

Deno.test("a failed delivery logs why, and never the webhook URL's path or query", async () => {
  // A port nobody listens on: Deno's real fetch error, which quotes the URL it tried.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const url = `http://127.0.0.1:${port}/services/T0/B0/tok3n-in-path?sig=s1gn4ture`;
  const clock = new ManualClock("2026-01-01T00:00:00Z", { autoAdvance: true });
  const logger = new MemoryLogger();
  const [payload] = webhookPayloads(run(), { on: "failure" });
  const r = await deliver(payload!, { url, on: "failure", retries: 0 }, {
    fetch,
    clock,
    logger,
  });
  assert.equal(r, false);
  const logged = JSON.stringify(logger.entries);
  for (const secret of ["tok3n-in-path", "s1gn4ture", "/services/"]) {
    assert.equal(logged.includes(secret), false, `${secret} in ${logged}`);
  }
  const failed = logger.events("webhook_failed")[0]!;
  // Deno's cause quotes the URL; the log keeps its scheme and host, and says why.
  assert.match(String(failed.error), new RegExp(`http://127\\.0\\.0\\.1:${port}/…`));
  assert.match(String(failed.error), /Connection refused/i);
  assert.equal(withoutWebhookPath("x", "not a url"), "x");
});
