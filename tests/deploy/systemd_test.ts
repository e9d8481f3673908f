/**
 * The systemd units: `systemd-analyze verify` accepts them (with ExecStart pointed at a stand-in
 * binary, since snapsentry is not installed here), the template runs one daemon per cloud with
 * its secrets as credentials, every unit names the OnFailure= notifier that ships beside it, and
 * the log lines reach journald with their priority (the `<N>` prefix under JOURNAL_STREAM).
 */
import assert from "node:assert/strict";
import { createLogger, isJournalStream } from "../../src/log.ts";

const DIR = new URL("../../deploy/systemd/", import.meta.url);
const read = (name: string) => Deno.readTextFile(new URL(name, DIR));

/** `Key=value` lines of one section (continuations joined, comments dropped). */
function directives(text: string, section: string): [string, string][] {
  const body = text.replace(/\\\n/g, " ").split(/^\[/m).find((s) => s.startsWith(`${section}]`));
  return (body ?? "").split("\n").slice(1).filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => {
    const i = l.indexOf("=");
    return [l.slice(0, i), l.slice(i + 1).trim()];
  });
}

const has = (d: [string, string][], key: string, value: string | RegExp) =>
  d.some(([k, v]) => k === key && (typeof value === "string" ? v === value : value.test(v)));

Deno.test("snapsentry-daemon@.service: one daemon per cloud, secrets as credentials", async () => {
  const text = await read("snapsentry-daemon@.service");
  const unit = directives(text, "Unit");
  const service = directives(text, "Service");
  assert.ok(has(service, "Environment", "OS_CLOUD=%i"), "the instance name is the cloud");
  assert.ok(has(service, "LoadCredential", "clouds.yaml:/etc/snapsentry/clouds.yaml"));
  assert.ok(has(service, "LoadCredential", "secure.yaml:/etc/snapsentry/secure.yaml"));
  assert.ok(has(service, "Environment", "OS_CLIENT_CONFIG_FILE=%d/clouds.yaml"));
  assert.ok(has(service, "Environment", "OS_CLIENT_SECURE_FILE=%d/secure.yaml"));
  assert.ok(has(service, "EnvironmentFile", "-/etc/snapsentry/%i.env"));
  assert.ok(has(service, "ExecStart", /daemon +--bind-address 127\.0\.0\.1:\$\{BIND_PORT\}/));
  assert.ok(has(service, "DynamicUser", "yes"));
  assert.ok(has(service, "SyslogLevelPrefix", "yes"));
  assert.ok(has(service, "RestartPreventExitStatus", "2"));
  assert.ok(has(unit, "OnFailure", "snapsentry-failure@%n.service"));
  // No secret on a command line or in the unit itself.
  assert.doesNotMatch(text, /^(ExecStart|Environment)=.*(PASSWORD|SECRET|TOKEN)=/m);
});

Deno.test("every unit that can fail names the OnFailure= notifier that ships beside it", async () => {
  await read("snapsentry-failure@.service");
  for (
    const f of [
      "snapsentry-daemon@.service",
      "snapsentry-daemon.service",
      "snapsentry-create.service",
      "snapsentry-expire.service",
    ]
  ) {
    const text = await read(f);
    assert.ok(has(directives(text, "Unit"), "OnFailure", "snapsentry-failure@%n.service"), f);
    assert.ok(has(directives(text, "Service"), "SyslogLevelPrefix", "yes"), f);
  }
});

const analyze = (() => {
  try {
    return new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: `systemd-analyze verify accepts every unit${
    analyze ? "" : " (ignored: no systemd-analyze here; apt-get install systemd)"
  }`,
  ignore: !analyze,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const bin = `${dir}/bin/snapsentry`;
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(bin, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const names = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) =>
        /\.(service|timer)$/.test(n)
      );
      for (const n of names) {
        const text = (await read(n)).replaceAll("/usr/local/bin/snapsentry", bin);
        await Deno.writeTextFile(`${dir}/${n}`, text);
      }
      const units = names.map((n) =>
        n === "snapsentry-daemon@.service"
          ? "snapsentry-daemon@prod.service"
          : n === "snapsentry-failure@.service"
          ? "snapsentry-failure@snapsentry-daemon@prod.service.service"
          : n
      );
      const out = await new Deno.Command("systemd-analyze", {
        args: ["verify", "--man=no", ...units.map((u) => `${dir}/${u}`)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      // Only lines about our units count (the host's own units may have warnings of their own).
      const ours = text.split("\n").filter((l) => /snapsentry/.test(l));
      assert.deepEqual(ours, [], text);
      assert.ok(out.success, text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("log lines carry their syslog priority for journald, only on the journal stream", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (l) => lines.push(l), priorityPrefix: true });
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e", { password: "x" });
  assert.deepEqual(lines.map((l) => l.slice(0, 4)), ["<7>{", "<6>{", "<4>{", "<3>{"]);
  assert.equal(JSON.parse(lines[2]!.slice(3)).event, "w");
  const plain: string[] = [];
  createLogger({ write: (l) => plain.push(l), format: "logfmt" }).info("i");
  assert.match(plain[0]!, /^ts=/, "an injected writer gets no prefix unless asked");
  assert.equal(isJournalStream("8:1234", { dev: 8, ino: 1234 }), true);
  assert.equal(isJournalStream("8:1234", { dev: 8, ino: 99 }), false);
  assert.equal(isJournalStream("garbage", { dev: 8, ino: 1234 }), false);
  assert.equal(isJournalStream(undefined, { dev: 8, ino: 1234 }), false);
});

Deno.test({
  name: "the real binary prefixes its stderr lines when JOURNAL_STREAM names its stderr",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const dir = await Deno.makeTempDir();
    try {
      const run = async (match: boolean) => {
        const err = `${dir}/stderr-${match}`;
        // bash opens the file as stderr, then names it (device:inode, as systemd does) or not.
        const script = `exec 2>"$ERR"; s="$(stat -c %d:%i "$ERR")"; ` +
          `JOURNAL_STREAM="${
            match ? "$s" : "1:1"
          }" exec "$DENO" run -A "$MAIN" --log-level trace version`;
        const out = await new Deno.Command("bash", {
          args: ["-c", script],
          env: { ERR: err, DENO: Deno.execPath(), MAIN: main },
          stdout: "piped",
        }).output();
        assert.ok(out.success);
        assert.match(new TextDecoder().decode(out.stdout), /^SnapSentry version:/, "stdout plain");
        return (await Deno.readTextFile(err)).split("\n").find((l) =>
          l.includes("log_level_unknown")
        )!;
      };
      assert.match(await run(true), /^<4>\{"ts":/);
      assert.match(await run(false), /^\{"ts":/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
