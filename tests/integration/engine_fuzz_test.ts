/**
 * Seeded, bounded, randomized fault injection against the engine: random projects (servers with
 * 1–3 volumes, multi-attached and unattached volumes, volumes in error/maintenance, random policies
 * in random zones, malformed metadata, unmanaged snapshots and managed-looking lookalikes,
 * pre-existing managed snapshots incl. zombies), then random create/expire runs over simulated
 * days under random faults, then a clean phase; the engine's invariants are checked throughout.
 *
 * Replay one scenario: `SNAPSENTRY_FUZZ_SEED=<seed> deno test --allow-all <this file>`.
 * More scenarios: `SNAPSENTRY_FUZZ_SCENARIOS=<n>` (default 40), `SNAPSENTRY_FUZZ_BASE=<seed>`.
 */
import assert from "node:assert/strict";
import {
  isPolicyEnabled,
  parseRfc3339,
  parseVolumePolicies,
  type PolicyType,
  SNAPSHOT_KEYS,
  windowAt,
} from "../../src/core/mod.ts";
import type { FaultRule, SnapshotRec } from "../../src/emulator/mod.ts";
import { AlertQueue, type RunSummary, type SnapshotEngine } from "../../src/exec/mod.ts";
import { type Harness, harness } from "./harness.ts";
import { checkSummary, mulberry32, type Rand } from "./fuzz_helpers.ts";

const MANAGED = SNAPSHOT_KEYS.managed;
const STUCK_AFTER_MS = 2 * 3600_000;
const WAIT_TIMEOUT_MS = 10 * 60_000;

const STARTS = [
  "2026-01-15T12:00:00Z",
  "2026-03-28T21:30:00Z", // the night Europe springs forward
  "2026-10-24T22:10:00Z", // a week before Europe falls back
  "2026-02-27T23:50:00Z", // month end
  "2026-11-01T04:45:00Z", // America falls back
];
const ZONES = [
  "UTC",
  "Europe/Paris",
  "America/New_York",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
];
const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

// ------------------------------------------------------------------------------ the project

function hhmm(r: Rand): string {
  return `${String(r.int(0, 23)).padStart(2, "0")}:${
    String(r.pick([0, 15, 30, 45])).padStart(2, "0")
  }`;
}

/** Random policies for one volume; some malformed. */
function randomPolicies(r: Rand): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const type of ["express", "daily", "weekly", "monthly"] as PolicyType[]) {
    if (!r.chance(0.45)) continue;
    const p = `x-snapsentry-${type}-`;
    meta[`${p}enabled`] = r.pick(["true", "true", "true", "True", "false"]);
    meta[`${p}timezone`] = r.pick(ZONES);
    meta[`${p}retention-days`] = String(r.int(1, 20));
    if (type === "express") meta[`${p}interval-hours`] = String(r.pick([6, 8, 12]));
    else meta[`${p}start-time`] = hhmm(r);
    if (type === "weekly") meta[`${p}start-day-of-week`] = r.pick(DAYS);
    if (type === "monthly") meta[`${p}start-day-of-month`] = String(r.int(1, 31));
    if (r.chance(0.1)) {
      // One malformed value.
      const bad = r.pick([
        [`${p}timezone`, "Mars/Olympus_Mons"],
        [`${p}retention-days`, "-3"],
        [`${p}enabled`, "maybe"],
        [type === "express" ? `${p}interval-hours` : `${p}start-time`, "25:61"],
      ]);
      meta[bad[0]!] = bad[1]!;
    }
  }
  return meta;
}

interface Project {
  /** Snapshot ids without `x-snapsentry-managed` exactly "true" (never to be touched). */
  untouchable: Map<string, { status: string; metadata: Record<string, string> }>;
  trace: string[];
}

/** A managed snapshot's keys: snapsentry's window and run stamps when `windowStart` is given. */
function stampMeta(
  policy: string,
  windowStart: string | undefined,
  expiry: string,
  managed = "true",
): Record<string, string> {
  const m: Record<string, string> = {
    [MANAGED]: managed,
    [SNAPSHOT_KEYS.policyType]: policy,
    [SNAPSHOT_KEYS.expiryDate]: expiry,
    [SNAPSHOT_KEYS.retentionDays]: "3",
  };
  if (windowStart) {
    m[SNAPSHOT_KEYS.windowStart] = windowStart;
    m[SNAPSHOT_KEYS.runId] = "req-seeded";
  }
  return m;
}

function buildProject(h: Harness, r: Rand): Project {
  const e = h.emulator;
  const now = h.clock.now();
  const iso = (deltaMs: number) => now.add({ milliseconds: deltaMs }).toString();
  const project: Project = { untouchable: new Map(), trace: [] };
  const servers = Array.from({ length: r.int(1, 4) }, (_, i) => `srv-${i + 1}`);
  const volumeOpts: { attachments: string[]; multiattach: boolean }[] = [];
  for (const s of servers) {
    for (let i = r.int(1, 3); i > 0; i--) volumeOpts.push({ attachments: [s], multiattach: false });
  }
  for (let i = r.int(0, 2); i > 0 && servers.length >= 2; i--) {
    const [a, b] = r.shuffle(servers).slice(0, 2);
    volumeOpts.push({ attachments: [a!, b!], multiattach: true });
  }
  for (let i = r.int(0, 2); i > 0; i--) volumeOpts.push({ attachments: [], multiattach: false });

  volumeOpts.forEach((o, i) => {
    const metadata = randomPolicies(r);
    const sub = r.pick(["true", "true", "true", "true", "true", "True", "false", ""]);
    if (sub) metadata[MANAGED] = sub;
    const status = r.chance(0.12) ? r.pick(["error", "maintenance", "error_restoring"]) : undefined;
    const v = e.addVolume(h.project, {
      id: r.uuid(),
      name: `vol-${i}`,
      metadata,
      attachments: o.attachments,
      multiattach: o.multiattach,
      ...(status ? { status } : {}),
    });
    project.trace.push(
      `volume ${v.id.slice(0, 8)} ${v.status} on [${o.attachments}] ${JSON.stringify(metadata)}`,
    );
    const add = (
      opts: { status?: string; metadata: Record<string, string>; createdAt: string },
    ) => {
      const s = e.addSnapshot({ id: r.uuid(), volumeId: v.id, ...opts });
      if (!isManaged(opts)) {
        project.untouchable.set(s.id, { status: s.status, metadata: { ...s.metadata } });
      }
      project.trace.push(
        `  snapshot ${s.id.slice(0, 8)} ${s.status} ${opts.createdAt} ${
          JSON.stringify(opts.metadata)
        }`,
      );
      return s;
    };
    // Unmanaged and lookalikes (expired stamps, so only the managed flag protects them).
    if (r.chance(0.3)) add({ metadata: {}, createdAt: iso(-r.int(1, 90) * 86_400_000) });
    if (r.chance(0.3)) {
      add({
        status: r.pick(["available", "error", "creating"]),
        metadata: stampMeta(
          "daily",
          iso(-30 * 86_400_000),
          iso(-20 * 86_400_000),
          r.pick(["false", " true", "yes", "on", "maybe", "tRuE"]),
        ),
        createdAt: iso(-30 * 86_400_000),
      });
    }
    // Pre-existing managed snapshots, for the volume's valid policies or any type.
    const parsed = parseVolumePolicies({ id: v.id, metadata });
    // A volume snapshotted by the Go tool so far: its snapshots carry no window stamp.
    const goEra = r.chance(0.15);
    for (let k = r.int(0, 4); k > 0; k--) {
      const policy = parsed.policies.length > 0 && r.chance(0.8) ? r.pick(parsed.policies) : null;
      const type = policy?.type ?? r.pick(["daily", "weekly", "express", "monthly"]);
      const ageMs = r.pick([
        10 * 60_000,
        3 * 3600_000,
        86_400_000,
        5 * 86_400_000,
        40 * 86_400_000,
      ]);
      const created = now.subtract({ milliseconds: ageMs });
      const ws = policy ? windowAt(policy, created).start.toInstant().toString() : undefined;
      const expiry = r.chance(0.1)
        ? "not-a-date"
        : iso(-ageMs + r.pick([1, 3, 10, 30]) * 86_400_000);
      const status = r.pick([
        "available",
        "available",
        "available",
        "error",
        "creating",
        "error_deleting",
      ]);
      const meta = stampMeta(type, goEra ? undefined : ws, expiry);
      add({ status, metadata: meta, createdAt: created.toString() });
      // A raced duplicate of the same window.
      if (status === "available" && ws && r.chance(0.25)) {
        add({
          metadata: meta,
          createdAt: created.add({ seconds: r.int(1, 100) }).toString(),
        });
      }
    }
  });
  return project;
}

// ------------------------------------------------------------------------------ faults

function randomFault(r: Rand): FaultRule {
  const gets = ["GET snapshots/detail", "GET volumes/detail"];
  const after = r.int(0, 6);
  switch (r.int(0, 11)) {
    case 0:
      return {
        kind: r.pick(gets),
        after,
        times: r.int(1, 8),
        fault: { type: "status", status: r.pick([500, 502, 503, 504]) },
      };
    case 1:
      return {
        kind: r.pick([...gets, "POST snapshots"]),
        after,
        times: r.int(1, 3),
        fault: { type: "rate_limit", retryAfter: r.int(0, 60) },
      };
    case 2:
      return {
        kind: r.pick([...gets, "POST snapshots"]),
        after,
        times: r.int(1, 3),
        fault: { type: "drop" },
      };
    case 3:
      return {
        kind: "POST snapshots",
        after,
        times: r.int(1, 3),
        fault: r.chance(0.5) ? { type: "lost_response", drop: true } : {
          type: "lost_response",
          status: r.pick([500, 502, 504]),
        },
      };
    case 4:
      return { after: r.int(0, 30), fault: { type: "expire_token" } };
    case 5:
      return {
        kind: "POST snapshots",
        after,
        times: r.int(1, 3),
        fault: { type: "snapshot_error" },
      };
    case 6:
      return {
        kind: "POST snapshots",
        after,
        times: r.int(1, 2),
        fault: { type: "snapshot_stuck" },
      };
    case 7:
      return {
        kind: "DELETE snapshots/{id}",
        after: r.int(0, 2),
        times: r.int(1, 2),
        fault: { type: "snapshot_error_deleting" },
      };
    case 8:
      return {
        kind: r.pick(["DELETE snapshots/{id}", "POST snapshots/{id}/action"]),
        after: r.int(0, 2),
        times: r.int(1, 3),
        fault: { type: "status", status: r.pick([500, 503, 409]) },
      };
    case 9:
      return {
        kind: "POST snapshots",
        after,
        times: r.int(1, 4),
        fault: { type: "latency", ms: r.int(1, 40) * 1000 },
      };
    case 10:
      return {
        kind: "POST snapshots",
        after,
        times: 1,
        fault: { type: "status", status: 413, message: "SnapshotLimitExceeded" },
      };
    default:
      // A long storm on the listings: the observation itself may fail.
      return {
        kind: r.pick(gets),
        after: 0,
        times: r.int(6, 20),
        fault: { type: "status", status: 503 },
      };
  }
}

// ------------------------------------------------------------------------------ invariants

interface DeleteAttempt {
  id: string;
  action: "delete" | "force_delete" | "reset_status";
  at: Temporal.Instant;
  before: SnapshotRec | undefined;
}

class Violations {
  readonly list: string[] = [];
  add(msg: string) {
    this.list.push(msg);
  }
}

/** Go's ParseBool true forms make a snapshot managed (go-compatibility.md, Snapshot keys). */
function isManaged(s: { metadata: Record<string, string> }): boolean {
  return ["1", "t", "T", "TRUE", "true", "True"].includes(s.metadata[MANAGED] ?? "");
}

/** Made by snapsentry: its window key and the run's id (only those are ever deduplicated). */
function isStampedByRun(s: { metadata: Record<string, string> }): boolean {
  return !!s.metadata[SNAPSHOT_KEYS.windowStart] && !!s.metadata[SNAPSHOT_KEYS.runId];
}

/**
 * Good managed snapshots of a volume and policy for the window starting at `windowStartMs`: stamped
 * with that start, or unstamped (Go-made) and created within `[windowStartMs, windowEndMs)`.
 */
function goodCount(
  snapshots: SnapshotRec[],
  volumeId: string,
  policy: string,
  windowStartMs: number,
  now: Temporal.Instant,
  windowEndMs = windowStartMs,
  only: (s: SnapshotRec) => boolean = () => true,
): number {
  return snapshots.filter((s) =>
    s.volumeId === volumeId && isManaged(s) && s.metadata[SNAPSHOT_KEYS.policyType] === policy &&
    inWindow(s, windowStartMs, windowEndMs) && only(s) &&
    (s.status === "available" ||
      (s.status === "creating" && now.epochMilliseconds - s.createdAt < STUCK_AFTER_MS))
  ).length;
}

function inWindow(s: SnapshotRec, startMs: number, endMs: number): boolean {
  const ws = parseRfc3339(s.metadata[SNAPSHOT_KEYS.windowStart]);
  return ws ? ws.epochMilliseconds === startMs : startMs <= s.createdAt && s.createdAt < endMs;
}

/** Invariant 4 (and 1): judges one delete/force-delete attempt against the state it was sent in. */
function judgeDelete(
  a: DeleteAttempt,
  all: SnapshotRec[],
  v: Violations,
  keepers: { volumeId: string; policy: string; ws: number; id: string }[],
): void {
  const s = a.before;
  if (!s) return; // already gone: a retry of a delete Cinder took
  if (!isManaged(s)) {
    v.add(`inv1: ${a.action} of unmanaged snapshot ${s.id} (${JSON.stringify(s.metadata)})`);
    return;
  }
  if (a.action === "reset_status") return; // part of a force delete, judged there
  const ws = parseRfc3339(s.metadata[SNAPSHOT_KEYS.windowStart]);
  // Zombies: `error` of any maker; stuck `creating` and `error_deleting` only of snapsentry's.
  if (s.status === "error" || s.status === "deleting") return;
  if (ws && s.status === "error_deleting") return;
  if (ws && s.status === "creating" && a.at.epochMilliseconds - s.createdAt >= STUCK_AFTER_MS) {
    return;
  }
  const expiry = parseRfc3339(s.metadata[SNAPSHOT_KEYS.expiryDate]);
  if (s.status === "available" && expiry && expiry.epochMilliseconds <= a.at.epochMilliseconds) {
    return;
  }
  const policy = s.metadata[SNAPSHOT_KEYS.policyType];
  // A raced duplicate: snapsentry stamped both (window key and run id), the keeper is older.
  if (s.status === "available" && policy && ws && isStampedByRun(s)) {
    const keeper = all.find((k) => {
      if (k.id === s.id || k.volumeId !== s.volumeId || !isManaged(k)) return false;
      if (k.status !== "available" || k.metadata[SNAPSHOT_KEYS.policyType] !== policy) return false;
      if (!isStampedByRun(k)) return false;
      if (!(k.createdAt < s.createdAt || (k.createdAt === s.createdAt && k.id < s.id))) {
        return false;
      }
      return parseRfc3339(k.metadata[SNAPSHOT_KEYS.windowStart])?.epochMilliseconds ===
        ws.epochMilliseconds;
    });
    if (keeper) {
      keepers.push({ volumeId: s.volumeId, policy, ws: ws.epochMilliseconds, id: s.id });
      return;
    }
  }
  v.add(
    `inv4: ${a.action} of ${s.id} (${s.status}, expiry ${
      s.metadata[SNAPSHOT_KEYS.expiryDate]
    }) at ${a.at} is neither expired, a duplicate with an older keeper, nor a zombie`,
  );
}

/** Available managed snapshots per `volume policy` of guarded (subscribed, enabled) volumes. */
function availableByGuarded(h: Harness): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const vols = new Map(h.emulator.volumes(h.project).map((v) => [v.id, v]));
  for (const s of h.snapshots()) {
    if (!isManaged(s) || s.status !== "available") continue;
    const policy = s.metadata[SNAPSHOT_KEYS.policyType] as PolicyType | undefined;
    const vol = vols.get(s.volumeId);
    if (!policy || !vol || vol.metadata[MANAGED] !== "true") continue;
    if (!isPolicyEnabled(vol.metadata, policy)) continue;
    const key = `${s.volumeId} ${policy}`;
    if (!out.has(key)) out.set(key, new Set());
    out.get(key)!.add(s.id);
  }
  return out;
}

// ------------------------------------------------------------------------------ one scenario

interface ScenarioResult {
  runs: number;
  violations: string[];
  trace: string[];
}

async function scenario(seed: number): Promise<ScenarioResult> {
  const r = mulberry32(seed);
  const h = harness({
    start: r.pick(STARTS),
    snapshotDelayMs: r.pick([500, 1000, 5000, 60_000]),
    deleteDelayMs: r.pick([0, 1000, 10_000]),
    maxMicroversion: r.pick(["3.70", "3.70", "3.21"]),
  });
  const v = new Violations();
  const project = buildProject(h, r);
  const trace = project.trace;
  const cloud = r.chance(0.7) ? "emulator-demo-admin" : "emulator";
  const base = {
    concurrency: r.int(1, 8),
    laneConcurrency: r.int(1, 3),
    waitTimeoutMs: r.chance(0.5) ? WAIT_TIMEOUT_MS : r.int(1, 10) * 60_000,
    stuckAfterMs: STUCK_AFTER_MS,
  };
  trace.unshift(
    `seed ${seed} start ${h.clock.now()} cloud ${cloud} config ${JSON.stringify(base)}`,
  );

  // Every delete/force-delete/reset-status, with the snapshot as it was when the request was sent.
  let attempts: DeleteAttempt[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const req = input instanceof Request && init === undefined ? input : new Request(input, init);
    const path = new URL(req.url).pathname;
    const m = /\/snapshots\/([^/]+)(\/action)?$/.exec(path);
    if (m && (req.method === "DELETE" || (req.method === "POST" && m[2]))) {
      let action: DeleteAttempt["action"] = "delete";
      if (m[2]) {
        const body = await req.clone().text();
        action = body.includes("os-force_delete") ? "force_delete" : "reset_status";
      }
      const before = h.emulator.snapshot(m[1]!);
      attempts.push({
        id: m[1]!,
        action,
        at: h.clock.now(),
        before: before ? structuredClone(before) : undefined,
      });
    }
    return await h.emulator.fetch(req);
  };
  // A webhook receiver that accepts and never answers: alerts must never hold a run.
  const hung =
    ((_u: unknown, init?: RequestInit) =>
      new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(new DOMException("x", "AbortError")))
      )) as typeof globalThis.fetch;
  const alerts = new AlertQueue({
    config: { url: "https://hooks.invalid/x", on: "failure" },
    fetch: hung,
    clock: h.clock,
    logger: h.logger,
    maxQueued: 5,
  });
  const engines: SnapshotEngine[] = [];
  const engine = async (extra: Record<string, number> = {}) => {
    // A long-lived engine (as the daemon) or a new process, at random.
    if (Object.keys(extra).length === 0 && engines.length > 0 && r.chance(0.5)) return engines[0]!;
    const en = await h.engine({ ...base, ...extra }, { cloud, fetch, alerts });
    if (Object.keys(extra).length === 0) engines.push(en);
    return en;
  };

  let runs = 0;
  const summaries: RunSummary[] = [];
  const run = async (job: "create" | "expire", en: SnapshotEngine, label: string) => {
    runs++;
    try {
      const s = await en[job]();
      summaries.push(s);
      trace.push(
        `    ${label} ${job} ${s.result} ${JSON.stringify(s.counts)}${
          s.error ? ` ${s.error.code}: ${s.error.message}` : ""
        }`,
      );
      for (const msg of checkSummary(s)) v.add(`inv5/6 (${label} ${job}): ${msg}`);
      // 7: a delete another run had already made is superseded, never a failure.
      for (const a of s.actions) {
        if (a.status === "failed" && /status must be available or error/.test(a.error ?? "")) {
          const now = h.emulator.snapshot(a.snapshotId ?? "");
          if (!now || now.status === "deleting" || now.status === "deleted") {
            v.add(`inv7 (${label} ${job}): ${a.kind} of ${a.snapshotId} failed though it is going`);
          }
        }
      }
      return s;
    } catch (e) {
      v.add(`inv6: ${label} ${job} threw: ${e instanceof Error ? e.stack : e}`);
      return undefined;
    }
  };

  /** One step with the min-keep and delete checks around it. */
  const step = async (label: string, body: () => Promise<unknown>) => {
    const before = availableByGuarded(h);
    attempts = [];
    // Snapshots as the step found them plus any made during it, for the keeper lookup.
    await body();
    const all = h.emulator.snapshots(h.project, { includeDeleted: true });
    const keepers: { volumeId: string; policy: string; ws: number; id: string }[] = [];
    for (const a of attempts) {
      judgeDelete(a, all, v, keepers);
    }
    // A duplicate's keeper must still hold the window after the step.
    const live = h.snapshots();
    for (const k of keepers) {
      if (goodCount(live, k.volumeId, k.policy, k.ws, h.clock.now()) === 0) {
        v.add(
          `inv4: duplicate ${k.id} deleted but its window ${k.volumeId} ${k.policy} lost every keeper`,
        );
      }
    }
    // Min-keep (3): a guarded volume+policy that had an available snapshot still has one, unless
    // none of its available snapshots was deleted by us.
    const after = availableByGuarded(h);
    const touched = new Set(attempts.map((a) => a.id));
    for (const [key, ids] of before) {
      if ((after.get(key)?.size ?? 0) > 0) continue;
      const ours = [...ids].filter((id) => touched.has(id));
      if (ours.length > 0) {
        v.add(`inv3 (${label}): ${key} had ${ids.size} available, now none; we deleted ${ours}`);
      }
    }
  };

  // Random steps over simulated days.
  const steps = r.int(4, 10);
  for (let i = 0; i < steps; i++) {
    h.emulator.faults.clear();
    const rules = Array.from({ length: r.int(0, 3) }, () => randomFault(r));
    for (const rule of rules) h.emulator.faults.add(rule);
    if (r.chance(0.1)) h.emulator.expireTokens();
    const kind = r.pick([
      "create",
      "create",
      "expire",
      "create2",
      "create3",
      "create_timeout",
      "both",
    ]);
    trace.push(`step ${i} at ${h.clock.now()} ${kind} faults ${JSON.stringify(rules)}`);
    await step(`step ${i}`, async () => {
      if (kind === "create") await run("create", await engine(), `step ${i}`);
      else if (kind === "expire") await run("expire", await engine(), `step ${i}`);
      else if (kind === "create_timeout") {
        await run("create", await engine({ timeoutMs: r.int(1, 5000) }), `step ${i}`);
      } else if (kind === "create2" || kind === "create3") {
        const racers = [await engine(), await h.engine(base, { cloud, fetch, alerts })];
        if (kind === "create3") racers.push(await h.engine(base, { cloud, fetch, alerts }));
        await Promise.all(racers.map((en, k) => run("create", en, `step ${i}${"abc"[k]}`)));
      } else {
        const [a, b] = [await engine(), await h.engine(base, { cloud, fetch })];
        await Promise.all([run("create", a, `step ${i}a`), run("expire", b, `step ${i}b`)]);
      }
    });
    h.clock.advance(
      r.pick([5 * 60_000, 3600_000, 3 * 3600_000, 7 * 3600_000, 86_400_000, 2 * 86_400_000]),
    );
  }

  // Clean phase: no faults; create, wait past the wait timeout and stuck-after, create, expire.
  h.emulator.faults.clear();
  trace.push(`clean at ${h.clock.now()}`);
  await step("clean create 1", () => engine().then((en) => run("create", en, "clean 1")));
  h.clock.advance(Math.max(base.waitTimeoutMs, STUCK_AFTER_MS) + 60_000);
  let last: RunSummary | undefined;
  await step("clean create 2", async () => {
    last = await run("create", await engine(), "clean 2");
  });
  await step("clean expire", () => engine().then((en) => run("expire", en, "clean expire")));

  // 2: every subscribed, snapshottable volume has exactly one good snapshot per valid policy's
  // current window (as of the last create run).
  if (last && last.result !== "failed") {
    const at = Temporal.Instant.from(last.startedAt);
    const live = h.snapshots();
    for (const vol of h.emulator.volumes(h.project)) {
      if (vol.metadata[MANAGED] !== "true") continue;
      if (vol.status !== "available" && vol.status !== "in-use") continue;
      for (const p of parseVolumePolicies({ id: vol.id, metadata: vol.metadata }).policies) {
        const w = windowAt(p, at);
        const ws = w.start.toInstant();
        const n = goodCount(
          live,
          vol.id,
          p.type,
          ws.epochMilliseconds,
          h.clock.now(),
          w.end.epochMilliseconds,
        );
        // Snapshots another tool made (no run stamp) may share a window; snapsentry adds at most
        // one, and only when the window has no good snapshot at all.
        const ours = goodCount(
          live,
          vol.id,
          p.type,
          ws.epochMilliseconds,
          h.clock.now(),
          w.end.epochMilliseconds,
          isStampedByRun,
        );
        if (n < 1 || ours > 1) {
          v.add(`inv2: ${vol.id} ${p.type} window ${ws} holds ${n} good snapshots, ${ours} ours`);
        }
      }
    }
  } else v.add(`clean create 2 failed: ${last?.error?.message}`);

  // 1: nothing unmanaged was deleted, force-deleted or reset (request log and state).
  assert.ok(h.emulator.requestLog.length < 10_000, "request log truncated");
  for (const entry of h.emulator.requestLog) {
    const m = /\/snapshots\/([^/]+)(\/action)?$/.exec(entry.path);
    if (!m || !(entry.method === "DELETE" || (entry.method === "POST" && m[2]))) continue;
    if (project.untouchable.has(m[1]!)) {
      v.add(`inv1: ${entry.method} ${entry.path} on an unmanaged snapshot`);
    }
  }
  for (const [id, was] of project.untouchable) {
    const now = h.emulator.snapshot(id);
    if (!now) v.add(`inv1: unmanaged snapshot ${id} is gone`);
    else if (now.status !== was.status) {
      v.add(`inv1: unmanaged snapshot ${id} went ${was.status} → ${now.status}`);
    } else assert.deepEqual(now.metadata, was.metadata);
  }
  return { runs, violations: v.list, trace };
}

// ------------------------------------------------------------------------------ the test

function envInt(name: string): number | undefined {
  const raw = Deno.env.get(name);
  return raw === undefined || raw === "" ? undefined : Number(raw);
}

Deno.test("engine fuzz: invariants hold over random projects, faults and days", async () => {
  const only = envInt("SNAPSENTRY_FUZZ_SEED");
  const count = envInt("SNAPSENTRY_FUZZ_SCENARIOS") ?? 40;
  const baseSeed = envInt("SNAPSENTRY_FUZZ_BASE") ?? 20260115;
  const seeds = only !== undefined ? [only] : Array.from({ length: count }, (_, i) => baseSeed + i);
  const failures: string[] = [];
  let runs = 0;
  for (const seed of seeds) {
    const res = await scenario(seed);
    runs += res.runs;
    if (res.violations.length > 0) {
      failures.push(
        `seed ${seed} (replay: SNAPSENTRY_FUZZ_SEED=${seed}):\n  ${
          res.violations.slice(0, 8).join("\n  ")
        }` + (only !== undefined || failures.length === 0
          ? `\n  trace:\n  ${res.trace.join("\n  ")}`
          : ""),
      );
    }
  }
  assert.ok(runs >= seeds.length * 5, `only ${runs} runs`);
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${seeds.length} scenarios failed:\n${failures.join("\n")}`,
  );
});
