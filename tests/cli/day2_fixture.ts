/**
 * The shared set-up of the day-2 CLI tests: a daily-managed volume `db` with three snapshots a run
 * made (snapsentry's stamps) on the three days before 2026-03-10T12:00Z.
 */
import { emulatedCli } from "../helpers/cli.ts";

export const MANAGED_DAILY = {
  "x-snapsentry-managed": "true",
  "x-snapsentry-daily-enabled": "true",
  "x-snapsentry-daily-start-time": "08:00",
};

/** A run's snapshot (snapsentry's stamps) created at `at`, expiring two days later. */
export function runStamp(at: string): Record<string, string> {
  const t = Temporal.Instant.from(at);
  return {
    "x-snapsentry-managed": "true",
    "x-snapsentry-snapshot-policy-type": "daily",
    "x-snapsentry-snapshot-window-start": `${at.slice(0, 10)}T08:00:00Z`,
    "x-snapsentry-snapshot-run-id": "req-seeded",
    "x-snapsentry-snapshot-expiry-date": t.add({ hours: 48 }).toString(),
  };
}

export function setup() {
  const e = emulatedCli({ start: "2026-03-10T12:00:00Z", volumeDelayMs: 2000 });
  const project = e.emulator.seed.demoProjectId;
  const db = e.emulator.addVolume(project, { name: "db", size: 10, metadata: MANAGED_DAILY });
  const snaps = ["2026-03-07T08:05:00Z", "2026-03-08T08:05:00Z", "2026-03-09T08:05:00Z"].map(
    (at, i) =>
      e.emulator.addSnapshot({
        volumeId: db.id,
        name: `s${i}`,
        createdAt: at,
        metadata: runStamp(at),
      }),
  );
  return { e, project, db, snaps };
}

export const json = (stdout: string) => JSON.parse(stdout);
