/**
 * Private to src/k8s/: the plain-object type guard that client_config.ts and client_transport.ts
 * share.
 *
 * @module
 */

export type Dict = Record<string, unknown>;

export function isDict(v: unknown): v is Dict {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
