import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import {
  createRequest,
  onDemandRequest,
  planCreate,
  planOnDemand,
  type PlanSnapshot,
  type PlanVolume,
} from "./mod.ts";

const I = (s: string) => Temporal.Instant.from(s);
const NOW = I("2026-03-10T12:00:00Z");
const DAILY = {
  "x-snapsentry-managed": "true",
  "x-snapsentry-daily-enabled": "true",
  "x-snapsentry-daily-start-time": "08:00",
  "x-snapsentry-daily-retention-days": "7",
};

function vol(id: string, opts: Partial<PlanVolume> & { servers?: string[] } = {}): PlanVolume {
  return {
    id,
    name: `name-${id}`,
    status: opts.status ?? "in-use",
    size: 10,
    metadata: opts.metadata ?? DAILY,
    attachments: (opts.servers ?? []).map((serverId) => ({ serverId })),
  };
}

/** What Cinder would list after the request was sent. */
function made(id: string, md: Record<string, string>, volumeId: string): PlanSnapshot {
  return { id, volumeId, status: "available", createdAt: NOW, metadata: md, size: 10 };
}

Deno.test("planOnDemand()", async (t) => {
  await t.step("a policy snapshot carries the very stamp a run gives it, plus the mark", () => {
    const v = vol("v1", { servers: ["srv"] });
    const plan = planOnDemand({ now: NOW, volumes: [v], policy: "daily" });
    assertEquals(plan.refused, []);
    const req = onDemandRequest(plan.entries[0]!, NOW);
    const run = createRequest(
      planCreate({ now: NOW, volumes: [v], snapshots: [] }).entries[0]!,
      NOW,
    );
    const { ["x-snapsentry-snapshot-on-demand"]: mark, ...rest } = req.metadata;
    assertEquals(mark, "true");
    assertEquals(rest, run.metadata, "same expiry, window, policy, retention and group keys");
    assertEquals(req.metadata["x-snapsentry-snapshot-window-start"], "2026-03-10T08:00:00Z");
    assertEquals(req.metadata["x-snapsentry-snapshot-expiry-date"], "2026-03-17T12:00:00Z");
    assertEquals(req.name, "ondemand-daily-v1-2026-03-10T12:00:00Z");
  });

  await t.step("the next run finds the window satisfied by it", () => {
    const v = vol("v1");
    const req = onDemandRequest(
      planOnDemand({ now: NOW, volumes: [v], policy: "daily" }).entries[0]!,
      NOW,
    );
    const later = NOW.add({ hours: 3 });
    const next = planCreate({
      now: later,
      volumes: [v],
      snapshots: [made("od", req.metadata, "v1")],
    });
    assertEquals(next.entries.map((e) => [e.action, e.satisfiedBy]), [["skip", "od"]]);
    assertEquals(next.dedupe, []);
    // The window after it is a new one.
    const tomorrow = planCreate({
      now: NOW.add({ hours: 24 }),
      volumes: [v],
      snapshots: [made("od", req.metadata, "v1")],
    });
    assertEquals(tomorrow.entries[0]!.action, "create");
  });

  await t.step("an ad-hoc snapshot expires after the duration and counts for no window", () => {
    const v = vol("v1");
    const plan = planOnDemand({ now: NOW, volumes: [v], retentionMs: 36 * 3600_000, name: "pre" });
    const req = onDemandRequest(plan.entries[0]!, NOW);
    assertEquals(req.name, "pre");
    assertEquals(req.metadata, {
      "x-snapsentry-managed": "true",
      "x-snapsentry-snapshot-expiry-date": "2026-03-12T00:00:00Z",
      "x-snapsentry-snapshot-expiry-date-user-tz": "2026-03-12T00:00:00Z",
      "x-snapsentry-snapshot-on-demand": "true",
    });
    const next = planCreate({
      now: NOW,
      volumes: [v],
      snapshots: [made("adhoc", req.metadata, "v1")],
    });
    assertEquals(next.entries[0]!.action, "create", "it does not satisfy the daily window");
    // Whole days are recorded as retention days.
    const week = onDemandRequest(
      planOnDemand({ now: NOW, volumes: [v], retentionMs: 7 * 86_400_000 }).entries[0]!,
      NOW,
    );
    assertEquals(week.metadata["x-snapsentry-snapshot-retention-days"], "7");
  });

  await t.step("volumes attached to one server go out together, the others in the lane", () => {
    const plan = planOnDemand({
      now: NOW,
      volumes: [
        vol("b", { servers: ["s1"] }),
        vol("a", { servers: ["s1"] }),
        vol("c", { servers: [] }),
        vol("d", { servers: ["s1", "s2"] }),
      ],
      retentionMs: 3600_000,
    });
    assertEquals(
      plan.groups.map((g) => [g.key, g.entries.map((e) => e.volumeId)]),
      [["server:s1", ["b", "a"]], ["lane", ["c", "d"]]],
    );
  });

  await t.step("volumes without the policy, or in a status that forbids it, are refused", () => {
    const plan = planOnDemand({
      now: NOW,
      volumes: [
        vol("plain", { metadata: {} }),
        vol("off", { metadata: { ...DAILY, "x-snapsentry-daily-enabled": "false" } }),
        vol("bad", { metadata: { ...DAILY, "x-snapsentry-daily-start-time": "25:00" } }),
        vol("err", { status: "error" }),
        vol("ok"),
      ],
      policy: "daily",
    });
    assertEquals(plan.entries.map((e) => e.volumeId), ["ok"]);
    const why = Object.fromEntries(plan.refused.map((r) => [r.volumeId, r.message]));
    assert(why.plain!.includes("not subscribed"), why.plain);
    assert(why.off!.includes("no enabled daily policy"), why.off);
    assert(why.bad!.includes('"25:00"'), why.bad);
    assert(why.err!.includes('status is "error"'), why.err);
    assert(why.plain!.includes("--retention"), "suggests an ad-hoc snapshot");
    // Ad hoc needs no policy.
    assertEquals(
      planOnDemand({ now: NOW, volumes: [vol("plain", { metadata: {} })], retentionMs: 1000 })
        .entries.length,
      1,
    );
  });

  await t.step("exactly one of policy and retention", () => {
    throws(() => planOnDemand({ now: NOW, volumes: [] }), TypeError);
    throws(
      () => planOnDemand({ now: NOW, volumes: [], policy: "daily", retentionMs: 1 }),
      TypeError,
    );
  });
});
