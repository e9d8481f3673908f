/**
 * Planner speed: 10,000 subscribed volumes (3,000 servers with two volumes each, 500 multi-attached,
 * 3,500 unattached) with 30,000 managed snapshots, mixed policies and zones.
 * Run with `deno bench --allow-all bench/plan_bench.ts`.
 */
import {
  createRequest,
  planCreate,
  planExpire,
  type PlanInput,
  type PlanSnapshot,
  planStatus,
  type PlanVolume,
  type Policy,
  policyToMetadata,
  windowAt,
} from "../src/core/mod.ts";

const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];
const NOW = Temporal.Instant.from("2026-03-10T12:00:00Z");

function policiesFor(i: number): Policy[] {
  const timezone = ZONES[i % ZONES.length]!;
  const startTime = { hour: i % 24, minute: (i * 7) % 60 };
  const out: Policy[] = [{ type: "daily", enabled: true, retentionDays: 7, timezone, startTime }];
  if (i % 3 === 0) {
    out.push({
      type: "weekly",
      enabled: true,
      retentionDays: 28,
      timezone,
      startTime,
      dayOfWeek: ((i % 7) + 1) as 1,
    });
  }
  if (i % 5 === 0) {
    out.push({ type: "express", enabled: true, retentionDays: 1, timezone, intervalHours: 6 });
  }
  if (i % 10 === 0) {
    out.push({
      type: "monthly",
      enabled: true,
      retentionDays: 90,
      timezone,
      startTime,
      dayOfMonth: (i % 31) + 1,
    });
  }
  return out;
}

function buildInput(): PlanInput {
  const volumes: PlanVolume[] = [];
  const snapshots: PlanSnapshot[] = [];
  for (let i = 0; i < 10_000; i++) {
    const policies = policiesFor(i);
    const metadata: Record<string, string> = Object.assign(
      { purpose: "bench" },
      ...policies.map(policyToMetadata),
    );
    const servers = i < 6_000
      ? [`srv-${Math.floor(i / 2)}`]
      : i < 6_500
      ? [`srv-m-${i}`, `srv-n-${i}`]
      : [];
    const volume: PlanVolume = {
      id: `vol-${String(i).padStart(5, "0")}`,
      name: `v${i}`,
      status: i % 97 === 0 ? "maintenance" : "in-use",
      size: 10 + (i % 50),
      metadata,
      attachments: servers.map((serverId) => ({ serverId })),
    };
    volumes.push(volume);
    // Three snapshots of the daily policy: today's window (for two thirds), and two older ones.
    const daily = policies[0]!;
    let w = windowAt(daily, NOW);
    for (let k = 0; k < 3; k++) {
      if (k > 0 || i % 3 !== 0) {
        const createdAt = w.start.toInstant().add({ seconds: 5 });
        const req = createRequest(
          {
            volumeId: volume.id,
            volumeName: volume.name!,
            serverId: null,
            placement: { kind: "lane", why: "unattached" },
            policy: "daily",
            config: daily,
            window: w,
            action: "create",
            reason: "",
          },
          createdAt,
        );
        snapshots.push({
          id: `snap-${i}-${k}`,
          volumeId: volume.id,
          status: i % 211 === 0 && k === 0 ? "error" : "available",
          metadata: req.metadata,
          createdAt,
          size: volume.size,
        });
      } else {
        // The rest of the 30,000: Go-made snapshots with no window key, a week old.
        snapshots.push({
          id: `snap-${i}-${k}-go`,
          volumeId: volume.id,
          status: "available",
          metadata: {
            "x-snapsentry-managed": "true",
            "x-snapsentry-snapshot-policy-type": "daily",
            "x-snapsentry-snapshot-expiry-date": NOW.subtract({ hours: 24 }).toString(),
          },
          createdAt: NOW.subtract({ hours: 24 * 8 }),
          size: volume.size,
        });
      }
      w = { start: w.start.subtract({ days: 1 }), end: w.start };
    }
  }
  return { now: NOW, volumes, snapshots };
}

const input = buildInput();
if (input.volumes.length !== 10_000 || input.snapshots.length !== 30_000) {
  throw new Error(
    `bench input: ${input.volumes.length} volumes, ${input.snapshots.length} snapshots`,
  );
}

Deno.bench("planCreate(): 10,000 volumes, 30,000 snapshots", { group: "plan" }, () => {
  planCreate(input);
});

Deno.bench("planExpire(): 10,000 volumes, 30,000 snapshots", { group: "plan" }, () => {
  planExpire(input);
});

Deno.bench("planStatus(): 10,000 volumes, 30,000 snapshots", { group: "plan" }, () => {
  planStatus(input);
});
