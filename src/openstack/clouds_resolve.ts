/**
 * Resolving one cloud (pure: file contents and the environment in, a `CloudConfig` out): choosing
 * the cloud, secure.yaml merged over clouds.yaml, `profile:` from clouds-public.yaml or the built-in
 * vendor profiles (clouds_vendors.ts), a cloud made of `OS_*` variables, regions, `{region_name}`
 * in `auth_url`, the interface, TLS settings, timeouts and the block-storage per-service keys. The
 * auth section is built by clouds_auth.ts.
 *
 * @module
 */
import { parseBool, PolicyValueError } from "../core/mod.ts";
import { ConfigError } from "../errors.ts";
import { isSecretKey, registerSecret } from "../redact.ts";
import { BLOCK_STORAGE_ALIASES, type EndpointInterface, normaliseInterface } from "./catalog.ts";
import {
  type Ctx,
  deepMerge,
  type Dict,
  isDict,
  normaliseKeys,
  quoteList,
  str,
} from "./_clouds_shared.ts";
import { _buildAuth, _fixUp, type CloudAuth } from "./clouds_auth.ts";
import { type CloudsFiles, type Env, parseCloudsFile } from "./clouds_files.ts";
import {
  chooseRegion,
  expandRegionName,
  knownRegions,
  type RegionSource,
} from "./clouds_regions.ts";
import { resolveProfile } from "./clouds_vendors.ts";

export { deepMerge } from "./_clouds_shared.ts";
export { REGION_NOT_FOUND, type RegionSource } from "./clouds_regions.ts";

/** The code of the error "no clouds.yaml anywhere and no OS_* variables". */
export const CLOUDS_YAML_NOT_FOUND = "clouds_yaml_not_found";

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
  /** Where `regionName` came from (absent for a built configuration). */
  regionSource?: RegionSource;
  /** The cloud's known regions (`regions`, `region_name`, or the profile's), for messages. */
  knownRegions?: string[];
  /** The vendor profile used, with where it came from (clouds-public.yaml or built in). */
  profile?: { name: string; source: string };
  interface: EndpointInterface;
  /** `api_timeout` in ms. */
  apiTimeoutMs?: number;
  tls: TlsConfig;
  blockStorage: BlockStorageConfig;
  /** Things worth a warning that are not errors (a deprecated vendor profile). */
  warnings?: string[];
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

export interface ResolveOptions {
  files: CloudsFiles;
  env: Env;
  /** Explicit cloud name (`--cloud`); wins over OS_CLOUD. */
  cloud?: string;
  /** Explicit region; wins over clouds.yaml. */
  region?: string;
}

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

/** A clouds.yaml boolean in the one boolean grammar (`core/values.ts`: true/yes/on/1, …). */
function bool(v: unknown, what: string, where: string): boolean | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  try {
    return parseBool(String(v), what);
  } catch (e) {
    if (!(e instanceof PolicyValueError)) throw e;
    throw new ConfigError(`Cannot use ${what} "${v}" in ${where}: expected ${e.expected}`);
  }
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
          code: CLOUDS_YAML_NOT_FOUND,
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
        { code: CLOUDS_YAML_NOT_FOUND },
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
  const warnings: string[] = [];
  // openstacksdk `_get_known_regions`: the cloud's own `regions` or `region_name` first; only a
  // cloud that has neither takes the profile's.
  let regions = knownRegions(c);
  let regionFrom: RegionSource = Array.isArray(c.regions) ? "regions" : "region_name";
  const profileName = str(c.profile) ?? (typeof c.cloud === "string" ? c.cloud : undefined);
  let profileInfo: { name: string; source: string } | undefined;
  if (profileName) {
    const p = resolveProfile(profileName, { profiles, publicPath: files.publicClouds?.path, ctx });
    profileInfo = p.info;
    if (p.warning) warnings.push(p.warning);
    if (regions.length === 0) {
      regions = knownRegions(p.settings);
      regionFrom = "profile";
    }
    c = deepMerge(p.settings, c);
  }
  const region = chooseRegion(regions, options.region || undefined, regionFrom, ctx);
  const regionName = region?.name;
  const regionSource = region?.source;
  if (region) c = deepMerge(c, normaliseKeys(region.values) as Dict);
  // One region from here on: openstacksdk's `get_one` sets region_name and drops the list.
  delete c.regions;
  if (regionName) c.region_name = regionName;
  else delete c.region_name;
  c = _fixUp(c);
  expandRegionName(c, ctx);

  const auth = _buildAuth(c, ctx);
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
  if (regionSource) out.regionSource = regionSource;
  if (regions.length > 0) out.knownRegions = regions.map((r) => r.name);
  if (profileInfo) out.profile = profileInfo;
  if (apiTimeoutMs !== undefined) out.apiTimeoutMs = apiTimeoutMs;
  if (warnings.length > 0) out.warnings = warnings;
  return out;
}
