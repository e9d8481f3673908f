/**
 * Administrator tasks that are not the Kubernetes orchestrator: today the Glance metadata
 * definitions. Talks to OpenStack only through the narrow interfaces it defines
 * ({@link GlanceMetadefsApi}); never imports `cli`.
 *
 * @module
 */
export * from "./metadefs.ts";
