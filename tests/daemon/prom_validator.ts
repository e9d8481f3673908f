/**
 * A strict line-by-line checker for the Prometheus text exposition format 0.0.4, for tests.
 * Returns the parsed samples, or throws with the offending line number.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  family: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, where: string): number {
  if (!VALUE.test(text)) throw new Error(`${where}: bad value "${text}"`);
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** Parses `{a="x",b="y\"z"}` starting at `i` (the `{`); returns labels and the index after `}`. */
function parseLabels(line: string, i: number, where: string): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++; // {
  while (true) {
    if (line[i] === "}") return [labels, i + 1];
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
    if (!nameMatch) throw new Error(`${where}: bad label name at column ${i}`);
    const name = nameMatch[0];
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new Error(`${where}: reserved or bad label name "${name}"`);
    }
    if (name in labels) throw new Error(`${where}: duplicate label "${name}"`);
    i += name.length;
    if (line[i] !== "=" || line[i + 1] !== '"') throw new Error(`${where}: expected ="`);
    i += 2;
    let value = "";
    while (true) {
      const ch = line[i];
      if (ch === undefined) throw new Error(`${where}: unterminated label value`);
      if (ch === '"') break;
      if (ch === "\\") {
        const next = line[i + 1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else throw new Error(`${where}: bad escape "\\${next}" in label value`);
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    labels[name] = value;
    i++; // closing quote
    if (line[i] === ",") {
      i++;
      continue;
    }
    if (line[i] !== "}") throw new Error(`${where}: expected , or } after label value`);
  }
}

/** Validates `text` and returns its samples. */
export function validateExposition(text: string): Sample[] {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const seenSeries = new Set<string>();
  const finishedFamilies = new Set<string>();
  let current: string | null = null;
  const samples: Sample[] = [];

  const familyOf = (name: string): string | null => {
    if (types.has(name)) return name;
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      if (name.endsWith(suffix)) {
        const base = name.slice(0, -suffix.length);
        const t = types.get(base);
        if (t === "histogram" || (t === "summary" && suffix !== "_bucket")) return base;
      }
    }
    return null;
  };
  const enter = (family: string, where: string) => {
    if (current !== family) {
      if (finishedFamilies.has(family)) {
        throw new Error(`${where}: family ${family} is split (its lines must be contiguous)`);
      }
      if (current !== null) finishedFamilies.add(current);
      current = family;
    }
  };

  lines.forEach((line, idx) => {
    const where = `line ${idx + 1} ${JSON.stringify(line)}`;
    if (line === "") throw new Error(`${where}: empty line`);
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) {
        throw new Error(`${where}: a comment must be "# HELP name text" or "# TYPE name type"`);
      }
      const [, kind, name, rest] = m;
      if (!METRIC_NAME.test(name!)) throw new Error(`${where}: bad metric name`);
      enter(name!, where);
      if (kind === "HELP") {
        if (helps.has(name!)) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest!.replace(/\\\\/g, ""))) {
          throw new Error(`${where}: bad HELP escape`);
        }
        helps.add(name!);
      } else {
        if (types.has(name!)) throw new Error(`${where}: second TYPE for ${name}`);
        if (!TYPES.has(rest!)) throw new Error(`${where}: unknown type "${rest}"`);
        if (samples.some((s) => s.family === name)) {
          throw new Error(`${where}: TYPE after samples of ${name}`);
        }
        types.set(name!, rest!);
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`${where}: bad metric name`);
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === "{") [labels, i] = parseLabels(line, i, where);
    if (line[i] !== " ") throw new Error(`${where}: expected one space before the value`);
    const parts = line.slice(i + 1).split(" ");
    if (parts.length > 2 || parts[0] === "") {
      throw new Error(`${where}: expected value [timestamp]`);
    }
    const value = parseValue(parts[0]!, where);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) {
      throw new Error(`${where}: bad timestamp`);
    }
    const family = familyOf(name);
    if (family === null) {
      throw new Error(`${where}: sample of ${name} has no TYPE declared before it`);
    }
    enter(family, where);
    const type = types.get(family)!;
    if (type === "counter" && !name.endsWith("_total")) {
      throw new Error(`${where}: counter ${name} must end in _total`);
    }
    if (type === "counter" && (value < 0 || Number.isNaN(value))) {
      throw new Error(`${where}: counter must be >= 0`);
    }
    if (name.endsWith("_bucket") && labels.le === undefined) {
      throw new Error(`${where}: histogram bucket without le`);
    }
    const key = `${name}{${
      Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) =>
        `${k}=${JSON.stringify(v)}`
      ).join(",")
    }}`;
    if (seenSeries.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    seenSeries.add(key);
    samples.push({ name, labels, value, family });
  });

  // Histograms: cumulative buckets ending in le="+Inf" equal to _count.
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const k = JSON.stringify(rest);
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const [k, buckets] of groups) {
      let prev = -Infinity;
      let prevCount = 0;
      for (const b of buckets) {
        const le = parseValue(b.labels.le!, `${family} le`);
        if (le <= prev) throw new Error(`${family}${k}: le not increasing`);
        if (b.value < prevCount) throw new Error(`${family}${k}: buckets not cumulative`);
        prev = le;
        prevCount = b.value;
      }
      if (prev !== Infinity) throw new Error(`${family}${k}: last bucket must be le="+Inf"`);
      const count = samples.find((s) =>
        s.name === `${family}_count` && JSON.stringify(s.labels) === k
      );
      if (!count || count.value !== prevCount) {
        throw new Error(`${family}${k}: _count must equal the +Inf bucket`);
      }
    }
  }
  return samples;
}

/**
 * Labels a real Prometheus attaches to every scraped series: `job` and `instance` from the scrape
 * config, and the Prometheus Operator's ServiceMonitor target labels. A metric that carries one
 * of them has it renamed to `exported_<name>` at ingestion (honor_labels is off by default), so
 * a rule written against it silently matches nothing.
 */
export const TARGET_LABELS = [
  "job",
  "instance",
  "namespace",
  "service",
  "pod",
  "container",
  "endpoint",
];

/**
 * Checks every label of an exposition against Prometheus's reserved and target labels: none of
 * {@link TARGET_LABELS}, nothing starting with `__` (reserved) or `exported_` (the rename), `le`
 * only on a histogram's `_bucket` series and `quantile` only on a summary's samples. Returns the
 * problems found (empty when clean).
 */
export function labelProblems(text: string): string[] {
  const samples = validateExposition(text);
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1]!, m[2]!);
  const problems: string[] = [];
  for (const s of samples) {
    const type = types.get(s.family);
    for (const label of Object.keys(s.labels)) {
      const where = `${s.name}{${label}}`;
      if (TARGET_LABELS.includes(label)) problems.push(`${where}: "${label}" is a target label`);
      if (label.startsWith("__")) problems.push(`${where}: "__" labels are reserved`);
      if (label.startsWith("exported_")) {
        problems.push(`${where}: "exported_" is Prometheus's rename`);
      }
      if (label === "le" && !(type === "histogram" && s.name === `${s.family}_bucket`)) {
        problems.push(`${where}: "le" belongs to histogram buckets only`);
      }
      if (label === "quantile" && type !== "summary") {
        problems.push(`${where}: "quantile" belongs to summaries only`);
      }
    }
  }
  return problems;
}
