/**
 * `completion bash|zsh|fish`: each script is valid for its shell and completes commands,
 * subcommands, options and option values when the shell runs it. The shells are Debian's `bash`,
 * `zsh` and `fish` (CI installs them); a shell that is missing here skips its case, saying so.
 */
import assert from "node:assert/strict";
import { cli } from "../helpers/cli.ts";

function has(shell: string): boolean {
  try {
    return new Deno.Command(shell, { args: ["-c", "exit 0"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function run(shell: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(shell, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `${shell} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

async function script(shell: string): Promise<string> {
  const r = await cli(["completion", shell]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const path = await Deno.makeTempFile({ suffix: `.${shell}` });
  await Deno.writeTextFile(path, r.stdout);
  return path;
}

const REQUIRE = Deno.env.get("SNAPSENTRY_REQUIRE_SHELLS") === "1";

for (const shell of ["bash", "zsh", "fish"]) {
  const present = has(shell);
  if (!present && REQUIRE) throw new Error(`SNAPSENTRY_REQUIRE_SHELLS=1 but ${shell} is missing`);
  Deno.test({
    name: `completion ${shell}${
      present ? "" : ` (ignored: ${shell} is not installed; apt-get install ${shell})`
    }`,
    ignore: !present,
    async fn() {
      const file = await script(shell);
      try {
        await run(shell, ["-n", file]);
        // Each case: the words typed (the last is being completed) and what must be offered.
        const cases: [string[], string[]][] = [
          [["st"], ["status"]],
          [["--cloud", "prod", "subscribe", "d"], ["daily"]],
          [["subscribe", "weekly", "--we"], ["--week-day"]],
          [["subscribe", "daily", "--vol"], ["--volume-id"]],
          [["--log-level", ""], ["debug", "info", "warn", "error"]],
          [["create-snapshots", "--webhook-on", ""], ["always", "failure"]],
          [["admin", "metadefs", "in"], ["install"]],
          [["completion", "--he"], ["--help"]],
        ];
        for (const [typed, want] of cases) {
          let out: string;
          if (shell === "bash") {
            const words = ["snapsentry", ...typed].map((w) => `'${w}'`).join(" ");
            out = await run("bash", [
              "-c",
              `source '${file}'; COMP_WORDS=(${words}); COMP_CWORD=${typed.length}; _snapsentry; ` +
              `printf '%s\\n' "\${COMPREPLY[@]}"`,
            ]);
          } else if (shell === "zsh") {
            // Outside a completion widget: stand-ins for compadd and _describe print the matches.
            const words = ["snapsentry", ...typed].map((w) => `'${w}'`).join(" ");
            out = await run("zsh", [
              "-c",
              `source '${file}'; _describe() { print -l -- \${(P)4} }; ` +
              `compadd() { print -l -- \${(P)2} }; words=(${words}); CURRENT=${
                typed.length + 1
              }; ` +
              `_snapsentry`,
            ]);
            const prefix = typed[typed.length - 1]!;
            out = out.split("\n").map((l) => l.split(/(?<!\\):/)[0]!.replace(/\\:/g, ":"))
              .filter((l) => l.startsWith(prefix)).join("\n");
          } else {
            out = await run("fish", [
              "-c",
              `source '${file}'; complete -C'snapsentry ${typed.join(" ")}'`,
            ]);
            out = out.split("\n").map((l) => l.split("\t")[0]!).join("\n");
          }
          const offered = out.split("\n").filter(Boolean);
          for (const w of want) {
            assert.ok(offered.includes(w), `${typed.join(" ")}<TAB> offers ${w}: ${offered}`);
          }
        }
      } finally {
        await Deno.remove(file);
      }
    },
  });
}

Deno.test("completion needs no cloud and refuses an unknown shell with exit 2", async () => {
  const r = await cli(["completion", "bash"], { env: {} });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^complete -F _snapsentry snapsentry$/m);
  const bad = await cli(["completion", "powershell"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot complete for shell "powershell": expected bash, zsh or fish/);
});
