/**
 * The Go model (go_model.ts) decides as SnapSentry-Go did: every recorded case of Go's own tests
 * and DST days in tests/fixtures/go/snapsentry_go.json, with Go's window (`go` where snapsentry
 * now decides differently).
 */
import assert from "node:assert/strict";
import { goExpiry, type GoPolicy, goWindow, GoZone } from "./go_model.ts";

interface Case {
  name: string;
  volume: string;
  policy: "daily" | "weekly" | "monthly" | "express";
  now: string;
  snapshots: { status: string; created_at: string }[];
  window_start: string;
  window_end: string;
  action: string;
  go?: { action: string; window_start?: string; window_end?: string };
}

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/go/snapsentry_go.json", import.meta.url)),
) as { volumes: { id: string; metadata: Record<string, string> }[]; cases: Case[] };

const zones = new Map<string, GoZone>();
const zone = (name: string) => {
  let z = zones.get(name);
  if (!z) {
    z = new GoZone(name, Date.UTC(2023, 0, 1), Date.UTC(2027, 0, 1));
    zones.set(name, z);
  }
  return z;
};

/** A policy as Go's reader saw the volume's metadata (its keys; the CLI's month key unread). */
function goPolicyOf(metadata: Record<string, string>, type: Case["policy"]): GoPolicy {
  const k = (s: string) => metadata[`x-snapsentry-${type}-${s}`];
  const [hh, mm] = (k("start-time") ?? "00:00").split(":").map(Number) as [number, number];
  const days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
  return {
    type,
    zone: zone(k("timezone") || "UTC"),
    hh,
    mm,
    weekday: Math.max(0, days.indexOf(k("start-day-of-week") ?? "sunday")),
    ...(k("start-day-of-month") ? { day: Number(k("start-day-of-month")) } : {}),
    intervalHours: Number(k("interval-hours") ?? 6),
    retentionDays: Number(k("retention-days")),
  };
}

Deno.test("the Go model takes Go's decision and window in every recorded case", () => {
  for (const c of fixture.cases) {
    const v = fixture.volumes.find((x) => x.id === c.volume)!;
    const p = goPolicyOf(v.metadata, c.policy);
    const now = Temporal.Instant.from(c.now).epochMilliseconds;
    const go = {
      action: c.go?.action ?? c.action,
      start: c.go?.window_start ?? c.window_start,
      end: c.go?.window_end ?? c.window_end,
    };
    const win = goWindow(p, now);
    if (go.action === "outside") {
      assert.equal(win, null, c.name);
      continue;
    }
    assert.ok(win, c.name);
    assert.equal(win.start, Temporal.Instant.from(go.start).epochMilliseconds, `${c.name}: start`);
    assert.equal(win.end, Temporal.Instant.from(go.end).epochMilliseconds, `${c.name}: end`);
    // Go counted only available snapshots, the newest one.
    const newest = c.snapshots.filter((s) => s.status === "available")
      .map((s) => Date.parse(`${s.created_at}Z`)).sort((a, b) => b - a)[0];
    const filled = newest !== undefined && newest >= win.start && newest < win.end;
    assert.equal(filled ? "skip" : "create", go.action, c.name);
  }
});

Deno.test("Go's time.Date: a gap moves forwards east of UTC, backwards west; expiry keeps the wall clock", () => {
  const berlin = zone("Europe/Berlin");
  const ny = zone("America/New_York");
  assert.equal(berlin.rfc3339(berlin.date(2026, 3, 29, 2, 30)), "2026-03-29T03:30:00+02:00");
  assert.equal(ny.rfc3339(ny.date(2026, 3, 8, 2, 30)), "2026-03-08T01:30:00-05:00");
  // Fall-back: Berlin takes the later 02:30 (CET), New York the earlier 01:30 (EDT).
  assert.equal(berlin.rfc3339(berlin.date(2025, 10, 26, 2, 30)), "2025-10-26T02:30:00+01:00");
  assert.equal(ny.rfc3339(ny.date(2025, 11, 2, 1, 30)), "2025-11-02T01:30:00-04:00");
  const chatham = zone("Pacific/Chatham");
  assert.equal(chatham.rfc3339(chatham.date(2025, 9, 28, 2, 50)), "2025-09-28T03:50:00+13:45");
  const daily: GoPolicy = { type: "daily", zone: berlin, hh: 14, mm: 0, retentionDays: 5 };
  const start = Temporal.Instant.from("2025-10-24T14:00:00+02:00").epochMilliseconds;
  assert.equal(berlin.rfc3339(goExpiry(daily, start)), "2025-10-29T14:00:00+01:00");
});
