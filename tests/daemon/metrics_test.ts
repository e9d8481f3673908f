import assert from "node:assert/strict";
import { DaemonMetrics, escapeLabelValue, type RunRecord } from "../../src/daemon/mod.ts";
import type { FreshnessEntry } from "../../src/exec/mod.ts";
import { registerSecret } from "../../src/redact.ts";
import { ZERO_COUNTS } from "./fake_engine.ts";
import { type Sample, validateExposition } from "./prom_validator.ts";

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
  assert.equal(value(samples, "snapsentry_runs_total", { job: "create", result: "ok" }), 1);
  assert.equal(value(samples, "snapsentry_runs_total", { job: "create", result: "partial" }), 1);
  assert.equal(value(samples, "snapsentry_runs_total", { job: "create", result: "failed" }), 0);
  assert.equal(value(samples, "snapsentry_runs_total", { job: "expire", result: "failed" }), 1);
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
  assert.equal(value(samples, "snapsentry_run_duration_seconds_count", { job: "create" }), 2);
  assert.equal(value(samples, "snapsentry_run_duration_seconds_sum", { job: "create" }), 84);
  assert.equal(
    value(samples, "snapsentry_run_duration_seconds_bucket", { job: "create", le: "30" }),
    0,
  );
  assert.equal(
    value(samples, "snapsentry_run_duration_seconds_bucket", { job: "create", le: "60" }),
    2,
  );
  assert.equal(value(samples, "snapsentry_last_run_duration_seconds", { job: "expire" }), 0.5);
  // Last success: the expire job's last run failed, its earlier ok run counts.
  assert.equal(
    value(samples, "snapsentry_last_success_timestamp_seconds", { job: "expire" }),
    Date.parse("2026-01-15T11:50:42Z") / 1000,
  );
  // Freshness: 10 h old daily snapshot, interval beside it; no snapshot yet → +Inf.
  assert.equal(
    value(samples, "snapsentry_newest_snapshot_age_seconds", { volume_id: "v1", policy: "daily" }),
    36000,
  );
  assert.equal(
    value(samples, "snapsentry_policy_interval_seconds", { volume_id: "v1", policy: "weekly" }),
    604800,
  );
  assert.equal(
    value(samples, "snapsentry_newest_snapshot_age_seconds", { volume_id: "v2", policy: "daily" }),
    Infinity,
  );
  assert.match(
    text,
    /^snapsentry_newest_snapshot_age_seconds\{volume_id="v2",policy="daily"\} \+Inf$/m,
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
  assert.doesNotMatch(text, /snapsentry_newest_snapshot_age_seconds/);
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
  const s = samples.find((x) => x.name === "snapsentry_newest_snapshot_age_seconds")!;
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
