import assert from "node:assert/strict";
import { cli } from "../helpers/cli.ts";

Deno.test("version prints version, commit, build date and Deno version without --cloud", async () => {
  const r = await cli(["version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^SnapSentry version: \d+\.\d+\.\d+/);
  assert.match(r.stdout, /Commit: /);
  assert.match(r.stdout, /Built: /);
  assert.match(r.stdout, new RegExp(`Deno: ${Deno.version.deno.replaceAll(".", "\\.")}`));
});

Deno.test("version --json is machine-readable", async () => {
  const r = await cli(["version", "--json"]);
  assert.equal(r.code, 0);
  const info = JSON.parse(r.stdout);
  assert.equal(info.deno, Deno.version.deno);
  assert.ok(typeof info.version === "string" && info.version.length > 0);
});

Deno.test("--help goes to stdout with exit 0 and shows an example", async () => {
  const r = await cli(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: snapsentry/);
  assert.match(r.stdout, /Example/);
  assert.equal(r.stderr, "");
});

Deno.test("no arguments prints help to stderr and exits 2", async () => {
  const r = await cli([]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Usage: snapsentry/);
});

Deno.test("an unknown command exits 2 with a message", async () => {
  const r = await cli(["bogus"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'bogus'/);
});

Deno.test("an unknown --log-level warns and runs at info (the Go tool's behaviour)", async () => {
  const r = await cli(["--log-level", "loud", "version"]);
  assert.equal(r.code, 0);
  const warning = r.logs.find((l) => l.event === "log_level_unknown");
  assert.equal(warning?.value, "loud");
  assert.equal(warning?.expected, "debug, info, warn, error");
});

Deno.test("a bad --timeout exits 2", async () => {
  const r = await cli(["--timeout", "soon", "version"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Cannot use --timeout "soon"/);
});

Deno.test("every command and subcommand has --help with an example", async () => {
  const commandsOf = (help: string) => {
    const section = help.split("Commands:")[1]?.split(/\n\n/)[0] ?? "";
    return [...section.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!).filter((n) => n !== "help");
  };
  const root = await cli(["--help"]);
  const queue = commandsOf(root.stdout).map((n) => [n]);
  assert.ok(queue.length >= 10, `commands: ${queue.join(" ")}`);
  let checked = 0;
  while (queue.length > 0) {
    const path = queue.shift()!;
    const r = await cli([...path, "--help"]);
    assert.equal(r.code, 0, `${path.join(" ")} --help exit code`);
    assert.match(r.stdout, /Example/, `${path.join(" ")} --help has an example`);
    for (const sub of commandsOf(r.stdout)) queue.push([...path, sub]);
    checked++;
  }
  assert.ok(checked >= 20, `checked ${checked} commands`);
});
