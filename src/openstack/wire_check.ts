/**
 * The schema check at the wire boundary: a few combinators (`str`, `num`, `list`, `shape`, …)
 * that check an answer's JSON has the fields a client reads, with the types it reads them as,
 * before anything maps it. A malformed answer becomes one {@link BadResponseError} (code
 * `bad_response`, exit 1) naming the call, the field and the request id, instead of a raw
 * `TypeError: catalog.map is not a function` or a `RangeError` that exited 2 like a usage error.
 *
 * Checks are as lenient as the mappers in `wire_types.ts`: fields a client does not read are not
 * looked at, optional ones may be absent or null, and extra fields are kept.
 */
import { SnapsentryError } from "../errors.ts";
import { safeUrl } from "./http_helpers.ts";

/** An OpenStack answer snapsentry cannot use: a field missing or of the wrong type. */
export class BadResponseError extends SnapsentryError {
  readonly method: string;
  readonly url: string;
  readonly requestId?: string;
  /** Where in the body, e.g. `token.catalog[2].endpoints`. */
  readonly path: string;
  constructor(
    init: { method: string; url: string; requestId?: string | undefined; path: string },
    problem: string,
    options: { cause?: unknown } = {},
  ) {
    const rid = init.requestId ? ` (request id ${init.requestId})` : "";
    super(`Cannot read the answer to ${init.method} ${safeUrl(init.url)}: ${problem}${rid}`, {
      code: "bad_response",
      hint: "the cloud, or a proxy in front of it, sent an answer snapsentry cannot use; " +
        "report it to the cloud operator with the request id",
      ...options,
    });
    this.name = "BadResponseError";
    this.method = init.method;
    this.url = safeUrl(init.url);
    this.path = init.path;
    if (init.requestId !== undefined) this.requestId = init.requestId;
  }
}

/** Thrown by a check; `decodeAnswer` turns it into a BadResponseError. */
export class WireShapeError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
  }
}

/** Checks `value` found at `path` and returns it typed. */
export type Check<T> = (value: unknown, path: string) => T;

/** A short, safe rendering of a wrong value for a message. */
function shown(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new WireShapeError(path, `${path} is ${shown(value)}, expected ${expected}`);
}

export const str: Check<string> = (v, path) =>
  typeof v === "string" ? v : fail(path, "a string", v);

export const num: Check<number> = (v, path) =>
  typeof v === "number" && Number.isFinite(v) ? v : fail(path, "a number", v);

export const bool: Check<boolean> = (v, path) =>
  typeof v === "boolean" ? v : fail(path, "true or false", v);

/** A value that may be absent or null; when present it must pass `check`. */
export function opt<T>(check: Check<T>): Check<T | null | undefined> {
  return (v, path) => v === undefined || v === null ? v : check(v, path);
}

/** Either of two checks (the first whose check passes). */
export function oneOf<A, B>(a: Check<A>, b: Check<B>, expected: string): Check<A | B> {
  return (v, path) => {
    try {
      return a(v, path);
    } catch {
      try {
        return b(v, path);
      } catch {
        return fail(path, expected, v);
      }
    }
  };
}

export function list<T>(item: Check<T>): Check<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) return fail(path, "a list", v);
    v.forEach((x, i) => item(x, `${path}[${i}]`));
    return v as T[];
  };
}

/** An object whose listed fields pass their checks; other fields are kept as they are. */
export function shape<T>(fields: { [K in keyof T]?: Check<unknown> }): Check<T> {
  return (v, path) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      return fail(path, "an object", v);
    }
    const record = v as Record<string, unknown>;
    for (const [key, check] of Object.entries(fields) as [string, Check<unknown>][]) {
      check(record[key], path ? `${path}.${key}` : key);
    }
    return v as T;
  };
}

/** An object of string (or other scalar) values: metadata maps. */
export const scalarMap: Check<Record<string, string>> = (v, path) => {
  const record = shape<Record<string, unknown>>({})(v, path);
  for (const [k, x] of Object.entries(record)) {
    if (x !== null && typeof x === "object") fail(`${path}.${k}`, "a string", x);
  }
  return record as Record<string, string>;
};

/** An absolute http(s) URL. */
export const httpUrl: Check<string> = (v, path) => {
  const text = str(v, path);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch { /* reported below */ }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return fail(path, "an http(s) URL", text);
  }
  return text;
};

/** A check of a timestamp by its parser (which throws on garbage). */
export function timeWith(parse: (text: string) => unknown): Check<string> {
  return (v, path) => {
    const text = str(v, path);
    try {
      parse(text);
    } catch {
      return fail(path, "an ISO 8601 time", text);
    }
    return text;
  };
}

/**
 * Checks an answer's body; a mismatch becomes a {@link BadResponseError} for the call that got
 * it.
 */
export function decodeAnswer<T>(
  check: Check<T>,
  body: unknown,
  call: { method: string; url: string; requestId?: string | undefined },
): T {
  try {
    return check(body, "");
  } catch (error) {
    if (!(error instanceof WireShapeError)) throw error;
    const problem = error.path === ""
      ? `the body is ${shown(body)}, expected a JSON object`
      : error.problem;
    throw new BadResponseError({ ...call, path: error.path }, problem);
  }
}
