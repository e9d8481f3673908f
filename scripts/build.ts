// deno-lint-ignore-file no-console
/**
 * Builds release artefacts with a build stamp:
 *   deno run -A scripts/build.ts bundle    -> dist/snapsentry.js (single file, works offline)
 *   deno run -A scripts/build.ts compile   -> dist/snapsentry (needs Deno's runtime download)
 *   deno run -A scripts/build.ts flags     -> prints the permission flags the binary embeds
 * The permission flags live here only, so the bundle is tested with exactly what compile embeds.
 */

/** What snapsentry needs at run time: the cloud (net), clouds.yaml and CA files (read), env. */
export const RUNTIME_PERMISSIONS = ["--allow-net", "--allow-read", "--allow-env"] as const;

const STAMP_FILE = new URL("../src/build_info.ts", import.meta.url);

async function git(...args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function withStamp(run: () => Promise<number>): Promise<number> {
  const original = await Deno.readTextFile(STAMP_FILE);
  const commit = (await git("rev-parse", "--short=12", "HEAD")) ?? "unknown";
  const dirty = (await git("status", "--porcelain", "--untracked-files=no")) ? "-dirty" : "";
  const buildDate = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  await Deno.writeTextFile(
    STAMP_FILE,
    original.replace(/commit: "[^"]*"/, `commit: "${commit}${dirty}"`)
      .replace(/buildDate: "[^"]*"/, `buildDate: "${buildDate}"`),
  );
  try {
    return await run();
  } finally {
    await Deno.writeTextFile(STAMP_FILE, original);
  }
}

async function deno(args: string[]): Promise<number> {
  const status = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  })
    .spawn().status;
  return status.code;
}

if (import.meta.main) {
  const [what, ...rest] = Deno.args;
  await Deno.mkdir(new URL("../dist", import.meta.url), { recursive: true });
  let code = 2;
  switch (what) {
    case "flags":
      console.log(RUNTIME_PERMISSIONS.join(" "));
      code = 0;
      break;
    case "bundle":
      code = await withStamp(() =>
        deno(["bundle", "--platform", "deno", "-o", "dist/snapsentry.js", ...rest, "main.ts"])
      );
      break;
    case "compile":
      code = await withStamp(() =>
        deno(["compile", ...RUNTIME_PERMISSIONS, "-o", "dist/snapsentry", ...rest, "main.ts"])
      );
      break;
    default:
      console.error("usage: deno run -A scripts/build.ts bundle|compile|flags");
  }
  Deno.exit(code);
}
