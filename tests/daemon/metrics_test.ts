import assert from "node:assert/strict";
import { DaemonMetrics, escapeLabelValue, type RunRecord } from "../../src/daemon/mod.ts";
import type { FreshnessEntry } from "../../src/exec/mod.ts";
import { registerSecret } from "../../src/redact.ts";
import { ZERO_COUNTS } from "./fake_engine.ts";
import { labelProblems, type Sample, validateExposition } from "./prom_validator.ts";
import { readProcessStats } from "../../src/daemon/process_stats.ts";
import type { RunReport } from "../../src/exec/mod.ts";

const NOW = Temporal.Instant.from("2026-01-15T12:00:00Z");
const BUILD = { version: "0.1.0", commit: "abc123", buildDate: "2026-01-01" };

function run(partial: Partial<RunRecord> & Pick<RunRecord, "job" | "result">): RunRecord {
  return {
    trigger: "schedule",
    startedAt: "2026-01-15T11:50:00Z",
    finishedAt: "2026-01-15T11:50:42Z",
    durationMs: 42_000,
    counts: { ...ZERO_COUNTS },
    ...partial,
  };
}

function entry(volumeId: string, policy: string, newest: string | null, interval = 86400) {
  return {
    volumeId,
    volumeName: `vol-${volumeId}`,
    serverId: null,
    policy,
    newestSnapshotAt: newest,
    intervalSeconds: interval,
    verdict: "OK",
  } satisfies FreshnessEntry;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.equal(found.length, 1, `exactly one ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}

Deno.test("metrics: the exposition validates line by line and carries every family", () => {
  const m = new DaemonMetrics();
  m.recordRun(
    run({ job: "create", result: "ok", counts: { ...ZERO_COUNTS, created: 3, adopted: 1 } }),
  );
  m.recordRun(
    run({ job: "create", result: "partial", counts: { ...ZERO_COUNTS, created: 1, failed: 2 } }),
  );
  m.recordRun(
    run({ job: "expire", result: "ok", counts: { ...ZERO_COUNTS, deleted: 4, zombiesCleaned: 2 } }),
  );
  const failed = run({ job: "expire", result: "failed", durationMs: 500 });
  delete failed.counts; // a run that failed before acting has no counts
  m.recordRun(failed);
  const text = m.render({
    now: NOW,
    ready: true,
    freshness: [
      entry("v1", "daily", "2026-01-15T02:00:00Z"),
      entry("v1", "weekly", "2026-01-10T00:00:00Z", 604800),
      entry("v2", "daily", null),
    ],
    requestStats: { byMethodStatus: { "GET 200": 10, "POST 202": 4, "DELETE 404": 1 } },
    build: BUILD,
  });
  const samples = validateExposition(text);

  assert.equal(value(samples, "snapsentry_up"), 1);
  assert.equal(value(samples, "snapsentry_ready"), 1);
  assert.equal(value(samples, "snapsentry_build_info", { version: "0.1.0", commit: "abc123" }), 1);
  assert.equal(value(samples, "snapsentry_runs_total", { run: "create", result: "ok" }), 1);
  assert.equal(value(samples, "snapsentry_runs_total", { run: "create", result: "partial" }), 1);
  assert.equal(value(samples, "snapsentry_runs_total", { run: "create", result: "failed" }), 0);
  assert.equal(value(samples, "snapsentry_runs_total", { run: "expire", result: "failed" }), 1);
  assert.equal(value(samples, "snapsentry_snapshots_created_total"), 4);
  assert.equal(value(samples, "snapsentry_snapshots_adopted_total"), 1);
  assert.equal(value(samples, "snapsentry_snapshots_deleted_total"), 4);
  assert.equal(value(samples, "snapsentry_snapshots_failed_total"), 2);
  assert.equal(value(samples, "snapsentry_zombies_cleaned_total"), 2);
  assert.equal(
    value(samples, "snapsentry_api_requests_total", { method: "GET", status: "200" }),
    10,
  );
  assert.equal(
    value(samples, "snapsentry_api_requests_total", { method: "DELETE", status: "404" }),
    1,
  );
  // Histogram: two create runs of 42 s each.
  assert.equal(value(samples, "snapsentry_run_duration_seconds_count", { run: "create" }), 2);
  assert.equal(value(samples, "snapsentry_run_duration_seconds_sum", { run: "create" }), 84);
  assert.equal(
    value(samples, "snapsentry_run_duration_seconds_bucket", { run: "create", le: "30" }),
    0,
  );
  assert.equal(
    value(samples, "snapsentry_run_duration_seconds_bucket", { run: "create", le: "60" }),
    2,
  );
  assert.equal(value(samples, "snapsentry_last_run_duration_seconds", { run: "expire" }), 0.5);
  // Last success: the expire job's last run failed, its earlier ok run counts.
  assert.equal(
    value(samples, "snapsentry_last_success_timestamp_seconds", { run: "expire" }),
    Date.parse("2026-01-15T11:50:42Z") / 1000,
  );
  // Freshness: the newest snapshot's time, the interval beside it; no snapshot yet, no timestamp.
  assert.equal(
    value(samples, "snapsentry_newest_snapshot_timestamp_seconds", {
      volume_id: "v1",
      policy: "daily",
    }),
    Date.parse("2026-01-15T02:00:00Z") / 1000,
  );
  assert.equal(
    value(samples, "snapsentry_policy_interval_seconds", { volume_id: "v1", policy: "weekly" }),
    604800,
  );
  assert.equal(
    samples.filter((s) =>
      s.name === "snapsentry_newest_snapshot_timestamp_seconds" && s.labels.volume_id === "v2"
    ).length,
    0,
  );
  assert.equal(
    value(samples, "snapsentry_policy_interval_seconds", { volume_id: "v2", policy: "daily" }),
    86400,
  );
  assert.doesNotMatch(text, /snapsentry_newest_snapshot_age_seconds/, "the age gauge is gone");
  assert.equal(
    value(samples, "snapsentry_last_run_timestamp_seconds", { run: "expire" }),
    Date.parse("2026-01-15T11:50:42Z") / 1000,
    "the last run of any result",
  );
  assert.match(text, /^# TYPE snapsentry_run_duration_seconds histogram$/m);
  assert.match(text, /^# TYPE snapsentry_runs_total counter$/m);
});

Deno.test("metrics: series of volumes that disappeared are gone at the next scrape", () => {
  const m = new DaemonMetrics();
  const base = { now: NOW, ready: true, requestStats: { byMethodStatus: {} }, build: BUILD };
  const first = validateExposition(m.render({
    ...base,
    freshness: [
      entry("v1", "daily", "2026-01-15T02:00:00Z"),
      entry("v2", "daily", "2026-01-15T02:00:00Z"),
    ],
  }));
  assert.equal(first.filter((s) => s.labels.volume_id === "v2").length, 2);
  const second = validateExposition(m.render({
    ...base,
    freshness: [entry("v1", "daily", "2026-01-15T02:00:00Z")],
  }));
  assert.equal(second.filter((s) => s.labels.volume_id === "v2").length, 0);
  assert.equal(second.filter((s) => s.labels.volume_id === "v1").length, 2);
});

Deno.test("metrics: perVolume=false drops the per-volume series and their families", () => {
  const m = new DaemonMetrics({ perVolume: false });
  const text = m.render({
    now: NOW,
    ready: false,
    freshness: [entry("v1", "daily", "2026-01-15T02:00:00Z")],
    requestStats: { byMethodStatus: {} },
    build: BUILD,
  });
  const samples = validateExposition(text);
  assert.equal(samples.some((s) => "volume_id" in s.labels), false);
  assert.doesNotMatch(text, /snapsentry_newest_snapshot_timestamp_seconds/);
  assert.equal(value(samples, "snapsentry_ready"), 0);
});

Deno.test("metrics: label values are escaped and secrets never appear", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const secret = "s3cr3t-token-value-xyz";
  registerSecret(secret);
  const m = new DaemonMetrics();
  const text = m.render({
    now: NOW,
    ready: true,
    freshness: [entry('we"ird\\vol\nid', `policy-${secret}`, "2026-01-15T02:00:00Z")],
    requestStats: { byMethodStatus: { "GET 200": 1 } },
    build: BUILD,
  });
  const samples = validateExposition(text);
  const s = samples.find((x) => x.name === "snapsentry_policy_interval_seconds")!;
  assert.equal(s.labels.volume_id, 'we"ird\\vol\nid', "the validator decodes what we encoded");
  assert.equal(text.includes(secret), false);
});

Deno.test("prom validator rejects broken expositions (it can fail)", async (t) => {
  const bad: [string, string][] = [
    ["sample without TYPE", "foo 1\n"],
    ["counter without _total", "# TYPE foo counter\nfoo 1\n"],
    ["duplicate series", '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ["bad escape", '# TYPE a gauge\na{x="\\t"} 1\n'],
    ["unquoted label", "# TYPE a gauge\na{x=1} 1\n"],
    ["split family", '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n'],
    ["no trailing newline", "# TYPE a gauge\na 1"],
    ["histogram without +Inf", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n'],
  ];
  for (const [name, text] of bad) {
    await t.step(name, () => assert.throws(() => validateExposition(text)));
  }
});

const FIXED_PROCESS = {
  residentMemoryBytes: 80 * 1024 * 1024,
  virtualMemoryBytes: 900 * 1024 * 1024,
  startTimeSeconds: 1_768_000_000,
  cpuSecondsTotal: 12.5,
  openFds: 14,
  maxFds: 1024,
};

function report(actions: RunReport["summary"]["actions"]): RunReport {
  return { summary: { actions } as RunReport["summary"] };
}

function fullExposition(m = new DaemonMetrics({ processStats: () => FIXED_PROCESS })): string {
  m.recordRun(
    run({ job: "create", result: "partial" }),
    report([
      { kind: "create", status: "failed", reason: "r", errorCode: "quota_exceeded" },
      { kind: "create", status: "failed", reason: "r", errorCode: "quota_exceeded" },
      { kind: "create", status: "done", reason: "r" },
      { kind: "zombie", status: "failed", reason: "r", errorCode: "forbidden" },
      { kind: "zombie", status: "pending", reason: "r" },
      { kind: "expire", status: "failed", reason: "r", cleanup: true },
    ]),
  );
  m.recordRun(run({ job: "expire", result: "failed", errorCode: "auth_error" }));
  return m.render({
    now: NOW,
    ready: true,
    freshness: [entry("v1", "daily", "2026-01-15T02:00:00Z"), entry("v2", "weekly", null, 604800)],
    requestStats: { byMethodStatus: { "GET 200": 3, "POST 413": 2 } },
    build: BUILD,
    jobs: [
      { job: "create", running: true, nextRuns: ["2026-01-15T12:10:00Z"], skippedOverlaps: 2 },
      { job: "expire", running: false, nextRuns: ["2026-01-15T18:00:00Z"], skippedOverlaps: 0 },
    ],
    alerts: {
      queued: 1,
      delivering: true,
      sent: 5,
      failed: 1,
      dropped: 0,
      abandoned: 0,
      lastSentAt: null,
      lastFailureAt: null,
    },
    quota: {
      snapshots: { limit: 10, inUse: 9, forecast: 14 },
      gigabytes: { limit: -1, inUse: 500, forecast: 700 },
    },
  });
}

Deno.test("metrics: no label collides with Prometheus's target or reserved labels", () => {
  const text = fullExposition();
  assert.deepEqual(labelProblems(text), []);
  // The rule can fail: the old `job` label, a stray le, a reserved name.
  assert.deepEqual(labelProblems('# TYPE a_total counter\na_total{job="create"} 1\n'), [
    'a_total{job}: "job" is a target label',
  ]);
  assert.equal(labelProblems('# TYPE g gauge\ng{le="1"} 1\n').length, 1);
  assert.equal(labelProblems('# TYPE g gauge\ng{quantile="0.5",instance="x"} 1\n').length, 2);
  assert.throws(() => labelProblems('# TYPE g gauge\ng{__name="x"} 1\n'), /reserved/);
});

Deno.test("metrics: failed actions by code, uncleaned zombies, schedule, alerts and quota", () => {
  const samples = validateExposition(fullExposition());
  assert.equal(
    value(samples, "snapsentry_action_failures_total", {
      run: "create",
      kind: "create",
      code: "quota_exceeded",
    }),
    2,
  );
  assert.equal(
    samples.filter((s) => s.name === "snapsentry_action_failures_total").length,
    2,
    "a cleanup's failure is not counted twice",
  );
  assert.equal(value(samples, "snapsentry_zombies_uncleaned", { run: "create" }), 2);
  assert.equal(value(samples, "snapsentry_zombies_uncleaned", { run: "expire" }), 0);
  assert.equal(
    value(samples, "snapsentry_run_failures_total", { run: "expire", code: "auth_error" }),
    1,
  );
  assert.equal(
    value(samples, "snapsentry_next_run_timestamp_seconds", { run: "create" }),
    Date.parse("2026-01-15T12:10:00Z") / 1000,
  );
  assert.equal(value(samples, "snapsentry_run_in_progress", { run: "create" }), 1);
  assert.equal(value(samples, "snapsentry_skipped_runs_total", { run: "create" }), 2);
  assert.equal(value(samples, "snapsentry_webhook_alerts_total", { result: "sent" }), 5);
  assert.equal(value(samples, "snapsentry_webhook_alerts_queued"), 1);
  assert.equal(value(samples, "snapsentry_quota_limit", { resource: "snapshots" }), 10);
  assert.equal(value(samples, "snapsentry_quota_forecast", { resource: "snapshots" }), 14);
  assert.equal(value(samples, "snapsentry_quota_limit", { resource: "gigabytes" }), -1);
});

Deno.test("metrics: build info and the process metrics of the client libraries", () => {
  const samples = validateExposition(fullExposition());
  assert.equal(value(samples, "snapsentry_build_info", { version: "0.1.0", commit: "abc123" }), 1);
  assert.equal(value(samples, "process_resident_memory_bytes"), 80 * 1024 * 1024);
  assert.equal(value(samples, "process_start_time_seconds"), 1_768_000_000);
  assert.equal(value(samples, "process_cpu_seconds_total"), 12.5);
  assert.equal(value(samples, "process_open_fds"), 14);
  assert.equal(value(samples, "process_max_fds"), 1024);
  // Without the optional inputs their families are absent, and what remains still validates.
  const bare = new DaemonMetrics({ processStats: () => ({}) }).render({
    now: NOW,
    ready: true,
    freshness: [],
    requestStats: { byMethodStatus: {} },
    build: BUILD,
  });
  validateExposition(bare);
  assert.doesNotMatch(bare, /snapsentry_next_run_timestamp_seconds|snapsentry_quota_|process_/);
});

Deno.test("readProcessStats() reads this process from /proc", {
  ignore: Deno.build.os !== "linux",
}, () => {
  const p = readProcessStats();
  const rss = Deno.memoryUsage().rss;
  assert.ok(p.residentMemoryBytes! > 1024 * 1024 && p.residentMemoryBytes! <= rss * 2);
  const nowS = Date.now() / 1000;
  assert.ok(p.startTimeSeconds! > nowS - 3600 && p.startTimeSeconds! <= nowS + 1, "started");
  assert.ok(p.cpuSecondsTotal! > 0);
  assert.ok(p.openFds! >= 3, `${p.openFds} fds`);
  assert.ok(p.maxFds! >= p.openFds!);
  assert.ok(p.virtualMemoryBytes! >= p.residentMemoryBytes!);
});

// Debian's `prometheus` package brings promtool; CI installs it and sets SNAPSENTRY_PROMTOOL.
const PROMTOOL = Deno.env.get("SNAPSENTRY_PROMTOOL") ?? "promtool";
function hasPromtool(): boolean {
  try {
    return new Deno.Command(PROMTOOL, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}
const promtool = hasPromtool();
if (!promtool && Deno.env.get("SNAPSENTRY_PROMTOOL")) {
  throw new Error(`SNAPSENTRY_PROMTOOL=${PROMTOOL} is not a working promtool`);
}

Deno.test({
  name: `promtool check metrics is clean${
    promtool ? "" : " (ignored: no promtool here; apt-get install prometheus)"
  }`,
  ignore: !promtool,
  async fn() {
    const child = new Deno.Command(PROMTOOL, {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(fullExposition()));
    await w.close();
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(text.trim(), "", `promtool check metrics: ${text}`);
    assert.ok(out.success);
    // And it finds problems when there are some (the test can fail).
    const bad = new Deno.Command(PROMTOOL, {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const bw = bad.stdin.getWriter();
    await bw.write(
      new TextEncoder().encode("# HELP x_count A counter\n# TYPE x_count counter\nx_count 1\n"),
    );
    await bw.close();
    const badOut = await bad.output();
    assert.match(
      new TextDecoder().decode(badOut.stdout) + new TextDecoder().decode(badOut.stderr),
      /x_count/,
    );
  },
});
