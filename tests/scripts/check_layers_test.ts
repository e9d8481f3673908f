import assert from "node:assert/strict";
import {
  checkLayers,
  findCircles,
  MAX_CIRCLES,
  parseImports,
  readTree,
  resolvePath,
} from "../../scripts/check_layers.ts";

function check(tree: Record<string, string>): string[] {
  return checkLayers(new Map(Object.entries(tree)));
}

/** A small tree that follows every rule; cases add or replace files. */
const CLEAN: Record<string, string> = {
  "main.ts": 'import { runCli } from "./src/cli/mod.ts";\nimport { log } from "./src/log.ts";\n',
  "src/errors.ts": 'import { redact } from "./redact.ts";\n',
  "src/redact.ts": "export const redact = 1;\n",
  "src/log.ts": 'import { redact } from "./redact.ts";\n',
  "src/clock.ts": "export const clock = 1;\n",
  "src/core/mod.ts": 'export * from "./plan.ts";\nexport * from "./policy.ts";\n',
  "src/core/plan.ts": 'import type { Policy } from "./policy.ts";\n',
  "src/core/policy.ts": "export type Policy = string;\n",
  "src/core/go_compat_test.ts":
    'import fixture from "../../tests/fixtures/go/x.json" with { type: "json" };\n',
  "src/openstack/mod.ts": 'export * from "./http.ts";\n',
  "src/openstack/http.ts": [
    'import { clock } from "../clock.ts";',
    'import { AuthError } from "../errors.ts";',
    'import type { Policy } from "../core/mod.ts";',
    "",
  ].join("\n"),
  "src/openstack/_testing.ts": 'import { clock } from "../clock.ts";\n',
  "src/openstack/http_test.ts":
    'import { fixture } from "./_testing.ts";\nimport { openCloud } from "./mod.ts";\n',
  "src/exec/mod.ts": 'export * from "./engine.ts";\n',
  "src/exec/engine.ts":
    'import { planCreate } from "../core/mod.ts";\nimport { openCloud } from "../openstack/mod.ts";\n',
  "src/daemon/mod.ts": 'import { SnapshotEngine } from "../exec/mod.ts";\n',
  "src/k8s/mod.ts": 'export * from "./client.ts";\n',
  "src/k8s/client.ts": 'import { ConfigError } from "../errors.ts";\n',
  "src/k8s/client_test.ts": 'import { KubernetesEmulator } from "../emulator/mod.ts";\n',
  "src/admin/mod.ts": 'import { KubernetesClient } from "../k8s/mod.ts";\n',
  "src/emulator/mod.ts": 'export * from "./cinder.ts";\n',
  "src/emulator/cinder.ts": 'import { clock } from "../clock.ts";\n',
  "src/cli/mod.ts": 'export { runCli } from "./program.ts";\n',
  "src/cli/program.ts": [
    'import { COMMANDS } from "./commands/mod.ts";',
    'import { SnapshotEngine } from "../exec/mod.ts";',
    'import { startDaemon } from "../daemon/mod.ts";',
    'import { createEmulator } from "../emulator/mod.ts";',
    "",
  ].join("\n"),
  "src/cli/commands/mod.ts": 'import { registerRun } from "./run.ts";\n',
  "src/cli/commands/run.ts": 'import type { CommandContext } from "../program.ts";\n',
};

Deno.test("checkLayers()", async (t) => {
  await t.step("passes a clean tree", () => {
    assert.deepEqual(check(CLEAN), []);
  });

  await t.step("passes an empty tree", () => {
    assert.deepEqual(check({}), []);
  });

  await t.step("refuses a core file importing src/openstack", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/core/plan.ts": 'import { openCloud } from "../openstack/mod.ts";\n' }),
      [
        "src/core/plan.ts:1: imports src/openstack/mod.ts: the core is pure and imports nothing " +
        "outside src/core/ [pure-core]",
      ],
    );
  });

  await t.step("refuses a core file importing a shared top-level file, even type-only", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/core/plan.ts": 'import type { Clock } from "../clock.ts";\n' }),
      [
        "src/core/plan.ts:1: imports src/clock.ts: the core is pure and imports nothing " +
        "outside src/core/ [pure-core]",
      ],
    );
  });

  await t.step("refuses the emulator importing the core", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/emulator/cinder.ts": 'import { clock } from "../clock.ts";\n' +
          'import { MANAGED_KEY } from "../core/mod.ts";\n',
      }),
      [
        "src/emulator/cinder.ts:2: imports src/core/mod.ts: the emulator models OpenStack, " +
        "not snapsentry [emulator-standalone]",
      ],
    );
  });

  await t.step("refuses a daemon file importing the CLI", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/daemon/app.ts": 'import { table } from "../cli/mod.ts";\n' }),
      [
        "src/daemon/app.ts:1: imports src/cli/mod.ts: only the CLI knows argv, stdout and exit " +
        "codes [cli-on-top]",
      ],
    );
  });

  await t.step("refuses a dynamic import of the CLI from src/daemon", () => {
    const source = [
      "export async function run() {",
      '  const { runCli } = await import("../cli/mod.ts");',
      "  return runCli;",
      "}",
      "",
    ].join("\n");
    assert.deepEqual(check({ ...CLEAN, "src/daemon/app.ts": source }), [
      "src/daemon/app.ts:2: imports src/cli/mod.ts: only the CLI knows argv, stdout and exit " +
      "codes [cli-on-top]",
    ]);
  });

  await t.step("refuses a layer importing main.ts", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/exec/report.ts": 'import "../../main.ts";\n' }),
      [
        "src/exec/report.ts:1: imports main.ts: only the CLI knows argv, stdout and exit codes " +
        "[cli-on-top]",
      ],
    );
  });

  await t.step("refuses src/openstack importing src/exec", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/openstack/retry.ts": 'import { x } from "../exec/mod.ts";\n' }),
      [
        "src/openstack/retry.ts:1: imports src/exec/mod.ts: the OpenStack client imports only " +
        "src/core/ and the shared top-level files [openstack-client]",
      ],
    );
  });

  await t.step("refuses src/exec importing src/daemon", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/exec/report.ts": 'import { x } from "../daemon/mod.ts";\n' }),
      [
        "src/exec/report.ts:1: imports src/daemon/mod.ts: the executor is driven by the CLI and " +
        "the daemon and never imports them or the emulator [exec-below-daemon]",
      ],
    );
  });

  await t.step("refuses src/admin importing the emulator, but lets a k8s test use it", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/admin/demo.ts": 'import type { Emulator } from "../emulator/mod.ts";\n',
      }),
      [
        "src/admin/demo.ts:1: imports src/emulator/mod.ts: the orchestrator and admin tools " +
        "never import the engine, the daemon or the emulator [k8s-admin-no-engine]",
      ],
    );
  });

  await t.step("refuses src/k8s importing src/exec", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/k8s/client.ts": 'import { x } from "../exec/mod.ts";\n' }),
      [
        "src/k8s/client.ts:1: imports src/exec/mod.ts: the orchestrator and admin tools never " +
        "import the engine, the daemon or the emulator [k8s-admin-no-engine]",
      ],
    );
  });

  await t.step("refuses src/daemon importing the emulator, but lets a daemon test use it", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/daemon/app.ts": 'import { createEmulator } from "../emulator/mod.ts";\n',
        "src/daemon/app_test.ts": 'import { createEmulator } from "../emulator/mod.ts";\n',
      }),
      [
        "src/daemon/app.ts:1: imports src/emulator/mod.ts: shipped layers talk to a real cloud; " +
        "only the CLI and tests start the emulator [daemon-no-emulator]",
      ],
    );
  });

  await t.step("refuses a shared top-level file importing a folder", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/log.ts": 'import { x } from "./core/mod.ts";\n' }),
      [
        "src/log.ts:1: imports src/core/mod.ts: the shared top-level files sit below every " +
        "folder and import only each other [shared-bottom]",
      ],
    );
  });

  await t.step("refuses shipped code importing tests/, but lets a test read a fixture", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/exec/engine.ts": 'import { h } from "../../tests/helpers/cli.ts";\n',
      }),
      [
        "src/exec/engine.ts:1: imports tests/helpers/cli.ts: shipped code must not pull test or " +
        "tooling code into the bundle [src-self-contained]",
      ],
    );
  });

  await t.step("refuses a deep import src/exec → src/openstack/http.ts", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/exec/x.ts": 'import { HttpTransport } from "../openstack/http.ts";\n',
      }),
      [
        "src/exec/x.ts:1: imports src/openstack/http.ts: other folders import " +
        "src/openstack/mod.ts, not its internal files [deep-import]",
      ],
    );
  });

  await t.step("passes src/exec → src/openstack/mod.ts", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/exec/x.ts": 'import { openCloud } from "../openstack/mod.ts";\n' }),
      [],
    );
  });

  await t.step("refuses a deep import from main.ts and names a missing mod.ts", () => {
    const tree = { ...CLEAN, "main.ts": 'import { program } from "./src/cli/program.ts";\n' };
    assert.deepEqual(check(tree), [
      "main.ts:1: imports src/cli/program.ts: other folders import src/cli/mod.ts, not its " +
      "internal files [deep-import]",
    ]);
    delete (tree as Record<string, string>)["src/cli/mod.ts"];
    assert.deepEqual(check(tree), [
      "main.ts:1: imports src/cli/program.ts: other folders import src/cli/mod.ts, not its " +
      "internal files (src/cli/mod.ts does not exist yet) [deep-import]",
    ]);
  });

  await t.step("refuses a type-only deep import too", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/daemon/app.ts": 'import type { Engine } from "../exec/engine.ts";\n',
      }),
      [
        "src/daemon/app.ts:1: imports src/exec/engine.ts: other folders import src/exec/mod.ts, " +
        "not its internal files [deep-import]",
      ],
    );
  });

  await t.step("refuses a file importing its own folder's mod.ts", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/exec/engine.ts": 'import { x } from "./mod.ts";\n' }),
      [
        "src/exec/engine.ts:1: imports src/exec/mod.ts: src/exec/mod.ts re-exports this folder, " +
        "so importing it makes a circle; import the file directly [own-mod]",
        "import circle: src/exec/engine.ts -> src/exec/mod.ts -> src/exec/engine.ts " +
        "[import-circle]",
      ],
    );
  });

  await t.step("refuses a file importing the mod.ts of a folder above it in its layer", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/cli/commands/run.ts": 'import type { X } from "../mod.ts";\n' }),
      [
        "src/cli/commands/run.ts:1: imports src/cli/mod.ts: src/cli/mod.ts re-exports this " +
        "folder, so importing it makes a circle; import the file directly [own-mod]",
      ],
    );
  });

  await t.step("passes a folder's mod_test.ts importing its mod.ts", () => {
    assert.deepEqual(check({ ...CLEAN, "src/k8s/mod_test.ts": 'import "./mod.ts";\n' }), []);
  });

  await t.step("refuses a _private.ts imported from another folder", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/exec/engine_test.ts": 'import { FakeCloud } from "../openstack/_testing.ts";\n',
        "src/openstack/cinder/volumes_test.ts": 'import { fixture } from "../_testing.ts";\n',
      }),
      [
        'src/exec/engine_test.ts:1: imports src/openstack/_testing.ts: files starting with "_" ' +
        "are private to src/openstack/ [private]",
      ],
    );
  });

  await t.step("refuses a file inside a _private folder imported from outside it", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/cli/program.ts": 'import "../core/_impl/x.ts";\n' }),
      [
        'src/cli/program.ts:1: imports src/core/_impl/x.ts: files starting with "_" are private ' +
        "to src/core/ [private]",
      ],
    );
  });

  await t.step("reports a 2-file import circle once", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/k8s/a.ts": 'import { b } from "./b.ts";\nexport const a = 1;\n',
        "src/k8s/b.ts": 'import { a } from "./a.ts";\nexport const b = 1;\n',
      }),
      ["import circle: src/k8s/a.ts -> src/k8s/b.ts -> src/k8s/a.ts [import-circle]"],
    );
  });

  await t.step("reports a 3-file import circle once, from its smallest file", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/k8s/c.ts": 'export { a } from "./a.ts";\n',
        "src/k8s/a.ts": 'import "./b.ts";\n',
        "src/k8s/b.ts": 'import { c } from "./c.ts";\n',
      }),
      [
        "import circle: src/k8s/a.ts -> src/k8s/b.ts -> src/k8s/c.ts -> src/k8s/a.ts " +
        "[import-circle]",
      ],
    );
  });

  await t.step("reports each circle of a tangle: two circles sharing a file", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/k8s/a.ts": 'import "./b.ts";\nimport "./c.ts";\n',
        "src/k8s/b.ts": 'import "./a.ts";\n',
        "src/k8s/c.ts": 'import "./a.ts";\n',
      }),
      [
        "import circle: src/k8s/a.ts -> src/k8s/b.ts -> src/k8s/a.ts [import-circle]",
        "import circle: src/k8s/a.ts -> src/k8s/c.ts -> src/k8s/a.ts [import-circle]",
      ],
    );
  });

  await t.step("reports a file importing itself", () => {
    assert.deepEqual(
      check({ ...CLEAN, "src/k8s/a.ts": 'import "./a.ts";\n' }),
      ["import circle: src/k8s/a.ts -> src/k8s/a.ts [import-circle]"],
    );
  });

  await t.step("does not report a circle made only of type-only imports", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/k8s/a.ts": 'import type { B } from "./b.ts";\nexport type A = 1;\n',
        "src/k8s/b.ts": 'import type { C } from "./c.ts";\nexport type B = 1;\n',
        "src/k8s/c.ts": 'export type { A } from "./a.ts";\nexport type C = 1;\n',
      }),
      [],
    );
  });

  await t.step("does not report a circle closed by one type-only import", () => {
    assert.deepEqual(
      check({
        ...CLEAN,
        "src/k8s/a.ts": 'import { b } from "./b.ts";\n',
        "src/k8s/b.ts": 'import { type A, type Z } from "./a.ts";\n',
      }),
      [],
    );
  });
});

Deno.test("parseImports()", async (t) => {
  await t.step("finds every import form with its line", () => {
    const source = [
      'import type { Clock } from "../clock.ts";', // 1
      "import {", // 2
      "  type CreatePlan,",
      "  planCreate,",
      '} from "../core/mod.ts";',
      'export * from "./types.ts";', // 6
      'export { a as b } from "./a.ts";', // 7
      'export type { T } from "./t.ts";', // 8
      'import "./side_effect.ts";', // 9
      'import data from "./data.json" with { type: "json" };', // 10
      'const m = await import("./lazy.ts");', // 11
      'import { Hono } from "hono";', // 12: bare, ignored
      'import { parse } from "npm:yaml@2";', // 13: ignored
      "import * as ns from './single.ts';", // 14
      'import { type A, type B } from "./types_only.ts";', // 15
      'import {} from "./empty_clause.ts";', // 16
      'type M = typeof import("./type_position.ts");', // 17
      'let n: import("./type_name.ts").Name;', // 18
      'import("./then.ts").then((x) => x);', // 19
      'import type from "./default_named_type.ts";', // 20
      "",
    ].join("\n");
    assert.deepEqual(
      parseImports(source).map((r) => [r.line, r.specifier, r.typeOnly, r.dynamic]),
      [
        [1, "../clock.ts", true, false],
        [2, "../core/mod.ts", false, false],
        [6, "./types.ts", false, false],
        [7, "./a.ts", false, false],
        [8, "./t.ts", true, false],
        [9, "./side_effect.ts", false, false],
        [10, "./data.json", false, false],
        [11, "./lazy.ts", false, true],
        [14, "./single.ts", false, false],
        [15, "./types_only.ts", true, false],
        [16, "./empty_clause.ts", false, false],
        [17, "./type_position.ts", true, true],
        [18, "./type_name.ts", true, true],
        [19, "./then.ts", false, true],
        [20, "./default_named_type.ts", false, false],
      ],
    );
  });

  await t.step("ignores imports in comments, JSDoc examples, strings and templates", () => {
    const source = [
      "// import { a } from './commented.ts';",
      "/**",
      " * ```ts",
      ' * import { planCreate } from "./in_jsdoc.ts";',
      " * ```",
      " */",
      "const s = \"import('./in_string.ts')\";",
      "const t = `",
      'import { x } from "./in_template.ts";',
      '${import.meta.url} and ${"}"} import("./in_template_2.ts")`;',
      'const re = /import\\("\\.\\/in_regexp.ts"\\)/;',
      'const q = 1 / 2; import("./after_division.ts");',
      'import { real } from "./real.ts";',
      "",
    ].join("\n");
    assert.deepEqual(parseImports(source).map((r) => r.specifier), [
      "./after_division.ts",
      "./real.ts",
    ]);
  });

  await t.step("reads code written without semicolons statement by statement", () => {
    const source = 'export { a }\nimport type { B } from "./b.ts"\nimport { c } from "./c.ts"\n';
    assert.deepEqual(parseImports(source).map((r) => [r.line, r.specifier, r.typeOnly]), [
      [2, "./b.ts", true],
      [3, "./c.ts", false],
    ]);
  });

  await t.step("does not read a dynamic import whose argument is not one literal", () => {
    assert.deepEqual(parseImports('await import("./x" + name);\nawait import(path);\n'), []);
  });
});

Deno.test("resolvePath() resolves relative specifiers to repository paths", () => {
  assert.equal(resolvePath("src/cli/engine.ts", "../exec/engine.ts"), "src/exec/engine.ts");
  assert.equal(resolvePath("src/cli/commands/run.ts", "./../program.ts"), "src/cli/program.ts");
  assert.equal(resolvePath("main.ts", "./src/cli/mod.ts"), "src/cli/mod.ts");
  assert.equal(
    resolvePath("src/core/go_test.ts", "../../tests/fixtures/go.json"),
    "tests/fixtures/go.json",
  );
});

Deno.test("findCircles() stops after its limit", () => {
  // Every pair of six files imports each other: far more than MAX_CIRCLES elementary circles.
  const names = ["a", "b", "c", "d", "e", "f"];
  const graph = new Map(names.map((n) => [n, names.filter((m) => m !== n)]));
  assert.equal(findCircles(graph).length, MAX_CIRCLES);
  assert.equal(findCircles(graph, 3).length, 3);
  const problems = checkLayers(
    new Map(
      names.map((n) => [`src/k8s/${n}.ts`, names.map((m) => `import "./${m}.ts";\n`).join("")]),
    ),
  );
  assert.equal(problems.length, MAX_CIRCLES + 1); // the last line says more were left out
  assert.equal(
    problems.at(-1),
    `import circle: more than ${MAX_CIRCLES} circles, the rest not listed [import-circle]`,
  );
});

Deno.test("readTree() reads src/ and main.ts keyed by repository path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/src/core`, { recursive: true });
    await Deno.writeTextFile(`${dir}/src/core/plan.ts`, "export const a = 1;\n");
    await Deno.writeTextFile(`${dir}/src/core/README.md`, "not code\n");
    await Deno.writeTextFile(`${dir}/src/log.ts`, "export const b = 1;\n");
    await Deno.writeTextFile(`${dir}/main.ts`, 'import "./src/log.ts";\n');
    await Deno.writeTextFile(`${dir}/other.ts`, "outside\n");
    const files = await readTree(new URL(`file://${dir}/`));
    assert.deepEqual([...files.keys()].sort(), ["main.ts", "src/core/plan.ts", "src/log.ts"]);
    assert.equal(files.get("main.ts"), 'import "./src/log.ts";\n');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
