import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Policy } from "./policy.ts";
import { expiryFor, parseRfc3339, parseSnapshotStamp, snapshotMetadata } from "./retention.ts";
import { windowAt } from "./window.ts";
import { snapshotName } from "./naming.ts";

const I = (s: string) => Temporal.Instant.from(s);

Deno.test("expiryFor()", async (t) => {
  const cases: { name: string; policy: Policy; createdAt: string; want: string }[] = [
    {
      name: "expiryFor() anchors a late weekly catch-up at its creation time (Go churn bug fixed)",
      policy: {
        type: "weekly",
        enabled: true,
        retentionDays: 2,
        timezone: "UTC",
        startTime: { hour: 0, minute: 0 },
        dayOfWeek: 1,
      },
      createdAt: "2026-03-12T10:00:00Z",
      want: "2026-03-14T10:00:00Z",
    },
    {
      name: "expiryFor() anchors an on-time daily snapshot at its creation time",
      policy: {
        type: "daily",
        enabled: true,
        retentionDays: 7,
        timezone: "Asia/Kolkata",
        startTime: { hour: 8, minute: 0 },
      },
      createdAt: "2026-01-01T02:35:10Z",
      want: "2026-01-08T02:35:10Z",
    },
    {
      name: "expiryFor() adds calendar days over Berlin spring-forward (23 hours later)",
      policy: {
        type: "daily",
        enabled: true,
        retentionDays: 1,
        timezone: "Europe/Berlin",
        startTime: { hour: 12, minute: 0 },
      },
      createdAt: "2026-03-28T11:00:00Z", // 12:00+01:00
      want: "2026-03-29T10:00:00Z", // 12:00+02:00
    },
    {
      name: "expiryFor() moves an expiry in the New York gap forward",
      policy: {
        type: "daily",
        enabled: true,
        retentionDays: 1,
        timezone: "America/New_York",
        startTime: { hour: 2, minute: 30 },
      },
      createdAt: "2026-03-07T07:30:00Z", // 02:30-05:00, window start
      want: "2026-03-08T07:30:00Z", // 02:30 does not exist: 03:30-04:00
    },
    {
      name: "expiryFor() adds months of days across a leap day",
      policy: {
        type: "monthly",
        enabled: true,
        retentionDays: 30,
        timezone: "UTC",
        startTime: { hour: 0, minute: 0 },
        dayOfMonth: 15,
      },
      createdAt: "2024-02-15T00:00:00Z",
      want: "2024-03-16T00:00:00Z",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const createdAt = I(c.createdAt);
      const w = windowAt(c.policy, createdAt);
      assertEquals(expiryFor(c.policy, w, createdAt).toString(), c.want);
    });
  }
  await t.step("expiryFor() never anchors before the window start", () => {
    const p: Policy = {
      type: "daily",
      enabled: true,
      retentionDays: 2,
      timezone: "UTC",
      startTime: { hour: 6, minute: 0 },
    };
    const w = windowAt(p, I("2026-05-01T12:00:00Z"));
    assertEquals(expiryFor(p, w, I("2026-05-01T05:00:00Z")).toString(), "2026-05-03T06:00:00Z");
  });
});

Deno.test("snapshotMetadata()", async (t) => {
  const policy: Policy = {
    type: "daily",
    enabled: true,
    retentionDays: 2,
    timezone: "Asia/Kolkata",
    startTime: { hour: 8, minute: 0 },
  };
  const createdAt = I("2026-01-01T02:35:10.123456Z");
  const window = windowAt(policy, createdAt);
  await t.step("snapshotMetadata() stamps Go's keys, the window and the group", () => {
    assertEquals(snapshotMetadata({ policy, window, createdAt, group: { serverId: "srv-1" } }), {
      "x-snapsentry-managed": "true",
      "x-snapsentry-snapshot-expiry-date": "2026-01-03T02:35:10Z",
      "x-snapsentry-snapshot-expiry-date-user-tz": "2026-01-03T08:05:10+05:30",
      "x-snapsentry-snapshot-policy-type": "daily",
      "x-snapsentry-snapshot-retention-days": "2",
      "x-snapsentry-snapshot-window-start": "2026-01-01T02:30:00Z",
      "x-snapsentry-snapshot-group-server": "srv-1",
      "x-snapsentry-snapshot-group-window": "2026-01-01T02:30:00Z",
    });
  });
  await t.step("snapshotMetadata() leaves out the group keys in the lane", () => {
    const md = snapshotMetadata({ policy, window, createdAt, group: null });
    assertEquals(md["x-snapsentry-snapshot-group-server"], undefined);
    assertEquals(md["x-snapsentry-snapshot-group-window"], undefined);
  });
  await t.step("snapshotMetadata() writes Z for a zero offset, as Go's RFC 3339 did", () => {
    const p: Policy = { ...policy, timezone: "Europe/London" };
    const at = I("2026-01-10T09:00:00Z");
    const md = snapshotMetadata({ policy: p, window: windowAt(p, at), createdAt: at });
    assertEquals(md["x-snapsentry-snapshot-expiry-date-user-tz"], "2026-01-12T09:00:00Z");
  });
  await t.step("snapshotName() names the window start in the policy zone", () => {
    assertEquals(
      snapshotName("daily", "3f0c", window.start),
      "managed-daily-3f0c-2026-01-01T08:00:00+05:30",
    );
  });
});

Deno.test("parseSnapshotStamp()", async (t) => {
  const createdAt = I("2026-01-01T02:35:10Z");
  const base = {
    "x-snapsentry-managed": "true",
    "x-snapsentry-snapshot-policy-type": "daily",
    "x-snapsentry-snapshot-retention-days": "2",
  };
  await t.step("parseSnapshotStamp() reads a snapsentry snapshot", () => {
    const s = parseSnapshotStamp({
      id: "s1",
      createdAt,
      metadata: {
        ...base,
        "x-snapsentry-snapshot-expiry-date": "2026-01-03T02:35:10Z",
        "x-snapsentry-snapshot-window-start": "2026-01-01T02:30:00Z",
        "x-snapsentry-snapshot-group-server": "srv",
      },
    });
    assertEquals(s, {
      managed: true,
      policy: "daily",
      expiresAt: I("2026-01-03T02:35:10Z"),
      windowStart: I("2026-01-01T02:30:00Z"),
      windowAnchor: I("2026-01-01T02:30:00Z"),
      groupServerId: "srv",
      retentionDays: 2,
      onDemand: false,
      createdAt,
    });
  });
  await t.step("parseSnapshotStamp() places a Go snapshot by its created_at", () => {
    const s = parseSnapshotStamp({
      id: "s2",
      createdAt,
      metadata: {
        ...base,
        "x-snapsentry-snapshot-expiry-date": "2026-01-03T08:00:00+05:30",
      },
    });
    assertEquals([s.windowStart, s.windowAnchor, s.expiresAt], [
      undefined,
      createdAt,
      I("2026-01-03T02:30:00Z"),
    ]);
  });
  await t.step("parseSnapshotStamp() reports a missing expiry", () => {
    const s = parseSnapshotStamp({ id: "s3", createdAt, metadata: base });
    assertEquals(s.expiresAt, undefined);
    assertEquals(
      s.expiryError,
      "Cannot read the expiry of snapshot s3: x-snapsentry-snapshot-expiry-date is missing; the snapshot is kept, set the key (RFC 3339 UTC) or delete it by hand",
    );
  });
  await t.step("parseSnapshotStamp() reports an expiry without an offset", () => {
    const s = parseSnapshotStamp({
      id: "s4",
      createdAt,
      metadata: { ...base, "x-snapsentry-snapshot-expiry-date": "2026-01-03T08:30:00" },
    });
    assertEquals(
      s.expiryError,
      'Cannot parse x-snapsentry-snapshot-expiry-date "2026-01-03T08:30:00" on snapshot s4: expected RFC 3339 such as 2026-01-03T08:30:00Z; the snapshot is kept',
    );
  });
  await t.step(
    "parseSnapshotStamp() takes Go's ParseBool true forms as managed, nothing else",
    () => {
      const managed = (v: string) =>
        parseSnapshotStamp({
          id: "s5",
          createdAt,
          metadata: { ...base, "x-snapsentry-managed": v },
        });
      for (const v of ["true", "True", "TRUE", "t", "T", "1"]) {
        assertEquals(managed(v).managed, true, v);
      }
      for (const v of ["", "yes", "on", " true", "tRuE", "false", "0"]) {
        assertEquals([managed(v).managed, managed(v).expiryError], [false, undefined], v);
      }
    },
  );
  await t.step("parseRfc3339() rejects ISO forms RFC 3339 does not allow", () => {
    assertEquals(parseRfc3339("20260103T083000Z"), undefined);
    assertEquals(parseRfc3339("2026-01-03T08:30:00Z[UTC]"), undefined);
    assertEquals(parseRfc3339("2026-01-03T08:30:00.5+01:00")?.toString(), "2026-01-03T07:30:00.5Z");
  });
});
