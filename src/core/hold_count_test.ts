/**
 * Holds and count-based retention across the planners: what expire keeps and deletes and why,
 * how a hold protects from every delete (expiry, count, zombie, duplicate), how a lapsed hold is
 * reported, what status and the forecast make of both, and how the count key is read and written.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  describePolicy,
  findOtherManager,
  forecast,
  parseVolumePolicies,
  planCreate,
  planExpire,
  type PlanSnapshot,
  planStatus,
  type PlanVolume,
  policyFromOptions,
  policyToMetadata,
  steadyStateCount,
} from "./mod.ts";

const I = (s: string) => Temporal.Instant.from(s);
const NOW = I("2026-03-10T12:00:00Z");

function daily(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "x-snapsentry-managed": "true",
    "x-snapsentry-daily-enabled": "true",
    "x-snapsentry-daily-start-time": "08:00",
    "x-snapsentry-daily-timezone": "UTC",
    ...extra,
  };
}

function vol(metadata: Record<string, string>): PlanVolume {
  return { id: "v", name: "vol", status: "available", size: 10, metadata, attachments: [] };
}

/** A run's snapshot of window `day` (08:00 UTC), created 5 min in, expiring after `days`. */
function snap(
  id: string,
  day: string,
  opts: { days?: number; status?: string; extra?: Record<string, string>; runId?: string } = {},
): PlanSnapshot {
  const windowStart = I(`2026-03-${day}T08:00:00Z`);
  const createdAt = windowStart.add({ minutes: 5 });
  return {
    id,
    volumeId: "v",
    status: opts.status ?? "available",
    createdAt,
    size: 10,
    metadata: {
      "x-snapsentry-managed": "true",
      "x-snapsentry-snapshot-policy-type": "daily",
      "x-snapsentry-snapshot-window-start": windowStart.toString(),
      "x-snapsentry-snapshot-run-id": opts.runId ?? `req-${id}`,
      "x-snapsentry-snapshot-expiry-date": createdAt.add({ hours: 24 * (opts.days ?? 2) })
        .toString(),
      ...opts.extra,
    },
  };
}

const actions = (snapshots: PlanSnapshot[], metadata: Record<string, string>, now = NOW) =>
  Object.fromEntries(
    planExpire({ now, volumes: [vol(metadata)], snapshots }).entries.map((
      e,
    ) => [e.snapshotId, `${e.action}${e.cause ? `:${e.cause}` : ""}`]),
  );

Deno.test("count retention", async (t) => {
  // Windows 03-06 … 03-10; every snapshot is within its 30 days.
  const five = ["06", "07", "08", "09", "10"].map((d) => snap(`s${d}`, d, { days: 30 }));

  await t.step("with days and a count, the snapshots beyond the newest N go (cause count)", () => {
    assertEquals(
      actions(
        five,
        daily({
          "x-snapsentry-daily-retention-days": "30",
          "x-snapsentry-daily-retention-count": "2",
        }),
      ),
      {
        s06: "expire:count",
        s07: "expire:count",
        s08: "expire:count",
        s09: "keep",
        s10: "keep",
      },
    );
  });

  await t.step("with days and a count, past the days OR beyond the count", () => {
    // Retention 3 days: 06 and 07 are past their expiry, 08 is not, but it is beyond count 2.
    const snaps = ["06", "07", "08", "09", "10"].map((d) => snap(`s${d}`, d, { days: 3 }));
    assertEquals(
      actions(
        snaps,
        daily({
          "x-snapsentry-daily-retention-days": "3",
          "x-snapsentry-daily-retention-count": "2",
        }),
      ),
      { s06: "expire:expiry", s07: "expire:expiry", s08: "expire:count", s09: "keep", s10: "keep" },
    );
  });

  await t.step("with a count only, the stamped expiry is not used: the count decides", () => {
    // Stamped with the 2-day default, so 06–08 are past it; count 4 keeps 07–10 anyway.
    const snaps = ["06", "07", "08", "09", "10"].map((d) => snap(`s${d}`, d, { days: 2 }));
    const plan = planExpire({
      now: NOW,
      volumes: [vol(daily({ "x-snapsentry-daily-retention-count": "4" }))],
      snapshots: snaps,
    });
    assertEquals(
      Object.fromEntries(plan.entries.map((e) => [e.snapshotId, e.action])),
      { s06: "expire", s07: "keep", s08: "keep", s09: "keep", s10: "keep" },
    );
    const gone = plan.entries.find((e) => e.snapshotId === "s06")!;
    assertEquals(gone.cause, "count");
    assert(gone.reason.includes("x-snapsentry-daily-retention-count=4"), gone.reason);
    assert(plan.entries.find((e) => e.snapshotId === "s07")!.reason.startsWith("Kept by count"));
    // Without the count the same snapshots go by their stamp.
    assertEquals(
      actions(snaps, daily()),
      {
        s06: "expire:expiry",
        s07: "expire:expiry",
        s08: "expire:expiry",
        s09: "keep",
        s10: "keep",
      },
    );
  });

  await t.step("held snapshots do not count, and are never deleted", () => {
    const snaps = [
      ...five.slice(0, 4),
      snap("s10", "10", { days: 30, extra: { "x-snapsentry-snapshot-hold": "true" } }),
    ];
    // Count 2: s10 is held (kept, not counted), so s09 and s08 are the two newest counted.
    assertEquals(
      actions(snaps, daily({ "x-snapsentry-daily-retention-count": "2" })),
      { s06: "expire:count", s07: "expire:count", s08: "keep", s09: "keep", s10: "keep" },
    );
  });

  await t.step("the min-keep guard keeps the newest good one; creating ones do not count", () => {
    const snaps = [
      snap("s08", "08", { days: 30 }),
      snap("s09", "09", { days: 30 }),
      {
        ...snap("s10", "10", { days: 30, status: "creating" }),
        createdAt: NOW.subtract({ minutes: 3 }),
      },
    ];
    // Count 1: s10 is still creating, so the newest available (s09) stays; only s08 goes.
    assertEquals(
      actions(snaps, daily({ "x-snapsentry-daily-retention-count": "1" })),
      { s08: "expire:count", s09: "keep", s10: "keep" },
    );
  });

  await t.step("a volume that is gone or lost its policy falls back to the stamped expiry", () => {
    const snaps = ["06", "07", "08"].map((d) => snap(`s${d}`, d, { days: 30 }));
    assertEquals(
      Object.fromEntries(
        planExpire({ now: NOW, volumes: [], snapshots: snaps }).entries.map((e) => [
          e.snapshotId,
          e.action,
        ]),
      ),
      { s06: "keep", s07: "keep", s08: "keep" },
    );
  });

  await t.step("the count key is read strictly and 0 or empty means no count", () => {
    const read = (count: string, days?: string) =>
      parseVolumePolicies({
        id: "v",
        metadata: daily({
          "x-snapsentry-daily-retention-count": count,
          ...(days ? { "x-snapsentry-daily-retention-days": days } : {}),
        }),
      });
    const p = read("7").policies[0]!;
    assertEquals([p.retentionDays, p.retentionCount, p.countOnly], [2, 7, true]);
    const both = read("7", "14").policies[0]!;
    assertEquals([both.retentionDays, both.retentionCount, both.countOnly], [14, 7, undefined]);
    assertEquals(read("0").policies[0]!.retentionCount, undefined);
    assertEquals(read("", "0").policies[0]!.retentionCount, undefined);
    for (const bad of ["1001", "-1", "two", "1.5"]) {
      const r = read(bad);
      assertEquals(r.invalid, ["daily"], bad);
      assert(
        r.errors[0]!.message.includes("from 1 to 1000"),
        `${bad}: ${r.errors[0]!.message}`,
      );
    }
  });

  await t.step("policyToMetadata() writes the count and, count only, no days key", () => {
    const only = policyFromOptions("daily", { startTime: "08:00", retentionCount: 5 });
    const md = policyToMetadata(only);
    assertEquals(md["x-snapsentry-daily-retention-count"], "5");
    assertEquals("x-snapsentry-daily-retention-days" in md, false);
    assertEquals(describePolicy(only), "daily 08:00 UTC, keep newest 5");
    const both = policyFromOptions("daily", {
      startTime: "08:00",
      retentionDays: 7,
      retentionCount: 5,
    });
    assertEquals(policyToMetadata(both)["x-snapsentry-daily-retention-days"], "7");
    assertEquals(describePolicy(both), "daily 08:00 UTC, keep 7 d, at most 5");
    // Both round-trip through the reader.
    for (const p of [only, both]) {
      assertEquals(parseVolumePolicies({ id: "v", metadata: policyToMetadata(p) }).policies, [p]);
    }
  });

  await t.step("the forecast uses the count", () => {
    const daysOnly = policyFromOptions("daily", { startTime: "08:00", retentionDays: 30 });
    assertEquals(steadyStateCount(daysOnly, NOW, 90), 30);
    const capped = policyFromOptions("daily", {
      startTime: "08:00",
      retentionDays: 30,
      retentionCount: 7,
    });
    assertEquals(steadyStateCount(capped, NOW, 90), 7);
    const only = policyFromOptions("daily", { startTime: "08:00", retentionCount: 12 });
    assertEquals(steadyStateCount(only, NOW, 90), 12, "not the 2 of the default days");
    const fc = forecast({
      now: NOW,
      days: 90,
      volumes: [vol(daily({ "x-snapsentry-daily-retention-count": "12" }))],
    });
    assertEquals([fc.totalSnapshots, fc.totalGigabytes], [12, 120]);
  });
});

Deno.test("holds", async (t) => {
  const hold = (until?: string, reason?: string) => ({
    "x-snapsentry-snapshot-hold": "true",
    ...(until ? { "x-snapsentry-snapshot-hold-until": until } : {}),
    ...(reason ? { "x-snapsentry-snapshot-hold-reason": reason } : {}),
  });

  await t.step("a held snapshot past its expiry is kept, with the hold as the reason", () => {
    const s = snap("s05", "05", { extra: hold("2026-04-01T00:00:00Z", "audit") });
    const plan = planExpire({
      now: NOW,
      volumes: [vol(daily())],
      snapshots: [s, snap("s10", "10")],
    });
    const e = plan.entries.find((x) => x.snapshotId === "s05")!;
    assertEquals([e.action, e.held], ["keep", true]);
    assertEquals(e.reason, "Held until 2026-04-01T00:00:00Z (audit): never deleted while held");
    assertEquals(plan.lapsedHolds, []);
  });

  await t.step("a hold with no end holds; a false hold does not", () => {
    assertEquals(
      actions(
        [
          snap("a", "05", { extra: hold() }),
          snap("b", "06", {
            extra: { "x-snapsentry-snapshot-hold": "false" },
          }),
          snap("s10", "10"),
        ],
        daily(),
      ),
      { a: "keep", b: "expire:expiry", s10: "keep" },
    );
  });

  await t.step("a lapsed hold holds nothing and is listed once per snapshot", () => {
    const s = snap("s05", "05", { extra: hold("2026-03-09T00:00:00Z", "upgrade") });
    const plan = planExpire({
      now: NOW,
      volumes: [vol(daily())],
      snapshots: [s, snap("s10", "10")],
    });
    assertEquals(plan.entries.find((x) => x.snapshotId === "s05")!.action, "expire");
    assertEquals(plan.lapsedHolds, [{
      snapshotId: "s05",
      volumeId: "v",
      until: I("2026-03-09T00:00:00Z"),
      reason: "upgrade",
    }]);
  });

  await t.step("an unreadable hold end keeps holding and is reported", () => {
    const s = snap("s05", "05", { extra: hold("next tuesday") });
    const plan = planExpire({
      now: NOW,
      volumes: [vol(daily())],
      snapshots: [s, snap("s10", "10")],
    });
    assertEquals(plan.entries.find((x) => x.snapshotId === "s05")!.action, "keep");
    assert(plan.issues.some((i) => i.snapshotId === "s05" && i.message.includes("next tuesday")));
  });

  await t.step("a held zombie is not deleted", () => {
    const s = snap("s09", "09", { status: "error", extra: hold() });
    assertEquals(actions([s, snap("s10", "10")], daily()), { s09: "keep", s10: "keep" });
  });

  await t.step("a held duplicate is not deleted; an on-demand one is no duplicate", () => {
    const keeper = snap("a", "10", { runId: "req-1" });
    const heldDup = {
      ...snap("b", "10", { runId: "req-2", extra: hold() }),
      createdAt: keeper.createdAt.add({ minutes: 1 }),
    };
    const onDemand = {
      ...snap("c", "10", { runId: "req-3", extra: { "x-snapsentry-snapshot-on-demand": "true" } }),
      createdAt: keeper.createdAt.add({ minutes: 2 }),
    };
    const plain = {
      ...snap("d", "10", { runId: "req-4" }),
      createdAt: keeper.createdAt.add({ minutes: 3 }),
    };
    const plan = planCreate({
      now: NOW,
      volumes: [vol(daily())],
      snapshots: [keeper, heldDup, onDemand, plain],
    });
    assertEquals(plan.dedupe.map((d) => [d.snapshotId, d.keepId]), [["d", "a"]]);
  });

  await t.step("status counts held snapshots and lists every hold", () => {
    const r = planStatus({
      now: NOW,
      volumes: [vol(daily())],
      snapshots: [
        snap("a", "09", { extra: hold("2026-04-01T00:00:00Z", "keep for audit") }),
        snap("b", "08", { extra: hold("2026-03-01T00:00:00Z") }),
        snap("c", "10"),
      ],
    });
    assertEquals(r.entries.map((e) => [e.policy, e.held, e.verdict]), [["daily", 1, "OK"]]);
    assertEquals(
      r.held.map((h) => [h.snapshotId, h.lapsed, h.reason ?? null]),
      [["a", false, "keep for audit"], ["b", true, null]],
    );
  });

  await t.step("snapshots snapsentry took on demand do not look like another tool's", () => {
    const ours = snap("a", "09");
    const adHoc: PlanSnapshot = {
      id: "x",
      volumeId: "v",
      status: "available",
      createdAt: I("2026-03-10T09:00:00Z"),
      metadata: {
        "x-snapsentry-managed": "true",
        "x-snapsentry-snapshot-on-demand": "true",
        "x-snapsentry-snapshot-run-id": "req-x",
        "x-snapsentry-snapshot-expiry-date": "2026-03-12T09:00:00Z",
      },
    };
    assertEquals(findOtherManager([ours, adHoc]), undefined);
    const goMade = { ...adHoc, id: "g", metadata: { "x-snapsentry-managed": "true" } };
    assertEquals(findOtherManager([ours, adHoc, goMade])?.snapshotId, "g");
  });
});
