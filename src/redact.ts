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

const secrets = new Set<string>();

/** Registers a secret value so that it never appears in output. Short values are ignored. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== "string") return;
  // Values under 4 characters would redact ordinary words; such secrets are refused elsewhere.
  if (value.length < 4) return;
  secrets.add(value);
}

/** Forgets every registered secret (tests only). */
export function clearSecretsForTesting(): void {
  secrets.clear();
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

/** Replaces every registered secret inside `text`, plus bearer/basic auth and token headers. */
export function redactText(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`);
  out = out.replace(/("(?:password|secret|token)"\s*:\s*)"[^"]*"/gi, `$1"${REDACTED}"`);
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
