/**
 * Label selectors as the Kubernetes API server parses them: equality (`=`, `==`, `!=`), set
 * (`in`, `notin`) and existence (`key`, `!key`) requirements.
 */

import { LABEL_VALUE, validateQualifiedName } from "./validation.ts";

export type Requirement =
  | { key: string; op: "exists" | "!exists" }
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] };

/** Parses a label selector string; throws `Error` with the server's wording when it is invalid. */
export function parseLabelSelector(selector: string): Requirement[] {
  const reqs: Requirement[] = [];
  // Split on commas that are not inside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (current.trim() !== "" || parts.length > 0) parts.push(current);
  for (const raw of parts) {
    const part = raw.trim();
    if (part === "") throw new Error(`unable to parse requirement: found '', expected: identifier`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^!\s*([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: "!exists" });
    } else if ((m = part.match(/^([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)$/))) {
      const values = m[3]!.split(",").map((v) => v.trim());
      for (const v of values) {
        if (!LABEL_VALUE.test(v) || v.length > 63) {
          throw new Error(`unable to parse requirement: invalid label value: "${v}"`);
        }
      }
      reqs.push({ key: m[1]!, op: m[2] as "in" | "notin", values });
    } else if ((m = part.match(/^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/))) {
      const value = m[3]!;
      if (!LABEL_VALUE.test(value) || value.length > 63) {
        throw new Error(`unable to parse requirement: invalid label value: "${value}"`);
      }
      reqs.push({ key: m[1]!, op: m[2] === "!=" ? "!=" : "=", value });
    } else if ((m = part.match(/^([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: "exists" });
    } else {
      throw new Error(`unable to parse requirement: "${part}"`);
    }
    const key = reqs[reqs.length - 1]!.key;
    if (validateQualifiedName(key, "selector").length > 0) {
      throw new Error(`unable to parse requirement: invalid label key "${key}"`);
    }
  }
  return reqs;
}

/** Whether `labels` satisfy every requirement. */
export function matchesSelector(
  labels: Record<string, string> | undefined,
  reqs: Requirement[],
): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "=":
        return has && l[r.key] === r.value;
      case "!=":
        return !has || l[r.key] !== r.value;
      case "in":
        return has && r.values.includes(l[r.key]!);
      case "notin":
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}
