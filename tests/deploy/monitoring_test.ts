/**
 * The alerting kit: deploy/prometheus/snapsentry.rules.yaml passes `promtool check rules` and its
 * unit tests (`promtool test rules`: each alert fires on made-up series and stays silent on
 * healthy ones), and every metric the rules and the Grafana dashboard use is one snapsentry
 * exports, so a rename cannot silently empty an alert or a panel. Dashboard queries are checked
 * as PromQL by promtool too. promtool is Debian's `prometheus` package; CI installs it and sets
 * SNAPSENTRY_PROMTOOL, without which a missing promtool skips those cases, saying so.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { DaemonMetrics } from "../../src/daemon/mod.ts";
import type { RunReport } from "../../src/exec/mod.ts";

const ROOT = new URL("../../", import.meta.url);
const RULES = new URL("deploy/prometheus/snapsentry.rules.yaml", ROOT);
const RULE_TESTS = new URL("deploy/prometheus/snapsentry.rules.test.yaml", ROOT);
const DASHBOARD = new URL("deploy/grafana/snapsentry-dashboard.json", ROOT);

const PROMTOOL = Deno.env.get("SNAPSENTRY_PROMTOOL") ?? "promtool";
const promtool = (() => {
  try {
    return new Deno.Command(PROMTOOL, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
if (!promtool && Deno.env.get("SNAPSENTRY_PROMTOOL")) {
  throw new Error(`SNAPSENTRY_PROMTOOL=${PROMTOOL} is not a working promtool`);
}
const SKIP = promtool ? "" : " (ignored: no promtool here; apt-get install prometheus)";

async function run(args: string[], cwd?: URL): Promise<{ ok: boolean; text: string }> {
  const out = await new Deno.Command(PROMTOOL, {
    args,
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { ok: out.success, text: d.decode(out.stdout) + d.decode(out.stderr) };
}

/** Every family a fully fed daemon exports (all optional inputs given). */
function exportedFamilies(): Set<string> {
  const m = new DaemonMetrics({
    processStats: () => ({
      residentMemoryBytes: 1,
      virtualMemoryBytes: 1,
      startTimeSeconds: 1,
      cpuSecondsTotal: 1,
      openFds: 1,
      maxFds: 1,
    }),
  });
  const record = {
    job: "create" as const,
    trigger: "schedule" as const,
    startedAt: "2026-01-15T11:50:00Z",
    finishedAt: "2026-01-15T11:50:42Z",
    durationMs: 42_000,
    result: "failed" as const,
    errorCode: "auth_error",
  };
  m.recordRun(record, {
    summary: { actions: [{ kind: "create", status: "failed", reason: "r", errorCode: "x" }] },
  } as unknown as RunReport);
  const text = m.render({
    now: Temporal.Instant.from("2026-01-15T12:00:00Z"),
    ready: true,
    freshness: [{
      volumeId: "v",
      volumeName: "v",
      serverId: null,
      policy: "daily",
      newestSnapshotAt: "2026-01-15T02:00:00Z",
      intervalSeconds: 86400,
      verdict: "OK",
    }],
    requestStats: { byMethodStatus: { "GET 200": 1 } },
    build: { version: "0", commit: "c", buildDate: "d" },
    jobs: [{
      job: "create",
      running: false,
      nextRuns: ["2026-01-15T12:10:00Z"],
      skippedOverlaps: 0,
    }],
    alerts: {
      queued: 0,
      delivering: false,
      sent: 0,
      failed: 0,
      dropped: 0,
      abandoned: 0,
      lastSentAt: null,
      lastFailureAt: null,
    },
    quota: { snapshots: { limit: 1, inUse: 1, forecast: 1 } },
    notes: { policyWarnings: 1, unreadableExpiries: 1, otherManagerSnapshots: 1 },
    unprotected: { volumes: 1, refreshedAt: Temporal.Instant.from("2026-01-01T00:00:00Z") },
  });
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]!);
    if (m[2] === "histogram") {
      for (const s of ["_bucket", "_sum", "_count"]) names.add(m[1] + s);
    }
  }
  return names;
}

/** Metric names an expression uses (identifiers that look like snapsentry's or process_*). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:snapsentry|process)_[a-z_]+|up)\b(?!\s*\()/g)].map((m) => m[1]!)
    .filter((n) => n !== "up");
}

async function ruleExprs(): Promise<{ alert: string; expr: string }[]> {
  const doc = parse(await Deno.readTextFile(RULES)) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules);
}

async function dashboardExprs(): Promise<{ panel: string; expr: string }[]> {
  const d = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const out: { panel: string; expr: string }[] = [];
  for (const p of d.panels) {
    for (const t of p.targets ?? []) out.push({ panel: p.title, expr: t.expr });
  }
  return out;
}

Deno.test("the rules and the dashboard use only metrics snapsentry exports", async () => {
  const exported = exportedFamilies();
  for (const { alert, expr } of await ruleExprs()) {
    for (const name of metricsIn(expr)) assert.ok(exported.has(name), `${alert} uses ${name}`);
  }
  const panels = await dashboardExprs();
  assert.ok(panels.length >= 15, `${panels.length} dashboard queries`);
  for (const { panel, expr } of panels) {
    for (const name of metricsIn(expr)) assert.ok(exported.has(name), `"${panel}" uses ${name}`);
  }
  // The check can fail: the renamed age gauge and the old job label are gone.
  assert.equal(exported.has("snapsentry_newest_snapshot_age_seconds"), false);
  for (const { expr } of [...await ruleExprs(), ...panels]) {
    assert.doesNotMatch(expr, /\bjob="(create|expire)"/);
  }
});

Deno.test("the Grafana dashboard covers freshness, runs, API calls and errors, and volumes", async () => {
  const d = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const titles = d.panels.map((p: { title: string }) => p.title).join("\n");
  for (const want of [/Fleet freshness/, /Runs/, /API requests/, /API errors/, /Per volume/]) {
    assert.match(titles, want);
  }
  const ids = d.panels.map((p: { id: number }) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  for (const p of d.panels) {
    if (p.type === "row") continue;
    assert.equal(p.datasource?.uid, "${datasource}", `${p.title} uses the datasource variable`);
  }
});

Deno.test({
  name: `promtool check rules and test rules pass${SKIP}`,
  ignore: !promtool,
  async fn() {
    const check = await run(["check", "rules", RULES.pathname]);
    assert.ok(check.ok, check.text);
    assert.match(check.text, /SUCCESS: 14 rules found/);
    const test = await run(["test", "rules", RULE_TESTS.pathname]);
    assert.ok(test.ok, test.text);
    assert.match(test.text, /SUCCESS/);
    // Every alert has a test that expects it to fire.
    const tests = parse(await Deno.readTextFile(RULE_TESTS)) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) => t.alert_rule_test).filter((a) => a.exp_alerts.length > 0).map((
        a,
      ) => a.alertname),
    );
    for (const { alert } of await ruleExprs()) assert.ok(fired.has(alert), `${alert} is tested`);
  },
});

Deno.test({
  name: `promtool test rules fails when an alert does not fire (the check can fail)${SKIP}`,
  ignore: !promtool,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const rules = (await Deno.readTextFile(RULES)).replace(
        "> 2 * snapsentry_policy",
        "> 20 * snapsentry_policy",
      );
      await Deno.writeTextFile(`${dir}/snapsentry.rules.yaml`, rules);
      await Deno.copyFile(RULE_TESTS, `${dir}/snapsentry.rules.test.yaml`);
      const r = await run(["test", "rules", `${dir}/snapsentry.rules.test.yaml`]);
      assert.equal(r.ok, false);
      assert.match(r.text, /SnapsentryVolumeStale/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `every dashboard query is valid PromQL${SKIP}`,
  ignore: !promtool,
  async fn() {
    // promtool checks PromQL in rule files, so each query becomes a recording rule.
    const rules = (await dashboardExprs()).map(({ expr }, i) => ({
      record: `dashboard:query_${i}`,
      expr: expr.replaceAll("$instance", ".*"),
    }));
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/d.yaml`, stringify({ groups: [{ name: "d", rules }] }));
      const r = await run(["check", "rules", `${dir}/d.yaml`]);
      assert.ok(r.ok, r.text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
