/**
 * Compatibility with SnapSentry-Go: volumes and snapshots exactly as the Go tool wrote them
 * (`tests/fixtures/go/snapsentry_go.json`) plan the windows Go planned, except where a documented
 * Go bug is fixed (each such case records Go's decision and names the bug). `goWindow()` below is a
 * direct port of the Go evaluator (go-compatibility.md, Windows), absolute-duration arithmetic included, so the
 * recorded Go decisions are checked too, and a sweep compares both over a whole year.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import fixtureJson from "../../tests/fixtures/go/snapsentry_go.json" with { type: "json" };
import { parseVolumePolicies, type Policy } from "./policy.ts";
import { planCreate, planExpire, type PlanSnapshot, type PlanVolume } from "./mod.ts";
import { windowAt } from "./window.ts";

interface WireSnapshot {
  id: string;
  volume_id: string;
  status: string;
  size: number;
  created_at: string;
  metadata: Record<string, string>;
}

interface Fixture {
  volumes: {
    id: string;
    name: string;
    status: string;
    size: number;
    metadata: Record<string, string>;
    attachments: { server_id: string }[];
  }[];
  cases: {
    name: string;
    volume: string;
    policy: string;
    now: string;
    snapshots: WireSnapshot[];
    window_start: string;
    window_end: string;
    action: string;
    go?: { action?: string; window_start?: string; window_end?: string };
    note?: string;
  }[];
  expire: {
    now: string;
    volumes: string[];
    snapshots: WireSnapshot[];
    want: Record<string, { action: string; go: string; note?: string }>;
  };
}

const fixture = fixtureJson as unknown as Fixture;

// Cinder's created_at has no zone designator and is UTC (go-compatibility.md, Windows).
const cinderTime = (s: string) => Temporal.Instant.from(`${s}Z`);

const volumes: PlanVolume[] = fixture.volumes.map((v) => ({
  id: v.id,
  name: v.name,
  status: v.status,
  size: v.size,
  metadata: v.metadata,
  attachments: v.attachments.map((a) => ({ serverId: a.server_id })),
}));

const toSnapshot = (s: WireSnapshot): PlanSnapshot => ({
  id: s.id,
  volumeId: s.volume_id,
  status: s.status,
  size: s.size,
  metadata: s.metadata,
  createdAt: cinderTime(s.created_at),
});

/** The policy as the Go reader saw it: it ignored the legacy month-day key (bug 1), so day 1. */
function goPolicy(volume: PlanVolume, type: string): Policy {
  const md = { ...volume.metadata };
  delete md["x-snapsentry-monthly-day-of-month"];
  const p = parseVolumePolicies({ id: volume.id, metadata: md }).policies.find((p) =>
    p.type === type
  );
  if (!p) throw new Error(`no ${type} policy on ${volume.id}`);
  return p;
}

type GoWindow = { start: Temporal.ZonedDateTime; end: Temporal.ZonedDateTime; inside: boolean };

/** Port of the Go evaluator (go-compatibility.md, Windows): candidate P, absolute duration D, step back once. */
function goWindow(p: Policy, now: Temporal.Instant): GoWindow {
  const local = now.toZonedDateTimeISO(p.timezone);
  const at = (d: Temporal.PlainDate, h: number, m: number) =>
    d.toZonedDateTime({ timeZone: p.timezone, plainTime: new Temporal.PlainTime(h, m) });
  let start: Temporal.ZonedDateTime;
  let end: Temporal.ZonedDateTime;
  if (p.type === "monthly") {
    const target = (ym: Temporal.PlainYearMonth) =>
      at(
        ym.toPlainDate({ day: Math.min(p.dayOfMonth, ym.daysInMonth) }),
        p.startTime.hour,
        p.startTime.minute,
      );
    const ym = local.toPlainDate().toPlainYearMonth();
    const thisTarget = target(ym);
    if (Temporal.ZonedDateTime.compare(local, thisTarget) < 0) {
      start = target(ym.subtract({ months: 1 }));
      end = thisTarget;
    } else {
      start = thisTarget;
      end = target(ym.add({ months: 1 }));
    }
  } else {
    let P: Temporal.ZonedDateTime;
    let hours: number;
    if (p.type === "express") {
      const slot = Math.floor(local.hour / p.intervalHours) * p.intervalHours;
      P = local.startOfDay().add({ hours: slot }); // absolute hours from midnight
      hours = p.intervalHours;
    } else if (p.type === "daily") {
      P = at(local.toPlainDate(), p.startTime.hour, p.startTime.minute);
      hours = 24;
    } else {
      const target = p.dayOfWeek % 7; // Go: 0 = Sunday
      const today = local.dayOfWeek % 7;
      P = at(
        local.toPlainDate().add({ days: target - today }),
        p.startTime.hour,
        p.startTime.minute,
      );
      hours = 168;
    }
    start = Temporal.ZonedDateTime.compare(local, P) < 0 ? P.subtract({ hours }) : P;
    end = start.add({ hours });
  }
  const inside = Temporal.ZonedDateTime.compare(start, local) <= 0 &&
    Temporal.ZonedDateTime.compare(local, end) < 0;
  return { start, end, inside };
}

/** Go's decision: only the newest available snapshot of that policy counts (go-compatibility.md, Windows). */
function goDecide(p: Policy, now: Temporal.Instant, snapshots: PlanSnapshot[]) {
  const w = goWindow(p, now);
  if (!w.inside) return { ...w, action: "outside" };
  const newest = snapshots
    .filter((s) =>
      s.status === "available" && s.metadata["x-snapsentry-snapshot-policy-type"] === p.type
    )
    .sort((a, b) => Temporal.Instant.compare(b.createdAt, a.createdAt))[0];
  const inWindow = newest !== undefined &&
    Temporal.Instant.compare(w.start.toInstant(), newest.createdAt) <= 0 &&
    Temporal.Instant.compare(newest.createdAt, w.end.toInstant()) < 0;
  return { ...w, action: inWindow ? "skip" : "create" };
}

const same = (a: Temporal.ZonedDateTime, iso: string) =>
  a.toInstant().equals(Temporal.Instant.from(iso));

Deno.test("volumes tagged by SnapSentry-Go plan Go's windows, bugs fixed", async (t) => {
  for (const c of fixture.cases) {
    await t.step(`planCreate() matches Go: ${c.name}`, () => {
      const volume = volumes.find((v) => v.id === c.volume)!;
      const now = Temporal.Instant.from(c.now);
      const snapshots = c.snapshots.map(toSnapshot);
      const plan = planCreate({ now, volumes: [volume], snapshots });
      const entry = plan.entries.find((e) => e.policy === c.policy)!;
      assertEquals(
        [entry.action, entry.windowStart?.toString(), entry.windowEnd?.toString()],
        [
          c.action,
          Temporal.Instant.from(c.window_start).toString(),
          Temporal.Instant.from(c.window_end).toString(),
        ],
      );
      // Go's own decision, from the port of its evaluator, is the one recorded in the fixture.
      const go = goDecide(goPolicy(volume, c.policy), now, snapshots);
      const want = c.go as
        | { action?: string; window_start?: string; window_end?: string }
        | undefined;
      assertEquals(go.action, want?.action ?? c.action);
      assert(same(go.start, want?.window_start ?? c.window_start), `Go start ${go.start}`);
      assert(same(go.end, want?.window_end ?? c.window_end), `Go end ${go.end}`);
      if (want) assert(c.note, "a case that differs from Go must name the bug it fixes");
    });
  }
});

Deno.test("expire-snapshots on Go-made snapshots", async (t) => {
  const now = Temporal.Instant.from(fixture.expire.now);
  const plan = planExpire({
    now,
    volumes: volumes.filter((v) => fixture.expire.volumes.includes(v.id)),
    snapshots: fixture.expire.snapshots.map(toSnapshot),
  });
  for (const [id, want] of Object.entries(fixture.expire.want)) {
    await t.step(`planExpire() decides ${id}: ${want.action}`, () => {
      assertEquals(plan.entries.find((e) => e.snapshotId === id)?.action, want.action);
    });
  }
  await t.step("planExpire() never lists the unmanaged user snapshot", () => {
    assertEquals(plan.entries.some((e) => e.snapshotId === "user-snap"), false);
    assertEquals(plan.unmanaged, 1);
    assertEquals(plan.issues.map((i) => i.snapshotId), ["g-x-noexpiry", "g-x-badexpiry"]);
  });
});

Deno.test("windows equal Go's on every hour of 2025 away from DST days", async (t) => {
  const policies = volumes.filter((v) => v.id !== "go-monthly-cli").map((v) =>
    parseVolumePolicies(v).policies[0]!
  );
  for (const p of policies) {
    await t.step(`windowAt() agrees with Go for ${p.type} in Europe/Paris`, () => {
      let differ = 0;
      for (
        let now = Temporal.Instant.from("2025-01-01T00:30:00Z");
        now.epochMilliseconds < Date.UTC(2026, 0, 1);
        now = now.add({ hours: 1 })
      ) {
        const ours = windowAt(p, now);
        const go = goWindow(p, now);
        if (ours.start.equals(go.start) && ours.end.equals(go.end)) continue;
        // Only windows that span a DST transition, or runs on a transition day, may differ.
        const hasDst = (a: Temporal.ZonedDateTime, b: Temporal.ZonedDateTime) =>
          a.offset !== b.offset;
        assert(
          hasDst(ours.start, ours.end) || hasDst(go.start, go.end) ||
            now.toZonedDateTimeISO(p.timezone).hoursInDay !== 24,
          `${p.type} at ${now}: ours ${ours.start}–${ours.end}, Go ${go.start}–${go.end}`,
        );
        differ++;
      }
      assert(differ < 24 * 8 * 2, `${p.type}: ${differ} hours differ`);
    });
  }
});
