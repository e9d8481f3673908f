/** `snapsentry daemon` flags, in-process: help, defaults and exit 2 on bad input before start. */
import assert from "node:assert/strict";
import { cli } from "../helpers/cli.ts";

Deno.test("daemon --help lists the flags with their defaults and an example", async () => {
  const r = await cli(["daemon", "--help"]);
  assert.equal(r.code, 0);
  // Help wraps long lines; compare with whitespace runs collapsed.
  const help = r.stdout.replace(/\s+/g, " ");
  for (
    const want of [
      /--create-schedule <cron>.*\(default: "\*\/10 \* \* \* \*"\)/s,
      /--expire-schedule <cron>.*\(default: "0 \*\/6 \* \* \*"\)/s,
      /--bind-address <host:port>.*\(default: "127\.0\.0\.1:8080"\)/s,
      /--schedule-timezone <zone>/,
      /--run-at-start/,
      /--shutdown-timeout <duration>.*\(default: 1m\)/s,
      /--metrics-per-volume \[bool\]/,
      /--unprotected-refresh <duration>.*\(default: 1h\)/s,
      /--concurrency <n>/,
      /--stuck-after <duration>/,
      /Examples: \$ snapsentry --cloud mycloud daemon/,
    ]
  ) assert.match(help, want);
});

Deno.test("daemon refuses bad flags with exit 2 and a message, before anything starts", async (t) => {
  const cases: [string[], RegExp][] = [
    [
      ["--create-schedule", "*/61 * * * *"],
      /^error: Cannot parse --create-schedule "\*\/61 \* \* \* \*": /,
    ],
    [
      ["--expire-schedule", "@reboot"],
      /Cannot parse --expire-schedule "@reboot": unknown descriptor/,
    ],
    [["--schedule-timezone", "Mars/Olympus"], /Cannot use --schedule-timezone "Mars\/Olympus"/],
    [["--bind-address", "8080"], /Cannot use --bind-address "8080": expected HOST:PORT/],
    [["--shutdown-timeout", "soon"], /Cannot use --shutdown-timeout "soon"/],
    [["--concurrency", "zero"], /--concurrency "zero"/],
    [
      ["--unprotected-refresh", "30s"],
      /Cannot use --unprotected-refresh "30s": expected at least 1m \(or 0 for none\)/,
    ],
    [
      ["--metrics-per-volume=maybe"],
      /Cannot use --metrics-per-volume "maybe": expected true or false/,
    ],
  ];
  for (const [args, want] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await cli(["daemon", ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, want);
      assert.equal(r.logs.filter((l) => l.event === "daemon_started").length, 0);
    });
  }
  await t.step("a short SNAPSENTRY_API_TOKEN is refused without echoing it", async () => {
    const r = await cli(["daemon"], { env: { SNAPSENTRY_API_TOKEN: "tiny-secret" } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SNAPSENTRY_API_TOKEN: it has 11 characters, expected at least 16/);
    assert.equal(r.stderr.includes("tiny-secret"), false);
  });
});
