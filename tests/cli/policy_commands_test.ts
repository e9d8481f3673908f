import assert from "node:assert/strict";
import { emulatedCli } from "../helpers/cli.ts";

function setup() {
  const e = emulatedCli({ start: "2026-03-10T12:00:00Z" });
  const project = e.emulator.seed.demoProjectId;
  const a = e.emulator.addVolume(project, { name: "a", size: 10, attachments: ["srv-1"] });
  const b = e.emulator.addVolume(project, { name: "b", size: 20 });
  return { e, project, a, b };
}

Deno.test("subscribe daily writes exactly the Go keys with the merge call", async () => {
  const { e, a } = setup();
  e.emulator.state.volumes.get(a.id)!.metadata = { owner: "team-x" };
  const r = await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    a.id,
    "--start-time",
    "8:05",
    "--timezone",
    "Asia/Kolkata",
    "--retention",
    "7",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(e.emulator.volume(a.id)!.metadata, {
    owner: "team-x",
    "x-snapsentry-managed": "true",
    "x-snapsentry-daily-enabled": "true",
    "x-snapsentry-daily-retention-days": "7",
    "x-snapsentry-daily-retention-type": "time",
    "x-snapsentry-daily-timezone": "Asia/Kolkata",
    "x-snapsentry-daily-start-time": "08:05",
  });
  const kinds = Object.keys(e.emulator.requestCounts().byKind);
  assert.ok(
    kinds.some((k) => k.startsWith("POST volumes") && k.includes("metadata")),
    kinds.join(),
  );
  assert.ok(!kinds.some((k) => k.startsWith("PUT volumes")), "never a whole-map PUT");
});

Deno.test("subscribe weekly and monthly need no --week-day/--month-day; monthly writes the key that is read", async () => {
  const { e, a, b } = setup();
  let r = await e.run(["subscribe", "weekly", "--volume-id", a.id, "--start-time", "03:00"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    e.emulator.volume(a.id)!.metadata["x-snapsentry-weekly-start-day-of-week"],
    "sunday",
  );
  assert.equal(e.emulator.volume(a.id)!.metadata["x-snapsentry-weekly-retention-days"], "7");
  r = await e.run([
    "subscribe",
    "monthly",
    "--volume-id",
    b.id,
    "--start-time",
    "01:00",
    "--month-day",
    "31",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const md = e.emulator.volume(b.id)!.metadata;
  assert.equal(md["x-snapsentry-monthly-start-day-of-month"], "31");
  assert.equal(md["x-snapsentry-monthly-day-of-month"], undefined);
  assert.equal(md["x-snapsentry-monthly-retention-days"], "30");
});

Deno.test("subscribe takes several --volume-id and express takes --interval-hours", async () => {
  const { e, a, b } = setup();
  const r = await e.run([
    "subscribe",
    "express",
    "--volume-id",
    a.id,
    "--volume-id",
    b.id,
    "--interval-hours",
    "8",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.length, 2);
  for (const v of [a, b]) {
    assert.equal(e.emulator.volume(v.id)!.metadata["x-snapsentry-express-interval-hours"], "8");
  }
});

Deno.test("subscribe --dry-run shows the keys that would change and changes nothing", async () => {
  const { e, a } = setup();
  const before = e.emulator.requestCounts().byKind;
  const r = await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    a.id,
    "--start-time",
    "02:00",
    "--dry-run",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Would set x-snapsentry-daily-start-time = 02:00/);
  assert.deepEqual(e.emulator.volume(a.id)!.metadata, {});
  const after = e.emulator.requestCounts().byKind;
  assert.equal(
    Object.keys(after).filter((k) => k.startsWith("POST volumes")).length,
    0,
    JSON.stringify({ before, after }),
  );
});

Deno.test("subscribe --enabled=false disables a policy without needing --start-time", async () => {
  const { e, a } = setup();
  await e.run(["subscribe", "daily", "--volume-id", a.id, "--start-time", "02:00"]);
  const r = await e.run(["subscribe", "daily", "--volume-id", a.id, "--enabled=false"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(e.emulator.volume(a.id)!.metadata["x-snapsentry-daily-enabled"], "false");
  assert.equal(e.emulator.volume(a.id)!.metadata["x-snapsentry-daily-start-time"], "02:00");
});

Deno.test("subscribe --enabled takes every boolean form the metadata reader takes", async () => {
  const { e, a } = setup();
  await e.run(["subscribe", "daily", "--volume-id", a.id, "--start-time", "02:00"]);
  const r = await e.run(["subscribe", "daily", "--volume-id", a.id, "--enabled=F"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(e.emulator.volume(a.id)!.metadata["x-snapsentry-daily-enabled"], "false");
  assert.equal(e.emulator.volume(a.id)!.metadata["x-snapsentry-daily-start-time"], "02:00");
});

Deno.test("subscribe with an unknown volume among several changes none of them", async () => {
  const { e, a } = setup();
  const missing = "00000000-0000-0000-0000-000000000000";
  const r = await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    a.id,
    "--volume-id",
    missing,
    "--start-time",
    "08:00",
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot subscribe volume "0{8}-0{4}-0{4}-0{4}-0{12}"/);
  assert.deepEqual(e.emulator.volume(a.id)!.metadata, {});
  const u = await e.run(["unsubscribe", "--volume-id", a.id, "--volume-id", missing]);
  assert.equal(u.code, 1);
  assert.match(u.stderr, /Cannot unsubscribe volume "0{8}-0{4}-0{4}-0{4}-0{12}"/);
});

Deno.test("subscribe validates every flag before any API call, with clear messages and exit 2", async () => {
  const { e, a } = setup();
  const cases: [string[], RegExp][] = [
    [["subscribe", "daily", "--start-time", "08:00"], /pass --volume-id/],
    [
      ["subscribe", "daily", "--volume-id", a.id, "--start-time", "25:00"],
      /start time "25:00": expected HH:MM/,
    ],
    [[
      "subscribe",
      "daily",
      "--volume-id",
      a.id,
      "--start-time",
      "08:00",
      "--timezone",
      "Mars/Phobos",
    ], /timezone "Mars\/Phobos"/],
    [
      ["subscribe", "daily", "--volume-id", a.id, "--start-time", "08:00", "--timezone", "Local"],
      /timezone "Local"/,
    ],
    [
      ["subscribe", "daily", "--volume-id", a.id, "--start-time", "08:00", "--retention", "-3"],
      /retention "-3"/,
    ],
    [
      ["subscribe", "weekly", "--volume-id", a.id, "--start-time", "08:00", "--week-day", "Funday"],
      /week day "Funday"/,
    ],
    [
      ["subscribe", "monthly", "--volume-id", a.id, "--start-time", "08:00", "--month-day", "32"],
      /month day "32"/,
    ],
    [
      ["subscribe", "express", "--volume-id", a.id, "--interval-hours", "5"],
      /interval hours "5": expected 6, 8 or 12/,
    ],
    [
      ["subscribe", "daily", "--volume-id", "bad id", "--start-time", "08:00"],
      /--volume-id "bad id"/,
    ],
    [["unsubscribe", "--volume-id", a.id, "--policy", "hourly"], /--policy "hourly"/],
  ];
  for (const [argv, message] of cases) {
    e.emulator.resetCounts();
    const r = await e.run(argv);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.equal(e.emulator.requestCounts().total, 0, `${argv.join(" ")} made no API call`);
  }
  // Whether --start-time is needed depends on the volume (a re-run keeps its start time): it is
  // read, and nothing is written.
  e.emulator.resetCounts();
  const r = await e.run(["subscribe", "daily", "--volume-id", a.id]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /without --start-time: pass --start-time HH:MM/);
  assert.deepEqual(
    Object.keys(e.emulator.requestCounts().byKind).filter((k) => !k.startsWith("GET")),
    ["POST auth/tokens"],
  );
  assert.deepEqual(e.emulator.volume(a.id)!.metadata, {});
});

Deno.test("subscribe to a volume that does not exist exits 1 naming it", async () => {
  const { e } = setup();
  const r = await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    "00000000-0000-0000-0000-000000000000",
    "--start-time",
    "08:00",
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Cannot subscribe volume "0{8}-0{4}-0{4}-0{4}-0{12}": Cinder has no such volume/,
  );
});

Deno.test("unsubscribe removes one policy's keys, and the managed key once none is left", async () => {
  const { e, a } = setup();
  await e.run(["subscribe", "daily", "--volume-id", a.id, "--start-time", "02:00"]);
  await e.run(["subscribe", "weekly", "--volume-id", a.id, "--start-time", "02:00"]);
  e.emulator.state.volumes.get(a.id)!.metadata["owner"] = "me";
  let r = await e.run(["unsubscribe", "--volume-id", a.id, "--policy", "daily"]);
  assert.equal(r.code, 0, r.stderr);
  let md = e.emulator.volume(a.id)!.metadata;
  assert.ok(!Object.keys(md).some((k) => k.startsWith("x-snapsentry-daily-")));
  assert.equal(md["x-snapsentry-managed"], "true");
  r = await e.run(["unsubscribe", "--volume-id", a.id]);
  assert.equal(r.code, 0, r.stderr);
  md = e.emulator.volume(a.id)!.metadata;
  assert.deepEqual(md, { owner: "me" });
});

Deno.test("status shows policies in words, verdicts, and Nagios exit codes with --warn/--crit", async () => {
  const { e, a, b } = setup();
  await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    a.id,
    "--start-time",
    "08:00",
    "--timezone",
    "Asia/Kolkata",
    "--retention",
    "7",
  ]);
  e.emulator.state.volumes.get(b.id)!.metadata = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-weekly-enabled": "true",
    "x-snapsentry-weekly-start-day-of-week": "Funday",
  };
  let r = await e.run(["status"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /daily 08:00 Asia\/Kolkata, keep 7 d/);
  assert.match(r.stdout, /DUE/);
  assert.match(
    r.stdout,
    /INVALID .* weekly: Cannot parse x-snapsentry-weekly-start-day-of-week "Funday"/,
  );
  r = await e.run(["status", "--crit", "daily=1h"]);
  assert.equal(r.code, 2, "no snapshot at all is critical");
  await e.run(["create-snapshots"]);
  r = await e.run(["status", "--warn", "daily=1h", "--crit", "daily=2d", "--json"]);
  const json = JSON.parse(r.stdout);
  const daily = json.entries.find((x: { policy: string }) => x.policy === "daily");
  assert.equal(daily.verdict, "OK");
  assert.equal(r.code, 3, "the invalid weekly policy is UNKNOWN");
  r = await e.run(["list", "--warn", "nonsense"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Cannot use --warn "nonsense"/);
});

Deno.test("plan --json has an entry per volume and policy and per managed snapshot; --now replays", async () => {
  const { e, a } = setup();
  await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    a.id,
    "--start-time",
    "00:00",
    "--retention",
    "1",
  ]);
  await e.run(["create-snapshots"]);
  let r = await e.run(["plan", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  let plan = JSON.parse(r.stdout);
  assert.deepEqual(plan.create.map((x: { action: string }) => x.action), ["skip"]);
  assert.equal(plan.create[0].window_start, "2026-03-10T00:00:00Z");
  assert.equal(plan.create[0].window_end, "2026-03-11T00:00:00Z");
  assert.equal(plan.expire.length, 1);
  assert.equal(plan.expire[0].action, "keep");
  assert.equal(plan.expire[0].expires_at, "2026-03-11T12:00:00Z");
  r = await e.run(["plan", "--json", "--now", "2026-03-12T01:00:00Z"]);
  plan = JSON.parse(r.stdout);
  assert.equal(plan.now, "2026-03-12T01:00:00Z");
  assert.deepEqual(plan.create.map((x: { action: string }) => x.action), ["create"]);
  // Expired, but the min-keep guard keeps the newest available one until a newer one exists.
  assert.equal(plan.expire[0].action, "keep");
  assert.match(plan.expire[0].reason, /min-keep/);
  r = await e.run(["plan", "--now", "tomorrow"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Cannot use --now "tomorrow"/);
});

Deno.test("plan --days forecasts snapshots and gigabytes against the quotas", async () => {
  const { e, project, a, b } = setup();
  e.emulator.setQuota(project, { snapshots: 5, gigabytes: 100 });
  await e.run([
    "subscribe",
    "daily",
    "--volume-id",
    a.id,
    "--volume-id",
    b.id,
    "--start-time",
    "00:00",
    "--retention",
    "7",
  ]);
  const r = await e.run(["plan", "--days", "30", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const fc = JSON.parse(r.stdout).forecast;
  assert.ok(fc.totalSnapshots >= 14, String(fc.totalSnapshots));
  assert.equal(
    fc.totalGigabytes,
    fc.volumes.reduce((s: number, v: { gigabytes: number }) => s + v.gigabytes, 0),
  );
  assert.ok(
    fc.warnings.some((w: string) => /Snapshot quota too small/.test(w)),
    fc.warnings.join(),
  );
  assert.ok(
    fc.warnings.some((w: string) => /Gigabytes quota too small/.test(w)),
    fc.warnings.join(),
  );
  const bad = await e.run(["plan", "--days", "0"]);
  assert.equal(bad.code, 2);
});

Deno.test("volumes tagged by the Go tool (legacy monthly key) plan the day the Go CLI asked for", async () => {
  const { e, b } = setup();
  e.emulator.state.volumes.get(b.id)!.metadata = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-monthly-enabled": "true",
    "x-snapsentry-monthly-retention-days": "30",
    "x-snapsentry-monthly-retention-type": "count",
    "x-snapsentry-monthly-timezone": "Europe/Paris",
    "x-snapsentry-monthly-start-time": "14:00",
    "x-snapsentry-monthly-day-of-month": "15",
  };
  const r = await e.run(["plan", "--json"]);
  const entry = JSON.parse(r.stdout).create[0];
  assert.equal(entry.window_start, "2026-02-15T13:00:00Z");
  assert.equal(entry.window_end, "2026-03-15T13:00:00Z");
});

Deno.test("subscribe express --enabled=false keeps the interval written earlier", async () => {
  const { e, a } = setup();
  await e.run(["subscribe", "express", "--volume-id", a.id, "--interval-hours", "12"]);
  const r = await e.run(["subscribe", "express", "--volume-id", a.id, "--enabled=false"]);
  assert.equal(r.code, 0, r.stderr);
  const md = e.emulator.volume(a.id)!.metadata;
  assert.equal(md["x-snapsentry-express-enabled"], "false");
  assert.equal(md["x-snapsentry-express-interval-hours"], "12");
});

Deno.test("unsubscribe removes keys whatever their letter case, as the reader matches them", async () => {
  const { e, a } = setup();
  e.emulator.state.volumes.get(a.id)!.metadata = {
    "x-snapsentry-managed": "true",
    "X-Snapsentry-Daily-Enabled": "true",
    "x-snapsentry-daily-START-TIME": "08:00",
    other: "kept",
  };
  const r = await e.run(["unsubscribe", "--volume-id", a.id, "--policy", "daily"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(e.emulator.volume(a.id)!.metadata, { other: "kept" });
});

Deno.test("--log-level=debug shows the cause chain of an error; info shows one line", async () => {
  const { e } = setup();
  const argv = [
    "subscribe",
    "daily",
    "--volume-id",
    "00000000-0000-0000-0000-000000000000",
    "--start-time",
    "08:00",
  ];
  const quiet = await e.run(argv);
  assert.equal(quiet.stderr.trim().split("\n").length, 1, quiet.stderr);
  const loud = await e.run(["--log-level=debug", ...argv]);
  assert.match(loud.stderr, /caused by: GET .* returned 404/);
});

Deno.test("plan --json lists a raced duplicate once, as expire, never also as keep", async () => {
  const { e, a } = setup();
  const meta = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-snapshot-policy-type": "daily",
    "x-snapsentry-snapshot-window-start": "2026-03-10T00:00:00Z",
    "x-snapsentry-snapshot-expiry-date": "2026-03-12T00:00:00Z",
    "x-snapsentry-snapshot-retention-days": "2",
  };
  await e.run(["subscribe", "daily", "--volume-id", a.id, "--start-time", "00:00"]);
  const keeper = e.emulator.addSnapshot({
    volumeId: a.id,
    createdAt: "2026-03-10T00:00:01Z",
    metadata: { ...meta, "x-snapsentry-snapshot-run-id": "req-a" },
  });
  const dup = e.emulator.addSnapshot({
    volumeId: a.id,
    createdAt: "2026-03-10T00:00:02Z",
    metadata: { ...meta, "x-snapsentry-snapshot-run-id": "req-b" },
  });
  const plan = JSON.parse((await e.run(["plan", "--json"])).stdout);
  const entries = (id: string) =>
    plan.expire.filter((x: { snapshot_id: string }) => x.snapshot_id === id);
  assert.deepEqual(entries(dup.id).map((x: { action: string }) => x.action), ["expire"]);
  assert.equal(entries(dup.id)[0].duplicate_of, keeper.id);
  assert.deepEqual(entries(keeper.id).map((x: { action: string }) => x.action), ["keep"]);
});

Deno.test("a value SnapSentry-Go accepted works as it did: a warning, exit 0", async () => {
  const { e, a } = setup();
  e.emulator.state.volumes.get(a.id)!.metadata = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-daily-enabled": "true",
    "x-snapsentry-daily-retention-days": "-1",
  };
  const plan = JSON.parse((await e.run(["plan", "--json"])).stdout);
  assert.deepEqual(plan.create.map((x: { action: string }) => x.action), ["create"]);
  assert.deepEqual(plan.warnings.map((w: { key: string; used: string }) => [w.key, w.used]), [
    ["x-snapsentry-daily-retention-days", "2"],
  ]);
  const r = await e.run(["create-snapshots", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.result, "ok");
  assert.equal(summary.counts.created, 1);
  assert.deepEqual(summary.warnings.map((w: { code: string }) => w.code), ["policy_normalised"]);
  assert.equal(r.logs.filter((l) => l.event === "policy_normalised").length, 1);
  // The snapshot carries the retention Go used: the daily default.
  const snap = e.emulator.snapshots(e.emulator.seed.demoProjectId)[0]!;
  assert.equal(snap.metadata["x-snapsentry-snapshot-retention-days"], "2");
});

Deno.test("plan --days counts snapshots that are not managed against the quota", async () => {
  const { e, project, a, b } = setup();
  await e.run(["subscribe", "daily", "--volume-id", a.id, "--retention", "7"]);
  let r = await e.run(["plan", "--days", "30", "--json"]);
  const need = JSON.parse(r.stdout).forecast.totalSnapshots as number;
  // Room for the policies and one more; three hand-made snapshots of another volume do not fit.
  const before = e.emulator.snapshots(project).length;
  e.emulator.setQuota(project, { snapshots: need + before + 1 });
  for (let i = 0; i < 3; i++) e.emulator.addSnapshot({ volumeId: b.id, name: `manual-${i}` });
  r = await e.run(["plan", "--days", "30", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const fc = JSON.parse(r.stdout).forecast;
  const warning = fc.warnings.find((w: string) => /Snapshot quota too small/.test(w));
  assert.ok(warning, fc.warnings.join());
  assert.match(warning, new RegExp(`and ${before + 3} others exist`));
});

Deno.test("status shows what needs a human: Go-read values, unreadable expiries, another tool", async () => {
  const { e, a, b } = setup();
  e.emulator.addVolume(e.emulator.seed.demoProjectId, { name: "c" });
  const subscribe = (id: string, extra: Record<string, string>) =>
    e.emulator.state.volumes.get(id)!.metadata = {
      "x-snapsentry-managed": "true",
      "x-snapsentry-daily-enabled": "true",
      "x-snapsentry-daily-start-time": "00:00",
      ...extra,
    };
  subscribe(a.id, { "x-snapsentry-daily-retention-days": "0x1E" });
  subscribe(b.id, {});
  // snapsentry's own snapshot (window and run stamps), then two the Go tool made after it, one of
  // them without an expiry.
  const stamped = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-snapshot-policy-type": "daily",
    "x-snapsentry-snapshot-window-start": "2026-03-09T00:00:00Z",
    "x-snapsentry-snapshot-run-id": "req-1",
    "x-snapsentry-snapshot-expiry-date": "2026-03-20T00:00:00Z",
  };
  e.emulator.addSnapshot({ volumeId: b.id, metadata: stamped, createdAt: "2026-03-09T00:00:05Z" });
  const goMade = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-snapshot-policy-type": "daily",
    "x-snapsentry-snapshot-expiry-date": "2026-03-20T00:00:00Z",
  };
  e.emulator.addSnapshot({ volumeId: a.id, metadata: goMade, createdAt: "2026-03-10T00:00:03Z" });
  const noExpiry = e.emulator.addSnapshot({
    volumeId: b.id,
    metadata: { "x-snapsentry-managed": "true", "x-snapsentry-snapshot-policy-type": "daily" },
    createdAt: "2026-03-10T00:00:04Z",
  });

  const text = await e.run(["status"]);
  assert.equal(text.code, 0, text.stderr);
  const warn = text.stdout.split("\n").filter((l) => l.startsWith("WARN "));
  assert.equal(warn.length, 3, text.stdout);
  assert.match(warn[0]!, /Read x-snapsentry-daily-retention-days "0x1E" on volume .* as 30/);
  assert.match(
    warn[1]!,
    new RegExp(`expiry-date is missing.*${noExpiry.id}|${noExpiry.id}.*missing`),
  );
  assert.match(warn[2]!, /Another tool is still creating managed snapshots: 2 without/);
  assert.match(text.stdout, /\d+ OK, \d+ CREATING, \d+ DUE, \d+ LATE, \d+ INVALID/);

  const json = JSON.parse((await e.run(["status", "--json"])).stdout);
  assert.equal(json.warnings.length, 3);
  assert.deepEqual(json.unreadable_expiries.map((i: { snapshot_id: string }) => i.snapshot_id), [
    noExpiry.id,
  ]);
  assert.equal(json.another_snapshot_manager.count, 2);
  const entryA = json.entries.find((x: { volume_id: string }) => x.volume_id === a.id);
  assert.equal(entryA.warnings.length, 1);
  assert.equal(typeof json.counts.CREATING, "number");
});
