// deno-lint-ignore-file no-console
/**
 * Fails when an import points the wrong way (STYLE.md "Dependency direction"):
 * - src/core imports nothing from the project outside src/core;
 * - src/emulator imports nothing from src/core, src/openstack, src/exec, src/daemon, src/cli;
 * - nothing under src/ (except src/cli) imports src/cli or main.ts;
 * - src/openstack, src/exec, src/daemon, src/k8s never import src/cli.
 */
const root = new URL("../", import.meta.url);

interface Rule {
  from: string;
  forbid: (target: string) => boolean;
  why: string;
}

const RULES: Rule[] = [
  {
    from: "src/core/",
    forbid: (t) => t.startsWith("src/") && !t.startsWith("src/core/"),
    why: "the core is pure and imports nothing from the project",
  },
  {
    from: "src/emulator/",
    forbid: (t) => /^src\/(core|openstack|exec|daemon|cli|k8s|admin)\//.test(t),
    why: "the emulator models OpenStack, not snapsentry",
  },
  {
    from: "src/",
    forbid: (t) => t.startsWith("src/cli/") || t === "main.ts",
    why: "only the CLI layer knows about argv, stdout and exit codes",
  },
];

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url);
    else if (entry.name.endsWith(".ts") || entry.name.endsWith(".tsx")) yield url;
  }
}

const problems: string[] = [];
for await (const file of walk(new URL("src/", root))) {
  const rel = file.href.slice(root.href.length);
  const text = await Deno.readTextFile(file);
  for (const m of text.matchAll(/(?:import|export)[^;]*?from\s+["']([^"']+)["']/g)) {
    const spec = m[1]!;
    if (!spec.startsWith(".")) continue;
    const target = new URL(spec, file).href.slice(root.href.length);
    for (const rule of RULES) {
      if (!rel.startsWith(rule.from)) continue;
      if (rule.from === "src/" && rel.startsWith("src/cli/")) continue;
      if (rule.forbid(target)) problems.push(`${rel} imports ${target}: ${rule.why}`);
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  Deno.exit(1);
}
console.log("layers ok");
