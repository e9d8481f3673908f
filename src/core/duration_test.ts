import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { DurationError, formatAge, formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads the one grammar", async (t) => {
  const cases: [string, number][] = [
    ["500ms", 500],
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["1h 30m", 5_400_000],
    ["2d", 172_800_000],
    ["1w", 604_800_000],
    ["1d12h", 129_600_000],
    ["1.5h", 5_400_000],
    ["26H", 93_600_000],
    ["480", 480_000],
    ["0", 0],
    ["2.5", 2_500],
  ];
  for (const [text, ms] of cases) {
    await t.step(`"${text}" is ${ms} ms`, () => assertEquals(parseDuration(text), ms));
  }
});

Deno.test("parseDuration() refuses what is not a duration, naming what was parsed", async (t) => {
  for (
    const bad of ["", "soon", "1h30", "-5m", "10 minutes", "1y", "5m-", "1e3s", "9".repeat(400)]
  ) {
    await t.step(`"${bad.slice(0, 20)}"`, () => {
      assertThrows(
        () => parseDuration(bad, "--wait-timeout"),
        (e: unknown) =>
          e instanceof DurationError &&
          e.message.startsWith(`Cannot parse --wait-timeout "${bad}": expected a duration such as`),
      );
    });
  }
});

Deno.test("parseDuration() applies bounds; allowZero keeps 0 as 'none'", () => {
  assertThrows(
    () => parseDuration("0", "--stuck-after", { minMs: 60_000 }),
    /Cannot parse --stuck-after "0": expected at least 1m/,
  );
  assertEquals(parseDuration("0", "--timeout", { minMs: 1000, allowZero: true }), 0);
  assertThrows(
    () => parseDuration("5s", "--interval", { minMs: 10_000, maxMs: 86_400_000 }),
    /expected from 10s to 1d/,
  );
});

Deno.test("formatDuration() writes what parseDuration() reads back", () => {
  for (const ms of [0, 500, 90_000, 5_400_000, 172_800_000, 604_800_000 + 3_600_000 + 1]) {
    assertEquals(parseDuration(formatDuration(ms)), ms);
  }
  assertEquals(formatDuration(5_400_000), "1h30m");
  assertEquals(formatDuration(600_000), "10m");
});

Deno.test("formatAge() is short and human", () => {
  assertEquals(formatAge(90_061), "1d 1h 1m");
  assertEquals(formatAge(45), "45s");
  assertEquals(formatAge(3600), "1h");
  assertEquals(formatAge(Infinity), "∞");
});
