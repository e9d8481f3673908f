/**
 * Private to src/openstack/: the plain-dict type, the message context, the configuration file size
 * limit and the small value helpers that clouds_files.ts, clouds_resolve.ts, clouds_auth.ts and
 * clouds_vendors.ts share.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";

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

/**
 * Largest configuration file (clouds.yaml, secure.yaml, clouds-public.yaml, a PEM file) snapsentry
 * reads: real ones are a few KiB, and a 17 MB clouds.yaml took 45 s and 1.3 GB to parse.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

/** Refuses a file over {@link MAX_CONFIG_FILE_BYTES}, naming it and its size. */
export function checkConfigFileSize(path: string, text: string, what = "configuration file"): void {
  // A UTF-8 string never has fewer bytes than UTF-16 code units, nor more than three per unit.
  if (text.length * 3 <= MAX_CONFIG_FILE_BYTES) return;
  const bytes = text.length > MAX_CONFIG_FILE_BYTES ? text.length : encoder.encode(text).byteLength;
  if (bytes <= MAX_CONFIG_FILE_BYTES) return;
  throw new ConfigError(
    `Cannot read ${path}: it is ${
      (bytes / MAX_CONFIG_FILE_BYTES).toFixed(1)
    } MiB, over the 1 MiB limit for a ${what}`,
    {
      code: "config_file_too_large",
      hint: "point snapsentry at the right file; a clouds.yaml is a few KiB",
    },
  );
}

/** Deep merge: values of `over` win; dicts merge recursively; lists are replaced. */
export function deepMerge(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isDict(b) && isDict(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Keys with "-" become "_" (openstacksdk `_normalize_keys`), recursively. */
export function normaliseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseKeys);
  if (!isDict(value)) return value;
  const out: Dict = {};
  for (const [k, v] of Object.entries(value)) out[k.replace(/-/g, "_")] = normaliseKeys(v);
  return out;
}
