/**
 * Expiry and the snapshot metadata stamp. Expiry is decided once, at creation:
 * `max(window start, creation time) + retention days`, calendar days in the policy zone (so the
 * local clock time is kept across DST). Anchoring at the window start alone, as the Go tool did,
 * made late-created snapshots born expired: a create/delete churn loop (go-compatibility.md, Expiry).
 *
 * @module
 */

import {
  formatRfc3339,
  formatUtc,
  MANAGED_VALUE,
  POLICY_TYPES,
  type PolicyType,
  SNAPSHOT_KEYS,
} from "./naming.ts";
import type { Policy } from "./policy.ts";
import { parseBool } from "./values.ts";
import type { Window } from "./window.ts";

/**
 * The expiry of a snapshot of `policy` taken for `window` at `createdAt`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { expiryFor } from "./retention.ts";
 * import { windowAt } from "./window.ts";
 * const policy = {
 *   type: "weekly", enabled: true, retentionDays: 2, timezone: "UTC",
 *   startTime: { hour: 0, minute: 0 }, dayOfWeek: 1,
 * } as const;
 * const now = Temporal.Instant.from("2026-03-12T10:00:00Z"); // Thursday: a catch-up run
 * const window = windowAt(policy, now); // from Monday 9 March
 * assertEquals(expiryFor(policy, window, now).toString(), "2026-03-14T10:00:00Z");
 * ```
 */
export function expiryFor(
  policy: Policy,
  window: Window,
  createdAt: Temporal.Instant,
): Temporal.Instant {
  const start = window.start.toInstant();
  const anchor = Temporal.Instant.compare(createdAt, start) > 0 ? createdAt : start;
  return anchor.toZonedDateTimeISO(policy.timezone).add({ days: policy.retentionDays })
    .toInstant();
}

/** The server group a snapshot was requested with (volumes attached to exactly one server). */
export interface SnapshotGroup {
  serverId: string;
  /** The window the group was snapshotted for; defaults to the snapshot's window start. */
  windowStart?: Temporal.Instant;
}

/** Input of {@link snapshotMetadata}. */
export interface SnapshotStampInput {
  policy: Policy;
  window: Window;
  /** When the create request is sent (the engine's clock). */
  createdAt: Temporal.Instant;
  /** Omitted for lane volumes (multi-attached or unattached). */
  group?: SnapshotGroup | null;
}

/**
 * The metadata stamped on a new snapshot: managed, expiry in UTC and in the policy zone, policy
 * type, retention days, window start, and the group keys when the volume is in a server group.
 * Instants are written with whole seconds; the expiry is rounded down.
 */
export function snapshotMetadata(input: SnapshotStampInput): Record<string, string> {
  const { policy, window, createdAt, group } = input;
  const expiry = expiryFor(policy, window, createdAt).round({
    smallestUnit: "second",
    roundingMode: "floor",
  });
  const windowStart = formatUtc(window.start.toInstant());
  const out: Record<string, string> = {
    [SNAPSHOT_KEYS.managed]: MANAGED_VALUE,
    [SNAPSHOT_KEYS.expiryDate]: formatUtc(expiry),
    [SNAPSHOT_KEYS.expiryDateUserTz]: formatRfc3339(expiry.toZonedDateTimeISO(policy.timezone)),
    [SNAPSHOT_KEYS.policyType]: policy.type,
    [SNAPSHOT_KEYS.retentionDays]: String(policy.retentionDays),
    [SNAPSHOT_KEYS.windowStart]: windowStart,
  };
  if (group) {
    out[SNAPSHOT_KEYS.groupServer] = group.serverId;
    out[SNAPSHOT_KEYS.groupWindow] = group.windowStart ? formatUtc(group.windowStart) : windowStart;
  }
  return out;
}

/** What a snapshot's metadata says about it. */
export interface SnapshotStamp {
  /** `x-snapsentry-managed` is one of {@link MANAGED_FORMS}. Nothing else is ever touched. */
  managed: boolean;
  /** From `x-snapsentry-snapshot-policy-type`, when it names a policy type. */
  policy?: PolicyType;
  /** From `x-snapsentry-snapshot-expiry-date` (strict RFC 3339). */
  expiresAt?: Temporal.Instant;
  /** Why `expiresAt` is missing, for a managed snapshot; such a snapshot is kept and reported. */
  expiryError?: string;
  /** From `x-snapsentry-snapshot-window-start`; absent on Go-made snapshots. */
  windowStart?: Temporal.Instant;
  /** The instant that places the snapshot in a window: `windowStart`, else `createdAt` (Go). */
  windowAnchor: Temporal.Instant;
  /** Group server id, when recorded. */
  groupServerId?: string;
  /** From `x-snapsentry-snapshot-retention-days`, when it is a whole number. */
  retentionDays?: number;
  /** From `x-snapsentry-snapshot-run-id`: the run that made it (snapsentry only). */
  runId?: string;
  /** `x-snapsentry-snapshot-on-demand` is true: taken by `snapshot`, not by a run. */
  onDemand: boolean;
  /** The hold keys, when `x-snapsentry-snapshot-hold` is set and not false (see {@link isHeld}). */
  hold?: SnapshotHold;
  createdAt: Temporal.Instant;
}

/** A hold on a snapshot, as its metadata records it. */
export interface SnapshotHold {
  /** `x-snapsentry-snapshot-hold-until`; absent: held without end. */
  until?: Temporal.Instant;
  /** `x-snapsentry-snapshot-hold-reason`. */
  reason?: string;
  /** Why `until` could not be read; such a hold is kept without end (and reported). */
  untilError?: string;
}

/**
 * The values of a snapshot's `x-snapsentry-managed` that make it managed: Go's `strconv.ParseBool`
 * true forms, exactly (the Go tool read the key with it). `yes`, `on` or ` true` made the Go tool's
 * parse fail, so such a snapshot was never its own: it is not ours either.
 */
export const MANAGED_FORMS: ReadonlySet<string> = new Set(["1", "t", "T", "TRUE", "true", "True"]);

// RFC 3339 date-time with a mandatory offset or Z; Temporal alone would also accept ISO 8601
// variants (basic format, bracketed annotations) that the Go tool would have rejected.
const RFC3339_RE =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

// Expiry and window-start strings repeat across snapshots (one value per window), so parsed values
// are memoised; Temporal.Instant is immutable, so sharing one is safe.
const parsedRfc3339 = new Map<string, Temporal.Instant | undefined>();
const PARSED_RFC3339_MAX = 50_000;

/** Parses a strict RFC 3339 timestamp with an offset, or returns undefined. */
export function parseRfc3339(value: string | undefined): Temporal.Instant | undefined {
  if (value === undefined) return undefined;
  if (parsedRfc3339.has(value)) return parsedRfc3339.get(value);
  let out: Temporal.Instant | undefined;
  if (RFC3339_RE.test(value)) {
    try {
      out = Temporal.Instant.from(value.replace(" ", "T"));
    } catch {
      out = undefined;
    }
  }
  if (parsedRfc3339.size >= PARSED_RFC3339_MAX) parsedRfc3339.clear();
  parsedRfc3339.set(value, out);
  return out;
}

/**
 * Reads the snapsentry keys of a snapshot, whether snapsentry or the Go tool made it. A managed
 * snapshot with a missing or malformed expiry gets `expiryError` (the Go tool deleted the former at
 * once and ignored the latter forever: go-compatibility.md, Snapshot keys).
 */
export function parseSnapshotStamp(snapshot: {
  id: string;
  metadata: Record<string, string>;
  createdAt: Temporal.Instant;
}): SnapshotStamp {
  const md = snapshot.metadata;
  const managed = MANAGED_FORMS.has(md[SNAPSHOT_KEYS.managed] ?? "");
  const out: SnapshotStamp = {
    managed,
    createdAt: snapshot.createdAt,
    windowAnchor: snapshot.createdAt,
    onDemand: false,
  };
  const type = md[SNAPSHOT_KEYS.policyType]?.trim().toLowerCase();
  if (type && (POLICY_TYPES as readonly string[]).includes(type)) out.policy = type as PolicyType;
  const rawExpiry = md[SNAPSHOT_KEYS.expiryDate];
  const expiresAt = parseRfc3339(rawExpiry?.trim());
  if (expiresAt) out.expiresAt = expiresAt;
  else if (managed) {
    out.expiryError = rawExpiry === undefined || rawExpiry.trim() === ""
      ? `Cannot read the expiry of snapshot ${snapshot.id}: ${SNAPSHOT_KEYS.expiryDate} is missing; the snapshot is kept, set the key (RFC 3339 UTC) or delete it by hand`
      : `Cannot parse ${SNAPSHOT_KEYS.expiryDate} "${rawExpiry}" on snapshot ${snapshot.id}: expected RFC 3339 such as 2026-01-03T08:30:00Z; the snapshot is kept`;
  }
  const windowStart = parseRfc3339(md[SNAPSHOT_KEYS.windowStart]?.trim());
  if (windowStart) {
    out.windowStart = windowStart;
    out.windowAnchor = windowStart;
  }
  const server = md[SNAPSHOT_KEYS.groupServer];
  if (server) out.groupServerId = server;
  const runId = md[SNAPSHOT_KEYS.runId]?.trim();
  if (runId) out.runId = runId;
  const days = md[SNAPSHOT_KEYS.retentionDays]?.trim();
  if (days && /^\d{1,6}$/.test(days)) out.retentionDays = Number(days);
  out.onDemand = readFlag(md[SNAPSHOT_KEYS.onDemand]) === true;
  const hold = md[SNAPSHOT_KEYS.hold];
  // A hold value that is no boolean ("maybe") holds: when unsure, keep the snapshot.
  if (hold !== undefined && hold.trim() !== "" && readFlag(hold) !== false) {
    const h: SnapshotHold = {};
    const rawUntil = md[SNAPSHOT_KEYS.holdUntil];
    if (rawUntil !== undefined && rawUntil.trim() !== "") {
      const until = parseRfc3339(rawUntil.trim());
      if (until) h.until = until;
      else {
        h.untilError =
          `Cannot parse ${SNAPSHOT_KEYS.holdUntil} "${rawUntil}" on snapshot ${snapshot.id}: expected RFC 3339 such as 2026-01-03T08:30:00Z; the snapshot stays held until you release it`;
      }
    }
    const reason = md[SNAPSHOT_KEYS.holdReason];
    if (reason !== undefined && reason !== "") h.reason = reason;
    out.hold = h;
  }
  return out;
}

function readFlag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  try {
    return parseBool(value);
  } catch {
    return undefined;
  }
}

/** True while a hold protects the snapshot at `now`: held, and its end (if any) not reached. */
export function isHeld(stamp: Pick<SnapshotStamp, "hold">, now: Temporal.Instant): boolean {
  const h = stamp.hold;
  return h !== undefined && (h.until === undefined || Temporal.Instant.compare(now, h.until) < 0);
}

/** True when the snapshot still carries a hold whose end has passed at `now` (it holds nothing). */
export function holdLapsed(stamp: Pick<SnapshotStamp, "hold">, now: Temporal.Instant): boolean {
  const h = stamp.hold;
  return h?.until !== undefined && Temporal.Instant.compare(now, h.until) >= 0;
}

/** The metadata `hold` writes: the hold, and its end and reason when given. */
export function holdMetadata(hold: { until?: Temporal.Instant; reason?: string }): Record<
  string,
  string
> {
  return {
    [SNAPSHOT_KEYS.hold]: "true",
    ...(hold.until ? { [SNAPSHOT_KEYS.holdUntil]: formatUtc(hold.until) } : {}),
    ...(hold.reason !== undefined && hold.reason !== ""
      ? { [SNAPSHOT_KEYS.holdReason]: hold.reason }
      : {}),
  };
}

/** The keys `release` removes. */
export const HOLD_KEYS: readonly string[] = [
  SNAPSHOT_KEYS.hold,
  SNAPSHOT_KEYS.holdUntil,
  SNAPSHOT_KEYS.holdReason,
];

/**
 * The metadata of an ad-hoc snapshot (`snapshot --retention D`): managed, its expiry
 * (`createdAt + retention`, whole seconds, UTC in both expiry keys), the on-demand mark, and the
 * retention in days when it is a whole number of days. No policy type and no window: it counts for
 * no policy window and goes at its expiry like any other.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { adHocMetadata } from "./retention.ts";
 * const md = adHocMetadata({
 *   createdAt: Temporal.Instant.from("2026-03-01T10:00:00.250Z"),
 *   retentionMs: 36 * 3600_000,
 * });
 * assertEquals(md["x-snapsentry-snapshot-expiry-date"], "2026-03-02T22:00:00Z");
 * assertEquals(md["x-snapsentry-snapshot-policy-type"], undefined);
 * ```
 */
export function adHocMetadata(
  input: { createdAt: Temporal.Instant; retentionMs: number },
): Record<string, string> {
  const expiry = input.createdAt.add({ milliseconds: input.retentionMs }).round({
    smallestUnit: "second",
    roundingMode: "floor",
  });
  const days = input.retentionMs / 86_400_000;
  return {
    [SNAPSHOT_KEYS.managed]: MANAGED_VALUE,
    [SNAPSHOT_KEYS.expiryDate]: formatUtc(expiry),
    [SNAPSHOT_KEYS.expiryDateUserTz]: formatUtc(expiry),
    ...(Number.isInteger(days) ? { [SNAPSHOT_KEYS.retentionDays]: String(days) } : {}),
    [SNAPSHOT_KEYS.onDemand]: "true",
  };
}
