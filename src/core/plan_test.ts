import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  createRequest,
  findSatisfying,
  forecast,
  planCreate,
  planExpire,
  type PlanInput,
  type PlanSnapshot,
  planStatus,
  type PlanVolume,
} from "./mod.ts";

const I = (s: string) => Temporal.Instant.from(s);
const NOW = I("2026-03-10T12:00:00Z"); // daily 08:00 UTC window: [03-10 08:00, 03-11 08:00)

const DAILY = {
  "x-snapsentry-managed": "true",
  "x-snapsentry-daily-enabled": "true",
  "x-snapsentry-daily-start-time": "08:00",
  "x-snapsentry-daily-timezone": "UTC",
  "x-snapsentry-daily-retention-days": "2",
};

function vol(
  id: string,
  opts: { metadata?: Record<string, string>; status?: string; servers?: string[]; size?: number } =
    {},
): PlanVolume {
  return {
    id,
    name: `name-${id}`,
    status: opts.status ?? "in-use",
    size: opts.size ?? 10,
    metadata: opts.metadata ?? DAILY,
    attachments: (opts.servers ?? []).map((serverId) => ({ serverId })),
  };
}

function snap(
  id: string,
  volumeId: string,
  opts: {
    createdAt: string;
    status?: string;
    policy?: string;
    windowStart?: string;
    /** The run that made it: with `windowStart`, snapsentry's two stamps. */
    runId?: string;
    expiresAt?: string | null;
    managed?: string;
  },
): PlanSnapshot {
  const metadata: Record<string, string> = {
    "x-snapsentry-managed": opts.managed ?? "true",
    "x-snapsentry-snapshot-policy-type": opts.policy ?? "daily",
    "x-snapsentry-snapshot-retention-days": "2",
  };
  if (opts.windowStart) metadata["x-snapsentry-snapshot-window-start"] = opts.windowStart;
  if (opts.runId) metadata["x-snapsentry-snapshot-run-id"] = opts.runId;
  if (opts.expiresAt !== null) {
    metadata["x-snapsentry-snapshot-expiry-date"] = opts.expiresAt ??
      I(opts.createdAt).add({ hours: 48 }).toString();
  }
  return {
    id,
    volumeId,
    status: opts.status ?? "available",
    metadata,
    createdAt: I(opts.createdAt),
    size: 10,
  };
}

const input = (
  volumes: PlanVolume[],
  snapshots: PlanSnapshot[] = [],
  now = NOW,
): PlanInput => ({ now, volumes, snapshots });

Deno.test("planCreate() decides per volume and policy", async (t) => {
  await t.step("planCreate() creates for a fresh subscription at once (catch-up semantics)", () => {
    const plan = planCreate(input([vol("v1", { servers: ["s1"] })]));
    assertEquals(plan.entries.length, 1);
    const e = plan.entries[0]!;
    assertEquals([e.action, e.policy, e.serverId], ["create", "daily", "s1"]);
    assertEquals([e.windowStart?.toString(), e.windowEnd?.toString()], [
      "2026-03-10T08:00:00Z",
      "2026-03-11T08:00:00Z",
    ]);
    assertEquals(
      e.reason,
      "No snapshot yet for window 2026-03-10T08:00:00Z – 2026-03-11T08:00:00Z",
    );
  });
  await t.step("planCreate() is satisfied by a snapsentry snapshot stamped for the window", () => {
    const plan = planCreate(input([vol("v1")], [
      snap("a", "v1", { createdAt: "2026-03-10T08:00:03Z", windowStart: "2026-03-10T08:00:00Z" }),
    ]));
    assertEquals([plan.entries[0]!.action, plan.entries[0]!.satisfiedBy], ["skip", "a"]);
    assertEquals(
      plan.entries[0]!.reason,
      "Window 2026-03-10T08:00:00Z – 2026-03-11T08:00:00Z already has snapshot a (available)",
    );
  });
  await t.step("planCreate() is satisfied by a creating snapshot", () => {
    const plan = planCreate(input([vol("v1")], [
      snap("a", "v1", { createdAt: "2026-03-10T11:59:00Z", status: "creating" }),
    ]));
    assertEquals(plan.entries[0]!.action, "skip");
  });
  await t.step("planCreate() places a Go snapshot (no window key) by created_at", () => {
    const inWindow = planCreate(
      input([vol("v1")], [snap("go", "v1", { createdAt: "2026-03-10T08:05:00Z" })]),
    );
    assertEquals(inWindow.entries[0]!.satisfiedBy, "go");
    const before = planCreate(
      input([vol("v1")], [snap("go", "v1", { createdAt: "2026-03-10T07:59:00Z" })]),
    );
    assertEquals(before.entries[0]!.action, "create");
  });
  await t.step("planCreate() trusts the window key over created_at", () => {
    // Created late, after the window ended, but for the previous window: does not satisfy this one.
    const plan = planCreate(input([vol("v1")], [
      snap("late", "v1", {
        createdAt: "2026-03-10T08:01:00Z",
        windowStart: "2026-03-09T08:00:00Z",
      }),
    ]));
    assertEquals(plan.entries[0]!.action, "create");
  });
  await t.step("planCreate() ignores error, unmanaged and other-policy snapshots", () => {
    const plan = planCreate(input([vol("v1")], [
      snap("err", "v1", { createdAt: "2026-03-10T09:00:00Z", status: "error" }),
      snap("um", "v1", { createdAt: "2026-03-10T09:00:00Z", managed: "false" }),
      snap("wk", "v1", { createdAt: "2026-03-10T09:00:00Z", policy: "weekly" }),
      snap("other", "v2", { createdAt: "2026-03-10T09:00:00Z" }),
    ]));
    assertEquals(plan.entries[0]!.action, "create");
  });
  await t.step("planCreate() skips a volume whose status forbids a snapshot", () => {
    const plan = planCreate(input([vol("v1", { status: "maintenance", servers: ["s1"] })]));
    assertEquals(plan.entries[0]!.action, "skip");
    assertEquals(
      plan.entries[0]!.reason,
      'Volume status "maintenance" does not allow a snapshot (only available or in-use); retried at the next run',
    );
    assertEquals(plan.groups, []);
  });
  await t.step("planCreate() plans only volumes with x-snapsentry-managed=true", () => {
    const plan = planCreate(input([
      vol("v1", { metadata: { ...DAILY, "x-snapsentry-managed": "True" } }),
      vol("v2", { metadata: { ...DAILY, "x-snapsentry-managed": "false" } }),
    ]));
    assertEquals(plan.entries, []);
  });
  await t.step("planCreate() reports an invalid policy and carries on with the others", () => {
    const plan = planCreate(input([
      vol("v1", {
        metadata: {
          ...DAILY,
          "x-snapsentry-weekly-enabled": "true",
          "x-snapsentry-weekly-start-time": "25:00",
        },
      }),
      vol("v2"),
    ]));
    assertEquals(plan.entries.map((e) => [e.volumeId, e.policy, e.action]), [
      ["v1", "daily", "create"],
      ["v1", "weekly", "invalid"],
      ["v2", "daily", "create"],
    ]);
    assertEquals(
      plan.entries[1]!.reason,
      'Cannot parse x-snapsentry-weekly-start-time "25:00" on volume v1: expected HH:MM (00:00–23:59)',
    );
    assertEquals(plan.issues.length, 1);
  });
});

Deno.test("planCreate() is idempotent", async (t) => {
  const volumes = [
    vol("v1", { servers: ["s1"] }),
    vol("v2", { servers: ["s1"] }),
    vol("v3", {
      metadata: {
        ...DAILY,
        "x-snapsentry-express-enabled": "true",
        "x-snapsentry-express-timezone": "Asia/Kolkata",
        "x-snapsentry-weekly-enabled": "true",
        "x-snapsentry-monthly-enabled": "true",
        "x-snapsentry-monthly-day-of-month": "31",
      },
    }),
  ];
  const first = planCreate(input(volumes));
  const made: PlanSnapshot[] = first.entries.filter((e) => e.action === "create").map((e, i) => {
    const req = createRequest(e, NOW);
    return {
      id: `new-${i}`,
      volumeId: req.volumeId,
      status: "creating",
      metadata: req.metadata,
      createdAt: NOW,
    };
  });
  await t.step("planCreate() plans nothing on a second run after the snapshots exist", () => {
    assertEquals(first.entries.filter((e) => e.action === "create").length, 6);
    const second = planCreate(input(volumes, made, NOW.add({ minutes: 1 })));
    assertEquals(second.entries.filter((e) => e.action !== "skip"), []);
    assertEquals(second.groups, []);
    assertEquals(second.dedupe, []);
  });
  await t.step(
    "planCreate() still plans nothing once they are available, until the window ends",
    () => {
      const avail = made.map((s) => ({ ...s, status: "available" }));
      const later = planCreate(input(volumes, avail, I("2026-03-10T12:29:59Z")));
      assertEquals(later.entries.filter((e) => e.action === "create").map((e) => e.policy), []);
      const next = planCreate(input(volumes, avail, I("2026-03-10T18:30:00Z"))); // 00:00 IST slot
      assertEquals(next.entries.filter((e) => e.action === "create").map((e) => e.policy), [
        "express",
      ]);
    },
  );
  await t.step("planCreate() gives the same plan twice and for any listing order", () => {
    const a = planCreate(input(volumes, made));
    const b = planCreate(input(volumes, made));
    const c = planCreate(input([...volumes].reverse(), [...made].reverse()));
    assertEquals(a, b);
    assertEquals(a, c);
  });
});

Deno.test("planCreate() dedupes raced windows", async (t) => {
  await t.step("planCreate() keeps the oldest available snapshot and deletes the others", () => {
    const ws = "2026-03-10T08:00:00Z";
    const raced = (id: string, createdAt: string) =>
      snap(id, "v1", { createdAt, windowStart: ws, runId: `req-${id}` });
    const plan = planCreate(input([vol("v1")], [
      raced("b", "2026-03-10T08:00:02Z"),
      raced("a", "2026-03-10T08:00:01Z"),
      raced("c", "2026-03-10T08:00:03Z"),
    ]));
    assertEquals(plan.entries[0]!.satisfiedBy, "a");
    assertEquals(plan.dedupe.map((d) => [d.snapshotId, d.keepId]), [["b", "a"], ["c", "a"]]);
    assertEquals(
      plan.dedupe[0]!.reason,
      "Duplicate of a in window 2026-03-10T08:00:00Z – 2026-03-11T08:00:00Z (raced runs)",
    );
  });
  await t.step("planCreate() prefers an available snapshot over an older creating one", () => {
    const ws = "2026-03-10T08:00:00Z";
    const raced = (id: string, createdAt: string, status = "available") =>
      snap(id, "v1", { createdAt, windowStart: ws, runId: `req-${id}`, status });
    const plan = planCreate(input([vol("v1")], [
      raced("old-creating", "2026-03-10T08:00:01Z", "creating"),
      raced("avail", "2026-03-10T08:00:05Z"),
      raced("avail2", "2026-03-10T08:00:06Z"),
    ]));
    assertEquals(plan.entries[0]!.satisfiedBy, "avail");
    // The creating duplicate waits: Cinder refuses to delete a snapshot still being created.
    assertEquals(plan.dedupe.map((d) => d.snapshotId), ["avail2"]);
  });
  await t.step("planCreate() never dedupes snapshots without snapsentry's two stamps", () => {
    // The Go tool's catch-up pair (no stamps), a pair stamped with a window but no run id (made
    // by hand, or before runs stamped their id): restore points, deleted by their expiry only.
    const plan = planCreate(input([vol("v1")], [
      snap("g1", "v1", { createdAt: "2026-03-08T09:00:00Z" }),
      snap("g2", "v1", { createdAt: "2026-03-08T09:00:30Z" }),
      snap("g3", "v1", { createdAt: "2026-03-10T09:00:00Z" }),
      snap("w1", "v1", { createdAt: "2026-03-09T08:00:01Z", windowStart: "2026-03-09T08:00:00Z" }),
      snap("w2", "v1", { createdAt: "2026-03-09T08:00:02Z", windowStart: "2026-03-09T08:00:00Z" }),
    ]));
    assertEquals(plan.dedupe, []);
    // The window filled by a Go snapshot still counts as filled.
    assertEquals([plan.entries[0]!.action, plan.entries[0]!.satisfiedBy], ["skip", "g3"]);
  });
  await t.step("planCreate() never dedupes snapshots stamped for different windows", () => {
    // Taken every 6 h before the interval became 12 h: each was its own window's snapshot, so
    // none is a duplicate although two now fall in one 12 h window.
    const express12 = {
      "x-snapsentry-managed": "true",
      "x-snapsentry-express-enabled": "true",
      "x-snapsentry-express-interval-hours": "12",
      "x-snapsentry-express-timezone": "UTC",
      "x-snapsentry-express-retention-days": "3",
    };
    const six = (id: string, ws: string) =>
      snap(id, "v1", { createdAt: ws, windowStart: ws, policy: "express", runId: `req-${id}` });
    const plan = planCreate(input([vol("v1", { metadata: express12 })], [
      six("e00", "2026-03-09T00:00:00Z"),
      six("e06", "2026-03-09T06:00:00Z"),
      six("e12", "2026-03-09T12:00:00Z"),
      six("e18", "2026-03-09T18:00:00Z"),
      // A real race in the same 12 h window: the same stamp twice.
      six("r1", "2026-03-10T12:00:00Z"),
      snap("r2", "v1", {
        createdAt: "2026-03-10T12:00:09Z",
        windowStart: "2026-03-10T12:00:00Z",
        policy: "express",
        runId: "req-r2",
      }),
    ]));
    assertEquals(plan.dedupe.map((d) => [d.snapshotId, d.keepId]), [["r2", "r1"]]);
  });
});

Deno.test("planCreate() groups creates by server", async (t) => {
  const plan = planCreate(input([
    vol("v4", { servers: ["s2"] }),
    vol("v1", { servers: ["s1"] }),
    vol("v2", { servers: ["s1"] }),
    vol("v3", { servers: ["s1", "s2"] }),
    vol("v5", { status: "available" }),
    vol("v6", { servers: ["s3"], status: "error" }),
  ]));
  await t.step("planCreate() puts single-server volumes in their server's group", () => {
    assertEquals(plan.groups.map((g) => [g.key, g.entries.map((e) => e.volumeId)]), [
      ["server:s1", ["v1", "v2"]],
      ["server:s2", ["v4"]],
      ["lane", ["v3", "v5"]],
    ]);
  });
  await t.step("planCreate() sends multi-attached and unattached volumes to the lane", () => {
    const byId = new Map(plan.entries.map((e) => [e.volumeId, e.placement]));
    assertEquals(byId.get("v3"), { kind: "lane", why: "multi-attached" });
    assertEquals(byId.get("v5"), { kind: "lane", why: "unattached" });
  });
  await t.step("createRequest() records the group only for server groups", () => {
    const [s1, , lane] = plan.groups;
    const md = createRequest(s1!.entries[0]!, NOW).metadata;
    assertEquals(md["x-snapsentry-snapshot-group-server"], "s1");
    assertEquals(md["x-snapsentry-snapshot-group-window"], "2026-03-10T08:00:00Z");
    const laneReq = createRequest(lane!.entries[0]!, NOW);
    assertEquals(laneReq.metadata["x-snapsentry-snapshot-group-server"], undefined);
    assertEquals(laneReq.name, "managed-daily-v3-2026-03-10T08:00:00Z");
    assertEquals(laneReq.description, "Created and managed by Snapsentry");
  });
});

Deno.test("planExpire()", async (t) => {
  const v1 = vol("v1");
  await t.step("planExpire() expires past snapshots and keeps the others", () => {
    const plan = planExpire(input([v1], [
      snap("old", "v1", { createdAt: "2026-03-07T08:00:00Z" }), // expired 03-09
      snap("mid", "v1", { createdAt: "2026-03-08T08:00:00Z" }), // expires 03-10 08:00: expired
      snap("new", "v1", { createdAt: "2026-03-09T08:00:00Z" }), // expires 03-11
    ]));
    assertEquals(plan.entries.map((e) => [e.snapshotId, e.action]), [
      ["old", "expire"],
      ["mid", "expire"],
      ["new", "keep"],
    ]);
    assertEquals(plan.entries[0]!.reason, "Expired at 2026-03-09T08:00:00Z");
    assertEquals(plan.entries[2]!.reason, "Expires at 2026-03-11T08:00:00Z");
  });
  await t.step("planExpire() keeps the newest available snapshot of an enabled policy", () => {
    const plan = planExpire(input([v1], [
      snap("a", "v1", { createdAt: "2026-03-01T08:00:00Z" }),
      snap("b", "v1", { createdAt: "2026-03-02T08:00:00Z" }),
      snap("failed", "v1", { createdAt: "2026-03-10T08:00:00Z", status: "error" }),
    ]));
    assertEquals(plan.entries.map((e) => [e.snapshotId, e.action]), [
      ["a", "expire"],
      ["b", "keep"],
      ["failed", "zombie"],
    ]);
    assertEquals(
      plan.entries[1]!.reason,
      "Expired at 2026-03-04T08:00:00Z but kept by the min-keep guard: newest available daily snapshot of volume v1",
    );
  });
  await t.step(
    "planExpire() lifts the guard when the volume is gone, unsubscribed or disabled",
    () => {
      const snaps = [snap("b", "v1", { createdAt: "2026-03-02T08:00:00Z" })];
      const gone = planExpire(input([], snaps));
      const unsubscribed = planExpire(input([vol("v1", { metadata: {} })], snaps));
      const disabled = planExpire(input([
        vol("v1", { metadata: { ...DAILY, "x-snapsentry-daily-enabled": "false" } }),
      ], snaps));
      const otherPolicy = planExpire(input([v1], [
        snap("w", "v1", { createdAt: "2026-03-02T08:00:00Z", policy: "weekly" }),
      ]));
      for (const p of [gone, unsubscribed, disabled, otherPolicy]) {
        assertEquals(p.entries[0]!.action, "expire");
      }
    },
  );
  await t.step("planExpire() keeps the guard while a newer snapshot is only creating", () => {
    const plan = planExpire(input([v1], [
      snap("b", "v1", { createdAt: "2026-03-02T08:00:00Z" }),
      snap("c", "v1", { createdAt: "2026-03-10T11:00:00Z", status: "creating" }),
    ]));
    assertEquals(plan.entries.map((e) => e.action), ["keep", "keep"]);
    assertEquals(plan.entries[1]!.reason, "Still creating");
  });
  await t.step("planExpire() keeps and reports a managed snapshot without an expiry", () => {
    const plan = planExpire(input([], [
      snap("x", "v9", { createdAt: "2020-01-01T00:00:00Z", expiresAt: null }),
      snap("y", "v9", { createdAt: "2020-01-01T00:00:00Z", expiresAt: "soon" }),
    ]));
    assertEquals(plan.entries.map((e) => e.action), ["keep", "keep"]);
    assertEquals(plan.issues.map((i) => i.snapshotId), ["x", "y"]);
    assert(
      plan.issues[1]!.message.startsWith('Cannot parse x-snapsentry-snapshot-expiry-date "soon"'),
    );
  });
  await t.step("planExpire() never touches an unmanaged snapshot", () => {
    const plan = planExpire(input([], [
      snap("u1", "v1", { createdAt: "2020-01-01T00:00:00Z", managed: "false" }),
      snap("u2", "v1", { createdAt: "2020-01-01T00:00:00Z", status: "error", managed: "yes" }),
      {
        id: "u3",
        volumeId: "v1",
        status: "error_deleting",
        metadata: {},
        createdAt: I("2020-01-01T00:00:00Z"),
      },
    ]));
    assertEquals([plan.entries, plan.unmanaged], [[], 3]);
  });
  await t.step("planExpire() sweeps zombies of each kind", () => {
    const ours = (id: string, createdAt: string, status: string) =>
      snap(id, "v1", { createdAt, status, windowStart: "2026-03-09T08:00:00Z", runId: "req-1" });
    const plan = planExpire({
      ...input([v1], [
        snap("err", "v1", { createdAt: "2026-03-10T01:00:00Z", status: "error" }),
        ours("errdel", "2026-03-10T02:00:00Z", "error_deleting"),
        ours("stuck", "2026-03-10T09:00:00Z", "creating"),
        ours("slow", "2026-03-10T10:00:01Z", "creating"),
        snap("going", "v1", {
          createdAt: "2026-03-10T11:00:00Z",
          status: "deleting",
          expiresAt: null,
        }),
      ]),
      stuckAfterMs: 2 * 3600 * 1000,
    });
    assertEquals(plan.entries.map((e) => [e.snapshotId, e.action, e.force]), [
      ["err", "zombie", false],
      ["errdel", "zombie", true],
      ["stuck", "zombie", true],
      ["slow", "keep", false],
      ["going", "keep", false],
    ]);
    assertEquals(
      plan.entries[2]!.reason,
      "Snapshot stuck in creating for 3h (limit 2h); force-deleting it",
    );
    assertEquals(plan.issues, []);
  });
  await t.step("planExpire() leaves a stuck snapshot it did not stamp to its owner", () => {
    const plan = planExpire({
      ...input([v1], [
        snap("go-errdel", "v1", { createdAt: "2026-03-10T02:00:00Z", status: "error_deleting" }),
        snap("go-stuck", "v1", { createdAt: "2026-03-10T09:00:00Z", status: "creating" }),
        snap("go-err", "v1", { createdAt: "2026-03-10T01:00:00Z", status: "error" }),
      ]),
      stuckAfterMs: 2 * 3600 * 1000,
    });
    assertEquals(plan.entries.map((e) => [e.snapshotId, e.action]), [
      ["go-err", "zombie"],
      ["go-errdel", "keep"],
      ["go-stuck", "keep"],
    ]);
    assertEquals(
      plan.entries[2]!.reason,
      "Creating for 3h, but not stamped by snapsentry: left to its owner",
    );
  });
  await t.step("planExpire() gives the same plan twice", () => {
    const snaps = [
      snap("a", "v1", { createdAt: "2026-03-01T08:00:00Z" }),
      snap("b", "v2", { createdAt: "2026-03-02T08:00:00Z" }),
    ];
    assertEquals(planExpire(input([v1], snaps)), planExpire(input([v1], [...snaps].reverse())));
  });
});

Deno.test("planStatus()", async (t) => {
  const volumes = [
    vol("ok"),
    vol("due"),
    vol("new"),
    vol("late"),
    vol("bad", {
      metadata: { ...DAILY, "x-snapsentry-daily-timezone": "Local" },
    }),
  ];
  const snapshots = [
    snap("s-ok", "ok", { createdAt: "2026-03-10T08:01:00Z" }),
    snap("s-due", "due", { createdAt: "2026-03-09T08:01:00Z" }),
    snap("s-late", "late", { createdAt: "2026-03-07T08:01:00Z" }),
  ];
  await t.step("planStatus() gives OK, DUE, LATE and INVALID verdicts", () => {
    const r = planStatus(input(volumes, snapshots));
    assertEquals(r.entries.map((e) => [e.volumeId, e.verdict, e.nagios]), [
      ["bad", "INVALID", 3],
      ["due", "DUE", 0],
      ["late", "LATE", 1],
      ["new", "DUE", 0],
      ["ok", "OK", 0],
    ]);
    assertEquals(r.counts, { OK: 1, CREATING: 0, DUE: 2, LATE: 1, INVALID: 1 });
    assertEquals(r.nagios, 1);
    const ok = r.entries.find((e) => e.volumeId === "ok")!;
    assertEquals(ok.description, "daily 08:00 UTC, keep 2 d");
    assertEquals(ok.newest?.snapshotId, "s-ok");
    assertEquals(ok.newest?.ageSeconds, 3 * 3600 + 59 * 60);
    assertEquals(ok.nextWindow?.start.toString(), "2026-03-11T08:00:00+00:00[UTC]");
    assertEquals(ok.intervalSeconds, 86_400);
  });
  await t.step("planStatus() applies age thresholds per policy for Nagios codes", () => {
    const r = planStatus({
      ...input(volumes.slice(0, 3), snapshots),
      thresholds: { daily: { warnSeconds: 25 * 3600, critSeconds: 49 * 3600 } },
    });
    assertEquals(r.entries.map((e) => [e.volumeId, e.nagios]), [
      ["due", 1], // 27h59m old
      ["new", 2], // no snapshot at all
      ["ok", 0],
    ]);
    assertEquals(r.nagios, 2);
    assert(
      r.entries[0]!.reason.endsWith(
        "newest available snapshot is 1d 3h 59m old (warning at 1d 1h)",
      ),
    );
  });
});

Deno.test("forecast()", async (t) => {
  const now = I("2026-01-15T00:00:00Z");
  const md = (extra: Record<string, string>) => ({ "x-snapsentry-managed": "true", ...extra });
  const volumes = [
    {
      id: "a",
      size: 10,
      metadata: md({
        "x-snapsentry-daily-enabled": "true",
        "x-snapsentry-daily-retention-days": "7",
        "x-snapsentry-weekly-enabled": "true",
        "x-snapsentry-weekly-retention-days": "14",
      }),
    },
    {
      id: "b",
      size: 100,
      metadata: md({
        "x-snapsentry-monthly-enabled": "true",
        "x-snapsentry-express-enabled": "true",
      }),
    },
    { id: "c", size: 1000, metadata: { "x-snapsentry-daily-enabled": "true" } },
  ];
  await t.step("forecast() counts the snapshots each policy holds in steady state", () => {
    const f = forecast({ now, volumes, days: 60 });
    assertEquals(f.volumes.map((v) => [v.volumeId, v.policies, v.gigabytes]), [
      ["a", [{ policy: "daily", snapshots: 7 }, { policy: "weekly", snapshots: 2 }], 90],
      // monthly day 1 with 30 days: Feb 1 + 30 days outlives 1 March, so 2 exist then.
      ["b", [{ policy: "express", snapshots: 4 }, { policy: "monthly", snapshots: 2 }], 600],
    ]);
    assertEquals([f.totalSnapshots, f.totalGigabytes, f.warnings], [15, 690, []]);
  });
  await t.step("forecast() warns when the quotas would not hold the snapshots", () => {
    const f = forecast({
      now,
      volumes,
      days: 60,
      quota: { snapshots: 10, gigabytes: 1000, otherGigabytes: 500 },
    });
    assertEquals(f.warnings, [
      "Snapshot quota too small: the policies hold 15 snapshots, 15 in all, but the project allows 10; raise the snapshots quota or shorten retention",
      "Gigabytes quota too small: the policies hold 690 GB of snapshots on top of 500 GB of volumes and other snapshots, 1190 GB in all, but the project allows 1000 GB; raise the gigabytes quota or shorten retention",
    ]);
    assertEquals(forecast({ now, volumes, days: 60, quota: { snapshots: -1 } }).warnings, []);
  });
});

Deno.test("findSatisfying() adopts the snapshot a failed create left behind", () => {
  const plan = planCreate(input([vol("v1")]));
  const entry = plan.entries[0]!;
  const orphan = {
    id: "orphan",
    volumeId: "v1",
    status: "creating",
    metadata: createRequest(entry, NOW).metadata,
    createdAt: NOW,
  };
  assertEquals(findSatisfying(entry, [orphan])?.id, "orphan");
  assertEquals(findSatisfying(entry, [{ ...orphan, status: "error" }]), undefined);
  assertEquals(findSatisfying(entry, [{ ...orphan, volumeId: "v2" }]), undefined);
});

Deno.test("planStatus() does not call a window OK when its only snapshot is stuck in creating", () => {
  const now = Temporal.Instant.from("2026-03-10T12:00:00Z");
  const volume = {
    id: "v1",
    status: "available",
    size: 10,
    attachments: [],
    metadata: { "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" },
  };
  const stuck = {
    id: "s1",
    volumeId: "v1",
    status: "creating",
    createdAt: Temporal.Instant.from("2026-03-10T00:30:00Z"),
    metadata: {
      "x-snapsentry-managed": "true",
      "x-snapsentry-snapshot-policy-type": "daily",
      "x-snapsentry-snapshot-window-start": "2026-03-10T00:00:00Z",
      "x-snapsentry-snapshot-expiry-date": "2026-03-12T00:30:00Z",
    },
  };
  const young = { ...stuck, createdAt: Temporal.Instant.from("2026-03-10T11:30:00Z") };
  const entry = (s: typeof stuck) =>
    planStatus({ now, volumes: [volume], snapshots: [s] }).entries[0]!;
  // Still creating: not OK yet, shown with its age.
  assertEquals(entry(young).verdict, "CREATING");
  assertEquals(
    entry(young).reason,
    "Window 2026-03-10T00:00:00Z – 2026-03-11T00:00:00Z has snapshot s1, creating for 30m",
  );
  assertEquals(entry(young).nagios, 0);
  assertEquals(entry({ ...young, status: "available" }).verdict, "OK");
  // Nothing usable in this window nor the last, though a snapshot was attempted: LATE.
  assertEquals(entry(stuck).verdict, "LATE");
});
