/**
 * The redaction layer. Two defences, both applied to every log line, error message and `--json`
 * output:
 *
 * 1. Secret values registered at run time (passwords, application credential secrets, tokens,
 *    webhook passwords) are replaced wherever they occur inside any string.
 * 2. Object keys that name a secret (`password`, `secret`, `token`, `authorization`, …) have their
 *    values replaced, whatever the value is.
 *
 * The registry is process-wide on purpose: a secret learnt by the clouds.yaml loader must be
 * scrubbed from a log line written by the daemon an hour later.
 */

export const REDACTED = "[REDACTED]";

/**
 * Shorter secrets are not registered: redacting every "abc" would mangle ordinary words, so
 * such a secret could show in free text. `registerSecret` returns false for them, and the
 * caller warns (`openCloud` does for the cloud's password, secret and token).
 */
export const MIN_SECRET_LENGTH = 4;

const secrets = new Set<string>();
/** `secrets`, longest first (so no shorter form eats part of a longer one); rebuilt on change. */
let ordered: string[] = [];

/**
 * The forms a secret takes when a server echoes it: JSON-escaped (`"` → `\"`, `\` → `\\`), as
 * Python's json.dumps writes it (non-ASCII as `\uXXXX`), escaped twice (a JSON body quoted
 * inside a JSON string), URL-encoded and HTML-escaped.
 */
export function escapedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const ascii = json.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const html = value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  const forms = [
    json,
    ascii,
    JSON.stringify(json).slice(1, -1),
    JSON.stringify(ascii).slice(1, -1),
    encodeURIComponent(value),
    html,
  ];
  return [...new Set(forms)].filter((f) => f !== value);
}

/**
 * Registers a secret value, and its escaped forms, so that it never appears in output. Returns
 * false, registering nothing, for a value shorter than {@link MIN_SECRET_LENGTH}.
 */
export function registerSecret(value: string | undefined | null): boolean {
  if (typeof value !== "string" || value === "") return false;
  if (value.length < MIN_SECRET_LENGTH) return false;
  const before = secrets.size;
  secrets.add(value);
  for (const form of escapedForms(value)) secrets.add(form);
  if (secrets.size !== before) ordered = [...secrets].sort((a, b) => b.length - a.length);
  return true;
}

/** Forgets every registered secret (tests only). */
export function clearSecretsForTesting(): void {
  secrets.clear();
  ordered = [];
}

const SECRET_KEY_REGEXP =
  /(password|passwd|secret|token|authorization|x-auth|x-subject-token|credential|private[_-]?key|api[_-]?key|cookie)/i;
// Keys that contain a secret-looking word but carry no secret.
const SAFE_KEY_REGEXP =
  /(_id|_name|Id|Name|_ids|_expires_at|_expiry|ExpiresAt|_count|_type|_url|_path|_file|_env|_source)$/;

/** Whether an object key names a secret value. */
export function isSecretKey(key: string): boolean {
  // A key with spaces is a label such as "POST auth/tokens" (request counts), not a field name.
  return SECRET_KEY_REGEXP.test(key) && !SAFE_KEY_REGEXP.test(key) && !/\s/.test(key);
}

const SECRET_FIELD = "(?:password|secret|token)";
/** `"password": "…"`, the value read as a JSON string (escapes included). */
const JSON_FIELD = new RegExp(String.raw`("${SECRET_FIELD}"\s*:\s*)"(?:[^"\\]|\\.)*"`, "gi");
/**
 * The same field inside a JSON text that is itself a JSON string: there every `"` reads `\"` and
 * every `\` reads `\\`, so an escaped quote of the value is `\\\"` and a backslash `\\\\`.
 */
const ESCAPED_JSON_FIELD = new RegExp(
  String.raw`(\\"${SECRET_FIELD}\\"\s*:\s*)\\"(?:[^"\\]|\\\\\\"|\\\\\\\\|\\\\[^"\\]|\\[^"\\])*\\"`,
  "gi",
);
/** Python's repr of a dict: `'password': '…'`. */
const PYTHON_FIELD = new RegExp(String.raw`('${SECRET_FIELD}'\s*:\s*)'(?:[^'\\]|\\.)*'`, "gi");

/** Replaces every registered secret inside `text`, plus bearer/basic auth and token headers. */
export function redactText(text: string): string {
  let out = text;
  for (const secret of ordered) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`);
  // A secret-named JSON field the registry does not know (a token in a body): match JSON string
  // syntax, so an escaped quote inside the value (`"pa\"ss"`) does not end the match early and
  // leave the rest in place; likewise the field inside a JSON text that is itself a JSON string
  // (`\"password\": \"pa\\\"ss\"`), and Python's repr (`'password': '…'`).
  out = out.replace(JSON_FIELD, `$1"${REDACTED}"`);
  out = out.replace(ESCAPED_JSON_FIELD, `$1\\"${REDACTED}\\"`);
  out = out.replace(PYTHON_FIELD, `$1'${REDACTED}'`);
  return out;
}

/** Deep copy of `value` with secret keys and registered secret values redacted. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 12) return "[…]";
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message) };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return redact((value as { toJSON(): unknown }).toJSON(), depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== ""
      ? REDACTED
      : redact(v, depth + 1);
  }
  return out;
}
