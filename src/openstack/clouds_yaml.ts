/**
 * clouds.yaml with openstacksdk semantics: the search path, secure.yaml merged over clouds.yaml,
 * `profile:` from clouds-public.yaml, cloud selection, a cloud made of `OS_*` variables, auth
 * types, regions, TLS, timeouts and the block-storage per-service keys.
 *
 * The parsing (`resolveCloudConfig`) is pure: it takes file contents and the environment. The thin
 * `loadCloudConfig` finds and reads the files (and the TLS files) through an injected reader.
 * Every secret value seen is registered with the redaction layer at once.
 */
import YAML from "yaml";
import { ConfigError } from "../errors.ts";
import { isSecretKey, registerSecret } from "../redact.ts";
import { BLOCK_STORAGE_ALIASES, type EndpointInterface, normaliseInterface } from "./catalog.ts";

export type { EndpointInterface } from "./catalog.ts";

/** Where a project or domain token is scoped (Keystone v3 `scope`). */
export interface AuthScope {
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  projectDomainName?: string;
  /** Domain scope (only when no project is given). */
  domainId?: string;
  domainName?: string;
}

/** `auth_type: password` / `v3password`. */
export interface PasswordAuth extends AuthScope {
  type: "password";
  authUrl: string;
  password: string;
  userId?: string;
  username?: string;
  userDomainId?: string;
  userDomainName?: string;
}

/** `auth_type: v3applicationcredential`, by id, or by name plus the owning user. */
export interface ApplicationCredentialAuth {
  type: "v3applicationcredential";
  authUrl: string;
  secret: string;
  id?: string;
  name?: string;
  userId?: string;
  username?: string;
  userDomainId?: string;
  userDomainName?: string;
}

/** `auth_type: token` / `v3token`. */
export interface TokenAuth extends AuthScope {
  type: "token";
  authUrl: string;
  token: string;
}

export type CloudAuth = PasswordAuth | ApplicationCredentialAuth | TokenAuth;

export interface TlsConfig {
  /** Paths as written in clouds.yaml (`cacert`, `cert`, `key`). */
  caCertFile?: string;
  certFile?: string;
  keyFile?: string;
  /** PEM contents, filled by `loadCloudConfig` (or by whoever builds a CloudConfig). */
  caCerts?: string[];
  cert?: string;
  key?: string;
}

export interface BlockStorageConfig {
  /** Catalog type searched first (default "block-storage"; aliases follow). */
  serviceType: string;
  /** Per-service interface; falls back to the cloud's `interface`. */
  interface?: EndpointInterface;
  /** Per-service region; falls back to the cloud's `region_name`. */
  regionName?: string;
  /** `block_storage_endpoint_override` (may contain `%(project_id)s`). */
  endpointOverride?: string;
  /** A pinned 3.x microversion from `*_api_version`; absent means negotiate. */
  apiVersion?: string;
}

/** A resolved, normalised cloud. Build one directly with `defineCloudConfig`. */
export interface CloudConfig {
  name: string;
  /** Where it came from (file paths, or "environment (OS_* variables)"). For messages. */
  source: string;
  auth: CloudAuth;
  regionName?: string;
  interface: EndpointInterface;
  /** `api_timeout` in ms. */
  apiTimeoutMs?: number;
  tls: TlsConfig;
  blockStorage: BlockStorageConfig;
}

/** Input of `defineCloudConfig`: only `name` and `auth` are required. */
export interface CloudConfigInit {
  name: string;
  auth: CloudAuth;
  source?: string;
  regionName?: string;
  interface?: EndpointInterface;
  apiTimeoutMs?: number;
  tls?: TlsConfig;
  blockStorage?: Partial<BlockStorageConfig>;
}

/** Fills defaults to make a CloudConfig (the CLI uses this for the embedded emulator). */
export function defineCloudConfig(init: CloudConfigInit): CloudConfig {
  for (const k of ["password", "secret", "token"] as const) {
    registerSecret((init.auth as unknown as Record<string, string | undefined>)[k]);
  }
  const config: CloudConfig = {
    name: init.name,
    source: init.source ?? "built-in configuration",
    auth: init.auth,
    interface: init.interface ?? "public",
    tls: init.tls ?? {},
    blockStorage: { serviceType: "block-storage", ...init.blockStorage },
  };
  if (init.regionName !== undefined) config.regionName = init.regionName;
  if (init.apiTimeoutMs !== undefined) config.apiTimeoutMs = init.apiTimeoutMs;
  return config;
}

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

export interface ResolveOptions {
  files: CloudsFiles;
  env: Env;
  /** Explicit cloud name (`--cloud`); wins over OS_CLOUD. */
  cloud?: string;
  /** Explicit region; wins over clouds.yaml. */
  region?: string;
}

const STEMS = { clouds: "clouds", secure: "secure", publicClouds: "clouds-public" } as const;
const EXTS = [".yaml", ".yml", ".json"];

/**
 * The search path for each file, first match wins: `OS_CLIENT_CONFIG_FILE` (or
 * `OS_CLIENT_SECURE_FILE` for secure.yaml) in front, then `./`, `~/.config/openstack/`,
 * `/etc/openstack/`, each with `.yaml`, `.yml`, `.json`.
 */
export function candidatePaths(
  options: { env: Env; homeDir?: string; cwd: string },
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

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge: values of `over` win; dicts merge recursively; lists are replaced. */
export function deepMerge(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isDict(b) && isDict(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Keys with "-" become "_" (openstacksdk `_normalize_keys`), recursively. */
function normaliseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseKeys);
  if (!isDict(value)) return value;
  const out: Dict = {};
  for (const [k, v] of Object.entries(value)) out[k.replace(/-/g, "_")] = normaliseKeys(v);
  return out;
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

/** Keys that belong under `auth:` when written at the top level of a cloud or in OS_* vars. */
const AUTH_KEYS = [
  "auth_url",
  "username",
  "user_id",
  "user_name",
  "password",
  "user_domain_name",
  "user_domain_id",
  "project_id",
  "project_name",
  "project_domain_name",
  "project_domain_id",
  "tenant_id",
  "tenant_name",
  "domain_id",
  "domain_name",
  "default_domain_id",
  "default_domain_name",
  "application_credential_id",
  "application_credential_name",
  "application_credential_secret",
  "token",
  "auth_token",
  "system_scope",
  "trust_id",
];

const ENV_SELECTORS = new Set([
  "OS_CLOUD",
  "OS_REGION_NAME",
  "OS_CLIENT_CONFIG_FILE",
  "OS_CLIENT_SECURE_FILE",
  "OS_CLOUD_NAME",
]);

/** The cloud made of `OS_*` variables, or undefined when only selectors are set. */
export function envCloud(env: Env): Dict | undefined {
  const keys = Object.keys(env).filter((k) =>
    k.startsWith("OS_") && env[k] !== undefined && env[k] !== "" &&
    !/^OS_(TEST|STD|LOG)/.test(k)
  );
  if (!keys.some((k) => !ENV_SELECTORS.has(k))) return undefined;
  const out: Dict = {};
  for (const k of keys) {
    if (ENV_SELECTORS.has(k) && k !== "OS_REGION_NAME") continue;
    const key = k.slice(3).toLowerCase();
    out[key] = env[k];
    if (isSecretKey(key)) registerSecret(env[k]);
  }
  return out;
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  return typeof v === "string" ? v : String(v);
}

function bool(v: unknown, what: string, where: string): boolean | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  const s = String(v).toLowerCase();
  if (["true", "yes", "1", "on"].includes(s)) return true;
  if (["false", "no", "0", "off"].includes(s)) return false;
  throw new ConfigError(`Cannot use ${what} "${v}" in ${where}: expected true or false`);
}

function quoteList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

/** Applies openstacksdk's backwards-compatibility fix-ups to one cloud dict. */
function fixUp(cloud: Dict): Dict {
  const c: Dict = { ...cloud };
  const auth: Dict = isDict(c.auth) ? { ...c.auth } : {};
  if (c.auth_plugin !== undefined && c.auth_type === undefined) c.auth_type = c.auth_plugin;
  delete c.auth_plugin;
  for (const k of AUTH_KEYS) {
    if (c[k] !== undefined) {
      if (auth[k] === undefined) auth[k] = c[k];
      delete c[k];
    }
  }
  // Legacy names.
  if (auth.auth_token !== undefined && auth.token === undefined) auth.token = auth.auth_token;
  delete auth.auth_token;
  if (auth.tenant_id !== undefined && auth.project_id === undefined) {
    auth.project_id = auth.tenant_id;
  }
  if (auth.tenant_name !== undefined && auth.project_name === undefined) {
    auth.project_name = auth.tenant_name;
  }
  if (auth.user_name !== undefined && auth.username === undefined) auth.username = auth.user_name;
  delete auth.tenant_id;
  delete auth.tenant_name;
  delete auth.user_name;
  // endpoint_type → interface, also per service (volume_endpoint_type → volume_interface).
  for (const k of Object.keys(c)) {
    if (k === "endpoint_type" || k.endsWith("_endpoint_type")) {
      const target = k === "endpoint_type"
        ? "interface"
        : k.replace(/_endpoint_type$/, "_interface");
      if (c[target] === undefined) c[target] = c[k];
      delete c[k];
    }
  }
  // openstacksdk `_handle_domain_id`: with a project scope, domain_id/domain_name is the default
  // for both the user's and the project's domain; without one it is a domain scope.
  const projectScoped = auth.project_id !== undefined || auth.project_name !== undefined;
  for (
    const [target, pair] of [["domain_id", ["user_domain_id", "project_domain_id"]], [
      "domain_name",
      ["user_domain_name", "project_domain_name"],
    ]] as const
  ) {
    if (projectScoped && auth[target] !== undefined) {
      for (const k of pair) if (auth[k] === undefined) auth[k] = auth[target];
      delete auth[target];
    }
  }
  // default_domain: keystoneauth's default for user and project domains.
  const defId = auth.default_domain_id ?? c.default_domain;
  const defName = auth.default_domain_name;
  if (defId !== undefined || defName !== undefined) {
    for (const who of ["user", "project"]) {
      if (auth[`${who}_domain_id`] === undefined && auth[`${who}_domain_name`] === undefined) {
        if (defId !== undefined) auth[`${who}_domain_id`] = defId;
        else auth[`${who}_domain_name`] = defName;
      }
    }
  }
  c.auth = auth;
  return c;
}

/** Supported auth_type values and what they map to. */
const AUTH_TYPES: Record<string, CloudAuth["type"]> = {
  password: "password",
  v3password: "password",
  v3applicationcredential: "v3applicationcredential",
  applicationcredential: "v3applicationcredential",
  token: "token",
  v3token: "token",
};

interface Ctx {
  cloud: string;
  where: string;
}

function need(ctx: Ctx, authType: string, field: string, extra = ""): never {
  throw new ConfigError(
    `Cannot use cloud "${ctx.cloud}" from ${ctx.where}: auth_type "${authType}" needs auth.${field}${extra}`,
    {
      hint: field.includes("secret") || field.includes("password") || field === "token"
        ? "put secrets in secure.yaml next to clouds.yaml, or in the matching OS_* variable"
        : "add it under the cloud's auth: section",
    },
  );
}

function buildScope(auth: Dict, ctx: Ctx, authType: string): AuthScope {
  const s: AuthScope = {};
  const projectId = str(auth.project_id);
  const projectName = str(auth.project_name);
  if (projectId) s.projectId = projectId;
  if (projectName) s.projectName = projectName;
  const pdi = str(auth.project_domain_id);
  const pdn = str(auth.project_domain_name);
  if (pdi) s.projectDomainId = pdi;
  if (pdn) s.projectDomainName = pdn;
  if (!projectId && projectName && !pdi && !pdn) {
    need(
      ctx,
      authType,
      "project_domain_name",
      ` (or project_domain_id) to find project "${projectName}"`,
    );
  }
  if (!projectId && !projectName) {
    const di = str(auth.domain_id);
    const dn = str(auth.domain_name);
    if (di) s.domainId = di;
    if (dn) s.domainName = dn;
    if (!di && !dn) {
      need(
        ctx,
        authType,
        "project_id",
        " or auth.project_name (an unscoped token has no catalog; use domain_id/domain_name for a domain-scoped token)",
      );
    }
  }
  return s;
}

function buildAuth(c: Dict, ctx: Ctx): CloudAuth {
  const auth = c.auth as Dict;
  let declared = str(c.auth_type);
  if (!declared) {
    if (str(auth.token) && !str(auth.password)) declared = "token";
    else if (str(auth.application_credential_secret)) declared = "v3applicationcredential";
    else declared = "password";
  }
  const type = AUTH_TYPES[declared.toLowerCase()];
  if (!type) {
    throw new ConfigError(
      `Cannot use auth_type "${declared}" of cloud "${ctx.cloud}" in ${ctx.where}: snapsentry supports ${
        quoteList(Object.keys(AUTH_TYPES))
      }`,
    );
  }
  const authUrl = str(auth.auth_url);
  if (!authUrl) need(ctx, declared, "auth_url");
  const user = () => {
    const u: {
      userId?: string;
      username?: string;
      userDomainId?: string;
      userDomainName?: string;
    } = {};
    const id = str(auth.user_id);
    const name = str(auth.username);
    if (id) u.userId = id;
    if (name) u.username = name;
    const udi = str(auth.user_domain_id);
    const udn = str(auth.user_domain_name);
    if (udi) u.userDomainId = udi;
    if (udn) u.userDomainName = udn;
    return u;
  };
  if (type === "password") {
    const password = str(auth.password);
    if (!password) need(ctx, declared, "password");
    const u = user();
    if (!u.userId && !u.username) need(ctx, declared, "username", " (or auth.user_id)");
    if (!u.userId && !u.userDomainId && !u.userDomainName) {
      need(ctx, declared, "user_domain_name", ` (or user_domain_id) for user "${u.username}"`);
    }
    return { type, authUrl, password, ...u, ...buildScope(auth, ctx, declared) };
  }
  if (type === "v3applicationcredential") {
    const secret = str(auth.application_credential_secret);
    if (!secret) need(ctx, declared, "application_credential_secret");
    const id = str(auth.application_credential_id);
    const name = str(auth.application_credential_name);
    if (!id && !name) {
      need(
        ctx,
        declared,
        "application_credential_id",
        " (or application_credential_name with the user)",
      );
    }
    const out: ApplicationCredentialAuth = { type, authUrl, secret };
    if (id) out.id = id;
    else {
      out.name = name!;
      const u = user();
      if (!u.userId && !u.username) {
        need(
          ctx,
          declared,
          "user_id",
          ` (or username) to find application credential "${name}" by name`,
        );
      }
      if (!u.userId && !u.userDomainId && !u.userDomainName) {
        need(ctx, declared, "user_domain_name", ` (or user_domain_id) for user "${u.username}"`);
      }
      Object.assign(out, u);
    }
    return out;
  }
  const token = str(auth.token);
  if (!token) need(ctx, declared, "token");
  return { type: "token", authUrl, token, ...buildScope(auth, ctx, declared) };
}

/** Looks a block-storage option up in alias order, optionally falling back to the bare key. */
function serviceOption(c: Dict, option: string, fallback = false): unknown {
  for (const prefix of ["block_storage", "volumev3", "volumev2", "volume"]) {
    const v = c[`${prefix}_${option}`];
    if (v !== undefined && v !== null && v !== "") return v;
  }
  return fallback ? c[option] : undefined;
}

function parseInterface(v: unknown, ctx: Ctx, key: string): EndpointInterface | undefined {
  const s = str(v);
  if (!s) return undefined;
  const i = normaliseInterface(s);
  if (!i) {
    throw new ConfigError(
      `Cannot use ${key} "${s}" of cloud "${ctx.cloud}" in ${ctx.where}: expected "public", "internal" or "admin"`,
    );
  }
  return i;
}

function parseApiVersion(v: unknown, ctx: Ctx): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const m = /^v?(\d+)(?:\.(\d+))?$/.exec(s.trim());
  if (!m || m[1] !== "3") {
    throw new ConfigError(
      `Cannot use volume_api_version "${s}" of cloud "${ctx.cloud}" in ${ctx.where}: snapsentry speaks the block-storage v3 API`,
      { hint: 'set it to 3 (negotiate) or a 3.x microversion such as "3.60"' },
    );
  }
  return m[2] === undefined ? undefined : `3.${Number(m[2])}`;
}

/** Known regions of a cloud, as openstacksdk `_get_known_regions`. */
function knownRegions(c: Dict): { name: string; values: Dict }[] {
  if (Array.isArray(c.regions)) {
    return c.regions.map((r) => {
      if (isDict(r)) {
        return { name: String(r.name ?? ""), values: isDict(r.values) ? r.values : {} };
      }
      return { name: String(r), values: {} };
    });
  }
  const rn = c.region_name;
  if (Array.isArray(rn)) return rn.map((r) => ({ name: String(r), values: {} }));
  if (typeof rn === "string" && rn) {
    return rn.split(",").map((r) => ({ name: r.trim(), values: {} }));
  }
  return [];
}

/**
 * Resolves one cloud from file contents and the environment (pure). Throws ConfigError naming the
 * file and what is wrong.
 */
export function resolveCloudConfig(options: ResolveOptions): CloudConfig {
  const { files, env } = options;
  let clouds: Dict = {};
  const sources: string[] = [];
  if (files.clouds) {
    const doc = parseCloudsFile(files.clouds);
    if (doc.clouds !== undefined && !isDict(doc.clouds)) {
      throw new ConfigError(
        `Cannot read ${files.clouds.path}: "clouds" must be a mapping of cloud names`,
      );
    }
    clouds = (doc.clouds as Dict | undefined) ?? {};
    sources.push(files.clouds.path);
  }
  if (files.secure) {
    const doc = parseCloudsFile(files.secure);
    if (isDict(doc.clouds)) {
      clouds = deepMerge(clouds, doc.clouds);
      sources.push(files.secure.path);
    }
  }
  let profiles: Dict = {};
  if (files.publicClouds) {
    const doc = parseCloudsFile(files.publicClouds);
    const pub = doc["public-clouds"] ?? doc.public_clouds;
    profiles = isDict(pub) ? pub : {};
  }
  const fromFiles = Object.keys(clouds);
  const envName = env.OS_CLOUD_NAME || "envvars";
  const fromEnv = envCloud(env);
  if (fromEnv) clouds[envName] = fromEnv;
  const fileDesc = files.clouds?.path ?? "clouds.yaml";

  let name = options.cloud || env.OS_CLOUD || undefined;
  if (!name) {
    if (fromEnv) name = envName;
    else if (fromFiles.length === 1) name = fromFiles[0];
  }
  if (!name) {
    if (fromFiles.length === 0) {
      throw new ConfigError(
        `Cannot find clouds.yaml: looked in ${
          (files.searched ?? []).join(", ") || "the standard places"
        } and found no OS_* variables`,
        {
          hint:
            "create ~/.config/openstack/clouds.yaml, set OS_CLIENT_CONFIG_FILE, or source an openrc file",
        },
      );
    }
    throw new ConfigError(
      `Cannot choose a cloud in ${fileDesc}: it defines ${quoteList(fromFiles)}`,
      { hint: "pass --cloud NAME or set OS_CLOUD" },
    );
  }
  const rawCloud = clouds[name];
  if (!isDict(rawCloud)) {
    if (!files.clouds && !fromEnv) {
      throw new ConfigError(
        `Cannot find cloud "${name}": no clouds.yaml found (looked in ${
          (files.searched ?? []).join(", ") || "the standard places"
        })`,
      );
    }
    const defined = Object.keys(clouds);
    throw new ConfigError(
      `Cannot find cloud "${name}" in ${fileDesc}: ${
        defined.length ? `defined clouds are ${quoteList(defined)}` : "it defines no clouds"
      }`,
    );
  }
  const where = fromEnv && name === envName ? "environment (OS_* variables)" : sources.join(" + ");
  const ctx: Ctx = { cloud: name, where };
  let c: Dict = normaliseKeys(rawCloud) as Dict;
  const profileName = str(c.profile) ?? (typeof c.cloud === "string" ? c.cloud : undefined);
  if (profileName) {
    const profile = profiles[profileName];
    if (!isDict(profile)) {
      throw new ConfigError(
        `Cannot find profile "${profileName}" of cloud "${name}" (${where}) in ${
          files.publicClouds?.path ?? "clouds-public.yaml (not found)"
        }: ${
          Object.keys(profiles).length
            ? `defined profiles are ${quoteList(Object.keys(profiles))}`
            : "no profiles are defined"
        }`,
      );
    }
    c = deepMerge(normaliseKeys(profile) as Dict, c);
  }
  // Regions: explicit (`--os-region-name`) > clouds.yaml (first of `regions`). OS_REGION_NAME is
  // part of the envvars cloud only, as in openstacksdk's library API.
  const regions = knownRegions(c);
  const wanted = options.region || undefined;
  let regionName: string | undefined;
  if (regions.length > 0) {
    const chosen = wanted ? regions.find((r) => r.name === wanted) : regions[0];
    if (!chosen) {
      throw new ConfigError(
        `Cannot use region "${wanted}" with cloud "${name}" (${where}): valid regions are ${
          quoteList(regions.map((r) => r.name))
        }`,
      );
    }
    regionName = chosen.name;
    c = deepMerge(c, normaliseKeys(chosen.values) as Dict);
  } else if (wanted) regionName = wanted;
  c = fixUp(c);

  const auth = buildAuth(c, ctx);
  const iface = parseInterface(c.interface, ctx, "interface") ?? "public";

  // TLS. `verify` wins over `cacert`; `insecure` is the legacy inverse of verify.
  const verifyIsPath = typeof c.verify === "string" &&
    !/^(true|false|yes|no|1|0|on|off)$/i.test(c.verify.trim());
  const verify = verifyIsPath ? true : bool(c.verify, "verify", where);
  const insecure = bool(c.insecure, "insecure", where);
  if (verify === false || insecure === true) {
    throw new ConfigError(
      `Cannot use ${
        verify === false ? "verify: false" : "insecure: true"
      } of cloud "${name}" in ${where}: Deno cannot turn certificate checks off for one client`,
      {
        hint:
          "set cacert: /path/to/ca.pem to trust your CA, or run with DENO_TLS_CA_STORE=system or --unsafely-ignore-certificate-errors=HOST on the command line",
      },
    );
  }
  const tls: TlsConfig = {};
  // openstacksdk also accepts a CA bundle path as the value of `verify`.
  const verifyPath = verifyIsPath ? String(c.verify) : undefined;
  const cacert = str(c.cacert) ?? verifyPath;
  if (cacert) tls.caCertFile = cacert;
  const cert = str(c.cert);
  const key = str(c.key);
  if (cert) tls.certFile = cert;
  if (key) tls.keyFile = key;
  if (key && !cert) {
    throw new ConfigError(
      `Cannot use key "${key}" of cloud "${name}" in ${where}: it needs cert too`,
    );
  }

  let apiTimeoutMs: number | undefined;
  if (c.api_timeout !== undefined && c.api_timeout !== null && c.api_timeout !== "") {
    const t = Number(c.api_timeout);
    if (!(t > 0)) {
      throw new ConfigError(
        `Cannot use api_timeout "${c.api_timeout}" of cloud "${name}" in ${where}: expected a number of seconds above 0`,
      );
    }
    apiTimeoutMs = Math.round(t * 1000);
  }

  const blockStorage: BlockStorageConfig = {
    serviceType: str(serviceOption(c, "service_type")) ?? BLOCK_STORAGE_ALIASES[0]!,
  };
  const bsInterface = parseInterface(serviceOption(c, "interface"), ctx, "block_storage_interface");
  if (bsInterface) blockStorage.interface = bsInterface;
  const bsRegion = str(serviceOption(c, "region_name"));
  if (bsRegion) blockStorage.regionName = bsRegion;
  const override = str(serviceOption(c, "endpoint_override"));
  if (override) {
    try {
      new URL(override.replace(/[%$]\((project_id|tenant_id)\)s/g, "x"));
    } catch {
      throw new ConfigError(
        `Cannot use block_storage_endpoint_override "${override}" of cloud "${name}" in ${where}: not a URL`,
      );
    }
    blockStorage.endpointOverride = override;
  }
  const pinned = parseApiVersion(serviceOption(c, "api_version"), ctx);
  if (pinned) blockStorage.apiVersion = pinned;

  const out: CloudConfig = { name, source: where, auth, interface: iface, tls, blockStorage };
  if (regionName) out.regionName = regionName;
  if (apiTimeoutMs !== undefined) out.apiTimeoutMs = apiTimeoutMs;
  return out;
}

export interface LoadCloudConfigOptions {
  cloud?: string;
  region?: string;
  env: Env;
  /** Reads a file; must throw an error named "NotFound" (Deno.errors.NotFound) when missing. */
  readTextFile: (path: string) => Promise<string>;
  homeDir?: string;
  cwd: string;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    (error as { name?: string })?.name === "NotFound" ||
    (error as { code?: string })?.code === "ENOENT";
}

function expandHome(path: string, homeDir: string | undefined): string {
  return homeDir && path.startsWith("~/") ? `${homeDir.replace(/\/$/, "")}/${path.slice(2)}` : path;
}

/** Finds, reads and resolves clouds.yaml (plus secure.yaml, clouds-public.yaml, TLS files). */
export async function loadCloudConfig(options: LoadCloudConfigOptions): Promise<CloudConfig> {
  const paths = candidatePaths(options);
  const files: CloudsFiles = { searched: paths.clouds };
  const first = async (list: string[]): Promise<CloudsFile | undefined> => {
    for (const raw of list) {
      const path = expandHome(raw, options.homeDir);
      try {
        return { path, text: await options.readTextFile(path) };
      } catch (error) {
        if (isNotFound(error)) continue;
        throw new ConfigError(
          `Cannot read ${path}: ${(error as Error)?.message ?? String(error)}`,
          { cause: error, hint: "check the file's permissions" },
        );
      }
    }
    return undefined;
  };
  const clouds = await first(paths.clouds);
  const secure = await first(paths.secure);
  const publicClouds = await first(paths.publicClouds);
  if (clouds) files.clouds = clouds;
  if (secure) files.secure = secure;
  if (publicClouds) files.publicClouds = publicClouds;
  const opts: ResolveOptions = { files, env: options.env };
  if (options.cloud) opts.cloud = options.cloud;
  if (options.region) opts.region = options.region;
  const config = resolveCloudConfig(opts);
  const read = async (what: string, raw: string) => {
    const path = expandHome(raw, options.homeDir);
    try {
      return await options.readTextFile(path);
    } catch (error) {
      throw new ConfigError(
        `Cannot read ${what} file ${path} of cloud "${config.name}" (${config.source}): ${
          isNotFound(error) ? "no such file" : (error as Error)?.message ?? String(error)
        }`,
        { cause: error },
      );
    }
  };
  if (config.tls.caCertFile) config.tls.caCerts = [await read("cacert", config.tls.caCertFile)];
  if (config.tls.certFile) config.tls.cert = await read("cert", config.tls.certFile);
  if (config.tls.keyFile) {
    config.tls.key = await read("key", config.tls.keyFile);
    registerSecret(config.tls.key);
  }
  return config;
}
