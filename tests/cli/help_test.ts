/**
 * Help and the openstackclient habits: global options in every subcommand's help, every flag an
 * example uses is listed, `--week-day` help matches its parser, `--version`/`-V`, `--os-cloud`,
 * the Go tool's `version` lines and its lenient `--log-level`.
 */
import assert from "node:assert/strict";
import { parseWeekday } from "../../src/core/mod.ts";
import { cli, emulatedCli } from "../helpers/cli.ts";

/** Every command path, from the root's help down (as basics_test.ts walks it). */
async function commandPaths(): Promise<string[][]> {
  const commandsOf = (help: string) => {
    const section = help.split("Commands:")[1]?.split(/\n\n/)[0] ?? "";
    return [...section.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!).filter((n) => n !== "help");
  };
  const queue = commandsOf((await cli(["--help"])).stdout).map((n) => [n]);
  const out: string[][] = [];
  while (queue.length > 0) {
    const path = queue.shift()!;
    out.push(path);
    for (const sub of commandsOf((await cli([...path, "--help"])).stdout)) {
      queue.push([...path, sub]);
    }
  }
  return out;
}

/** The long flags listed in a help text's option sections. */
function listedFlags(help: string): Set<string> {
  const flags = new Set<string>();
  for (const m of help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)) flags.add(m[1]!);
  return flags;
}

Deno.test("every subcommand's --help shows the global options and every flag its examples use", async () => {
  const paths = await commandPaths();
  assert.ok(paths.length >= 20, `${paths.length} commands`);
  const helps = new Map<string, string>();
  for (const path of paths) helps.set(path.join(" "), (await cli([...path, "--help"])).stdout);
  helps.set("", (await cli(["--help"])).stdout);
  for (const path of paths) {
    const name = path.join(" ");
    const help = helps.get(name)!;
    assert.match(help, /^Global Options:$/m, `${name} --help has Global Options`);
    const listed = listedFlags(help);
    for (const flag of ["--cloud", "--region", "--log-level", "--log-format", "--timeout"]) {
      assert.ok(listed.has(flag), `${name} --help lists ${flag}`);
    }
  }
  // Each example's flags are listed in the help of the command the example runs.
  for (const [name, help] of helps) {
    const examples = help.split(/^Examples?:$/m)[1] ?? "";
    for (const line of examples.split("\n")) {
      const at = line.indexOf("snapsentry ");
      if (at < 0) continue;
      const words = line.slice(at).split(/\s+/).slice(1).filter((w) => !w.startsWith("#"));
      let target = "";
      for (const w of words) {
        const next = target ? `${target} ${w}` : w;
        if (helps.has(next)) target = next;
      }
      const listed = listedFlags(helps.get(target)!);
      for (const w of words) {
        const flag = /^(--[a-z][a-z-]*)/.exec(w)?.[1];
        if (flag) {
          assert.ok(
            listed.has(flag),
            `"${target}" --help lists ${flag}, which an example in "${name}" uses`,
          );
        }
      }
    }
  }
});

Deno.test("subscribe <policy> --help lists the options every policy shares", async (t) => {
  for (const policy of ["daily", "weekly", "monthly", "express"]) {
    await t.step(policy, async () => {
      const r = await cli(["subscribe", policy, "--help"]);
      assert.equal(r.code, 0);
      const own = r.stdout.split("Global Options:")[0]!;
      for (const flag of ["--volume-id", "--retention", "--timezone", "--dry-run", "--enabled"]) {
        assert.match(own, new RegExp(`^ {2}${flag}\\b`, "m"), `${flag} under Options`);
      }
    });
  }
});

Deno.test("--week-day: every form its help names is what parseWeekday() reads", async () => {
  const help = (await cli(["subscribe", "weekly", "--help"])).stdout.replace(/\s+/g, " ");
  const text = /--week-day <day> (.*?) \(default: "sunday"\)/.exec(help)?.[1];
  assert.ok(text, help);
  assert.match(text, /monday…sunday or mon…sun in any case/);
  assert.match(text, /tues, weds, thur, thurs/);
  assert.match(text, /0–7 \(0 and 7 = sunday\)/);
  const names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
  names.forEach((n, i) => {
    assert.equal(parseWeekday(n), i + 1);
    assert.equal(parseWeekday(n.toUpperCase()), i + 1, "any case");
    assert.equal(parseWeekday(n.slice(0, 3)), i + 1);
  });
  for (const [v, d] of [["tues", 2], ["weds", 3], ["thur", 4], ["thurs", 4]] as const) {
    assert.equal(parseWeekday(v), d);
  }
  for (let n = 0; n <= 7; n++) assert.equal(parseWeekday(String(n)), n === 0 ? 7 : n);
  assert.throws(() => parseWeekday("8"));
  // And through the command: 7 is Sunday, written as the Go CLI wrote it.
  const e = emulatedCli();
  const v = e.emulator.addVolume(e.emulator.seed.demoProjectId, { name: "v" });
  const r = await e.run([
    "subscribe",
    "weekly",
    "--volume-id",
    v.id,
    "--start-time",
    "03:00",
    "--week-day",
    "7",
    "--dry-run",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const changed = JSON.parse(r.stdout)[0].changed;
  assert.equal(changed["x-snapsentry-weekly-start-day-of-week"].to, "sunday");
});

Deno.test("--version and -V print the version (commander's own) and exit 0", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await cli([flag]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\S*\n$/);
    assert.equal(r.stderr, "");
  }
});

Deno.test("version prints SnapSentry-Go's three lines, then the Deno line", async () => {
  const r = await cli(["version"]);
  assert.equal(r.code, 0);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^SnapSentry version: \d+\.\d+\.\d+/);
  assert.match(lines[1]!, /^Commit: \S+$/);
  assert.match(lines[2]!, /^Built: \S+$/);
  assert.match(lines[3]!, new RegExp(`^Deno: ${Deno.version.deno.replaceAll(".", "\\.")} \\(V8 `));
  const json = JSON.parse((await cli(["version", "--json"])).stdout);
  assert.deepEqual(Object.keys(json).slice(0, 3), ["version", "commit", "build_date"]);
});

Deno.test("an unknown --log-level falls back to info with one warning, as Go did", async (t) => {
  for (
    const [argv, env] of [
      [["--log-level", "trace", "version"], {}],
      [["version"], { SNAPSENTRY_LOG_LEVEL: "verbose" }],
    ] as const
  ) {
    await t.step(argv.join(" ") + JSON.stringify(env), async () => {
      const r = await cli([...argv], { env: { ...env } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^SnapSentry version:/);
      const warned = r.logs.filter((l) => l.event === "log_level_unknown");
      assert.equal(warned.length, 1);
      assert.equal(warned[0]!.level, "warn");
      assert.equal(warned[0]!.used, "info");
    });
  }
  // Still info: debug events are not logged, warnings are.
  const e = emulatedCli();
  const r = await e.run(["--log-level", "trace", "status"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.logs.some((l) => l.level === "debug"), false);
});

Deno.test("--os-cloud is --cloud, as openstackclient spells it", async () => {
  const e = emulatedCli();
  const base = await e.run(["doctor", "--json"]);
  const files = { "/virtual/clouds.yaml": e.emulator.cloudsYaml() };
  const r = await cli(["--os-cloud", "emulator-admin", "doctor", "--json"], {
    clock: e.clock,
    fetch: e.emulator.fetch,
    env: { OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml" },
    readTextFile: (p) =>
      p in files
        ? Promise.resolve(files[p as keyof typeof files])
        : Promise.reject(new Deno.errors.NotFound(p)),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).cloud, "emulator-admin");
  assert.equal(JSON.parse(base.stdout).cloud, "emulator");
});
