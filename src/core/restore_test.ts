import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  madeBy,
  parseSnapshotStamp,
  type PlanSnapshot,
  restorePointAt,
  restorePoints,
  restoreSourceProblem,
  revertProblem,
} from "./mod.ts";

const I = (s: string) => Temporal.Instant.from(s);
const NOW = I("2026-03-10T12:00:00Z");

function snap(
  id: string,
  createdAt: string,
  metadata: Record<string, string>,
  opts: { status?: string; volumeId?: string } = {},
): PlanSnapshot {
  return {
    id,
    volumeId: opts.volumeId ?? "v",
    status: opts.status ?? "available",
    createdAt: I(createdAt),
    metadata,
    size: 10,
  };
}

const RUN = {
  "x-snapsentry-managed": "true",
  "x-snapsentry-snapshot-policy-type": "daily",
  "x-snapsentry-snapshot-window-start": "2026-03-09T08:00:00Z",
  "x-snapsentry-snapshot-run-id": "req-1",
  "x-snapsentry-snapshot-expiry-date": "2026-03-11T08:05:00Z",
};
const GO = {
  "x-snapsentry-managed": "True",
  "x-snapsentry-snapshot-policy-type": "daily",
  "x-snapsentry-snapshot-expiry-date": "2026-03-10T08:00:00Z",
};
const ON_DEMAND = {
  "x-snapsentry-managed": "true",
  "x-snapsentry-snapshot-on-demand": "true",
  "x-snapsentry-snapshot-run-id": "req-2",
  "x-snapsentry-snapshot-expiry-date": "2026-03-12T00:00:00Z",
  "x-snapsentry-snapshot-hold": "true",
};

Deno.test("restorePoints()", async (t) => {
  const volume = {
    id: "v",
    name: "db",
    metadata: {
      "x-snapsentry-managed": "true",
      "x-snapsentry-daily-enabled": "true",
      "x-snapsentry-daily-start-time": "08:00",
    },
  };
  const snaps = [
    snap("run", "2026-03-09T08:05:00Z", RUN),
    snap("go", "2026-03-08T09:00:00Z", GO),
    snap("od", "2026-03-10T10:00:00Z", ON_DEMAND),
    snap("hand", "2026-03-10T11:00:00Z", { owner: "ops" }),
    snap("other", "2026-03-10T11:00:00Z", RUN, { volumeId: "w" }),
  ];

  await t.step("managed snapshots, newest first per volume, with who made them", () => {
    const points = restorePoints({ now: NOW, snapshots: snaps, volumes: [volume] });
    assertEquals(
      points.map((p) => [p.snapshotId, p.volumeName, p.madeBy, p.held, p.policy]),
      [
        ["od", "db", "on_demand", true, null],
        ["run", "db", "snapsentry", false, "daily"],
        ["go", "db", "go", false, "daily"],
        ["other", null, "snapsentry", false, "daily"],
      ],
    );
    // A Go snapshot has no window key: its window comes from the volume's policy and created_at.
    assertEquals(points.find((p) => p.snapshotId === "go")!.windowStart, I("2026-03-08T08:00:00Z"));
    assertEquals(points.find((p) => p.snapshotId === "run")!.expiresAt, I("2026-03-11T08:05:00Z"));
  });

  await t.step("--all adds unmanaged ones; --volume-id and --policy filter", () => {
    const all = restorePoints({ now: NOW, snapshots: snaps, volumes: [volume], all: true });
    assertEquals(all.find((p) => p.snapshotId === "hand")?.madeBy, "unmanaged");
    assertEquals(all.find((p) => p.snapshotId === "hand")?.expiresAt, null);
    const daily = restorePoints({
      now: NOW,
      snapshots: snaps,
      volumes: [volume],
      volumeIds: ["v"],
      policy: "daily",
    });
    assertEquals(daily.map((p) => p.snapshotId), ["run", "go"]);
  });

  await t.step("a lapsed hold is no hold", () => {
    const lapsed = snap("l", "2026-03-01T00:00:00Z", {
      ...ON_DEMAND,
      "x-snapsentry-snapshot-hold-until": "2026-03-05T00:00:00Z",
    });
    assertEquals(restorePoints({ now: NOW, snapshots: [lapsed], volumes: [] })[0]!.held, false);
  });

  await t.step("madeBy() tells the four apart", () => {
    assertEquals(
      [RUN, GO, ON_DEMAND, {}].map((md) =>
        madeBy(parseSnapshotStamp({ id: "x", createdAt: NOW, metadata: md }))
      ),
      ["snapsentry", "go", "on_demand", "unmanaged"],
    );
  });
});

Deno.test("restorePointAt() and the --snapshot-id checks", async (t) => {
  const managed = { "x-snapsentry-managed": "true" };
  const snaps = [
    snap("a", "2026-03-01T00:00:00Z", managed),
    snap("b", "2026-03-02T00:00:00Z", managed),
    snap("c", "2026-03-03T00:00:00Z", managed),
    snap("err", "2026-03-02T12:00:00Z", managed, { status: "error" }),
    snap("hand", "2026-03-02T18:00:00Z", {}),
    snap("x", "2026-03-02T20:00:00Z", managed, { volumeId: "w" }),
  ];
  await t.step("the newest available managed snapshot at or before --at", () => {
    assertEquals(restorePointAt("v", snaps, I("2026-03-02T23:00:00Z")).snapshot?.id, "b");
    assertEquals(restorePointAt("v", snaps, I("2026-03-02T00:00:00Z")).snapshot?.id, "b");
    assertEquals(restorePointAt("v", snaps, I("2026-03-01T23:59:59Z")).snapshot?.id, "a");
    assertEquals(restorePointAt("v", snaps, I("2026-04-01T00:00:00Z")).snapshot?.id, "c");
  });
  await t.step("to the second: a created_at as printed (whole seconds) picks that snapshot", () => {
    const late = snap("late", "2026-03-04T10:00:05.750Z", managed);
    assertEquals(restorePointAt("v", [late], I("2026-03-04T10:00:05Z")).snapshot?.id, "late");
    assertEquals(restorePointAt("v", [late], I("2026-03-04T10:00:04Z")).snapshot, undefined);
  });
  await t.step("none that early: the problem names the oldest one", () => {
    const r = restorePointAt("v", snaps, I("2026-02-01T00:00:00Z"));
    assertEquals(r.snapshot, undefined);
    assert(r.problem!.includes("oldest available managed snapshot is a"), r.problem);
    assert(
      restorePointAt("w2", snaps, NOW).problem!.includes("no available managed snapshot"),
    );
  });
  await t.step("a named snapshot must be of the volume and available", () => {
    assertEquals(restoreSourceProblem("v", snaps[0]!), undefined);
    assert(restoreSourceProblem("v", snaps[5]!)!.includes("is of volume w"));
    assert(restoreSourceProblem("v", snaps[3]!)!.includes('"error"'));
  });
});

Deno.test("revertProblem()", async (t) => {
  const volume = { id: "v", status: "available", size: 10 };
  const older = snap("older", "2026-03-01T00:00:00Z", {});
  const latest = snap("latest", "2026-03-02T00:00:00Z", {}, { status: "error" });
  await t.step("only to the volume's latest snapshot, of any status", () => {
    const why = revertProblem({
      volume,
      snapshot: older,
      volumeSnapshots: [older, latest],
      revertSupported: true,
    });
    assert(why!.includes("not the volume's latest snapshot (latest"), why);
    assert(why!.includes("restore it to a new volume instead"), why);
    assertEquals(
      revertProblem({ volume, snapshot: older, volumeSnapshots: [older], revertSupported: true }),
      undefined,
    );
  });
  await t.step("only an available volume of the snapshot's size, from 3.40", () => {
    const base = { snapshot: older, volumeSnapshots: [older], revertSupported: true };
    assert(revertProblem({ ...base, volume: { ...volume, status: "in-use" } })!.includes("detach"));
    assert(revertProblem({ ...base, volume: null })!.includes("no longer exists"));
    assert(revertProblem({ ...base, volume: { ...volume, size: 20 } })!.includes("extended"));
    assert(revertProblem({ ...base, volume, revertSupported: false })!.includes("3.40"));
  });
});
