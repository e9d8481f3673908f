/**
 * Fails when an import points the wrong way (STYLE.md "Dependency direction" and "Layout").
 *
 * `deno task lint:layers` walks `src/` (and `main.ts`), reads every relative import and reports
 * each problem as one line. What each rule protects:
 *
 * - `pure-core`: `src/core/` imports nothing outside `src/core/`. The planner stays pure (no I/O,
 *   no clock, no host zone) so a dry run is just a printed plan and the core tests need nothing.
 * - `emulator-standalone`: `src/emulator/` imports no snapsentry layer (`core`, `openstack`,
 *   `exec`, `daemon`, `cli`, `k8s`, `admin`). It models OpenStack, not snapsentry; if it shared
 *   our types or helpers, a bug in them would be mirrored by the fake and tests would stay green.
 * - `cli-on-top`: nothing under `src/` except `src/cli/` imports `src/cli/` or `main.ts`. Only
 *   the CLI knows argv, stdout and exit codes; everything below returns or throws.
 * - `shared-bottom`: the top-level shared files (`src/errors.ts`, `src/log.ts`, …) import only
 *   each other. Every folder may import them, so they must not import any folder back.
 * - `openstack-client`: `src/openstack/` imports only `src/core/` and the shared files
 *   (`src/errors.ts`, `src/log.ts`, `src/clock.ts`, `src/redact.ts`, `src/build_info.ts`,
 *   `src/retry.ts`). The client is an adapter under the executor, the daemon and the
 *   orchestrator, never above them.
 * - `exec-below-daemon`: `src/exec/` never imports `src/daemon/`, `src/k8s/`, `src/admin/` or
 *   `src/emulator/`. The executor is driven by the CLI and the daemon, not the reverse.
 * - `k8s-admin-no-engine`: `src/k8s/` and `src/admin/` never import `src/exec/`, `src/daemon/`
 *   or `src/emulator/`. The orchestrator deploys snapsentry; it does not run the engine.
 * - `daemon-no-emulator`: `src/daemon/` never imports `src/emulator/`. Shipped layers talk to a
 *   real cloud; only the CLI (`demo`, `emulator`) and tests start the emulator.
 * - `src-self-contained`: shipped code under `src/` never imports `tests/`, `scripts/` or
 *   `bench/`, which would pull test or tooling code into the bundle.
 * - `deep-import`: a file in one folder of `src/` (or `main.ts`) that imports another folder
 *   imports that folder's `mod.ts`, not an internal file, so each folder's public surface is the
 *   one its `mod.ts` declares and internals can move without breaking other layers.
 * - `own-mod`: a file never imports the `mod.ts` of its own folder (or of a folder above it
 *   inside the same layer). `mod.ts` re-exports that file, so the import is a circle in waiting.
 * - `private`: a file or folder whose name starts with `_` is private to the folder that holds
 *   it (std's convention) and is never imported from outside that folder.
 * - `import-circle`: no circle of runtime imports anywhere. ES modules evaluate a circle in an
 *   order that can leave a binding uninitialised ("Cannot access 'x' before initialization").
 *
 * Test files (`*_test.ts`) follow the same rules with three exceptions, listed per rule in
 * `testsMay` below and for `own-mod`: they may import JSON data from `tests/fixtures/`, tests of
 * the adapters may run against the emulator (STYLE.md "Testing"), and `mod_test.ts` may import
 * its own folder's `mod.ts` (nothing imports a test, so that cannot close a circle).
 *
 * Type-only imports (`import type`, `export type`, and `import { type A, type B }` where every
 * name is marked `type`) are erased at runtime: they count for the layering rules but not for the
 * circle check. Deno drops such an import completely when `verbatimModuleSyntax` is off (checked
 * with Deno 2.9.6); `import {} from "x"` is kept, so it is a runtime import. Dynamic `import("x")`
 * with a string literal is a runtime import. Only relative specifiers are checked; bare and npm
 * specifiers (`hono`, `npm:yaml`) are outside the project.
 *
 * A rule is one entry in {@linkcode RULES}: add an entry to add a rule.
 *
 * @module
 */

/** A path pattern: `"dir/"` matches everything under dir, `"dir/*"` matches files directly in
 * dir, anything else matches that exact path. Paths are relative to the repository root. */
export type PathPattern = string;

/** One layering rule: files matching `from` (and not `except`) must not import a target that
 * matches `forbid`, or, when `only` is given, any target that matches none of `only`. */
export interface Rule {
  /** Short stable id, printed in brackets after each problem. */
  name: string;
  /** The importing files the rule applies to. */
  from: PathPattern[];
  /** Importing files exempt from the rule even though they match `from`. */
  except?: PathPattern[];
  /** Targets refused. */
  forbid?: PathPattern[];
  /** When set, every target must match one of these (an allow-list). */
  only?: PathPattern[];
  /** Targets that test files (`*_test.ts`) may import anyway. */
  testsMay?: PathPattern[];
  /** Why the rule exists; printed with each problem. */
  why: string;
}

/** The top-level files every folder may import (STYLE.md "Layout"). */
export const SHARED_FILES: readonly PathPattern[] = [
  "src/errors.ts",
  "src/log.ts",
  "src/clock.ts",
  "src/redact.ts",
  "src/build_info.ts",
  "src/retry.ts",
  "src/net.ts",
];

const FIXTURES = "tests/fixtures/";
const EMULATOR = "src/emulator/";

/** The layering table. For each import the first rule that refuses it is reported. */
export const RULES: readonly Rule[] = [
  {
    name: "pure-core",
    from: ["src/core/"],
    only: ["src/core/"],
    testsMay: [FIXTURES],
    why: "the core is pure and imports nothing outside src/core/",
  },
  {
    name: "emulator-standalone",
    from: ["src/emulator/"],
    forbid: [
      "src/core/",
      "src/openstack/",
      "src/exec/",
      "src/daemon/",
      "src/cli/",
      "src/k8s/",
      "src/admin/",
    ],
    why: "the emulator models OpenStack, not snapsentry",
  },
  {
    name: "cli-on-top",
    from: ["src/"],
    except: ["src/cli/"],
    forbid: ["src/cli/", "main.ts"],
    why: "only the CLI knows argv, stdout and exit codes",
  },
  {
    name: "shared-bottom",
    from: ["src/*"],
    only: ["src/*"],
    why: "the shared top-level files sit below every folder and import only each other",
  },
  {
    name: "openstack-client",
    from: ["src/openstack/"],
    only: ["src/openstack/", "src/core/", ...SHARED_FILES],
    testsMay: [EMULATOR, FIXTURES],
    why: "the OpenStack client imports only src/core/ and the shared top-level files",
  },
  {
    name: "exec-below-daemon",
    from: ["src/exec/"],
    forbid: ["src/daemon/", "src/k8s/", "src/admin/", EMULATOR],
    testsMay: [EMULATOR],
    why: "the executor is driven by the CLI and the daemon and never imports them or the emulator",
  },
  {
    name: "k8s-admin-no-engine",
    from: ["src/k8s/", "src/admin/"],
    forbid: ["src/exec/", "src/daemon/", EMULATOR],
    testsMay: [EMULATOR],
    why: "the orchestrator and admin tools never import the engine, the daemon or the emulator",
  },
  {
    name: "daemon-no-emulator",
    from: ["src/daemon/"],
    forbid: [EMULATOR],
    testsMay: [EMULATOR],
    why: "shipped layers talk to a real cloud; only the CLI and tests start the emulator",
  },
  {
    name: "src-self-contained",
    from: ["src/"],
    forbid: ["tests/", "scripts/", "bench/"],
    testsMay: ["tests/"],
    why: "shipped code must not pull test or tooling code into the bundle",
  },
];

/** One relative import found in a source file. */
export interface ImportRef {
  /** The specifier as written, e.g. `"../core/mod.ts"`. */
  specifier: string;
  /** 1-based line of the `import`/`export` keyword. */
  line: number;
  /** True when the import is erased at runtime (`import type`, all names marked `type`). */
  typeOnly: boolean;
  /** True for `import("x")`. */
  dynamic: boolean;
}

/** Does `path` match `pattern` (see {@linkcode PathPattern})? */
export function matchesPattern(path: string, pattern: PathPattern): boolean {
  if (pattern.endsWith("/*")) {
    const dir = pattern.slice(0, -1);
    return path.startsWith(dir) && !path.slice(dir.length).includes("/");
  }
  if (pattern.endsWith("/")) return path.startsWith(pattern);
  return path === pattern;
}

function matchesAny(path: string, patterns: readonly PathPattern[] | undefined): boolean {
  return patterns !== undefined && patterns.some((p) => matchesPattern(path, p));
}

/** Deno's default test file names: `x_test.ts`, `x.test.ts`, `test.ts`. */
export function isTestFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return /(?:^|[._])test\.m?tsx?$/.test(base);
}

/** Words after which a `/` starts a regular expression rather than a division. */
const REGEXP_AFTER_WORD_REGEXP =
  /(?:^|[^\w$])(?:return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await)$/;

/**
 * Returns `source` with comments blanked, and the contents of strings, template literals and
 * regular expressions replaced by `_`, keeping every offset and newline. The import patterns run
 * on this mask, so an import written in a comment, a JSDoc `@example` or a string is not an
 * import; specifiers are then read from the original text at the same offsets.
 */
export function maskSource(source: string): string {
  const out = source.split("");
  const blank = (from: number, to: number, fill: string) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = fill;
  };
  // Each entry is the brace depth of an open `${` inside a template literal.
  const templates: number[] = [];
  let depth = 0;
  let last = ""; // the last significant (non-space, non-comment) character
  let i = 0;
  const n = source.length;

  const scanTemplate = (start: number): number => {
    // `start` is just after a backtick or the `}` closing an expression.
    let j = start;
    while (j < n) {
      const c = source[j];
      if (c === "\\") {
        j += 2;
      } else if (c === "`") {
        blank(start, j, "_");
        return j + 1;
      } else if (c === "$" && source[j + 1] === "{") {
        blank(start, j, "_");
        templates.push(depth);
        depth++;
        return j + 2;
      } else {
        j++;
      }
    }
    blank(start, n, "_");
    return n;
  };

  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? n : end;
      blank(i, stop, " ");
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(i, stop, " ");
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      blank(i + 1, Math.min(j, n), "_");
      i = j + 1;
      last = c;
    } else if (c === "`") {
      i = scanTemplate(i + 1);
      last = "`";
    } else if (c === "/" && isRegExpStart(source, i, last)) {
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== "\n") {
        const d = source[j];
        if (d === "\\") j++;
        else if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      blank(i + 1, Math.min(j, n), "_");
      i = j + 1;
      last = "/";
    } else if (c === "{") {
      depth++;
      i++;
      last = c;
    } else if (c === "}") {
      depth--;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        i = scanTemplate(i + 1);
        last = "`";
      } else {
        i++;
        last = c;
      }
    } else {
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  return out.join("");
}

function isRegExpStart(source: string, at: number, last: string): boolean {
  if (last === "" || /[(,=:[!&|?{};+\-*%<>~^]/.test(last)) return true;
  if (/[\w$]/.test(last)) {
    return REGEXP_AFTER_WORD_REGEXP.test(source.slice(Math.max(0, at - 12), at).trimEnd());
  }
  return false;
}

// `import … from "x"` and `export … from "x"`: the clause holds only names, braces, commas, `*`
// and whitespace, and never the next statement's `import`/`export` (code written without
// semicolons), so the pattern cannot run on into code.
const FROM_IMPORT_REGEXP =
  /^[ \t]*(import|export)\b((?:(?!\b(?:import|export)\b)[\w\s{},*$])*?)\bfrom\s*(["'])/gm;
// `import "x"` (side effect only).
const BARE_IMPORT_REGEXP = /^[ \t]*import\s*(["'])/gm;
// `import("x")` with a string literal; not `foo.import(…)`.
const DYNAMIC_IMPORT_REGEXP = /(?<![\w$.])import\s*\(\s*(["'])/g;

/** Is an `import`/`export … from` clause erased at runtime? */
function isTypeOnlyClause(clause: string): boolean {
  // `import type X`, `import type { X }`, `export type * from`; not `import type from "x"`, which
  // imports a default export named `type`.
  if (/^\s*type\s+\S/.test(clause)) return true;
  const braces = /^\s*\{([^}]*)\}\s*$/.exec(clause);
  if (braces === null) return false;
  const names = braces[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "");
  // `import {} from "x"` still evaluates x.
  return names.length > 0 && names.every((s) => /^type\s+\S/.test(s));
}

/** Every relative import in one source file, in source order. */
export function parseImports(source: string): ImportRef[] {
  const masked = maskSource(source);
  const lineAt = (offset: number) => {
    let line = 1;
    for (let k = 0; k < offset; k++) if (source.charCodeAt(k) === 10) line++;
    return line;
  };
  const found: { offset: number; quoteAt: number; typeOnly: boolean; dynamic: boolean }[] = [];
  for (const m of masked.matchAll(FROM_IMPORT_REGEXP)) {
    const keyword = m.index + m[0].indexOf(m[1]!);
    found.push({
      offset: keyword,
      quoteAt: m.index + m[0].length - 1,
      typeOnly: isTypeOnlyClause(m[2]!),
      dynamic: false,
    });
  }
  for (const m of masked.matchAll(BARE_IMPORT_REGEXP)) {
    found.push({
      offset: m.index + m[0].indexOf("import"),
      quoteAt: m.index + m[0].length - 1,
      typeOnly: false,
      dynamic: false,
    });
  }
  for (const m of masked.matchAll(DYNAMIC_IMPORT_REGEXP)) {
    const quoteAt = m.index + m[0].length - 1;
    // Only a whole string literal argument: `import("x")`, not `import("x" + y)`.
    const close = source.indexOf(source[quoteAt]!, quoteAt + 1);
    if (close === -1) continue;
    const after = masked.slice(close + 1, close + 80);
    if (!/^\s*,?\s*\)/.test(after)) continue;
    // `typeof import("x")` and `import("x").Name` are types: at runtime `import()` is a promise,
    // whose only useful properties are then, catch and finally.
    const typeOnly = /\btypeof\s*$/.test(masked.slice(Math.max(0, m.index - 20), m.index)) ||
      /^\s*,?\s*\)\s*\.\s*(?!(?:then|catch|finally)\b)[\w$]/.test(after);
    found.push({ offset: m.index, quoteAt, typeOnly, dynamic: true });
  }
  const refs: ImportRef[] = [];
  for (const f of found.sort((a, b) => a.offset - b.offset)) {
    const quote = source[f.quoteAt]!;
    const close = source.indexOf(quote, f.quoteAt + 1);
    if (close === -1) continue;
    const specifier = source.slice(f.quoteAt + 1, close);
    if (!specifier.startsWith("./") && !specifier.startsWith("../")) continue;
    refs.push({ specifier, line: lineAt(f.offset), typeOnly: f.typeOnly, dynamic: f.dynamic });
  }
  return refs;
}

/** Resolves a relative specifier against the importing file; both are repository paths. */
export function resolvePath(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const seg of specifier.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/");
}

/** `src/exec/engine.ts` → `src/exec`; a top-level file or a path outside `src/` → undefined. */
function layerOf(path: string): string | undefined {
  const m = /^src\/[^/]+(?=\/)/.exec(path);
  return m?.[0];
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

function ruleProblem(source: string, target: string): Rule | undefined {
  const test = isTestFile(source);
  for (const rule of RULES) {
    if (!matchesAny(source, rule.from) || matchesAny(source, rule.except)) continue;
    if (test && matchesAny(target, rule.testsMay)) continue;
    const refused = rule.only !== undefined ? !matchesAny(target, rule.only) : false;
    if (refused || matchesAny(target, rule.forbid)) return rule;
  }
  return undefined;
}

/** The folder a private (`_`) target belongs to, when `source` is outside it. */
function privateOwner(source: string, target: string): string | undefined {
  const segments = target.split("/");
  for (let k = 0; k < segments.length; k++) {
    if (!segments[k]!.startsWith("_")) continue;
    const owner = segments.slice(0, k).join("/");
    if (owner !== "" && !source.startsWith(owner + "/")) return owner;
  }
  return undefined;
}

/** A runtime import graph: file → files it imports at runtime (only files in the map). */
export type ImportGraph = Map<string, string[]>;

/** Stop listing circles after this many; a tangle that large needs a redesign, not a list. */
export const MAX_CIRCLES = 100;

/** The strongly connected components of a graph (Tarjan's algorithm), each sorted. */
export function stronglyConnected(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      components.push(component.sort());
    }
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return components;
}

/**
 * Every elementary circle in a graph, each once, starting at its smallest file (so `a -> b -> a`
 * and `b -> a -> b` are one circle). Circles live inside one strongly connected component; for
 * each file of a component, in order, a search lists the circles through it that use only larger
 * files. At most `limit` circles are returned.
 */
export function findCircles(graph: ImportGraph, limit = MAX_CIRCLES): string[][] {
  const circles: string[][] = [];
  for (const component of stronglyConnected(graph)) {
    const members = new Set(component);
    const selfLoop = component.length === 1 && (graph.get(component[0]!) ?? []).includes(
      component[0]!,
    );
    if (component.length === 1 && !selfLoop) continue;
    for (const start of component) {
      const path = [start];
      const onPath = new Set(path);
      const extend = (file: string) => {
        for (const next of [...new Set(graph.get(file) ?? [])].sort()) {
          if (circles.length >= limit) return;
          if (next === start) circles.push([...path]);
          else if (members.has(next) && next > start && !onPath.has(next)) {
            path.push(next);
            onPath.add(next);
            extend(next);
            onPath.delete(next);
            path.pop();
          }
        }
      };
      extend(start);
    }
  }
  return circles.sort((a, b) => a.join("\n").localeCompare(b.join("\n")));
}

/**
 * Checks a tree against every rule and returns one line per problem (empty when the tree is
 * clean): first the import problems by file and line, then the circles.
 *
 * @param files repository-relative path (`src/core/plan.ts`, `main.ts`) → source text
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLayers } from "./check_layers.ts";
 *
 * const problems = checkLayers(new Map([["src/core/plan.ts", 'import "../log.ts";\n']]));
 * assert.deepEqual(problems, [
 *   "src/core/plan.ts:1: imports src/log.ts: the core is pure and imports nothing outside " +
 *   "src/core/ [pure-core]",
 * ]);
 * ```
 */
export function checkLayers(files: Map<string, string>): string[] {
  const problems: { file: string; line: number; text: string }[] = [];
  const graph: ImportGraph = new Map();
  for (const [file, source] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const runtime: string[] = [];
    graph.set(file, runtime);
    for (const ref of parseImports(source)) {
      const target = resolvePath(file, ref.specifier);
      if (!ref.typeOnly && files.has(target)) runtime.push(target);
      const report = (why: string, name: string) =>
        problems.push({
          file,
          line: ref.line,
          text: `${file}:${ref.line}: imports ${target}: ${why} [${name}]`,
        });

      const rule = ruleProblem(file, target);
      const owner = privateOwner(file, target);
      const targetLayer = layerOf(target);
      const publicMod = `${targetLayer}/mod.ts`;
      if (rule !== undefined) {
        report(rule.why, rule.name);
      } else if (owner !== undefined) {
        report(`files starting with "_" are private to ${owner}/`, "private");
      } else if (
        targetLayer !== undefined && targetLayer !== layerOf(file) && target !== publicMod
      ) {
        const missing = files.has(publicMod) ? "" : ` (${publicMod} does not exist yet)`;
        report(
          `other folders import ${publicMod}, not its internal files${missing}`,
          "deep-import",
        );
      }

      // A file under the same layer importing the mod.ts of its own folder or a folder above it.
      const modDir = target.endsWith("/mod.ts") ? target.slice(0, -"/mod.ts".length) : undefined;
      if (
        modDir !== undefined && target !== file && !isTestFile(file) &&
        targetLayer !== undefined && targetLayer === layerOf(file) &&
        (dirOf(file) === modDir || dirOf(file).startsWith(modDir + "/"))
      ) {
        report(
          `${target} re-exports this folder, so importing it makes a circle; import the file directly`,
          "own-mod",
        );
      }
    }
  }
  const lines = problems
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
    .map((p) => p.text);
  const circles = findCircles(graph, MAX_CIRCLES + 1);
  for (const circle of circles.slice(0, MAX_CIRCLES)) {
    lines.push(`import circle: ${[...circle, circle[0]].join(" -> ")} [import-circle]`);
  }
  if (circles.length > MAX_CIRCLES) {
    lines.push(
      `import circle: more than ${MAX_CIRCLES} circles, the rest not listed [import-circle]`,
    );
  }
  return lines;
}

/** Reads every TypeScript file under `src/`, plus `main.ts`, keyed by repository path. */
export async function readTree(root: URL): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: URL) => {
    const entries = [];
    for await (const entry of Deno.readDir(dir)) entries.push(entry);
    for (const entry of entries) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (/\.m?tsx?$/.test(entry.name)) {
        files.set(url.href.slice(root.href.length), await Deno.readTextFile(url));
      }
    }
  };
  await walk(new URL("src/", root));
  try {
    files.set("main.ts", await Deno.readTextFile(new URL("main.ts", root)));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files;
}

if (import.meta.main) {
  const problems = checkLayers(await readTree(new URL("../", import.meta.url)));
  if (problems.length > 0) {
    // deno-lint-ignore no-console
    console.error(`${problems.join("\n")}\n${problems.length} layer problem(s)`);
    Deno.exit(1);
  }
  // deno-lint-ignore no-console
  console.log("layers ok");
}
