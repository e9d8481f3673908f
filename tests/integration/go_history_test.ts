/**
 * The move from SnapSentry-Go, replayed: a year of Go-made history (go_model.ts: Go's windows and
 * placement, its DST days in Europe/Berlin, America/New_York and Pacific/Chatham, catch-up pairs
 * after outages, retried creates, a 6 h → 12 h express change, the CLI's unread monthly key) is
 * loaded into the emulated cloud as Go left it, then snapsentry runs create every 2 hours and
 * expire daily for 30 days. Then:
 * - no snapshot without snapsentry's stamps was deleted before its own expiry, and every one whose
 *   expiry passed was deleted;
 * - no snapsentry window from the switch on is empty;
 * - no window got a second snapshot from snapsentry, nor one from snapsentry beside Go's.
 */
import assert from "node:assert/strict";
import {
  parseSnapshotStamp,
  parseVolumePolicies,
  type Policy,
  SNAPSHOT_KEYS,
  windowAt,
} from "../../src/core/mod.ts";
import type { SnapshotRec } from "../../src/emulator/mod.ts";
import {
  DAY,
  type GoVolume,
  goVolumeMetadata,
  GoZone,
  HOUR,
  MINUTE,
  runGoDaemon,
} from "./go_model.ts";
import { harness } from "./harness.ts";

const FROM = Date.UTC(2025, 3, 1); // 2025-04-01: a year of Go
const SWITCH = Date.UTC(2026, 3, 1); // 2026-04-01T00:00Z: Go stopped, snapsentry started
const END = SWITCH + 30 * DAY;
const at = (iso: string) => Temporal.Instant.from(iso).epochMilliseconds;

Deno.test("a year of Go history, then 30 days of snapsentry: no restore point lost or doubled", async () => {
  const h = harness({ start: new Date(SWITCH).toISOString() });
  const span = (name: string) => new GoZone(name, FROM - 40 * DAY, END + 500 * DAY);
  const berlin = span("Europe/Berlin");
  const ny = span("America/New_York");
  const chatham = span("Pacific/Chatham");

  const ids = {
    berlin: h.emulator.addVolume(h.project, { name: "berlin", size: 10 }).id,
    ny: h.emulator.addVolume(h.project, { name: "new-york", size: 10 }).id,
    chatham: h.emulator.addVolume(h.project, { name: "chatham", size: 10 }).id,
  };
  const volumes: GoVolume[] = [
    {
      id: ids.berlin,
      policies: [
        // 02:30 is in the spring-forward gap (29 March 2026); weekly on Sundays, the DST days.
        { type: "daily", zone: berlin, hh: 2, mm: 30, retentionDays: 35 },
        { type: "weekly", zone: berlin, hh: 2, mm: 30, weekday: 0, retentionDays: 120 },
        { type: "monthly", zone: berlin, hh: 2, mm: 30, day: 29, retentionDays: 400 },
      ],
    },
    {
      id: ids.ny,
      policies: [
        // West of UTC: Go maps 02:30 on 8 March 2026 backwards, to 01:30 EST.
        { type: "daily", zone: ny, hh: 2, mm: 30, retentionDays: 35 },
        { type: "express", zone: ny, hh: 0, mm: 0, intervalHours: 6, retentionDays: 7 },
      ],
      // Changed from 6 h to 12 h four days before the switch: both kinds are still kept.
      intervalChange: { atMs: at("2026-03-28T12:00:00Z"), hours: 12 },
    },
    {
      id: ids.chatham,
      policies: [
        { type: "daily", zone: chatham, hh: 2, mm: 45, retentionDays: 35 },
        // Set up with Go's CLI: its day-of-month key (31) was never read, so Go ran on the 1st.
        { type: "monthly", zone: chatham, hh: 2, mm: 45, retentionDays: 400 },
      ],
    },
  ];
  const made = runGoDaemon(volumes, {
    fromMs: FROM,
    toMs: SWITCH,
    outages: [
      // Down over a whole Berlin daily window (01:30Z in winter): back at 01:29Z, then 01:30Z.
      { fromMs: at("2026-03-18T20:00:00Z"), toMs: at("2026-03-20T01:30:00Z") },
      // New York's starts 06:30Z in summer time.
      { fromMs: at("2026-03-15T00:00:00Z"), toMs: at("2026-03-16T06:30:00Z") },
    ],
    extraRuns: [at("2026-03-20T01:29:00Z"), at("2026-03-16T06:29:00Z")],
    retriedCreates: [
      { volumeId: ids.berlin, policy: "daily", atRunMs: at("2026-03-25T01:30:00Z") },
      { volumeId: ids.chatham, policy: "monthly", atRunMs: at("2026-02-28T13:00:00Z") },
    ],
  });
  const live = made.filter((s) => !s.deleted);
  // The history has what the issue names, still within retention at the switch.
  const pairs = live.filter((s, i) =>
    live.some((o, j) =>
      j !== i && o.volumeId === s.volumeId && o.policy === s.policy &&
      Math.abs(o.createdMs - s.createdMs) <= 2 * MINUTE
    )
  );
  assert.ok(pairs.length >= 6, `catch-up pairs and retried creates: ${pairs.length}`);
  assert.ok(live.some((s) => s.name.endsWith("2026-03-08T01:30:00-05:00")), "NY's DST day");
  assert.ok(live.some((s) => s.name.includes("2026-03-29T03:30:00+02:00")), "Berlin's DST day");
  assert.ok(live.filter((s) => s.policy === "monthly").length >= 24, "a year of monthly points");

  // The cloud as Go left it: its volumes' keys, its snapshots' names, description and keys.
  for (const v of volumes) {
    h.emulator.state.volumes.get(v.id)!.metadata = goVolumeMetadata(v, SWITCH);
  }
  h.emulator.state.volumes.get(ids.chatham)!.metadata["x-snapsentry-monthly-day-of-month"] = "31";
  const goIds = new Map<string, (typeof made)[number]>();
  for (const s of live) {
    const rec = h.emulator.addSnapshot({
      volumeId: s.volumeId,
      name: s.name,
      description: "Created and managed by Snapsentry",
      metadata: s.metadata,
      createdAt: Temporal.Instant.fromEpochMilliseconds(s.createdMs),
    });
    goIds.set(rec.id, s);
  }

  // snapsentry: create every 2 hours (at :07), expire daily at 03:00Z, for 30 days.
  let lastExpire = 0;
  let lastCreate = 0;
  for (let day = SWITCH; day < END; day += DAY) {
    const engine = await h.engine();
    for (let t = day + 7 * MINUTE; t < day + DAY; t += 2 * HOUR) {
      if (t >= day + 3 * HOUR && lastExpire < day + 3 * HOUR) {
        h.clock.set(Temporal.Instant.fromEpochMilliseconds(day + 3 * HOUR));
        const r = await engine.expire();
        assert.equal(
          r.result,
          "ok",
          JSON.stringify(r.actions.filter((a) => a.status === "failed")),
        );
        lastExpire = day + 3 * HOUR;
      }
      h.clock.set(Temporal.Instant.fromEpochMilliseconds(t));
      const r = await engine.create();
      assert.equal(r.result, "ok", JSON.stringify(r.actions.filter((a) => a.status === "failed")));
      assert.equal(r.counts.deleted, 0, "a create run deleted a snapshot");
      lastCreate = t;
    }
  }

  const all = h.emulator.snapshots(h.project, { includeDeleted: true });
  const stampOf = (s: SnapshotRec) =>
    parseSnapshotStamp({
      id: s.id,
      metadata: s.metadata,
      createdAt: Temporal.Instant.fromEpochMilliseconds(s.createdAt),
    });

  // 1. Go's restore points go by their own expiry only, and do go when it passes.
  let expiredGo = 0;
  for (const s of all) {
    const g = goIds.get(s.id);
    if (!g) continue;
    if (s.deletedAt !== null) {
      assert.ok(
        s.deletedAt >= g.expiryMs,
        `${g.name} deleted at ${new Date(s.deletedAt).toISOString()}, before its expiry ${
          new Date(g.expiryMs).toISOString()
        }`,
      );
      expiredGo++;
    } else {
      assert.ok(g.expiryMs > lastExpire, `${g.name} expired ${new Date(g.expiryMs).toISOString()}`);
    }
  }
  assert.ok(expiredGo >= 30, `Go snapshots expired in 30 days: ${expiredGo}`);

  // 2. and 3. Every snapsentry window from the switch on has a snapshot; snapsentry made at most
  // one per window, and none where a snapshot (Go's or its own) already filled it.
  const ours = all.filter((s) => s.metadata[SNAPSHOT_KEYS.runId] !== undefined);
  assert.ok(ours.length > 0, "snapsentry made snapshots");
  for (const v of volumes) {
    const { policies } = parseVolumePolicies({
      id: v.id,
      metadata: h.emulator.volume(v.id)!.metadata,
    });
    assert.equal(policies.length, v.policies.length, `${v.id}: every Go policy is read`);
    for (const policy of policies as Policy[]) {
      const mine = all.filter((s) => s.volumeId === v.id && stampOf(s).policy === policy.type);
      const byWindow = new Map<string, SnapshotRec[]>();
      for (const s of mine) {
        const key = windowAt(policy, stampOf(s).windowAnchor).start.toInstant().toString();
        byWindow.set(key, [...(byWindow.get(key) ?? []), s]);
      }
      let w = windowAt(policy, Temporal.Instant.fromEpochMilliseconds(SWITCH));
      for (; w.start.epochMilliseconds <= lastCreate; w = windowAt(policy, w.end.toInstant())) {
        const key = w.start.toInstant().toString();
        const inside = byWindow.get(key) ?? [];
        const label = `${v.id} ${policy.type} window ${w.start}`;
        assert.ok(inside.length > 0, `${label} is empty`);
        const snapsentry = inside.filter((s) => s.metadata[SNAPSHOT_KEYS.runId] !== undefined);
        assert.ok(
          snapsentry.length <= 1,
          `${label}: ${snapsentry.length} snapshots from snapsentry`,
        );
        for (const s of snapsentry) {
          const before = inside.filter((o) =>
            o !== s && o.createdAt < s.createdAt &&
            (o.deletedAt === null || o.deletedAt > s.createdAt)
          );
          assert.deepEqual(
            before.map((o) => o.name),
            [],
            `${label}: made beside ${before[0]?.name}`,
          );
        }
      }
    }
  }
});
