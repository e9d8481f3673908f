/**
 * Finding and parsing the clouds.yaml family: openstacksdk's search path for clouds.yaml,
 * secure.yaml and clouds-public.yaml (`OS_CLIENT_CONFIG_FILE` / `OS_CLIENT_SECURE_FILE` in front,
 * then the current directory, the user config directories and the site config directories), and
 * the YAML parsing with its errors. Every secret value seen while parsing is registered with the
 * redaction layer at once.
 *
 * Reading the files is `loadCloudConfig` in clouds_yaml.ts: it also needs the resolver, which
 * needs the parser here, so keeping it here would make the two files import each other.
 *
 * @module
 */
import YAML from "yaml";
import { ConfigError } from "../errors.ts";
import { isSecretKey, registerSecret } from "../redact.ts";
import { checkConfigFileSize, type Dict, isDict } from "./_clouds_shared.ts";

export type Env = Record<string, string | undefined>;

export interface CloudsFile {
  path: string;
  text: string;
}

export interface CloudsFiles {
  clouds?: CloudsFile;
  secure?: CloudsFile;
  publicClouds?: CloudsFile;
  /** Every path looked at, for the "not found" message. */
  searched?: string[];
}

const STEMS = { clouds: "clouds", secure: "secure", publicClouds: "clouds-public" } as const;
const EXTS = [".yaml", ".yml", ".json"];

/** Options of {@link candidatePaths}. */
export interface CandidatePathOptions {
  env: Env;
  homeDir?: string | undefined;
  cwd: string;
  /** The OS whose directories apply (default: the one running, `Deno.build.os`). */
  os?: typeof Deno.build.os;
}

const trim = (dir: string) => dir.replace(/\/+$/, "") || "/";

/**
 * The directories searched, in openstacksdk's order (`openstack/config/loader.py`
 * `CONFIG_SEARCH_PATH`, with platformdirs' `user_config_dir` and multipath `site_config_dir`):
 * the current directory; the user config directory (`$XDG_CONFIG_HOME/openstack`, else
 * `~/.config/openstack`; on macOS `~/Library/Application Support/openstack`); the Unix one
 * (`~/.config/openstack`, or `$SNAP_REAL_HOME/.config/openstack` inside a snap); the site config
 * directories (each of `$XDG_CONFIG_DIRS` + `/openstack`, default `/etc/xdg/openstack`; on macOS
 * `/Library/Application Support/openstack`); and `/etc/openstack`. Duplicates are dropped.
 */
export function configDirectories(options: CandidatePathOptions): string[] {
  const { env } = options;
  const os = options.os ?? Deno.build.os;
  const home = options.homeDir ? trim(options.homeDir) : undefined;
  const dirs: string[] = [trim(options.cwd)];
  if (os === "darwin" && home) dirs.push(`${home}/Library/Application Support/openstack`);
  // XDG_CONFIG_HOME is honoured on macOS too, as snapsentry always did.
  if (env.XDG_CONFIG_HOME) dirs.push(`${trim(env.XDG_CONFIG_HOME)}/openstack`);
  else if (home && os !== "darwin") dirs.push(`${home}/.config/openstack`);
  const unixHome = env.SNAP_REAL_HOME ? trim(env.SNAP_REAL_HOME) : home;
  if (unixHome) dirs.push(`${unixHome}/.config/openstack`);
  if (os === "darwin") dirs.push("/Library/Application Support/openstack");
  else {
    // platformdirs reads XDG_CONFIG_DIRS as a colon-separated list; blank means /etc/xdg.
    const xdgDirs = (env.XDG_CONFIG_DIRS ?? "").split(":").map((d) => d.trim()).filter(Boolean);
    for (const d of xdgDirs.length > 0 ? xdgDirs : ["/etc/xdg"]) dirs.push(`${trim(d)}/openstack`);
  }
  dirs.push("/etc/openstack");
  return [...new Set(dirs)];
}

/**
 * The search path for each file, first match wins: `OS_CLIENT_CONFIG_FILE` (or
 * `OS_CLIENT_SECURE_FILE` for secure.yaml) in front, then every directory of
 * {@link configDirectories}, each with `.yaml`, `.yml`, `.json`.
 */
export function candidatePaths(
  options: CandidatePathOptions,
): Record<keyof typeof STEMS, string[]> {
  const dirs = configDirectories(options);
  const list = (stem: string) =>
    dirs.flatMap((d) => EXTS.map((e) => `${d === "/" ? "" : d}/${stem}${e}`));
  const clouds = list(STEMS.clouds);
  const secure = list(STEMS.secure);
  if (options.env.OS_CLIENT_CONFIG_FILE) clouds.unshift(options.env.OS_CLIENT_CONFIG_FILE);
  if (options.env.OS_CLIENT_SECURE_FILE) secure.unshift(options.env.OS_CLIENT_SECURE_FILE);
  return { clouds, secure, publicClouds: list(STEMS.publicClouds) };
}

function registerSecretsIn(value: unknown, depth = 0): void {
  if (depth > 10) return;
  if (Array.isArray(value)) value.forEach((v) => registerSecretsIn(v, depth + 1));
  else if (isDict(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === "string" && isSecretKey(k)) registerSecret(v);
      else registerSecretsIn(v, depth + 1);
    }
  }
}

/** Deepest nesting a configuration file may have (a clouds.yaml needs about six levels). */
export const MAX_CONFIG_DEPTH = 64;

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit) return depth;
  let max = depth;
  const children = Array.isArray(value) ? value : isDict(value) ? Object.values(value) : [];
  for (const v of children) {
    max = Math.max(max, depthOf(v, limit, depth + 1));
    if (max > limit) break;
  }
  return max;
}

function tooDeep(file: CloudsFile, where: string): ConfigError {
  return new ConfigError(
    `Cannot parse ${file.path}: YAML nested more than ${MAX_CONFIG_DEPTH} levels deep${where}`,
    {
      code: "config_too_deep",
      hint: "a clouds.yaml needs a handful of levels; check that this is the right file",
    },
  );
}

/**
 * Parses a clouds/secure/clouds-public file (YAML; JSON is a subset). Numbers keep their source
 * text when it differs (`volume_api_version: 3.50` must stay "3.50", not 3.5). Files over 1 MiB,
 * alias bombs and nesting past {@link MAX_CONFIG_DEPTH} levels are refused with their own message.
 */
export function parseCloudsFile(file: CloudsFile): Dict {
  checkConfigFileSize(file.path, file.text);
  const doc = YAML.parseDocument(file.text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
    const what = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    // The parser recurses per level; a file nested thousands deep exhausts the stack.
    if (/Maximum call stack size exceeded/.test(what)) throw tooDeep(file, where);
    throw new ConfigError(`Cannot parse ${file.path}: YAML syntax error${where}: ${what}`, {
      hint:
        "fix the file; `python3 -c 'import yaml,sys; yaml.safe_load(open(sys.argv[1]))' FILE` shows the same error",
    });
  }
  YAML.visit(doc, {
    Scalar(_key, node) {
      const source = (node as { source?: string }).source;
      if (typeof node.value === "number" && source !== undefined && source !== String(node.value)) {
        node.value = source;
      }
    },
  });
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new ConfigError(
        `Cannot parse ${file.path}: its YAML aliases expand too many times (an "alias bomb"); refusing to expand it`,
        {
          code: "config_alias_bomb",
          cause: error,
          hint: "write the values out, or use fewer *alias references; a clouds.yaml needs none",
        },
      );
    }
    if (error instanceof RangeError) throw tooDeep(file, "");
    throw error;
  }
  if (data === null || data === undefined) return {};
  if (!isDict(data)) {
    throw new ConfigError(
      `Cannot read ${file.path}: expected a mapping at the top (like "clouds:"), found ${
        Array.isArray(data) ? "a list" : typeof data
      }`,
    );
  }
  if (depthOf(data, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH) throw tooDeep(file, "");
  registerSecretsIn(data);
  // Keys inside a cloud are normalised later; cloud and profile names are kept as written.
  return data;
}
