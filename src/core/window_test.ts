import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { Policy } from "./policy.ts";
import { intervalSeconds, nextWindow, previousWindow, windowAt, windowContains } from "./window.ts";

const common = { enabled: true, retentionDays: 2 };
const daily = (timezone: string, hour: number, minute = 0): Policy => ({
  type: "daily",
  ...common,
  timezone,
  startTime: { hour, minute },
});
const weekly = (
  timezone: string,
  dayOfWeek: 1 | 2 | 3 | 4 | 5 | 6 | 7,
  hour: number,
  minute = 0,
): Policy => ({
  type: "weekly",
  ...common,
  timezone,
  startTime: { hour, minute },
  dayOfWeek,
});
const monthly = (timezone: string, dayOfMonth: number, hour: number, minute = 0): Policy => ({
  type: "monthly",
  ...common,
  timezone,
  startTime: { hour, minute },
  dayOfMonth,
});
const express = (timezone: string, intervalHours: 6 | 8 | 12): Policy => ({
  type: "express",
  ...common,
  timezone,
  intervalHours,
});

/** `now` and `start`/`end` are ISO strings with offset and zone. */
const cases: { name: string; policy: Policy; now: string; start: string; end: string }[] = [
  {
    name: "windowAt() starts a Kolkata daily 08:00 window yesterday before 08:00",
    policy: daily("Asia/Kolkata", 8),
    now: "2026-03-10T06:30:00+05:30[Asia/Kolkata]",
    start: "2026-03-09T08:00:00+05:30[Asia/Kolkata]",
    end: "2026-03-10T08:00:00+05:30[Asia/Kolkata]",
  },
  {
    name: "windowAt() treats the start time as the start of the window",
    policy: daily("Asia/Kolkata", 8),
    now: "2026-03-10T08:00:00+05:30[Asia/Kolkata]",
    start: "2026-03-10T08:00:00+05:30[Asia/Kolkata]",
    end: "2026-03-11T08:00:00+05:30[Asia/Kolkata]",
  },
  {
    name: "windowAt() moves a Berlin daily 02:30 boundary in the spring-forward gap to 03:30",
    policy: daily("Europe/Berlin", 2, 30),
    now: "2026-03-29T03:10:00+02:00[Europe/Berlin]",
    start: "2026-03-28T02:30:00+01:00[Europe/Berlin]",
    end: "2026-03-29T03:30:00+02:00[Europe/Berlin]",
  },
  {
    name: "windowAt() takes the earlier Berlin 02:30 on the fall-back day (second 02:45)",
    policy: daily("Europe/Berlin", 2, 30),
    now: "2026-10-25T02:45:00+01:00[Europe/Berlin]",
    start: "2026-10-25T02:30:00+02:00[Europe/Berlin]",
    end: "2026-10-26T02:30:00+01:00[Europe/Berlin]",
  },
  {
    name: "windowAt() takes the earlier Berlin 02:30 on the fall-back day (first 02:15)",
    policy: daily("Europe/Berlin", 2, 30),
    now: "2026-10-25T02:15:00+02:00[Europe/Berlin]",
    start: "2026-10-24T02:30:00+02:00[Europe/Berlin]",
    end: "2026-10-25T02:30:00+02:00[Europe/Berlin]",
  },
  {
    name: "windowAt() gives a 25-hour Berlin daily 14:00 window over fall-back (Go had a gap)",
    policy: daily("Europe/Berlin", 14),
    now: "2026-10-25T13:30:00+01:00[Europe/Berlin]",
    start: "2026-10-24T14:00:00+02:00[Europe/Berlin]",
    end: "2026-10-25T14:00:00+01:00[Europe/Berlin]",
  },
  {
    name:
      "windowAt() gives a 23-hour Berlin daily 14:00 window over spring-forward (Go overlapped)",
    policy: daily("Europe/Berlin", 14),
    now: "2026-03-29T13:30:00+02:00[Europe/Berlin]",
    start: "2026-03-28T14:00:00+01:00[Europe/Berlin]",
    end: "2026-03-29T14:00:00+02:00[Europe/Berlin]",
  },
  {
    name: "windowAt() moves a New York daily 02:00 boundary in the gap to 03:00",
    policy: daily("America/New_York", 2),
    now: "2026-03-08T01:30:00-05:00[America/New_York]",
    start: "2026-03-07T02:00:00-05:00[America/New_York]",
    end: "2026-03-08T03:00:00-04:00[America/New_York]",
  },
  {
    name: "windowAt() takes the earlier New York 01:30 on the fall-back day",
    policy: daily("America/New_York", 1, 30),
    now: "2026-11-01T01:10:00-05:00[America/New_York]",
    start: "2026-11-01T01:30:00-04:00[America/New_York]",
    end: "2026-11-02T01:30:00-05:00[America/New_York]",
  },
  {
    name: "windowAt() takes the earlier Lord Howe 01:45 in its 30-minute fall-back",
    policy: daily("Australia/Lord_Howe", 1, 45),
    now: "2026-04-05T01:50:00+10:30[Australia/Lord_Howe]",
    start: "2026-04-05T01:45:00+11:00[Australia/Lord_Howe]",
    end: "2026-04-06T01:45:00+10:30[Australia/Lord_Howe]",
  },
  {
    name: "windowAt() moves a Lord Howe 02:15 boundary in its 30-minute gap to 02:45",
    policy: daily("Australia/Lord_Howe", 2, 15),
    now: "2026-10-04T02:40:00+11:00[Australia/Lord_Howe]",
    start: "2026-10-03T02:15:00+10:30[Australia/Lord_Howe]",
    end: "2026-10-04T02:45:00+11:00[Australia/Lord_Howe]",
  },
  {
    name: "windowAt() moves a Santiago midnight that does not exist to 01:00",
    policy: daily("America/Santiago", 0),
    now: "2026-09-05T23:30:00-04:00[America/Santiago]",
    start: "2026-09-05T00:00:00-04:00[America/Santiago]",
    end: "2026-09-06T01:00:00-03:00[America/Santiago]",
  },
  {
    name: "windowAt() takes the earlier Santiago 23:30 when the evening repeats",
    policy: daily("America/Santiago", 23, 30),
    now: "2026-04-04T23:45:00-04:00[America/Santiago]",
    start: "2026-04-04T23:30:00-03:00[America/Santiago]",
    end: "2026-04-05T23:30:00-04:00[America/Santiago]",
  },
  {
    name: "windowAt() moves a Chatham 03:00 boundary in the 02:45 gap to 04:00",
    policy: daily("Pacific/Chatham", 3),
    now: "2026-09-27T03:50:00+13:45[Pacific/Chatham]",
    start: "2026-09-26T03:00:00+12:45[Pacific/Chatham]",
    end: "2026-09-27T04:00:00+13:45[Pacific/Chatham]",
  },
  {
    name: "windowAt() takes the earlier Chatham 03:00 on its fall-back day",
    policy: daily("Pacific/Chatham", 3),
    now: "2026-04-05T03:10:00+12:45[Pacific/Chatham]",
    start: "2026-04-05T03:00:00+13:45[Pacific/Chatham]",
    end: "2026-04-06T03:00:00+12:45[Pacific/Chatham]",
  },
  {
    name: "windowAt() spans 29 February for a daily window in a leap year",
    policy: daily("UTC", 23, 30),
    now: "2024-02-29T23:45:00+00:00[UTC]",
    start: "2024-02-29T23:30:00+00:00[UTC]",
    end: "2024-03-01T23:30:00+00:00[UTC]",
  },
  {
    name: "windowAt() looks back to the most recent Monday 14:00 (Paris, Go test)",
    policy: weekly("Europe/Paris", 1, 14),
    now: "2025-12-28T10:00:00+01:00[Europe/Paris]",
    start: "2025-12-22T14:00:00+01:00[Europe/Paris]",
    end: "2025-12-29T14:00:00+01:00[Europe/Paris]",
  },
  {
    name: "windowAt() keeps last week's window on Monday before 14:00",
    policy: weekly("Europe/Paris", 1, 14),
    now: "2025-12-29T10:00:00+01:00[Europe/Paris]",
    start: "2025-12-22T14:00:00+01:00[Europe/Paris]",
    end: "2025-12-29T14:00:00+01:00[Europe/Paris]",
  },
  {
    name: "windowAt() gives a 167-hour weekly Sunday 02:30 window over Berlin spring-forward",
    policy: weekly("Europe/Berlin", 7, 2, 30),
    now: "2026-03-29T03:00:00+02:00[Europe/Berlin]",
    start: "2026-03-22T02:30:00+01:00[Europe/Berlin]",
    end: "2026-03-29T03:30:00+02:00[Europe/Berlin]",
  },
  {
    name: "windowAt() crosses the New York fall-back in a weekly Saturday window",
    policy: weekly("America/New_York", 6, 22),
    now: "2026-11-03T12:00:00-05:00[America/New_York]",
    start: "2026-10-31T22:00:00-04:00[America/New_York]",
    end: "2026-11-07T22:00:00-05:00[America/New_York]",
  },
  {
    name: "windowAt() clamps day 31 to 28 February",
    policy: monthly("UTC", 31, 14),
    now: "2026-03-01T00:00:00+00:00[UTC]",
    start: "2026-02-28T14:00:00+00:00[UTC]",
    end: "2026-03-31T14:00:00+00:00[UTC]",
  },
  {
    name: "windowAt() clamps day 31 to 29 February in a leap year",
    policy: monthly("Europe/Paris", 31, 14),
    now: "2024-02-29T15:00:00+01:00[Europe/Paris]",
    start: "2024-02-29T14:00:00+01:00[Europe/Paris]",
    end: "2024-03-31T14:00:00+02:00[Europe/Paris]",
  },
  {
    name: "windowAt() clamps day 31 to 30 April",
    policy: monthly("Europe/Paris", 31, 14),
    now: "2025-04-02T10:00:00+02:00[Europe/Paris]",
    start: "2025-03-31T14:00:00+02:00[Europe/Paris]",
    end: "2025-04-30T14:00:00+02:00[Europe/Paris]",
  },
  {
    name: "windowAt() clamps day 29 to 28 February in a common year",
    policy: monthly("Asia/Kolkata", 29, 0),
    now: "2026-03-15T00:00:00+05:30[Asia/Kolkata]",
    start: "2026-02-28T00:00:00+05:30[Asia/Kolkata]",
    end: "2026-03-29T00:00:00+05:30[Asia/Kolkata]",
  },
  {
    name: "windowAt() crosses the year for a monthly day 31 window",
    policy: monthly("Europe/Paris", 31, 14),
    now: "2026-01-10T12:00:00+01:00[Europe/Paris]",
    start: "2025-12-31T14:00:00+01:00[Europe/Paris]",
    end: "2026-01-31T14:00:00+01:00[Europe/Paris]",
  },
  {
    name: "windowAt() moves a Santiago monthly midnight on the spring-forward day to 01:00",
    policy: monthly("America/Santiago", 6, 0),
    now: "2026-09-20T12:00:00-03:00[America/Santiago]",
    start: "2026-09-06T01:00:00-03:00[America/Santiago]",
    end: "2026-10-06T00:00:00-03:00[America/Santiago]",
  },
  {
    name: "windowAt() gives a 7-hour Berlin express slot 00–06 on fall-back (Go had a gap)",
    policy: express("Europe/Berlin", 6),
    now: "2026-10-25T05:30:00+01:00[Europe/Berlin]",
    start: "2026-10-25T00:00:00+02:00[Europe/Berlin]",
    end: "2026-10-25T06:00:00+01:00[Europe/Berlin]",
  },
  {
    name: "windowAt() gives a 7-hour New York express 8 h slot on spring-forward",
    policy: express("America/New_York", 8),
    now: "2026-03-08T07:30:00-04:00[America/New_York]",
    start: "2026-03-08T00:00:00-05:00[America/New_York]",
    end: "2026-03-08T08:00:00-04:00[America/New_York]",
  },
  {
    name: "windowAt() starts a Santiago express 12 h slot at 01:00 when midnight is skipped",
    policy: express("America/Santiago", 12),
    now: "2026-09-06T01:30:00-03:00[America/Santiago]",
    start: "2026-09-06T01:00:00-03:00[America/Santiago]",
    end: "2026-09-06T12:00:00-03:00[America/Santiago]",
  },
  {
    name: "windowAt() ends the Santiago express slot before the skipped midnight at 01:00",
    policy: express("America/Santiago", 12),
    now: "2026-09-05T23:00:00-04:00[America/Santiago]",
    start: "2026-09-05T12:00:00-04:00[America/Santiago]",
    end: "2026-09-06T01:00:00-03:00[America/Santiago]",
  },
  {
    name: "windowAt() starts an express slot exactly on its boundary",
    policy: express("Asia/Kolkata", 6),
    now: "2026-05-01T12:00:00+05:30[Asia/Kolkata]",
    start: "2026-05-01T12:00:00+05:30[Asia/Kolkata]",
    end: "2026-05-01T18:00:00+05:30[Asia/Kolkata]",
  },
  {
    name: "windowAt() uses 00/08/16 slots for an 8-hour express policy",
    policy: express("UTC", 8),
    now: "2026-05-01T15:59:59+00:00[UTC]",
    start: "2026-05-01T08:00:00+00:00[UTC]",
    end: "2026-05-01T16:00:00+00:00[UTC]",
  },
  {
    name: "windowAt() gives a 12-hour Lord Howe express slot of 12.5 hours on fall-back",
    policy: express("Australia/Lord_Howe", 12),
    now: "2026-04-05T11:00:00+10:30[Australia/Lord_Howe]",
    start: "2026-04-05T00:00:00+11:00[Australia/Lord_Howe]",
    end: "2026-04-05T12:00:00+10:30[Australia/Lord_Howe]",
  },
];

Deno.test("windowAt()", async (t) => {
  for (const c of cases) {
    await t.step(c.name, () => {
      const w = windowAt(c.policy, Temporal.ZonedDateTime.from(c.now).toInstant());
      assertEquals(
        { start: w.start.toString(), end: w.end.toString() },
        { start: c.start, end: c.end },
      );
    });
  }
});

Deno.test("nextWindow() and previousWindow()", async (t) => {
  await t.step("nextWindow() starts where the window ends, over the Chatham gap", () => {
    const p = daily("Pacific/Chatham", 3);
    const w = windowAt(p, Temporal.Instant.from("2026-09-26T12:00:00Z"));
    const n = nextWindow(p, w);
    assertEquals(n.start.toString(), w.end.toString());
    assertEquals(n.end.toString(), "2026-09-28T03:00:00+13:45[Pacific/Chatham]");
  });
  await t.step("previousWindow() ends where the window starts, over a leap day", () => {
    const p = monthly("UTC", 30, 6);
    const w = windowAt(p, Temporal.Instant.from("2024-03-15T00:00:00Z"));
    assertEquals(w.start.toString(), "2024-02-29T06:00:00+00:00[UTC]");
    const prev = previousWindow(p, w);
    assertEquals(prev.start.toString(), "2024-01-30T06:00:00+00:00[UTC]");
    assertEquals(prev.end.toString(), w.start.toString());
  });
  await t.step("windowAt() skips the day Pacific/Apia never had (30 December 2011)", () => {
    const p = daily("Pacific/Apia", 8);
    const w = windowAt(p, Temporal.Instant.from("2011-12-30T10:00:00Z")); // 2011-12-31T00:00+14
    assertEquals(w.start.toString(), "2011-12-29T08:00:00-10:00[Pacific/Apia]");
    assertEquals(w.end.toString(), "2011-12-31T08:00:00+14:00[Pacific/Apia]");
  });
});

Deno.test("intervalSeconds() gives the nominal window length", () => {
  assertEquals(
    [
      intervalSeconds(express("UTC", 8)),
      intervalSeconds(daily("UTC", 0)),
      intervalSeconds(weekly("UTC", 7, 0)),
      intervalSeconds(monthly("UTC", 1, 0)),
    ],
    [28_800, 86_400, 604_800, 2_592_000],
  );
});

const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
  "America/Santiago",
  "Pacific/Chatham",
];

function propertyPolicies(zone: string): Policy[] {
  return [
    daily(zone, 0),
    daily(zone, 2, 30),
    daily(zone, 23, 59),
    weekly(zone, 7, 2, 30),
    weekly(zone, 1, 0),
    monthly(zone, 31, 23, 30),
    monthly(zone, 1, 0),
    express(zone, 6),
    express(zone, 8),
    express(zone, 12),
  ];
}

Deno.test("windows tile time for every day of 2026–2027 in every zone and policy", async (t) => {
  const from = Temporal.Instant.from("2026-01-01T00:00:00Z");
  const to = Temporal.Instant.from("2028-01-01T00:00:00Z");
  for (const zone of ZONES) {
    await t.step(`windowAt() tiles with no gap or overlap in ${zone}`, () => {
      for (const p of propertyPolicies(zone)) {
        // Walk the windows: each starts where the previous one ended and is not empty.
        let w = windowAt(p, from);
        let count = 0;
        while (Temporal.Instant.compare(w.start.toInstant(), to) < 0) {
          const n = nextWindow(p, w);
          assert(n.start.equals(w.end), `${p.type} ${zone}: ${n.start} != ${w.end}`);
          assert(Temporal.ZonedDateTime.compare(n.start, n.end) < 0, `empty window ${n.start}`);
          assert(previousWindow(p, n).start.equals(w.start), `previousWindow of ${n.start}`);
          w = n;
          count++;
        }
        assert(count > 20, `${p.type} ${zone}: only ${count} windows`);
        // Every day at 7-hour steps (covers every local hour): start <= now < end, and the
        // window found from inside agrees with the one found from its start and its last instant.
        for (
          let now = from;
          Temporal.Instant.compare(now, to) < 0;
          now = now.add({ hours: 7, minutes: 13 })
        ) {
          const cw = windowAt(p, now);
          assert(windowContains(cw, now), `${p.type} ${zone}: ${now} not in ${cw.start}–${cw.end}`);
          const last = windowAt(p, cw.end.toInstant().subtract({ nanoseconds: 1 }));
          assert(last.start.equals(cw.start), `${p.type} ${zone}: window of ${now} unstable`);
        }
      }
    });
  }
});
