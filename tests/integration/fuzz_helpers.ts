/** Helpers of the engine fuzz test: a seeded PRNG and the RunSummary consistency check. */
import type { RunSummary } from "../../src/exec/types.ts";

export interface Rand {
  (): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  shuffle<T>(xs: readonly T[]): T[];
  /** A UUID drawn from the generator (ids, hence plan order, replay with the seed). */
  uuid(): string;
}

/** mulberry32: a small, fast, seeded PRNG (the same seed gives the same scenario). */
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = next as Rand;
  r.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  r.pick = (xs) => xs[Math.floor(next() * xs.length)]!;
  r.chance = (p) => next() < p;
  r.shuffle = (xs) => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  r.uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${
      hex.slice(20)
    }`;
  };
  return r;
}

/**
 * Internal consistency of one RunSummary (invariants 5 and 6); returns what is wrong.
 * - every count equals the number of matching actions;
 * - `failed` counts failed actions (an invalid policy counts in `invalidPolicies` instead) plus waits that timed out (left `pending` with a reason), but
 *   not the delete of a run's own snapshot that went to error (its create already counts);
 * - "ok" only when nothing failed, was invalid or not done; "failed" only when the run itself
 *   failed before acting (auth or observation): then it has an error and no actions.
 */
export function checkSummary(s: RunSummary): string[] {
  const out: string[] = [];
  const n = (pred: (a: RunSummary["actions"][number]) => boolean) => s.actions.filter(pred).length;
  const c = s.counts;
  const eq = (name: string, got: number, want: number) => {
    if (got !== want) out.push(`counts.${name} is ${got} but ${want} actions match`);
  };
  eq("created", c.created, n((a) => a.kind === "create" && a.status === "done"));
  eq("adopted", c.adopted, n((a) => a.kind === "adopt" && a.status === "done"));
  eq("skipped", c.skipped, n((a) => a.kind === "skip"));
  eq("invalidPolicies", c.invalidPolicies, n((a) => a.kind === "invalid"));
  eq("kept", c.kept, n((a) => a.kind === "keep"));
  eq(
    "deleted",
    c.deleted,
    n((a) => (a.kind === "expire" || a.kind === "dedupe") && a.status === "done"),
  );
  eq("zombiesCleaned", c.zombiesCleaned, n((a) => a.kind === "zombie" && a.status === "done"));
  eq("notDone", c.notDone, n((a) => a.status === "not_done"));
  eq("superseded", c.superseded, n((a) => a.status === "superseded"));
  const ownCreates = new Set(
    s.actions.filter((a) => (a.kind === "create" || a.kind === "adopt") && a.snapshotId)
      .map((a) => a.snapshotId),
  );
  const failedActions = n((a) =>
    a.status === "failed" && a.kind !== "invalid" &&
    !(a.kind === "zombie" && ownCreates.has(a.snapshotId))
  );
  eq("failed", c.failed, failedActions + n((a) => a.status === "pending"));
  for (const a of s.actions) {
    if (a.status === "pending" && (!a.reason || !a.error)) {
      out.push(`action left pending without a reason: ${JSON.stringify(a)}`);
    }
    if (a.status === "failed" && a.kind !== "invalid" && !a.error) {
      out.push(`failed action without error: ${JSON.stringify(a)}`);
    }
    if (a.status === "dry_run") out.push(`dry_run action in a real run: ${JSON.stringify(a)}`);
  }
  const bad = c.failed > 0 || c.invalidPolicies > 0 || c.notDone > 0;
  if (s.result === "ok" && bad) out.push(`result ok with ${JSON.stringify(c)}`);
  if (s.result === "partial" && !bad) out.push(`result partial with nothing failed`);
  if (s.result === "failed") {
    if (!s.error) out.push("result failed without an error");
    if (s.actions.length > 0) {
      out.push(`result failed after acting (${s.actions.length} actions): ${s.error?.message}`);
    }
  } else if (s.error) out.push(`error "${s.error.message}" on a ${s.result} run`);
  return out;
}
