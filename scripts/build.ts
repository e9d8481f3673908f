// deno-lint-ignore-file no-console
/**
 * Builds release artefacts with a build stamp:
 *   deno run -A scripts/build.ts bundle    -> dist/snapsentry.js (single file, works offline)
 *   deno run -A scripts/build.ts compile   -> dist/snapsentry (needs Deno's runtime download)
 *   deno run -A scripts/build.ts flags     -> prints the permission flags the binary embeds
 * The permission flags live here only, so the bundle is tested with exactly what compile embeds.
 *
 * The stamp: the version from `SNAPSENTRY_VERSION` (a release tag such as `v0.2.0`), else
 * deno.json's; the commit from `SNAPSENTRY_COMMIT`, else `git rev-parse` (with `-dirty` for
 * local changes), else "unknown"; the build date from `SOURCE_DATE_EPOCH` (reproducible builds),
 * else now. The container build has no .git, so the Dockerfile passes the commit in.
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

/** What a build is stamped with. */
export interface Stamp {
  version: string;
  commit: string;
  buildDate: string;
}

/** Rewrites build_info.ts's text with `stamp`. */
export function stampSource(text: string, stamp: Stamp): string {
  const q = (v: string) => JSON.stringify(v);
  return text.replace(/version: "[^"]*"/, `version: ${q(stamp.version)}`)
    .replace(/commit: "[^"]*"/, `commit: ${q(stamp.commit)}`)
    .replace(/buildDate: "[^"]*"/, `buildDate: ${q(stamp.buildDate)}`);
}

/** The stamp from the environment, then git, then deno.json (see the module doc). */
export async function resolveStamp(
  env: Record<string, string | undefined>,
  options: {
    git?: (...args: string[]) => Promise<string | undefined>;
    denoJsonVersion?: string;
    now?: Date;
  } = {},
): Promise<Stamp> {
  const runGit = options.git ?? git;
  const tag = env.SNAPSENTRY_VERSION?.trim();
  const version = tag ? tag.replace(/^v(?=\d)/, "") : options.denoJsonVersion ?? "0.0.0";
  let commit = env.SNAPSENTRY_COMMIT?.trim();
  if (!commit) {
    const head = await runGit("rev-parse", "--short=12", "HEAD");
    const dirty = head && (await runGit("status", "--porcelain", "--untracked-files=no"))
      ? "-dirty"
      : "";
    commit = head ? `${head}${dirty}` : "unknown";
  }
  const epoch = env.SOURCE_DATE_EPOCH?.trim();
  const date = epoch && /^\d+$/.test(epoch)
    ? new Date(Number(epoch) * 1000)
    : options.now ?? new Date();
  return { version, commit, buildDate: date.toISOString().replace(/\.\d{3}Z$/, "Z") };
}

async function withStamp(run: () => Promise<number>): Promise<number> {
  const original = await Deno.readTextFile(STAMP_FILE);
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const stamp = await resolveStamp(Deno.env.toObject(), { denoJsonVersion: denoJson.version });
  console.error(`build stamp: ${stamp.version} ${stamp.commit} ${stamp.buildDate}`);
  await Deno.writeTextFile(STAMP_FILE, stampSource(original, stamp));
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
