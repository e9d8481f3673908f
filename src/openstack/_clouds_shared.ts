/**
 * Private to src/openstack/: the plain-dict type, the message context and the small value helpers
 * that clouds_files.ts, clouds_resolve.ts and clouds_auth.ts share.
 *
 * @module
 */

export type Dict = Record<string, unknown>;

export function isDict(v: unknown): v is Dict {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  return typeof v === "string" ? v : String(v);
}

export function quoteList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

export interface Ctx {
  cloud: string;
  where: string;
}
