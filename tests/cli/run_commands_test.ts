/** create-snapshots and expire-snapshots through the CLI, on the emulated cloud. */
import assert from "node:assert/strict";
import { emulatedCli } from "../helpers/cli.ts";

import type { SummaryJson } from "../../src/exec/mod.ts";

const POLICY = {
  "x-snapsentry-managed": "true",
  "x-snapsentry-daily-enabled": "true",
  "x-snapsentry-daily-start-time": "00:00",
  "x-snapsentry-daily-timezone": "UTC",
  "x-snapsentry-daily-retention-days": "7",
};

function cloud() {
  const c = emulatedCli();
  const project = c.emulator.seed.demoProjectId;
  const volumes = c.emulator.seedSample(project, {
    servers: 2,
    volumesPerServer: 2,
    shared: 1,
    unattached: 1,
    metadata: POLICY,
  }).volumes;
  return { ...c, project, volumes };
}

Deno.test("create-snapshots prints each action and a summary line, exit 0", async () => {
  const c = cloud();
  const r = await c.run(["create-snapshots"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.filter((l) => /^done\s+create\s+volume /.test(l)).length, c.volumes.length);
  assert.match(
    lines.at(-1)!,
    /^create ok: 6 created, 0 adopted, 0 skipped, 0 failed, 0 deleted, 0 kept, 0 zombies cleaned, 0 invalid policies, 0 not done; \d+ API calls \(.*POST snapshots: 6.*\) in \d+\.\d s$/,
  );
  assert.equal(c.emulator.snapshots(c.project).length, c.volumes.length);
  // A second run skips everything (listed only with --verbose).
  const again = await c.run(["create-snapshots"]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /^create ok: 0 created, 0 adopted, 6 skipped/m);
  assert.doesNotMatch(again.stdout, /skip {4}/);
  const verbose = await c.run(["create-snapshots", "--verbose"]);
  assert.equal(verbose.stdout.split("\n").filter((l) => /^skipped\s+skip/.test(l)).length, 6);
});

Deno.test("create-snapshots --json prints the run summary, snake_case", async () => {
  const c = cloud();
  const r = await c.run(["create-snapshots", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as SummaryJson;
  assert.deepEqual(Object.keys(s).sort(), [
    "actions",
    "api_calls",
    "api_calls_total",
    "counts",
    "dry_run",
    "duration_ms",
    "finished_at",
    "job",
    "result",
    "run_id",
    "started_at",
    "warnings",
  ]);
  assert.equal(s.job, "create");
  assert.equal(s.result, "ok");
  assert.equal(s.dry_run, false);
  assert.match(s.run_id, /^req-[0-9a-f-]{36}$/);
  assert.match(s.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(typeof s.duration_ms, "number");
  assert.deepEqual(Object.keys(s.counts).sort(), [
    "adopted",
    "created",
    "deleted",
    "failed",
    "invalid_policies",
    "kept",
    "not_done",
    "skipped",
    "superseded",
    "zombies_cleaned",
  ]);
  assert.equal(s.counts.created, 6);
  assert.equal(s.api_calls["POST snapshots"], 6);
  assert.equal(s.api_calls_total, Object.values(s.api_calls).reduce((a, b) => a + b, 0));
  assert.equal(s.actions.length, 6);
  for (const a of s.actions) {
    assert.equal(a.kind, "create");
    assert.equal(a.status, "done");
    assert.equal(a.window_start, "2026-01-15T00:00:00Z");
    assert.ok(a.snapshot_id && a.volume_id);
    assert.match(a.at ?? "", /^2026-01-15T12:00:\d\dZ$/);
  }
});

Deno.test("an invalid policy exits 1 and names the key; the others are still done", async () => {
  const c = cloud();
  c.emulator.addVolume(c.project, {
    name: "bad",
    metadata: { ...POLICY, "x-snapsentry-daily-retention-days": "many" },
  });
  const r = await c.run(["create-snapshots"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /failed\s+invalid volume .* \(bad\) daily — Cannot parse x-snapsentry-daily-retention-days "many"/,
  );
  assert.match(r.stdout, /^create partial: 6 created, .* 1 invalid policies/m);
});

Deno.test("a failed create exits 1", async () => {
  const c = cloud();
  c.emulator.setQuota(c.project, { snapshots: 5 });
  const r = await c.run(["create-snapshots", "--concurrency", "1"]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Quota exceeded: .*snapshots/);
});

Deno.test("create-snapshots --dry-run --now plans for that instant and changes nothing", async () => {
  const c = cloud();
  const r = await c.run([
    "create-snapshots",
    "--dry-run",
    "--json",
    "--now",
    "2026-02-01T08:00:00Z",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as SummaryJson;
  assert.equal(s.dry_run, true);
  assert.ok(
    s.actions.every((a) => a.status === "dry_run" && a.window_start === "2026-02-01T00:00:00Z"),
  );
  assert.equal(c.emulator.snapshots(c.project).length, 0);
});

Deno.test("expire-snapshots deletes what expired; --json is a summary of job expire", async () => {
  const c = cloud();
  assert.equal((await c.run(["create-snapshots"])).code, 0);
  c.clock.advance({ hours: 8 * 24 });
  assert.equal((await c.run(["create-snapshots"])).code, 0);
  const r = await c.run(["expire-snapshots", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as SummaryJson;
  assert.equal(s.job, "expire");
  assert.equal(s.counts.deleted, 6);
  assert.equal(s.counts.kept, 6);
  c.clock.advance({ seconds: 5 }); // the deletes finish
  const text = await c.run(["expire-snapshots"]);
  assert.match(
    text.stdout,
    /^expire ok: 0 created, 0 adopted, 0 skipped, 0 failed, 0 deleted, 6 kept/m,
  );
});

Deno.test("bad flag values exit 2 with a clear message before any API call", async (t) => {
  const cases: [string[], RegExp][] = [
    [
      ["create-snapshots", "--concurrency", "0"],
      /Cannot use --concurrency "0": expected a whole number from 1 to 1000/,
    ],
    [["create-snapshots", "--lane-concurrency", "two"], /Cannot use --lane-concurrency "two"/],
    [
      ["create-snapshots", "--wait-timeout", "soon"],
      /Cannot use --wait-timeout "soon": expected a duration such as 500ms, 90s, 10m, 1h30m/,
    ],
    [
      ["create-snapshots", "--now", "yesterday"],
      /Cannot use --now "yesterday": expected an RFC 3339 instant/,
    ],
    [
      ["create-snapshots", "--rate-limit", "-1"],
      /Cannot use --rate-limit "-1": expected requests per second above 0/,
    ],
    [["expire-snapshots", "--stuck-after", "forever"], /Cannot use --stuck-after "forever"/],
    [["expire-snapshots", "--rate-limit", "0"], /Cannot use --rate-limit "0"/],
    [["plan", "--rate-limit", "0"], /Cannot use --rate-limit "0"/],
  ];
  for (const [argv, message] of cases) {
    await t.step(argv.join(" "), async () => {
      const c = cloud();
      const r = await c.run(argv);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.equal(c.emulator.requestCounts().total, 0);
    });
  }
});

Deno.test("--timeout stops starting work and reports what was not done (exit 1)", async () => {
  const c = cloud();
  c.emulator.faults.add({
    kind: "POST snapshots",
    times: Infinity,
    fault: { type: "latency", ms: 2000 },
  });
  const r = await c.run(["--timeout", "1", "create-snapshots", "--concurrency", "1", "--json"]);
  assert.equal(r.code, 1);
  const s = JSON.parse(r.stdout) as SummaryJson;
  assert.equal(s.result, "partial");
  assert.ok(s.counts.not_done > 0);
  assert.equal(s.counts.created + s.counts.not_done, 6);
});

Deno.test("a run sends its id as the global request id on every call, and reports Cinder's request ids", async () => {
  const { emulatedCli } = await import("../helpers/cli.ts");
  const e = emulatedCli();
  const project = e.emulator.seed.demoProjectId;
  const v = e.emulator.addVolume(project, {
    name: "a",
    metadata: { "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" },
  });
  e.emulator.requestLog.length = 0;
  const r = await e.run(["create-snapshots", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  const cinderCalls = e.emulator.requestLog.filter((x) => x.path.includes("/volume/"));
  assert.ok(cinderCalls.length >= 3);
  assert.deepEqual(new Set(cinderCalls.map((x) => x.globalRequestId)), new Set([summary.run_id]));
  const create = summary.actions.find((a: { kind: string }) => a.kind === "create");
  assert.equal(create.volume_id, v.id);
  const post = e.emulator.requestLog.find((x) =>
    x.method === "POST" && x.kind === "POST snapshots"
  );
  assert.equal(create.request_id, post?.requestId);
  assert.notEqual(create.request_id, summary.run_id);
  const snap = e.emulator.snapshots(project)[0]!;
  assert.equal(snap.metadata["x-snapsentry-snapshot-run-id"], summary.run_id);
  const logged = r.logs.find((l) => l.event === "snapshot_requested");
  assert.equal(logged?.request_id, post?.requestId);
});
