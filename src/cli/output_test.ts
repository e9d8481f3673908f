/**
 * Cloud data can carry terminal control sequences (issue 13): text output shows them as visible
 * escapes, JSON output keeps the exact values.
 */
import assert from "node:assert/strict";
import { SnapsentryError } from "../errors.ts";
import { clearSecretsForTesting, registerSecret } from "../redact.ts";
import { errorLine, safeText, table, textOutput, toJson } from "./output.ts";

// A volume name that clears the screen, turns text red, sets the window title, forges a line
// and reverses what follows.
const HOSTILE = "db\x1b[2J\x1b[31mOK\x1b]0;pwned\x07\nfake line\r\u202eevil\u009b1m";

/** No byte a terminal would act on: C0 (but newline), DEL, C1, bidi controls. */
function assertInert(text: string) {
  // deno-lint-ignore no-control-regex -- looking for control characters is the test
  const bad = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.exec(text);
  assert.equal(bad, null, `control character U+${bad?.[0].charCodeAt(0).toString(16)}`);
}

Deno.test("table() shows control characters as escapes and keeps columns aligned", () => {
  const out = table(["VOLUME", "NAME", "VERDICT"], [["v1", HOSTILE, "OK"], ["v2", "plain", "DUE"]]);
  assertInert(out);
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.length, 3, "no forged line");
  assert.ok(lines[1]!.includes(String.raw`db\x1b[2J\x1b[31mOK\x1b]0;pwned\x07\nfake line\r`));
  assert.ok(lines[1]!.includes(String.raw`\u202eevil\x9b1m`));
  assert.equal(lines[1]!.lastIndexOf("OK"), lines[0]!.indexOf("VERDICT"), "aligned");
});

Deno.test("safeText() and textOutput()", () => {
  assert.equal(safeText("a\tb"), String.raw`a\tb`);
  assert.equal(safeText("\x00\x7f"), String.raw`\x00\x7f`);
  assert.equal(safeText("ünïcödé"), "ünïcödé", "printable text is untouched");
  assert.equal(
    textOutput("line one\nline \x1b[1mtwo"),
    String.raw`line one` + "\n" +
      String.raw`line \x1b[1mtwo`,
  );
});

Deno.test("errorLine() makes a server's message safe and keeps redaction", () => {
  clearSecretsForTesting();
  registerSecret("hunter2-secret");
  const error = new SnapsentryError(
    `Cannot delete snapshot "s1": Cinder said "\x1b[2K\rall good hunter2-secret"`,
    { hint: "retry\x1b[0m later" },
  );
  const line = errorLine(error);
  assertInert(line);
  assert.equal(
    line,
    String
      .raw`error: Cannot delete snapshot "s1": Cinder said "\x1b[2K\rall good [REDACTED]" (hint: retry\x1b[0m later)` +
      "\n",
  );
  const verbose = errorLine(new SnapsentryError("outer", { cause: new Error("in\x1bner") }), true);
  assert.equal(verbose, "error: outer\ncaused by: in\\x1bner\n");
  clearSecretsForTesting();
});

Deno.test("toJson() keeps exact values, with nothing a terminal acts on left raw", () => {
  const out = toJson({ name: HOSTILE, metadata: { note: "\u2066x\u2069" } });
  assertInert(out);
  assert.deepEqual(JSON.parse(out), { name: HOSTILE, metadata: { note: "\u2066x\u2069" } });
});
