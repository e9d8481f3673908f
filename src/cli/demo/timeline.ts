/**
 * The demo's timeline: one row per volume and policy, one column per simulated day, and the
 * snapshots each volume holds at the end.
 */
import type { Emulator } from "../../emulator/mod.ts";
import type { Observation, TimelineEvent } from "../../exec/mod.ts";
import type { CommandContext } from "../command.ts";

/** One row per volume and policy, one column per simulated day. */
export function printTimeline(
  ctx: CommandContext,
  emulator: Emulator,
  start: Temporal.Instant,
  days: number,
  events: TimelineEvent[],
  obs: Observation | undefined,
): void {
  const names = new Map(emulator.volumes(emulator.seed.demoProjectId).map((v) => [v.id, v.name]));
  const rows = new Map<string, { created: number[]; expired: number[]; failed: number[] }>();
  for (const e of events) {
    const day = Math.floor(
      Number(Temporal.Instant.from(e.at).since(start).total("hours")) / 24,
    );
    if (day < 0 || day >= days) continue;
    const key = `${names.get(e.volumeId) ?? e.volumeId} ${e.policy ?? ""}`.trim();
    const row = rows.get(key) ??
      { created: Array(days).fill(0), expired: Array(days).fill(0), failed: Array(days).fill(0) };
    rows.set(key, row);
    row[e.kind][day]++;
  }
  const width = Math.max(...[...rows.keys()].map((k) => k.length), 10);
  ctx.out(
    `\nTimeline (one column per day from ${start.toString().slice(0, 10)}; ` +
      `+ created, - expired, ± both, digits = snapshots created that day, x failed or invalid):`,
  );
  const ruler = Array.from({ length: days }, (_, i) => ((i + 1) % 10 === 0 ? "|" : " ")).join("");
  ctx.out(`${"".padEnd(width)}  ${ruler}`);
  for (const key of [...rows.keys()].sort()) {
    const r = rows.get(key)!;
    const cells = r.created.map((c, i) => {
      const e = r.expired[i]!;
      if (r.failed[i]! > 0 && c === 0) return "x";
      if (c > 0 && e > 0) return "±";
      if (c > 1) return String(Math.min(c, 9));
      if (c === 1) return "+";
      if (e > 0) return "-";
      return "·";
    }).join("");
    ctx.out(`${key.padEnd(width)}  ${cells}`);
  }
  if (obs) {
    const held = new Map<string, number>();
    for (const s of obs.snapshots) {
      if (s.status === "available") held.set(s.volumeId, (held.get(s.volumeId) ?? 0) + 1);
    }
    ctx.out(
      "\nSnapshots held now: " +
        [...held].map(([id, n]) => `${names.get(id) ?? id} ${n}`).sort().join(", "),
    );
  }
}
