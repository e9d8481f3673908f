/**
 * Formatting helpers for command output (stdout) and error lines (stderr). Everything printed
 * passes redaction.
 *
 * Cloud data (volume names, metadata, error messages from a server) can carry terminal control
 * sequences: an ESC can recolour the terminal, move the cursor, rewrite earlier lines or set the
 * window title. Text output shows every control character as a visible escape (`\x1b`, `\n`,
 * `\u202e`) instead; JSON output keeps the exact value, escaped by JSON.
 */
import { describeErrorLines } from "../errors.ts";
import { redact, redactText } from "../redact.ts";

/**
 * C0 controls (tab and newline included), DEL, C1 controls (U+0080–U+009F: 8-bit CSI and OSC),
 * the line and paragraph separators, and the bidirectional overrides and isolates that reorder
 * what a terminal shows ("Trojan Source").
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw but a terminal may still act on. */
const JSON_RAW_CONTROL = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ??
    (code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`);
}

/**
 * One value for a text cell or line: every control character (newline included) shown as an
 * escape, so a value can neither drive the terminal nor forge a line of output.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { safeText } from "./output.ts";
 * assertEquals(safeText("db\x1b[2J\nOK"), "db\\x1b[2J\\nOK");
 * ```
 */
export function safeText(value: string): string {
  return value.replace(CONTROL, visible);
}

/**
 * Text that may span lines (what a command prints): control characters are shown as escapes,
 * the newlines between lines are kept. Redacted.
 */
export function textOutput(text: string): string {
  return redactText(text).split("\n").map(safeText).join("\n");
}

/**
 * The CLI's error line for stderr: `error: <message> (hint: …)`, with the cause chain when
 * `verbose`, each line made safe (a server's error message is cloud data too).
 */
export function errorLine(error: unknown, verbose = false): string {
  // One line per error of the chain; a newline inside a message is shown as \n.
  return `error: ${describeErrorLines(error, verbose).map(safeText).join("\n")}\n`;
}

/**
 * Pretty JSON, redacted, with a trailing newline. Values are exact; the characters JSON leaves
 * raw but a terminal may act on (DEL, C1, bidi controls) are written as `\u` escapes, which
 * parse back to the same value.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(redact(value), null, 2).replace(
    JSON_RAW_CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + "\n";
}

/** A plain-text table with a header row; columns padded to the widest cell; cells made safe. */
export function table(headers: string[], rows: string[][]): string {
  const clean = (cells: string[]) => cells.map((c) => safeText(redactText(c ?? "")));
  const head = clean(headers);
  const body = rows.map(clean);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")
      .trimEnd();
  return [line(head), ...body.map(line)].join("\n") + "\n";
}
