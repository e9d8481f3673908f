/**
 * Kubernetes names and label values derived from OpenStack project ids and names. Keystone allows
 * almost anything in a project name (spaces, slashes, accents, 64 characters), while a label value
 * must be at most 63 characters of `[A-Za-z0-9_.-]` starting and ending alphanumeric, and an object
 * name a lower-case RFC 1123 label. The Go tool used the raw names, so such projects failed (go-compatibility.md, Orchestrator).
 */

/** Longest label value and DNS-1123 label. */
export const MAX_LABEL_LENGTH = 63;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether `value` is a valid label value (empty included). */
export function isValidLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_LENGTH && LABEL_VALUE.test(value);
}

/** Whether `value` is a valid RFC 1123 label (object names of at most 63 characters). */
export function isDnsLabel(value: string): boolean {
  return value.length <= MAX_LABEL_LENGTH && DNS_LABEL.test(value);
}

/** 32-bit FNV-1a of the UTF-8 bytes, as 8 hex digits: a short, stable, synchronous suffix. */
export function shortHash(value: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(value)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

function trimToAlnum(value: string, alnum: RegExp): string {
  let start = 0;
  let end = value.length;
  while (start < end && !alnum.test(value[start]!)) start++;
  while (end > start && !alnum.test(value[end - 1]!)) end--;
  return value.slice(start, end);
}

/**
 * A valid label value for any string. Invalid characters become `-`; the value is trimmed to start
 * and end alphanumeric. When that changed nothing and it fits, the value is kept as is; when it is
 * too long it is cut and given `-<hash of the original>`, so two long names sharing a prefix stay
 * distinct. A value with nothing usable left becomes its hash.
 *
 * @example
 * ```ts
 * import { sanitizeLabelValue } from "./names.ts";
 * sanitizeLabelValue("Team Alpha (prod)"); // "Team-Alpha--prod"
 * ```
 */
export function sanitizeLabelValue(value: string): string {
  if (isValidLabelValue(value)) return value;
  const alnum = /[A-Za-z0-9]/;
  const cleaned = trimToAlnum(value.replace(/[^A-Za-z0-9_.-]/g, "-"), alnum);
  if (cleaned === "") return shortHash(value);
  if (cleaned.length <= MAX_LABEL_LENGTH) return cleaned;
  const suffix = `-${shortHash(value)}`;
  const head = trimToAlnum(cleaned.slice(0, MAX_LABEL_LENGTH - suffix.length), alnum);
  return `${head}${suffix}`;
}

/**
 * A lower-case RFC 1123 label `<prefix><value><suffix>` of at most 63 characters. Characters that
 * do not fit become `-`; when the result is too long, or the value had to be altered, the middle
 * part is replaced by a cut plus a hash of the original, so distinct inputs give distinct names.
 */
export function dnsLabelName(prefix: string, value: string, suffix = ""): string {
  const lowered = value.toLowerCase();
  const cleaned = trimToAlnum(lowered.replace(/[^a-z0-9-]/g, "-"), /[a-z0-9]/);
  const altered = cleaned !== value;
  const plain = `${prefix}${cleaned}${suffix}`;
  if (!altered && cleaned !== "" && isDnsLabel(plain)) return plain;
  const hash = shortHash(value);
  const room = MAX_LABEL_LENGTH - prefix.length - suffix.length - hash.length - 1;
  const head = trimToAlnum(cleaned.slice(0, Math.max(0, room)), /[a-z0-9]/);
  return `${prefix}${head === "" ? "" : `${head}-`}${hash}${suffix}`;
}
