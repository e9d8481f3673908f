/**
 * Every metadata key snapsentry reads or writes, and the snapshot name and description. The volume
 * keys are exactly those SnapSentry-Go wrote (go-compatibility.md, Volume keys), so volumes tagged by either tool are
 * read by both; the snapshot keys are Go's (go-compatibility.md, Snapshot keys) plus a window key and two group keys of our own.
 *
 * @module
 */

/** The policy types, in the order the Go tool evaluated them (express, daily, weekly, monthly). */
export const POLICY_TYPES = ["express", "daily", "weekly", "monthly"] as const;

/** One of the four policy types. */
export type PolicyType = typeof POLICY_TYPES[number];

/** Common prefix of every snapsentry key. */
export const KEY_PREFIX = "x-snapsentry-";

/** Volume key that subscribes a volume; the server-side discovery filter (exactly `"true"`). */
export const MANAGED_KEY = "x-snapsentry-managed";

/** The value of {@link MANAGED_KEY} (and of the snapshot managed key) that means "managed". */
export const MANAGED_VALUE = "true";

/** The per-policy fields stored on a volume as `x-snapsentry-<policy>-<field>`. */
export type PolicyField =
  | "enabled"
  | "retention-days"
  | "retention-count"
  | "retention-type"
  | "timezone"
  | "start-time"
  | "start-day-of-week"
  | "start-day-of-month"
  | "day-of-month"
  | "interval-hours";

/** `x-snapsentry-<policy>-<field>`, e.g. `policyKey("daily", "start-time")`. */
export function policyKey(type: PolicyType, field: PolicyField): string {
  return `${KEY_PREFIX}${type}-${field}`;
}

/** The volume keys of each policy, as written by `subscribe` and read by the planner. */
export const VOLUME_KEYS = {
  daily: {
    enabled: "x-snapsentry-daily-enabled",
    retentionDays: "x-snapsentry-daily-retention-days",
    /** snapsentry only (the Go tool never wrote it): keep the newest N snapshots, 1–1000. */
    retentionCount: "x-snapsentry-daily-retention-count",
    retentionType: "x-snapsentry-daily-retention-type",
    timezone: "x-snapsentry-daily-timezone",
    startTime: "x-snapsentry-daily-start-time",
  },
  weekly: {
    enabled: "x-snapsentry-weekly-enabled",
    retentionDays: "x-snapsentry-weekly-retention-days",
    /** snapsentry only (the Go tool never wrote it): keep the newest N snapshots, 1–1000. */
    retentionCount: "x-snapsentry-weekly-retention-count",
    retentionType: "x-snapsentry-weekly-retention-type",
    timezone: "x-snapsentry-weekly-timezone",
    startTime: "x-snapsentry-weekly-start-time",
    startDayOfWeek: "x-snapsentry-weekly-start-day-of-week",
  },
  monthly: {
    enabled: "x-snapsentry-monthly-enabled",
    retentionDays: "x-snapsentry-monthly-retention-days",
    /** snapsentry only (the Go tool never wrote it): keep the newest N snapshots, 1–1000. */
    retentionCount: "x-snapsentry-monthly-retention-count",
    retentionType: "x-snapsentry-monthly-retention-type",
    timezone: "x-snapsentry-monthly-timezone",
    startTime: "x-snapsentry-monthly-start-time",
    /** The key the Go reader and the Glance metadef use; snapsentry writes this one. */
    startDayOfMonth: "x-snapsentry-monthly-start-day-of-month",
    /**
     * The key the Go CLI wrote but never read (go-compatibility.md, Volume keys). Read only when
     * `startDayOfMonth` is absent; removed by unsubscribe; never written.
     */
    legacyDayOfMonth: "x-snapsentry-monthly-day-of-month",
  },
  express: {
    enabled: "x-snapsentry-express-enabled",
    retentionDays: "x-snapsentry-express-retention-days",
    /** snapsentry only (the Go tool never wrote it): keep the newest N snapshots, 1–1000. */
    retentionCount: "x-snapsentry-express-retention-count",
    retentionType: "x-snapsentry-express-retention-type",
    timezone: "x-snapsentry-express-timezone",
    intervalHours: "x-snapsentry-express-interval-hours",
  },
} as const;

/** Snapshot metadata keys. */
export const SNAPSHOT_KEYS = {
  /** `"true"` on every snapshot snapsentry (or the Go tool) made; nothing else is ever touched. */
  managed: MANAGED_KEY,
  /** Expiry instant, RFC 3339 UTC (`2026-01-03T08:30:00Z`). The only expiry key that is read. */
  expiryDate: "x-snapsentry-snapshot-expiry-date",
  /** The same instant with the policy zone's offset. Informational, never read. */
  expiryDateUserTz: "x-snapsentry-snapshot-expiry-date-user-tz",
  /** `express`, `daily`, `weekly` or `monthly`. */
  policyType: "x-snapsentry-snapshot-policy-type",
  /** Decimal retention days the expiry was computed with. */
  retentionDays: "x-snapsentry-snapshot-retention-days",
  /**
   * Start of the policy window the snapshot was taken for, RFC 3339 UTC. snapsentry only; Go-made
   * snapshots lack it and their window is found from `created_at`.
   */
  windowStart: "x-snapsentry-snapshot-window-start",
  /**
   * Server id of the group the snapshot was requested with: all volumes attached to that one server
   * are snapshotted together. Absent for multi-attached and unattached volumes (the lane).
   */
  groupServer: "x-snapsentry-snapshot-group-server",
  /**
   * RFC 3339 UTC start of the window the group was snapshotted for. Snapshots with equal
   * `groupServer` and `groupWindow` were requested together. Absent with `groupServer`.
   */
  groupWindow: "x-snapsentry-snapshot-group-window",
  /**
   * Id of the run that requested the snapshot (`req-<uuid>`, also sent as the global request id),
   * so a run polls its own snapshots with one filtered listing and operators can trace a snapshot
   * back to a run's logs. Informational for planning.
   */
  runId: "x-snapsentry-snapshot-run-id",
  /**
   * `"true"` on a snapshot taken on demand (`snapshot`, `subscribe --snapshot-now`) rather than by
   * a run: it is never removed as a raced duplicate, and without a policy type it counts for no
   * window. snapsentry only.
   */
  onDemand: "x-snapsentry-snapshot-on-demand",
  /**
   * A hold (`hold`): while it is true (any true form of the one boolean grammar) and its
   * `holdUntil`, if any, has not passed, snapsentry never deletes the snapshot. `release` removes
   * the three hold keys; an expire run that finds a hold lapsed reports it once and sets this key
   * to `false`, so the hold is ignored from then on. snapsentry only.
   */
  hold: "x-snapsentry-snapshot-hold",
  /** RFC 3339 UTC end of the hold; absent for a hold without end. */
  holdUntil: "x-snapsentry-snapshot-hold-until",
  /** Free text saying why the snapshot is held (at most 255 characters, as Cinder allows). */
  holdReason: "x-snapsentry-snapshot-hold-reason",
} as const;

/**
 * Keys `restore` writes on the volume it creates: where it came from. No policy key and not
 * `x-snapsentry-managed`, so the new volume is never subscribed by accident.
 */
export const RESTORED_KEYS = {
  fromVolume: "x-snapsentry-restored-from-volume",
  fromSnapshot: "x-snapsentry-restored-from-snapshot",
} as const;

/** Description of a snapshot taken on demand. */
export const ON_DEMAND_DESCRIPTION = "Created on demand and managed by Snapsentry";

/** Description given to every snapshot, as the Go tool did. */
export const SNAPSHOT_DESCRIPTION = "Created and managed by Snapsentry";

/**
 * RFC 3339 with whole seconds and the zone's offset, `Z` when the offset is zero, as Go's
 * `time.RFC3339` printed it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { formatRfc3339 } from "./naming.ts";
 * const t = Temporal.ZonedDateTime.from("2025-12-21T14:00:00+01:00[Europe/Paris]");
 * assertEquals(formatRfc3339(t), "2025-12-21T14:00:00+01:00");
 * ```
 */
export function formatRfc3339(t: Temporal.ZonedDateTime): string {
  const s = t.toString({ timeZoneName: "never", smallestUnit: "second" });
  return s.endsWith("+00:00") ? `${s.slice(0, -6)}Z` : s;
}

/** RFC 3339 UTC with whole seconds, e.g. `2026-01-03T08:30:00Z`. */
export function formatUtc(t: Temporal.Instant): string {
  return t.toString({ smallestUnit: "second" });
}

/** For people, to the minute: `2026-01-03 08:30 UTC`. */
export function formatUtcMinute(t: Temporal.Instant): string {
  const s = t.toString({ smallestUnit: "minute" });
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
}

/**
 * Snapshot name `managed-<policy>-<volumeId>-<window start in the policy zone, RFC 3339>`, as the Go
 * tool named them (go-compatibility.md, Snapshot names). Names are informational; idempotency uses metadata.
 */
export function snapshotName(
  type: PolicyType,
  volumeId: string,
  windowStart: Temporal.ZonedDateTime,
): string {
  return `managed-${type}-${volumeId}-${formatRfc3339(windowStart)}`;
}

/**
 * Name of a snapshot taken on demand: `ondemand[-<policy>]-<volume id>-<instant, RFC 3339 UTC>`
 * (informational, like every name).
 */
export function onDemandSnapshotName(
  volumeId: string,
  at: Temporal.Instant,
  type?: PolicyType,
): string {
  return `ondemand-${type ? `${type}-` : ""}${volumeId}-${formatUtc(at)}`;
}
