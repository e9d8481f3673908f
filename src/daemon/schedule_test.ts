import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { parseSchedule, parseScheduleTimezone } from "./schedule.ts";

const I = (s: string) => Temporal.Instant.from(s);
const runs = (expr: string, from: string, n: number, timezone?: string) =>
  parseSchedule(expr, timezone ? { timezone } : {}).nextRuns(I(from), n).map(String);

Deno.test("parseSchedule() next runs", async (t) => {
  const cases: { name: string; expr: string; from: string; tz?: string; want: string[] }[] = [
    {
      name: "*/10 in UTC by default",
      expr: "*/10 * * * *",
      from: "2026-01-15T12:03:00Z",
      want: ["2026-01-15T12:10:00Z", "2026-01-15T12:20:00Z", "2026-01-15T12:30:00Z"],
    },
    {
      name: "a run exactly at `from` is not repeated",
      expr: "*/10 * * * *",
      from: "2026-01-15T12:10:00Z",
      want: ["2026-01-15T12:20:00Z"],
    },
    {
      name: "the Go default expire schedule",
      expr: "0 */6 * * *",
      from: "2026-01-15T12:03:00Z",
      want: ["2026-01-15T18:00:00Z", "2026-01-16T00:00:00Z", "2026-01-16T06:00:00Z"],
    },
    {
      name: "@hourly",
      expr: "@hourly",
      from: "2026-01-15T12:03:00Z",
      want: ["2026-01-15T13:00:00Z", "2026-01-15T14:00:00Z"],
    },
    {
      name: "@daily is UTC midnight",
      expr: "@daily",
      from: "2026-01-15T12:03:00Z",
      want: ["2026-01-16T00:00:00Z", "2026-01-17T00:00:00Z"],
    },
    {
      name: "@weekly is Sunday midnight",
      expr: "@weekly",
      from: "2026-01-15T12:03:00Z",
      want: ["2026-01-18T00:00:00Z"],
    },
    {
      name: "@every 15m is aligned to the epoch",
      expr: "@every 15m",
      from: "2026-01-15T12:07:00Z",
      want: ["2026-01-15T12:15:00Z", "2026-01-15T12:30:00Z"],
    },
    {
      name: "CRON_TZ=Europe/Berlin 02:30 daily across the spring-forward gap (29 March 2026)",
      expr: "CRON_TZ=Europe/Berlin 30 2 * * *",
      from: "2026-03-27T12:00:00Z",
      // 02:30 CET = 01:30Z; on the 29th 02:30 does not exist, so it runs right after the gap
      // (03:00 CEST = 01:00Z); then 02:30 CEST = 00:30Z.
      want: ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"],
    },
    {
      name: "CRON_TZ=Europe/Berlin 02:30 daily runs once on the fall-back day (25 October 2026)",
      expr: "CRON_TZ=Europe/Berlin 30 2 * * *",
      from: "2026-10-23T12:00:00Z",
      want: [
        "2026-10-24T00:30:00Z",
        "2026-10-25T00:30:00Z",
        "2026-10-26T01:30:00Z",
      ],
    },
    {
      name: "TZ= prefix works like CRON_TZ=",
      expr: "TZ=Europe/Berlin 0 6 * * *",
      from: "2026-01-15T12:00:00Z",
      want: ["2026-01-16T05:00:00Z"],
    },
    {
      name: "--schedule-timezone applies without a prefix",
      expr: "0 6 * * *",
      from: "2026-03-27T12:00:00Z",
      tz: "America/New_York",
      want: ["2026-03-28T10:00:00Z"],
    },
    {
      name: "a prefix wins over --schedule-timezone",
      expr: "CRON_TZ=UTC 0 6 * * *",
      from: "2026-03-27T12:00:00Z",
      tz: "America/New_York",
      want: ["2026-03-28T06:00:00Z"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(runs(c.expr, c.from, c.want.length, c.tz), c.want);
    });
  }
});

Deno.test("parseSchedule() records the zone it reads the expression in", () => {
  assert.equal(parseSchedule("0 * * * *").timezone, "UTC");
  assert.equal(parseSchedule("CRON_TZ=Europe/Berlin 0 * * * *").timezone, "Europe/Berlin");
  assert.equal(parseSchedule("0 * * * *", { timezone: "Asia/Tokyo" }).timezone, "Asia/Tokyo");
});

Deno.test("parseSchedule() refuses bad expressions with a usage error naming flag and value", async (t) => {
  const cases: { expr: string; why: RegExp }[] = [
    { expr: "*/61 * * * *", why: /steps cannot be greater/ },
    { expr: "60 * * * *", why: /minute/ },
    { expr: "* * * *", why: /expected 5 fields.*got 4/ },
    { expr: "0 0 * * * *", why: /expected 5 fields.*got 6/ },
    { expr: "", why: /expected 5 fields/ },
    { expr: "@reboot", why: /unknown descriptor/ },
    { expr: "@every soon", why: /@every/ },
    { expr: "CRON_TZ=Mars/Olympus 0 * * * *", why: /unknown time zone "Mars\/Olympus"/ },
    { expr: "CRON_TZ=UTC", why: /expected a cron expression after the time zone prefix/ },
    { expr: "0 0 31 2 *", why: /never fires/ },
  ];
  for (const c of cases) {
    await t.step(JSON.stringify(c.expr), () => {
      assert.throws(() => parseSchedule(c.expr, { flag: "--create-schedule" }), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.ok(
          e.message.startsWith(`Cannot parse --create-schedule "${c.expr}": `),
          e.message,
        );
        assert.match(e.message, c.why);
        return true;
      });
    });
  }
});

Deno.test("parseScheduleTimezone() accepts IANA names and refuses unknown ones", () => {
  assert.equal(parseScheduleTimezone("Europe/Berlin"), "Europe/Berlin");
  assert.throws(
    () => parseScheduleTimezone("Europe/Atlantis"),
    /Cannot use --schedule-timezone "Europe\/Atlantis": unknown time zone/,
  );
});

Deno.test("a schedule's zone: CRON_TZ prefix, then the flag, then TZ, then the host, then UTC", async (t) => {
  const { resolveDaemonOptions } = await import("./options.ts");
  const anchor = Temporal.Instant.from("2026-01-15T00:00:00Z");
  const zoneOf = (input: Parameters<typeof resolveDaemonOptions>[0]) => {
    const s = resolveDaemonOptions(input, anchor).schedules;
    return [s.create.timezone, s.create.timezoneSource, s.expire.timezone, s.expire.timezoneSource];
  };
  await t.step("nothing given: UTC", () => {
    assert.deepEqual(zoneOf({}), ["UTC", "UTC", "UTC", "UTC"]);
  });
  await t.step("the host's zone, as the Go tool's cron used it", () => {
    assert.deepEqual(zoneOf({ hostTimezone: "Europe/Berlin" }), [
      "Europe/Berlin",
      "host",
      "Europe/Berlin",
      "host",
    ]);
  });
  await t.step(
    "TZ before the host (POSIX's leading colon allowed); a POSIX rule is passed over",
    () => {
      assert.deepEqual(
        zoneOf({ envTimezone: ":America/New_York", hostTimezone: "Europe/Berlin" }).slice(0, 2),
        ["America/New_York", "TZ"],
      );
      assert.deepEqual(
        zoneOf({ envTimezone: "CET-1CEST", hostTimezone: "Europe/Berlin" }).slice(0, 2),
        ["Europe/Berlin", "host"],
      );
    },
  );
  await t.step("the flag before TZ; a CRON_TZ= prefix before everything", () => {
    assert.deepEqual(
      zoneOf({
        scheduleTimezone: "Asia/Tokyo",
        envTimezone: "America/New_York",
        expireSchedule: "CRON_TZ=Pacific/Chatham 0 3 * * *",
      }),
      ["Asia/Tokyo", "--schedule-timezone", "Pacific/Chatham", "CRON_TZ"],
    );
  });
  await t.step("a Go user's 0 2 * * * keeps its hour under TZ=Europe/Berlin", () => {
    const s = resolveDaemonOptions(
      { createSchedule: "0 2 * * *", envTimezone: "Europe/Berlin" },
      anchor,
    );
    assert.equal(s.schedules.create.nextAfter(anchor)?.toString(), "2026-01-15T01:00:00Z");
  });
});
