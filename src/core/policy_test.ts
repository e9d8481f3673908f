import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  describePolicy,
  isPolicyEnabled,
  parseBool,
  parseIntervalHours,
  parseMonthDay,
  parseRetentionDays,
  parseStartTime,
  parseTimezone,
  parseVolumePolicies,
  parseWeekday,
  type Policy,
  policyFromOptions,
  policyKeys,
  policyToMetadata,
  PolicyValueError,
} from "./mod.ts";

const on = (type: string, extra: Record<string, string> = {}) => ({
  [`x-snapsentry-${type}-enabled`]: "true",
  ...extra,
});

Deno.test("parseVolumePolicies() reads values", async (t) => {
  const cases: { name: string; metadata: Record<string, string>; want: Policy[] }[] = [
    {
      name: "parseVolumePolicies() applies Go's defaults to empty values",
      metadata: on("daily"),
      want: [{
        type: "daily",
        enabled: true,
        retentionDays: 2,
        timezone: "UTC",
        startTime: { hour: 0, minute: 0 },
      }],
    },
    {
      name: "parseVolumePolicies() reads 08 as decimal 8 (Go rejected it as octal)",
      metadata: on("monthly", {
        "x-snapsentry-monthly-start-day-of-month": "08",
        "x-snapsentry-monthly-retention-days": "45",
      }),
      want: [{
        type: "monthly",
        enabled: true,
        retentionDays: 45,
        timezone: "UTC",
        startTime: { hour: 0, minute: 0 },
        dayOfMonth: 8,
      }],
    },
    {
      name: "parseVolumePolicies() reads the legacy monthly day-of-month key when alone",
      metadata: on("monthly", { "x-snapsentry-monthly-day-of-month": "15" }),
      want: [{
        type: "monthly",
        enabled: true,
        retentionDays: 30,
        timezone: "UTC",
        startTime: { hour: 0, minute: 0 },
        dayOfMonth: 15,
      }],
    },
    {
      name: "parseVolumePolicies() prefers start-day-of-month over the legacy key",
      metadata: on("monthly", {
        "x-snapsentry-monthly-day-of-month": "15",
        "x-snapsentry-monthly-start-day-of-month": "20",
      }),
      want: [{
        type: "monthly",
        enabled: true,
        retentionDays: 30,
        timezone: "UTC",
        startTime: { hour: 0, minute: 0 },
        dayOfMonth: 20,
      }],
    },
    {
      name: "parseVolumePolicies() accepts Go's bool forms and weekday variants in any case",
      metadata: {
        "x-snapsentry-weekly-enabled": "T",
        "x-snapsentry-weekly-start-day-of-week": "THURS",
        "x-snapsentry-weekly-start-time": "7:05:59",
        "x-snapsentry-weekly-timezone": "europe/berlin",
        "x-snapsentry-weekly-retention-days": "0",
      },
      want: [{
        type: "weekly",
        enabled: true,
        retentionDays: 7,
        timezone: "Europe/Berlin",
        startTime: { hour: 7, minute: 5 },
        dayOfWeek: 4,
      }],
    },
    {
      name: "parseVolumePolicies() matches keys case-insensitively when no exact key exists",
      metadata: {
        "X-Snapsentry-Express-Enabled": "1",
        "x-snapsentry-express-interval-hours": "12",
      },
      want: [{
        type: "express",
        enabled: true,
        retentionDays: 1,
        timezone: "UTC",
        intervalHours: 12,
      }],
    },
    {
      name: "parseVolumePolicies() returns policies in the order express, daily, weekly, monthly",
      metadata: { ...on("monthly"), ...on("daily"), ...on("express"), ...on("weekly") },
      want: [
        { type: "express", enabled: true, retentionDays: 1, timezone: "UTC", intervalHours: 6 },
        {
          type: "daily",
          enabled: true,
          retentionDays: 2,
          timezone: "UTC",
          startTime: { hour: 0, minute: 0 },
        },
        {
          type: "weekly",
          enabled: true,
          retentionDays: 7,
          timezone: "UTC",
          startTime: { hour: 0, minute: 0 },
          dayOfWeek: 7,
        },
        {
          type: "monthly",
          enabled: true,
          retentionDays: 30,
          timezone: "UTC",
          startTime: { hour: 0, minute: 0 },
          dayOfMonth: 1,
        },
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = parseVolumePolicies({ id: "vol-1", metadata: c.metadata });
      assertEquals(r.errors, []);
      assertEquals(r.policies, c.want);
    });
  }
});

Deno.test("parseVolumePolicies() reports each bad value", async (t) => {
  const cases: { name: string; metadata: Record<string, string>; message: string }[] = [
    {
      name: "parseVolumePolicies() rejects start time 25:00",
      metadata: on("daily", { "x-snapsentry-daily-start-time": "25:00" }),
      message:
        'Cannot parse x-snapsentry-daily-start-time "25:00" on volume vol-1: expected HH:MM (00:00–23:59)',
    },
    {
      name: "parseVolumePolicies() rejects a start time with one-digit minutes",
      metadata: on("weekly", { "x-snapsentry-weekly-start-time": "8:5" }),
      message:
        'Cannot parse x-snapsentry-weekly-start-time "8:5" on volume vol-1: expected HH:MM (00:00–23:59)',
    },
    {
      name: "parseVolumePolicies() rejects enabled maybe",
      metadata: { "x-snapsentry-daily-enabled": "maybe" },
      message:
        'Cannot parse x-snapsentry-daily-enabled "maybe" on volume vol-1: expected true or false (also t/f, 1/0, yes/no or on/off, in any case)',
    },
    {
      name: "parseVolumePolicies() rejects the Local time zone",
      metadata: on("daily", { "x-snapsentry-daily-timezone": "Local" }),
      message:
        'Cannot parse x-snapsentry-daily-timezone "Local" on volume vol-1: expected an IANA time zone such as Europe/Berlin or UTC ("Local" would be the host\'s zone, which snapsentry never uses)',
    },
    {
      name: "parseVolumePolicies() rejects an unknown zone Mars/Phobos",
      metadata: on("express", { "x-snapsentry-express-timezone": "Mars/Phobos" }),
      message:
        'Cannot parse x-snapsentry-express-timezone "Mars/Phobos" on volume vol-1: expected an IANA time zone such as Europe/Berlin or UTC',
    },
    {
      name: "parseVolumePolicies() rejects a UTC offset as a zone",
      metadata: on("express", { "x-snapsentry-express-timezone": "+05:30" }),
      message:
        'Cannot parse x-snapsentry-express-timezone "+05:30" on volume vol-1: expected an IANA time zone such as Europe/Berlin or UTC',
    },
    {
      name: "parseVolumePolicies() rejects weekday Funday",
      metadata: on("weekly", { "x-snapsentry-weekly-start-day-of-week": "Funday" }),
      message:
        'Cannot parse x-snapsentry-weekly-start-day-of-week "Funday" on volume vol-1: expected a weekday such as sunday, Sun or 0 (full or three-letter English names in any case, or 0–7 where 0 and 7 are Sunday)',
    },
    {
      name: "parseVolumePolicies() rejects express interval 5",
      metadata: on("express", { "x-snapsentry-express-interval-hours": "5" }),
      message:
        'Cannot parse x-snapsentry-express-interval-hours "5" on volume vol-1: expected 6, 8 or 12 (hours; 0 or empty means 6)',
    },
    {
      name: "parseVolumePolicies() rejects express interval 24",
      metadata: on("express", { "x-snapsentry-express-interval-hours": "24" }),
      message:
        'Cannot parse x-snapsentry-express-interval-hours "24" on volume vol-1: expected 6, 8 or 12 (hours; 0 or empty means 6)',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = parseVolumePolicies({ id: "vol-1", metadata: c.metadata });
      assertEquals(r.errors.map((e) => e.message), [c.message]);
      assertEquals(r.policies, []);
      assertEquals(r.invalid.length, 1);
    });
  }
});

Deno.test("parseVolumePolicies() keeps the other policies when one is invalid", () => {
  const r = parseVolumePolicies({
    id: "vol-2",
    name: "db",
    metadata: {
      ...on("daily", { "x-snapsentry-daily-start-time": "24:00" }),
      ...on("weekly", { "x-snapsentry-weekly-start-day-of-week": "mon" }),
      "x-snapsentry-monthly-enabled": "false",
      "x-snapsentry-monthly-start-day-of-month": "99",
    },
  });
  assertEquals(r.policies.map((p) => p.type), ["weekly"]);
  assertEquals(r.invalid, ["daily"]);
  assertEquals(r.disabled, ["monthly"]);
  assertEquals(r.errors[0]?.volumeName, "db");
  assertEquals(r.errors[0]?.key, "x-snapsentry-daily-start-time");
});

Deno.test("parseVolumePolicies() reports every bad field of one policy", () => {
  const r = parseVolumePolicies({
    id: "v",
    metadata: on("monthly", {
      "x-snapsentry-monthly-start-time": "noon",
      "x-snapsentry-monthly-timezone": "Nowhere/City",
    }),
  });
  assertEquals(r.errors.map((e) => e.key), [
    "x-snapsentry-monthly-timezone",
    "x-snapsentry-monthly-start-time",
  ]);
});

Deno.test("parseVolumePolicies() lists policies with keys but no enabled flag as disabled", () => {
  const r = parseVolumePolicies({
    id: "v",
    metadata: { "x-snapsentry-daily-start-time": "08:00", "x-snapsentry-managed": "true" },
  });
  assertEquals(r, { policies: [], disabled: ["daily"], errors: [], invalid: [], warnings: [] });
});

Deno.test("flag parsers", async (t) => {
  await t.step("parseStartTime() accepts H:MM, HH:MM and HH:MM:SS", () => {
    assertEquals(parseStartTime("8:05"), { hour: 8, minute: 5 });
    assertEquals(parseStartTime("08:05"), { hour: 8, minute: 5 });
    assertEquals(parseStartTime("23:59:59"), { hour: 23, minute: 59 });
  });
  await t.step("parseStartTime() throws a RangeError naming the value", () => {
    assertThrows(() => parseStartTime("12:60"), {
      name: "PolicyValueError",
      message: 'Cannot parse start time "12:60": expected HH:MM (00:00–23:59)',
    });
    assertThrows(() => parseStartTime("10:00:60"), RangeError);
    assertThrows(() => parseStartTime("1000"), PolicyValueError);
  });
  await t.step("parseWeekday() accepts names, abbreviations and 0–7", () => {
    const got = [
      "sun",
      "Sunday",
      "0",
      "7",
      "MON",
      "tues",
      "Wed",
      "thu",
      "thur",
      "Thurs",
      "fri",
      "6",
      "",
    ]
      .map((v) => parseWeekday(v));
    assertEquals(got, [7, 7, 7, 7, 1, 2, 3, 4, 4, 4, 5, 6, 7]);
    assertThrows(() => parseWeekday("8"), RangeError);
    assertThrows(() => parseWeekday("su"), RangeError);
  });
  await t.step("parseBool() accepts the one boolean grammar case-insensitively", () => {
    const forms = ["TRUE", "t", "1", "Yes", "ON", "False", "F", "0", "no", "Off"];
    assertEquals(forms.map((v) => parseBool(v)), [
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    assertThrows(() => parseBool("maybe"), RangeError);
    assertThrows(() => parseBool("y"), RangeError);
    assertThrows(() => parseBool(""), RangeError);
  });
  await t.step("parseTimezone() returns Temporal's spelling and defaults to UTC", () => {
    assertEquals(parseTimezone("asia/kolkata"), "Asia/Kolkata");
    assertEquals(parseTimezone("Australia/Lord_Howe"), "Australia/Lord_Howe");
    assertEquals(parseTimezone(""), "UTC");
    assertThrows(() => parseTimezone("local"), RangeError);
    assertThrows(() => parseTimezone("2020-01-01T00:00Z"), RangeError);
  });
  await t.step("parseRetentionDays() maps 0 to the policy default and bounds the value", () => {
    assertEquals(parseRetentionDays("0", "monthly"), 30);
    assertEquals(parseRetentionDays("", "express"), 1);
    assertEquals(parseRetentionDays("14", "daily"), 14);
    assertThrows(() => parseRetentionDays("36501", "daily"), RangeError);
    assertThrows(() => parseRetentionDays("1.5", "daily"), RangeError);
    assertThrows(() => parseRetentionDays("1_000", "daily"), RangeError);
  });
  await t.step("parseMonthDay() and parseIntervalHours() check their ranges", () => {
    assertEquals([parseMonthDay("31"), parseMonthDay("")], [31, 1]);
    assertEquals([parseIntervalHours("0"), parseIntervalHours("8")], [6, 8]);
    assertThrows(() => parseMonthDay("-1"), RangeError);
    assertThrows(() => parseIntervalHours("-6"), RangeError);
  });
});

Deno.test("policyFromOptions()", async (t) => {
  await t.step("policyFromOptions() builds a weekly policy with the default Sunday", () => {
    assertEquals(policyFromOptions("weekly", { startTime: "9:30", retentionDays: "0" }), {
      type: "weekly",
      enabled: true,
      retentionDays: 7,
      timezone: "UTC",
      startTime: { hour: 9, minute: 30 },
      dayOfWeek: 7,
    });
  });
  await t.step("policyFromOptions() names the flag in its error", () => {
    assertThrows(() => policyFromOptions("monthly", { dayOfMonth: "40" }), {
      message:
        'Cannot parse month day "40": expected a day of the month from 1 to 31 (29–31 mean the last day of shorter months)',
    });
    assertThrows(
      () => policyFromOptions("daily", { timezone: "Local" }),
      /Cannot parse timezone "Local"/,
    );
  });
  await t.step("policyFromOptions() keeps enabled=false for the disable path", () => {
    assertEquals(policyFromOptions("express", { enabled: "false" }).enabled, false);
  });
});

Deno.test("policyToMetadata()", async (t) => {
  const policies: Policy[] = [
    { type: "express", enabled: true, retentionDays: 1, timezone: "UTC", intervalHours: 8 },
    {
      type: "daily",
      enabled: true,
      retentionDays: 7,
      timezone: "Asia/Kolkata",
      startTime: { hour: 8, minute: 0 },
    },
    {
      type: "weekly",
      enabled: false,
      retentionDays: 14,
      timezone: "Europe/Paris",
      startTime: { hour: 14, minute: 30 },
      dayOfWeek: 1,
    },
    {
      type: "monthly",
      enabled: true,
      retentionDays: 60,
      timezone: "America/Santiago",
      startTime: { hour: 0, minute: 5 },
      dayOfMonth: 31,
    },
  ];
  await t.step("policyToMetadata() writes the weekly keys as the Go CLI did", () => {
    assertEquals(policyToMetadata(policies[2]!), {
      "x-snapsentry-managed": "true",
      "x-snapsentry-weekly-enabled": "false",
      "x-snapsentry-weekly-retention-days": "14",
      "x-snapsentry-weekly-retention-type": "count",
      "x-snapsentry-weekly-timezone": "Europe/Paris",
      "x-snapsentry-weekly-start-time": "14:30",
      "x-snapsentry-weekly-start-day-of-week": "monday",
    });
  });
  await t.step("policyToMetadata() writes the month-day key that is read", () => {
    const md = policyToMetadata(policies[3]!);
    assertEquals(md["x-snapsentry-monthly-start-day-of-month"], "31");
    assertEquals(md["x-snapsentry-monthly-day-of-month"], undefined);
    assertEquals(md["x-snapsentry-monthly-retention-type"], "count");
  });
  await t.step("policyToMetadata() round-trips through parseVolumePolicies()", () => {
    for (const p of policies.filter((p) => p.enabled)) {
      const r = parseVolumePolicies({ id: "v", metadata: policyToMetadata(p) });
      assertEquals(r.policies, [p]);
    }
  });
  await t.step("policyKeys() lists every key of a policy, the legacy one included", () => {
    assertEquals(policyKeys("monthly").sort(), [
      "x-snapsentry-monthly-day-of-month",
      "x-snapsentry-monthly-enabled",
      "x-snapsentry-monthly-retention-count",
      "x-snapsentry-monthly-retention-days",
      "x-snapsentry-monthly-retention-type",
      "x-snapsentry-monthly-start-day-of-month",
      "x-snapsentry-monthly-start-time",
      "x-snapsentry-monthly-timezone",
    ]);
    assertEquals(policyKeys("express").length, 6);
  });
  await t.step("describePolicy() puts a policy in words", () => {
    assertEquals(policies.map(describePolicy), [
      "express every 8 h UTC, keep 1 d",
      "daily 08:00 Asia/Kolkata, keep 7 d",
      "weekly monday 14:30 Europe/Paris, keep 14 d",
      "monthly day 31 00:05 America/Santiago, keep 60 d",
    ]);
  });
  await t.step("isPolicyEnabled() errs on the side of enabled for unreadable values", () => {
    assertEquals(isPolicyEnabled({ "x-snapsentry-daily-enabled": "maybe" }, "daily"), true);
    assertEquals(isPolicyEnabled({ "x-snapsentry-daily-enabled": "f" }, "daily"), false);
    assertEquals(isPolicyEnabled({}, "daily"), false);
  });
});

Deno.test("parseVolumePolicies() reads values the Go tool accepted as Go did, with a warning", async (t) => {
  const cases: {
    name: string;
    metadata: Record<string, string>;
    field: string;
    want: unknown;
    warning: string;
  }[] = [
    {
      name: "retention -1 is the default",
      metadata: on("daily", { "x-snapsentry-daily-retention-days": "-1" }),
      field: "retentionDays",
      want: 2,
      warning:
        'Read x-snapsentry-daily-retention-days "-1" on volume vol-1 as 2: a negative retention means the daily default (2) to SnapSentry-Go; write "2" to make it explicit',
    },
    {
      name: "interval -6 is 6",
      metadata: on("express", { "x-snapsentry-express-interval-hours": "-6" }),
      field: "intervalHours",
      want: 6,
      warning:
        'Read x-snapsentry-express-interval-hours "-6" on volume vol-1 as 6: a negative interval means 6 hours to SnapSentry-Go; write "6" to make it explicit',
    },
    {
      name: "month day 32 is 31",
      metadata: on("monthly", { "x-snapsentry-monthly-start-day-of-month": "32" }),
      field: "dayOfMonth",
      want: 31,
      warning:
        'Read x-snapsentry-monthly-start-day-of-month "32" on volume vol-1 as 31: SnapSentry-Go clamped days of the month to 1–31 (read as 31); write "31" to make it explicit',
    },
    {
      name: "month day 0 in the legacy key is 1",
      metadata: on("monthly", { "x-snapsentry-monthly-day-of-month": "0" }),
      field: "dayOfMonth",
      want: 1,
      warning:
        'Read x-snapsentry-monthly-day-of-month "0" on volume vol-1 as 1: SnapSentry-Go clamped days of the month to 1–31 (read as 1); write "1" to make it explicit',
    },
    {
      name: "0x1E is 30",
      metadata: on("daily", { "x-snapsentry-daily-retention-days": "0x1E" }),
      field: "retentionDays",
      want: 30,
      warning:
        'Read x-snapsentry-daily-retention-days "0x1E" on volume vol-1 as 30: "0x1E" is a Go integer literal (read as 30, as SnapSentry-Go read it); write "30" to make it explicit',
    },
    {
      name: "1_0 is 10",
      metadata: on("daily", { "x-snapsentry-daily-retention-days": "1_0" }),
      field: "retentionDays",
      want: 10,
      warning:
        'Read x-snapsentry-daily-retention-days "1_0" on volume vol-1 as 10: "1_0" is a Go integer literal (read as 10, as SnapSentry-Go read it); write "10" to make it explicit',
    },
    {
      name: "045 is Go's octal 37",
      metadata: on("weekly", { "x-snapsentry-weekly-retention-days": "045" }),
      field: "retentionDays",
      want: 37,
      warning:
        'Read x-snapsentry-weekly-retention-days "045" on volume vol-1 as 37: "045" is a Go integer literal (read as 37, as SnapSentry-Go read it); write "37" to make it explicit',
    },
  ];
  for (const c of cases) {
    await t.step(`parseVolumePolicies(): ${c.name}`, () => {
      const r = parseVolumePolicies({ id: "vol-1", metadata: c.metadata });
      assertEquals(r.errors, []);
      assertEquals((r.policies[0] as unknown as Record<string, unknown>)[c.field], c.want);
      assertEquals(r.warnings.map((w) => w.message), [c.warning]);
    });
  }
  await t.step("values Go refused too stay invalid", () => {
    const refused: [string, string][] = [
      ["x-snapsentry-express-interval-hours", "5"],
      ["x-snapsentry-daily-retention-days", "ten"],
      ["x-snapsentry-daily-retention-days", "0x"],
    ];
    for (const [key, value] of refused) {
      const type = key.split("-")[2]!;
      const r = parseVolumePolicies({ id: "vol-1", metadata: on(type, { [key]: value }) });
      assertEquals([r.policies.length, r.errors.length, r.warnings.length], [0, 1, 0], value);
    }
  });
  await t.step("plain values give no warning, and flags stay strict", () => {
    const r = parseVolumePolicies({
      id: "vol-1",
      metadata: on("daily", { "x-snapsentry-daily-retention-days": "007" }),
    });
    assertEquals([r.warnings, (r.policies[0] as { retentionDays: number }).retentionDays], [[], 7]);
    assertThrows(() => parseRetentionDays("-1", "daily"), PolicyValueError);
    assertThrows(() => parseMonthDay("32"), PolicyValueError);
  });
});
