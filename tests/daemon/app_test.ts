import assert from "node:assert/strict";
import { TransportError } from "../../src/errors.ts";
import { registerSecret } from "../../src/redact.ts";
import { settle } from "./fake_engine.ts";
import { appHarness, sampleVolumes } from "./harness.ts";
import { validateExposition } from "./prom_validator.ts";

const TOKEN = "0123456789abcdef0123456789abcdef";

Deno.test("GET /healthz is 200 while the scheduler runs, 503 when stopped or stopping", async () => {
  const h = appHarness();
  let r = await h.app.request("/healthz");
  assert.equal(r.status, 503, "not started yet");
  h.scheduler.start();
  r = await h.app.request("/healthz");
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: "ok" });
  h.setStopping();
  r = await h.app.request("/healthz");
  assert.equal(r.status, 503);
  assert.deepEqual(await r.json(), { status: "stopping" });
  h.scheduler.stop();
  await h.scheduler.drain();
});

Deno.test("GET /readyz: 503 with a reason until the cloud answered, 200 after, 503 when it fails or goes stale", async () => {
  const h = appHarness();
  let r = await h.app.request("/readyz");
  assert.equal(r.status, 503);
  assert.equal((await r.json()).reason, "no_contact_yet");

  h.health.success();
  r = await h.app.request("/readyz");
  assert.equal(r.status, 200);
  assert.equal((await r.json()).ready, true);

  h.health.failure(new TransportError("down", { method: "GET", url: "x" }).code);
  r = await h.app.request("/readyz");
  assert.equal(r.status, 503);
  const body = await r.json();
  assert.equal(body.reason, "cloud_check_failed");
  assert.equal(body.error_code, "transport_error");
  assert.equal(body.last_success_at, "2026-01-15T12:03:00Z");

  h.clock.advance({ seconds: 10 });
  h.health.success();
  r = await h.app.request("/readyz");
  assert.equal(r.status, 200, "recovers on the next successful contact");

  h.clock.advance({ seconds: 61 });
  r = await h.app.request("/readyz");
  assert.equal(r.status, 503);
  assert.equal((await r.json()).reason, "cloud_contact_stale");
});

Deno.test("GET /status: schedules, last run with start/end/result/counts, next runs", async () => {
  const h = appHarness();
  h.scheduler.start();
  h.clock.set("2026-01-15T12:10:00Z");
  await settle();
  const r = await h.app.request("/status");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /application\/json/);
  const body = await r.json();
  assert.equal(body.version, "0.1.0");
  assert.equal(body.ready, true);
  const [create, expire] = body.jobs;
  assert.equal(create.job, "create");
  assert.equal(create.schedule, "*/10 * * * *");
  assert.deepEqual(create.next_runs, [
    "2026-01-15T12:20:00Z",
    "2026-01-15T12:30:00Z",
    "2026-01-15T12:40:00Z",
  ]);
  assert.equal(create.last_run.started_at, "2026-01-15T12:10:00Z");
  assert.equal(create.last_run.finished_at, "2026-01-15T12:10:00Z");
  assert.equal(create.last_run.result, "ok");
  assert.equal(create.last_run.counts.created, 2);
  assert.equal(create.last_run.counts.zombies_cleaned, 0, "machine output is snake_case");
  assert.equal(body.observed_at, "2026-01-15T12:10:00Z", "the run's view became the history's");
  assert.equal(expire.timezone, "Europe/Berlin");
  assert.equal(expire.next_runs[0], "2026-01-16T02:00:00Z", "03:00 CET");
  assert.equal(expire.last_run, null);
  h.scheduler.stop();
  await h.scheduler.drain();
});

Deno.test("GET /status never shows a failed run's error text, only its code", async () => {
  const h = appHarness();
  const secret = "hunter2-very-secret-password";
  registerSecret(secret);
  h.engine.runError.create = new TransportError(
    "Cannot reach https://keystone.internal:5000/v3 (internal detail)",
    { method: "POST", url: "https://keystone.internal:5000/v3/auth/tokens" },
  );
  h.scheduler.start();
  h.clock.set("2026-01-15T12:10:00Z");
  await settle();
  const text = await (await h.app.request("/status")).text();
  assert.match(text, /"error_code":"transport_error"/);
  assert.doesNotMatch(text, /keystone\.internal/);
  const page = await (await h.app.request("/")).text();
  assert.doesNotMatch(page, /keystone\.internal/);
  h.scheduler.stop();
  await h.scheduler.drain();
});

Deno.test("GET /metrics is valid exposition with the text/plain 0.0.4 content type", async () => {
  const h = appHarness();
  h.scheduler.start({ runAtStart: true });
  await settle();
  sampleVolumes(h.history);
  const r = await h.app.request("/metrics");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const samples = validateExposition(await r.text());
  const runs = samples.filter((s) => s.name === "snapsentry_runs_total" && s.value > 0);
  assert.deepEqual(runs.map((s) => `${s.labels.run}/${s.labels.result}`).sort(), [
    "create/ok",
    "expire/ok",
  ]);
  assert.equal(
    samples.filter((s) => s.name === "snapsentry_policy_interval_seconds").length,
    3,
  );
  const api = samples.find((s) =>
    s.name === "snapsentry_api_requests_total" && s.labels.method === "GET"
  );
  assert.equal(api?.value, 7);
  h.scheduler.stop();
  await h.scheduler.drain();
});

Deno.test("GET /metrics and / answer before the daemon has observed the cloud, without calling it", async () => {
  const h = appHarness();
  h.engine.observeError = new TransportError("down", { method: "GET", url: "x" });
  const m = await h.app.request("/metrics");
  assert.equal(m.status, 200);
  const samples = validateExposition(await m.text());
  assert.equal(samples.some((s) => "volume_id" in s.labels), false);
  const page = await h.app.request("/");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Volume data is unavailable right now/);
  assert.equal(h.engine.observeCalls + h.engine.calls.probe, 0, "a request never calls the cloud");
});

Deno.test("50 page views and scrapes make no API call: they are served from the history", async () => {
  const h = appHarness();
  sampleVolumes(h.history);
  for (let i = 0; i < 25; i++) {
    assert.equal((await h.app.request("/")).status, 200);
    assert.equal((await h.app.request("/metrics")).status, 200);
  }
  assert.equal(h.engine.observeCalls + h.engine.calls.probe, 0);
});

Deno.test("GET / is escaped HTML with a strict CSP and no script", async () => {
  const h = appHarness();
  sampleVolumes(h.history);
  const r = await h.app.request("/");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /text\/html/);
  assert.match(r.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  const body = await r.text();
  assert.doesNotMatch(body, /<script/i, "the volume name is escaped, and there is no script");
  assert.match(body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(body, /<svg class="timeline"/);
  assert.doesNotMatch(body, /(src|href)="https?:/, "no external assets");
});

Deno.test("trigger routes do not exist without SNAPSENTRY_API_TOKEN", async () => {
  const h = appHarness();
  for (const path of ["/run/create", "/run/expire"]) {
    const r = await h.app.request(path, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(r.status, 404);
  }
  assert.equal(h.engine.calls.create + h.engine.calls.expire, 0);
});

Deno.test("trigger routes refuse a missing or wrong token and run with the right one", async () => {
  const h = appHarness({ apiToken: TOKEN });
  h.scheduler.start();
  const post = (path: string, auth?: string) =>
    h.app.request(path, { method: "POST", headers: auth ? { Authorization: auth } : {} });

  let r = await post("/run/create");
  assert.equal(r.status, 401);
  assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
  r = await post("/run/create", `Bearer ${TOKEN}x`);
  assert.equal(r.status, 401);
  r = await post("/run/create", `Basic ${btoa(`user:${TOKEN}`)}`);
  assert.equal(r.status, 401);
  r = await post("/run/create", `Bearer ${TOKEN.slice(0, -1)}`);
  assert.equal(r.status, 401);
  await settle();
  assert.equal(h.engine.calls.create, 0, "no refused request ran anything");
  assert.equal(h.logger.events("trigger_refused").length, 4);
  assert.equal(JSON.stringify(h.logger.entries).includes(TOKEN), false, "token never logged");

  h.engine.hold("create");
  r = await post("/run/create", `Bearer ${TOKEN}`);
  assert.equal(r.status, 202);
  assert.deepEqual(await r.json(), { job: "create", status: "started" });
  await settle();
  assert.equal(h.engine.calls.create, 1);
  r = await post("/run/create", `Bearer ${TOKEN}`);
  assert.equal(r.status, 409, "a run of the same job is still going");
  r = await post("/run/expire", `Bearer ${TOKEN}`);
  assert.equal(r.status, 202, "the other job may run alongside");
  h.engine.release("create");
  await settle();
  assert.equal(h.engine.completed.create, 1);
  h.scheduler.stop();
  await h.scheduler.drain();
});

Deno.test("only GET routes exist besides the triggers", async () => {
  const h = appHarness({ apiToken: TOKEN });
  for (const path of ["/", "/healthz", "/readyz", "/status", "/metrics"]) {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await h.app.request(path, {
        method,
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(r.status, 404, `${method} ${path}`);
    }
  }
  for (const path of ["/run/create", "/run/expire"]) {
    const r = await h.app.request(path, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 404, `GET ${path} changes nothing`);
  }
  const r = await h.app.request("/api/scheduler/stop", { method: "POST" });
  assert.equal(r.status, 404, "the Go dashboard's stop route is not here");
  assert.equal(h.engine.calls.create + h.engine.calls.expire, 0);
});

Deno.test("an internal error becomes a bare 500 and is logged", async () => {
  const h = appHarness();
  h.engine.requestStats = () => {
    throw new Error("internal detail: /etc/openstack/clouds.yaml line 3");
  };
  const r = await h.app.request("/metrics");
  assert.equal(r.status, 500);
  const text = await r.text();
  assert.deepEqual(JSON.parse(text), { error: "internal_error" });
  assert.doesNotMatch(text, /clouds\.yaml/);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  const logged = h.logger.events("http_error");
  assert.equal(logged.length, 1);
  assert.match(String(logged[0]!.error), /clouds\.yaml/);
});
