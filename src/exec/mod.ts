/**
 * The engine layer: one run of `create-snapshots` or `expire-snapshots` from observation to
 * summary, with the cloud reached only through a narrow port (`CloudPort`). The run path, in the
 * order data flows:
 *
 * - `engine.ts`: `createEngine()`, the one factory; a run per `create()`/`expire()`/`run()`;
 * - `run.ts`: the run's id (its own `X-OpenStack-Request-ID`), deadline, ledger and summary;
 * - `observe.ts`: one listing of volumes and one of managed snapshots; the run's `CloudView`;
 * - the pure planners in `src/core` (where windows are computed: `core/window.ts`);
 * - `create.ts` / `expire.ts`: the steps of each job; `delete.ts`: the one delete path;
 * - `on_demand.ts`: snapshots taken now (`snapshot`), with the create job's own steps;
 * - `ledger.ts`: one outcome per action; counts, outcome events and actions derive from it;
 * - `report.ts`: the summary's machine form (snake_case); `webhook.ts`: alerts.
 *
 * It imports `src/core` and `src/openstack` (through their `mod.ts`), never the daemon, the CLI,
 * Kubernetes or the emulator.
 *
 * @module
 */
export {
  type AlertOptions,
  AlertQueue,
  type AlertSink,
  type AlertState,
  DEFAULT_WEBHOOK_WAIT_MS,
} from "./alerts.ts";
export { ENGINE_DEFAULTS, type EngineConfig } from "./config.ts";
export { createEngine, type EngineDeps, type EnginePlan, SnapshotEngine } from "./engine.ts";
export { countOutcomes, emptyCounts } from "./ledger.ts";
export { CloudView, digestObservation, type ObservationDigest, observe } from "./observe.ts";
export { type OnDemandRequest, type PreparedOnDemand } from "./on_demand.ts";
export { settlePool } from "./pool.ts";
export {
  type ActionJson,
  actionJson,
  type CountsJson,
  countsJson,
  type RunErrorJson,
  runErrorJson,
  type SummaryJson,
  summaryJson,
  type WarningJson,
  warningJson,
} from "./report.ts";
export { type CloudPort, newRunId } from "./run.ts";
export * from "./types.ts";
export {
  creationFailurePayload,
  deliver,
  expiryFailurePayload,
  summaryPayload,
  type WebhookConfig,
  webhookPayloads,
} from "./webhook.ts";
