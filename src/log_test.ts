import assert from "node:assert/strict";
import { formatJson, formatLogfmt, type LogEntry } from "./log.ts";

const entry = (volume_name: string): LogEntry => ({
  ts: "2026-01-15T12:00:00.000Z",
  level: "info",
  event: "snapshot_created",
  volume_name,
});

// Names a tenant can give a volume: each tries to forge a log line or drive the terminal.
const HOSTILE = [
  "db\nlevel=error event=forged",
  "db\x1b[2Jcleared",
  "db\u009b31mred", // C1 CSI: one byte in Latin-1 terminals
  "db\x7f",
  "db\u2028next",
  "db\rover",
  'a="b"',
  "back\\slash",
];

Deno.test("logfmt: cloud data cannot split the line or carry a control character", () => {
  for (const name of HOSTILE) {
    const line = formatLogfmt(entry(name));
    assert.doesNotMatch(line, /[\p{Cc}\u2028\u2029]/u, JSON.stringify(line));
    // The value is one quoted token that reads back as the original.
    const m = /volume_name=("(?:[^"\\]|\\.)*")$/.exec(line);
    assert.ok(m, line);
    assert.equal(JSON.parse(m[1]!), name);
  }
  assert.equal(formatLogfmt(entry("db-01")).endsWith("volume_name=db-01"), true);
});

Deno.test("JSON lines: every control character is escaped and the value is unchanged", () => {
  for (const name of HOSTILE) {
    const line = formatJson(entry(name));
    assert.doesNotMatch(line, /[\p{Cc}\u2028\u2029]/u, JSON.stringify(line));
    assert.equal(JSON.parse(line).volume_name, name);
  }
});
