/**
 * snapsentry's pure core. It owns the metadata schema (every key, the snapshot name and
 * description), the value grammars (booleans, durations, start times, …), policy parsing and
 * writing, DST-exact policy windows, expiry, and the planners that turn "now" plus one
 * observation of the cloud into typed actions: create, skip, invalid, dedupe, expire, keep,
 * zombie; plus status verdicts and the quota forecast; and the day-2 decisions: snapshots on
 * demand, restore points and restores, holds, count-based retention, unprotected volumes.
 *
 * It does no I/O and never reads `Date.now()`, `Deno.*` or the host's time zone: "now" is always a
 * `Temporal.Instant` argument and every zone is a policy's IANA zone. It imports nothing from the
 * project; adapters (`openstack`, `exec`, `daemon`, `k8s`, `cli`) import it, never the reverse.
 *
 * Where a window is computed: `window.ts` (`windowAt`, and `WindowMemo` with its key).
 *
 * @module
 */

export * from "./naming.ts";
export * from "./values.ts";
export * from "./duration.ts";
export * from "./policy.ts";
export * from "./window.ts";
export * from "./retention.ts";
export * from "./types.ts";
export * from "./plan_create.ts";
export * from "./plan_expire.ts";
export * from "./status.ts";
export * from "./forecast.ts";
export * from "./coexist.ts";
export * from "./on_demand.ts";
export * from "./restore.ts";
export * from "./unprotected.ts";
