import assert from "node:assert/strict";
import {
  OpenStackHttpError,
  QuotaExceededError,
  RetryExhaustedError,
  TransportError,
} from "../errors.ts";
import { MemoryLogger } from "../log.ts";
import { FakeCloud, fixture, json, SteppingClock } from "./_testing.ts";
import {
  CinderQuotaExceededError,
  createRateLimiter,
  HttpTransport,
  type HttpTransportOptions,
  requestKind,
  retryAfterMs,
  safeUrl,
} from "./http.ts";

const URL_V = "http://cinder.test:8776/v3/p1/volumes/detail";

function setup(options: Partial<HttpTransportOptions> = {}) {
  const cloud = new FakeCloud();
  const clock = new SteppingClock();
  const logger = new MemoryLogger();
  const transport = new HttpTransport({
    fetch: cloud.fetch,
    clock,
    logger,
    requestId: "req-11111111-2222-3333-4444-555555555555",
    random: () => 1,
    ...options,
  });
  return { cloud, clock, logger, transport };
}

/** Answers the scripted responses in order, then 200 {}. */
function script(cloud: FakeCloud, method: string, path: RegExp, responses: (() => Response)[]) {
  let i = 0;
  cloud.on(method, path, () => (responses[i++] ?? (() => json({ ok: true })))());
}

Deno.test("HttpTransport request ids, logs and stats", async () => {
  const { cloud, transport, logger } = setup();
  cloud.on(
    "GET",
    /volumes\/detail/,
    () => json({ volumes: [] }, 200, { "x-openstack-request-id": "req-srv-1" }),
  );
  cloud.on("POST", /snapshots\/[^/]+\/action/, () => new Response(null, { status: 202 }));
  const r = await transport.request({ method: "GET", url: URL_V, expected: [200] });
  await transport.request({ method: "GET", url: URL_V, expected: [200] });
  await transport.request({
    method: "POST",
    url:
      "http://cinder.test:8776/v3/a6944d763bf64ee6a275f1263fae0352/snapshots/b36476e5-d18b-47f9-ac69-4818cb43ee21/action",
    json: { "os-force_delete": {} },
    expected: [202],
  });
  assert.equal(r.requestId, "req-srv-1");
  assert.deepEqual(cloud.requests.map((q) => q.headers.get("x-openstack-request-id")), [
    "req-11111111-2222-3333-4444-555555555555",
    "req-11111111-2222-3333-4444-555555555555",
    "req-11111111-2222-3333-4444-555555555555",
  ]);
  const logs = logger.events("http_request");
  assert.equal(logs.length, 3);
  assert.equal(logs[0]!.request_id, "req-srv-1");
  assert.equal(logs[0]!.method, "GET");
  assert.equal(logs[0]!.status, 200);
  assert.equal(typeof logs[0]!.duration_ms, "number");
  assert.deepEqual(transport.stats.snapshot(), {
    total: 3,
    byKind: { "GET volumes/detail": 2, "POST snapshots/action": 1 },
    byMethodStatus: { "GET 200": 2, "POST 202": 1 },
  });
});

Deno.test("HttpTransport retries", async (t) => {
  await t.step("honours Retry-After in seconds", async () => {
    const { cloud, clock, transport } = setup();
    script(cloud, "GET", /volumes/, [() => json(null, 503, { "Retry-After": "7" })]);
    await transport.request({ method: "GET", url: URL_V, expected: [200] });
    assert.deepEqual(clock.sleeps, [7000]);
    assert.equal(cloud.requests.length, 2);
  });

  await t.step("honours Retry-After as an HTTP date", async () => {
    const { cloud, clock, transport } = setup();
    const at = new Date(clock.now().epochMilliseconds + 12_000).toUTCString();
    script(cloud, "GET", /volumes/, [() => json(null, 429, { "Retry-After": at })]);
    await transport.request({ method: "GET", url: URL_V, expected: [200] });
    assert.deepEqual(clock.sleeps, [12_000]);
  });

  await t.step("honours X-RateLimit-Retry-After and X-Retry-After on 498", async () => {
    const { cloud, clock, transport } = setup();
    script(cloud, "GET", /volumes/, [
      () => json(null, 498, { "X-RateLimit-Retry-After": "3" }),
      () => json(null, 429, { "X-Retry-After": "2" }),
    ]);
    await transport.request({ method: "GET", url: URL_V, expected: [200] });
    assert.deepEqual(clock.sleeps, [3000, 2000]);
  });

  await t.step("caps a long Retry-After at the backoff cap", async () => {
    const { cloud, clock, transport } = setup();
    script(cloud, "GET", /volumes/, [() => json(null, 503, { "Retry-After": "3600" })]);
    await transport.request({ method: "GET", url: URL_V, expected: [200] });
    assert.deepEqual(clock.sleeps, [30_000]);
  });

  await t.step("backs off exponentially with jitter, capped, then gives up", async () => {
    const { cloud, clock, transport } = setup({ random: () => 1 });
    cloud.on("GET", /volumes/, () => json({ serviceUnavailable: { message: "down" } }, 502));
    await assert.rejects(
      transport.request({ method: "GET", url: URL_V, expected: [200] }),
      (e: unknown) => {
        assert.ok(e instanceof RetryExhaustedError);
        assert.equal(e.attempts, 6);
        assert.ok(e.cause instanceof OpenStackHttpError && e.cause.status === 502);
        return true;
      },
    );
    assert.deepEqual(clock.sleeps, [500, 1000, 2000, 4000, 8000]);
    const capped = setup({ random: () => 0, retry: { baseMs: 20_000, maxRetries: 3 } });
    capped.cloud.on("GET", /volumes/, () => json(null, 504));
    await assert.rejects(capped.transport.request({ method: "GET", url: URL_V, expected: [200] }));
    // Equal jitter: half the capped delay at random()=0.
    assert.deepEqual(capped.clock.sleeps, [10_000, 15_000, 15_000]);
  });

  await t.step("retries connection errors on GET, PUT and DELETE", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const { clock, transport } = setup({
        fetch: (() => {
          let n = 0;
          return () =>
            n++ === 0
              ? Promise.reject(new TypeError("connection reset"))
              : Promise.resolve(json({}));
        })(),
      });
      await transport.request({ method, url: URL_V, expected: [200] });
      assert.equal(clock.sleeps.length, 1, method);
    }
  });

  await t.step("never retries a POST unless it is marked idempotent", async () => {
    const { cloud, clock, transport } = setup();
    cloud.on("POST", /snapshots$/, () => json(null, 503, { "Retry-After": "1" }));
    await assert.rejects(
      transport.request({
        method: "POST",
        url: "http://c/v3/p/snapshots",
        json: {},
        expected: [202],
      }),
      (e: unknown) => e instanceof OpenStackHttpError && e.status === 503,
    );
    assert.equal(cloud.count("POST", /snapshots$/), 1);
    assert.deepEqual(clock.sleeps, []);

    const dropped = setup({ fetch: () => Promise.reject(new TypeError("connection reset")) });
    await assert.rejects(
      dropped.transport.request({
        method: "POST",
        url: "http://c/v3/p/snapshots",
        json: {},
        expected: [202],
      }),
      TransportError,
    );
    assert.deepEqual(dropped.clock.sleeps, []);

    const marked = setup();
    script(marked.cloud, "POST", /metadata$/, [() => json(null, 503)]);
    await marked.transport.request({
      method: "POST",
      url: "http://c/v3/p/volumes/v/metadata",
      json: { metadata: {} },
      expected: [200],
      idempotent: true,
    });
    assert.equal(marked.cloud.requests.length, 2);
  });

  await t.step(
    "413 is a final QuotaExceededError naming the quota, despite Retry-After: 0",
    async () => {
      const { cloud, clock, transport } = setup();
      cloud.on(
        "POST",
        /snapshots$/,
        () =>
          json(fixture("cinder/fault-413-snapshot-limit.json"), 413, {
            "Retry-After": "0",
            "x-openstack-request-id": "req-q",
          }),
      );
      cloud.on(
        "PUT",
        /thing$/,
        () => json(fixture("cinder/fault-413-snapshot-limit.json"), 413, { "Retry-After": "0" }),
      );
      await assert.rejects(
        transport.request({
          method: "POST",
          url: "http://c/v3/p/snapshots",
          json: {},
          expected: [202],
        }),
        (e: unknown) => {
          assert.ok(e instanceof QuotaExceededError && e instanceof CinderQuotaExceededError);
          assert.equal(e.quota, "snapshots");
          assert.equal(e.requestId, "req-q");
          assert.match(e.message, /Maximum number of snapshots allowed \(10\) exceeded/);
          return true;
        },
      );
      await assert.rejects(
        transport.request({ method: "PUT", url: "http://c/thing", expected: [200] }),
        QuotaExceededError,
      );
      assert.equal(cloud.requests.length, 2);
      assert.deepEqual(clock.sleeps, []);
    },
  );
});

Deno.test("OpenStackHttpError carries what a user needs", async () => {
  const { cloud, transport } = setup();
  const long = "x".repeat(2000);
  cloud.on(
    "POST",
    /action$/,
    () =>
      json(
        { badRequest: { code: 400, message: "Invalid input received: bad status", detail: long } },
        400,
        {
          "x-openstack-request-id": "req-bad",
        },
      ),
  );
  await assert.rejects(
    transport.request({
      method: "POST",
      url: "http://ann:hunter2-pw@c.test/v3/p/snapshots/s/action?token=abc123456",
      json: {},
      expected: [202],
    }),
    (e: unknown) => {
      assert.ok(e instanceof OpenStackHttpError);
      assert.equal(e.method, "POST");
      assert.equal(e.url, "http://c.test/v3/p/snapshots/s/action?token=[REDACTED]");
      assert.deepEqual(e.expected, [202]);
      assert.equal(e.status, 400);
      assert.equal(e.requestId, "req-bad");
      assert.equal(e.serverMessage, "Invalid input received: bad status");
      assert.ok(e.bodyExcerpt && e.bodyExcerpt.length <= 500);
      assert.equal(
        e.message,
        "POST http://c.test/v3/p/snapshots/s/action?token=[REDACTED] returned 400, expected 202: Invalid input received: bad status (request id req-bad)",
      );
      return true;
    },
  );
});

Deno.test("HttpTransport times out a silent server", async () => {
  const clock = new SteppingClock();
  const transport = new HttpTransport({
    clock,
    timeoutMs: 5000,
    retry: { maxRetries: 0 },
    fetch: (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
      }),
  });
  const pending = transport.request({ method: "GET", url: URL_V, expected: [200] });
  while (clock.manual.pendingSleeps === 0) await new Promise((r) => setTimeout(r, 0));
  clock.manual.advance(4999);
  assert.equal(clock.manual.pendingSleeps, 1);
  clock.manual.advance(1);
  await assert.rejects(
    pending,
    (e: unknown) =>
      e instanceof TransportError && e.timedOut && /no answer within 5 s/.test(e.message),
  );
  assert.deepEqual(transport.stats.snapshot().byMethodStatus, { "GET error": 1 });
});

Deno.test("createRateLimiter() spaces requests with the clock", async () => {
  const clock = new SteppingClock();
  const limiter = createRateLimiter(2, clock, 1);
  await limiter.acquire();
  await limiter.acquire();
  await limiter.acquire();
  assert.deepEqual(clock.sleeps, [500, 500]);
});

Deno.test("helpers", async (t) => {
  await t.step("requestKind() takes ids, versions and metadata keys out", () => {
    assert.equal(
      requestKind(
        "get",
        "http://h:8776/v3/a6944d763bf64ee6a275f1263fae0352/volumes/detail?limit=5",
      ),
      "GET volumes/detail",
    );
    assert.equal(
      requestKind(
        "DELETE",
        "http://h/volume/v3/a6944d763bf64ee6a275f1263fae0352/volumes/cb49b381-9012-40cb-b8ee-80c19a4801b5/metadata/x-snapsentry-daily",
      ),
      "DELETE volumes/metadata",
    );
    assert.equal(requestKind("POST", "http://h/identity/v3/auth/tokens"), "POST auth/tokens");
    assert.equal(requestKind("GET", "http://h:8776/v3/"), "GET /");
  });
  await t.step("retryAfterMs() reads seconds and dates, ignores garbage", () => {
    const now = Temporal.Instant.from("2026-03-01T10:00:00Z");
    assert.equal(retryAfterMs(new Headers({ "retry-after": "1.5" }), now), 1500);
    assert.equal(
      retryAfterMs(new Headers({ "retry-after": "Sun, 01 Mar 2026 10:00:30 GMT" }), now),
      30_000,
    );
    assert.equal(retryAfterMs(new Headers({ "retry-after": "soon" }), now), undefined);
  });
  await t.step("safeUrl() drops user info and secret query values", () => {
    assert.equal(
      safeUrl("https://u:p@h/x?password=abcd&limit=5"),
      "https://h/x?password=[REDACTED]&limit=5",
    );
  });
});
