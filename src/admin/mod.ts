/**
 * Administrator tasks over an admin cloud: the Glance metadata definitions, the Glance request
 * function over the admin session, the orchestrator's Keystone side ({@link createAdminIdentity},
 * which implements `OrchestratorIdentity` of `src/k8s`) and the demo's orchestrator pass. It may
 * import the OpenStack client, `src/k8s` and the shared modules; it never imports `cli`.
 *
 * @module
 */
export * from "./metadefs.ts";
export * from "./glance.ts";
export * from "./identity.ts";
