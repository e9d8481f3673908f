/**
 * Snapshots taken now, on demand (`snapshot`, `subscribe --snapshot-now`), rather than when a
 * run finds a window due: under a policy (stamped for that policy's current window with its
 * retention, exactly as a run stamps it, so the next run finds the window satisfied) or ad hoc
 * (kept for a duration, counted for no window). Volumes attached to one server go out together,
 * as in a run ({@link groupByServer}).
 *
 * @module
 */

import { formatDuration } from "./duration.ts";
import {
  formatUtc,
  ON_DEMAND_DESCRIPTION,
  onDemandSnapshotName,
  type PolicyType,
  SNAPSHOT_KEYS,
} from "./naming.ts";
import {
  type CreateRequest,
  groupByServer,
  type Placement,
  placementOf,
  policyRequest,
  type ServerGroup,
} from "./plan_create.ts";
import { isSubscribed, parseVolumePolicies, type Policy } from "./policy.ts";
import { adHocMetadata } from "./retention.ts";
import { type PlanVolume, SNAPSHOTTABLE_VOLUME_STATUSES } from "./types.ts";
import { type Window, windowAt } from "./window.ts";

/** What to take: under `policy`, or ad hoc for `retentionMs` (exactly one of the two). */
export interface OnDemandInput {
  now: Temporal.Instant;
  /** The volumes asked for, in the order given. */
  volumes: readonly PlanVolume[];
  policy?: PolicyType;
  retentionMs?: number;
  /** The snapshots' name (default `ondemand[-<policy>]-<volume id>-<instant>`). */
  name?: string;
}

/** One snapshot to take. */
export interface OnDemandEntry {
  volumeId: string;
  volumeName: string;
  /** The single server the volume is attached to, or null (lane). */
  serverId: string | null;
  placement: Placement;
  /** The policy it is taken under; null for an ad-hoc snapshot. */
  policy: PolicyType | null;
  config?: Policy;
  /** The policy's current window (policy snapshots only). */
  window?: Window;
  retentionMs?: number;
  name?: string;
  reason: string;
}

/** A volume that cannot be snapshotted as asked, and why. */
export interface OnDemandRefusal {
  volumeId: string;
  volumeName: string;
  message: string;
}

/** The plan of an on-demand snapshot command. */
export interface OnDemandPlan {
  now: Temporal.Instant;
  entries: OnDemandEntry[];
  /** Server groups (sorted by server id), then the lane, as a run sends them. */
  groups: ServerGroup<OnDemandEntry>[];
  refused: OnDemandRefusal[];
}

/**
 * Plans on-demand snapshots of `volumes`. A volume whose status forbids a snapshot is refused;
 * under a policy, so is a volume without that policy enabled and valid (and not subscribed).
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { planOnDemand } from "./on_demand.ts";
 * const plan = planOnDemand({
 *   now: Temporal.Instant.from("2026-03-10T12:00:00Z"),
 *   volumes: [{
 *     id: "v1", status: "in-use", size: 10, attachments: [{ serverId: "s1" }],
 *     metadata: { "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" },
 *   }],
 *   policy: "daily",
 * });
 * assertEquals(plan.entries[0]?.window?.start.toString(), "2026-03-10T00:00:00+00:00[UTC]");
 * assertEquals(plan.groups[0]?.key, "server:s1");
 * ```
 */
export function planOnDemand(input: OnDemandInput): OnDemandPlan {
  if ((input.policy === undefined) === (input.retentionMs === undefined)) {
    throw new TypeError("planOnDemand() needs exactly one of policy and retentionMs");
  }
  const entries: OnDemandEntry[] = [];
  const refused: OnDemandRefusal[] = [];
  for (const volume of input.volumes) {
    const base = {
      volumeId: volume.id,
      volumeName: volume.name ?? "",
    };
    const refuse = (message: string) => refused.push({ ...base, message });
    if (!SNAPSHOTTABLE_VOLUME_STATUSES.includes(volume.status)) {
      refuse(
        `Cannot snapshot volume ${volume.id} now: its status is "${volume.status}" (only ${
          SNAPSHOTTABLE_VOLUME_STATUSES.join(" or ")
        } volumes can be snapshotted)`,
      );
      continue;
    }
    const placement = placementOf(volume);
    const placed = {
      ...base,
      serverId: placement.kind === "server" ? placement.serverId : null,
      placement,
      ...(input.name !== undefined ? { name: input.name } : {}),
    };
    if (input.retentionMs !== undefined) {
      entries.push({
        ...placed,
        policy: null,
        retentionMs: input.retentionMs,
        reason: `On demand, kept for ${formatDuration(input.retentionMs)}`,
      });
      continue;
    }
    const type = input.policy!;
    const why = policyProblem(volume, type);
    if (typeof why === "string") {
      refuse(
        `Cannot snapshot volume ${volume.id} under its ${type} policy: ${why}; ` +
          `subscribe it first (snapsentry subscribe ${type} --volume-id ${volume.id} …), or take ` +
          "an ad-hoc snapshot with --retention instead of --policy",
      );
      continue;
    }
    const window = windowAt(why, input.now);
    entries.push({
      ...placed,
      policy: type,
      config: why,
      window,
      reason: `On demand for window ${formatUtc(window.start.toInstant())} – ${
        formatUtc(window.end.toInstant())
      }; expires as the policy's snapshots do`,
    });
  }
  return { now: input.now, entries, groups: groupByServer(entries), refused };
}

/** The volume's enabled, valid policy of `type`, or why there is none. */
function policyProblem(volume: PlanVolume, type: PolicyType): Policy | string {
  if (!isSubscribed(volume)) {
    return "the volume is not subscribed (x-snapsentry-managed is not true)";
  }
  const parsed = parseVolumePolicies(volume);
  const policy = parsed.policies.find((p) => p.type === type);
  if (policy) return policy;
  if (parsed.invalid.includes(type)) {
    return `the policy is invalid (${
      parsed.errors.filter((e) => e.policy === type).map((e) => e.message).join("; ")
    })`;
  }
  return `the volume has no enabled ${type} policy`;
}

/**
 * The create request of an on-demand entry, stamped at `createdAt` (when it is sent). A policy
 * snapshot carries the very stamp a run gives it ({@link policyRequest}); both kinds carry the
 * on-demand mark and its own name.
 */
export function onDemandRequest(entry: OnDemandEntry, createdAt: Temporal.Instant): CreateRequest {
  const name = entry.name ??
    onDemandSnapshotName(entry.volumeId, createdAt, entry.policy ?? undefined);
  if (entry.policy !== null) {
    if (!entry.config || !entry.window) {
      throw new TypeError("onDemandRequest() needs the policy and window of a policy entry");
    }
    const req = policyRequest(
      entry.config,
      entry.volumeId,
      entry.window,
      entry.serverId,
      createdAt,
    );
    return {
      ...req,
      name,
      description: ON_DEMAND_DESCRIPTION,
      metadata: { ...req.metadata, [SNAPSHOT_KEYS.onDemand]: "true" },
    };
  }
  if (entry.retentionMs === undefined) {
    throw new TypeError("onDemandRequest() needs the retention of an ad-hoc entry");
  }
  return {
    volumeId: entry.volumeId,
    name,
    description: ON_DEMAND_DESCRIPTION,
    metadata: adHocMetadata({ createdAt, retentionMs: entry.retentionMs }),
  };
}
