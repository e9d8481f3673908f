/**
 * Wire helpers shared by the emulated services: time formats, ids, fault bodies, the access-rule
 * path glob and the parser for Cinder's `metadata` query value.
 */

/** Cinder's timestamp format: UTC, microseconds, no zone designator ("2015-11-29T03:01:44.000000"). */
export function cinderTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2015-11-29T03:01:44.123Z
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000`;
}

/** Keystone's timestamp format: UTC with microseconds and a Z ("2015-11-07T02:58:43.578887Z"). */
export function keystoneTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000Z`;
}

/** Keystone ids are 32 lowercase hex digits. */
export function hexId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

export function randomToken(bytes = 48): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  let s = "";
  for (const b of buf) s += String.fromCharCode(b);
  return "gAAAAA" + btoa(s).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** Cinder fault names by status (cinder/api/openstack/wsgi.py `Fault._fault_names`). */
const FAULT_NAMES: Record<number, string> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

/** A Cinder fault body: `{"itemNotFound": {"code": 404, "message": "…"}}`. */
export function cinderFault(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const name = FAULT_NAMES[status] ?? "computeFault";
  const fault: Record<string, unknown> = { code: status, message };
  // Cinder's overLimit fault repeats the Retry-After header in the body (real Cinder 21:
  // `{"overLimit": {"code": 413, "message": "…", "retryAfter": "0"}}`).
  const retryAfter = Object.entries(headers).find(([k]) => k.toLowerCase() === "retry-after");
  if (retryAfter) fault.retryAfter = retryAfter[1];
  return Response.json({ [name]: fault }, { status, headers });
}

const KEYSTONE_TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  500: "Internal Server Error",
};

/** A Keystone error body: `{"error": {"code": 401, "title": "Unauthorized", "message": "…"}}`. */
export function keystoneError(status: number, message: string): Response {
  return Response.json(
    { error: { code: status, title: KEYSTONE_TITLES[status] ?? "Error", message } },
    { status },
  );
}

export const UNAUTHENTICATED_MESSAGE = "The request you have made requires authentication.";

/**
 * A path glob as regular-expression source: `*` matches within one path segment, `**` across
 * segments; everything else is literal.
 */
export function globSource(glob: string): string {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (ch === "*") {
      re += "[^/]*";
    } else {
      re += ch.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return re;
}

/**
 * Matches a request path against an application-credential access rule path. As Keystone does,
 * `*` matches one path segment and `**` any number of segments (including none after a slash).
 */
export function accessRulePathMatches(pattern: string, path: string): boolean {
  return new RegExp(`^${globSource(pattern)}$`).test(path);
}

/**
 * Parses the `metadata` query value the way Cinder does (`ast.literal_eval`): a Python dict literal
 * such as `{'k': 'v'}` or a JSON object. Returns undefined when it is not a dict; Cinder then
 * matches nothing ("'metadata' filter value is not valid").
 */
export function parseMetadataFilter(raw: string): Record<string, string> | undefined {
  const src = raw.trim();
  let i = 0;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const scalar = (): string | undefined => {
    ws();
    const q = src[i];
    if (q === "'" || q === '"') {
      i++;
      let out = "";
      while (i < src.length && src[i] !== q) {
        if (src[i] === "\\" && i + 1 < src.length) {
          const n = src[i + 1]!;
          out += n === "n" ? "\n" : n === "t" ? "\t" : n;
          i += 2;
        } else {
          out += src[i++];
        }
      }
      if (src[i] !== q) return undefined;
      i++;
      return out;
    }
    const m = /^(-?\d+(?:\.\d+)?|True|False|None|true|false|null)/.exec(src.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  ws();
  if (src[i] !== "{") return undefined;
  i++;
  const out: Record<string, string> = {};
  ws();
  if (src[i] === "}") return i + 1 === src.length ? out : undefined;
  for (;;) {
    const k = scalar();
    if (k === undefined) return undefined;
    ws();
    if (src[i] !== ":") return undefined;
    i++;
    const v = scalar();
    if (v === undefined) return undefined;
    out[k] = v;
    ws();
    if (src[i] === ",") {
      i++;
      ws();
      if (src[i] === "}") break;
      continue;
    }
    if (src[i] === "}") break;
    return undefined;
  }
  i++;
  ws();
  return i === src.length ? out : undefined;
}

/** A small seeded PRNG (mulberry32) for reproducible sample data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID (version 4 layout) drawn from `rand`. */
export function uuidFrom(rand: () => number): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(rand() * 16).toString(16));
  hex[12] = "4";
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
