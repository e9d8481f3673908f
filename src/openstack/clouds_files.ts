/**
 * Finding and parsing the clouds.yaml family: the search path (`OS_CLIENT_CONFIG_FILE`,
 * `OS_CLIENT_SECURE_FILE`, `./`, `~/.config/openstack/`, `/etc/openstack/`) for clouds.yaml,
 * secure.yaml and clouds-public.yaml, and the YAML parsing with its errors. Every secret value
 * seen while parsing is registered with the redaction layer at once.
 *
 * Reading the files is `loadCloudConfig` in clouds_yaml.ts: it also needs the resolver, which
 * needs the parser here, so keeping it here would make the two files import each other.
 *
 * @module
 */
import YAML from "yaml";
import { ConfigError } from "../errors.ts";
import { isSecretKey, registerSecret } from "../redact.ts";
import { type Dict, isDict } from "./_clouds_shared.ts";

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

/**
 * The search path for each file, first match wins: `OS_CLIENT_CONFIG_FILE` (or
 * `OS_CLIENT_SECURE_FILE` for secure.yaml) in front, then `./`, `~/.config/openstack/`,
 * `/etc/openstack/`, each with `.yaml`, `.yml`, `.json`.
 */
export function candidatePaths(
  options: { env: Env; homeDir?: string | undefined; cwd: string },
): Record<keyof typeof STEMS, string[]> {
  const dirs = [options.cwd];
  const xdg = options.env.XDG_CONFIG_HOME;
  if (xdg) dirs.push(`${xdg.replace(/\/$/, "")}/openstack`);
  if (options.homeDir) {
    const home = `${options.homeDir.replace(/\/$/, "")}/.config/openstack`;
    if (!dirs.includes(home)) dirs.push(home);
  }
  dirs.push("/etc/openstack");
  const list = (stem: string) =>
    dirs.flatMap((d) => EXTS.map((e) => `${d.replace(/\/$/, "")}/${stem}${e}`));
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

/**
 * Parses a clouds/secure/clouds-public file (YAML; JSON is a subset). Numbers keep their source
 * text when it differs (`volume_api_version: 3.50` must stay "3.50", not 3.5).
 */
export function parseCloudsFile(file: CloudsFile): Dict {
  const doc = YAML.parseDocument(file.text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
    const what = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
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
  const data = doc.toJS() as unknown;
  if (data === null || data === undefined) return {};
  if (!isDict(data)) {
    throw new ConfigError(
      `Cannot read ${file.path}: expected a mapping at the top (like "clouds:"), found ${
        Array.isArray(data) ? "a list" : typeof data
      }`,
    );
  }
  registerSecretsIn(data);
  // Keys inside a cloud are normalised later; cloud and profile names are kept as written.
  return data;
}
