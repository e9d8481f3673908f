/** Formatting helpers for command output (stdout). Everything printed passes redaction. */
import { redact, redactText } from "../redact.ts";

/** Pretty JSON, redacted, with a trailing newline. */
export function toJson(value: unknown): string {
  return JSON.stringify(redact(value), null, 2) + "\n";
}

/** A plain-text table with a header row; columns padded to the widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].map(redactText).join("\n") + "\n";
}
