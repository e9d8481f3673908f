/**
 * clouds.yaml with openstacksdk semantics: the search path, secure.yaml merged over clouds.yaml,
 * `profile:` from clouds-public.yaml or the built-in vendor profiles, cloud selection, a cloud made of `OS_*` variables, auth
 * types, regions, TLS, timeouts and the block-storage per-service keys.
 *
 * The parsing (`resolveCloudConfig`) is pure: it takes file contents and the environment. The thin
 * `loadCloudConfig` here finds and reads the files (and the TLS files) through an injected reader.
 * Every secret value seen is registered with the redaction layer at once.
 *
 * This module is the entry point and re-exports the public API of the pieces: clouds_files.ts
 * (search path, YAML parsing), clouds_resolve.ts (choosing and merging a cloud),
 * clouds_regions.ts (regions), clouds_vendors.ts (vendor profiles) and clouds_auth.ts (the auth
 * section).
 */
import { ConfigError } from "../errors.ts";
import { registerSecret } from "../redact.ts";
import { checkConfigFileSize } from "./_clouds_shared.ts";
import { candidatePaths, type CloudsFile, type CloudsFiles, type Env } from "./clouds_files.ts";
import { type CloudConfig, resolveCloudConfig, type ResolveOptions } from "./clouds_resolve.ts";

export type { EndpointInterface } from "./catalog.ts";
export type {
  ApplicationCredentialAuth,
  AuthScope,
  CloudAuth,
  PasswordAuth,
  TokenAuth,
} from "./clouds_auth.ts";
export { MAX_CONFIG_FILE_BYTES } from "./_clouds_shared.ts";
export {
  type CandidatePathOptions,
  candidatePaths,
  type CloudsFile,
  type CloudsFiles,
  configDirectories,
  type Env,
  MAX_CONFIG_DEPTH,
  parseCloudsFile,
} from "./clouds_files.ts";
export {
  type BlockStorageConfig,
  type CloudConfig,
  type CloudConfigInit,
  CLOUDS_YAML_NOT_FOUND,
  deepMerge,
  defineCloudConfig,
  envCloud,
  REGION_NOT_FOUND,
  type RegionSource,
  resolveCloudConfig,
  type ResolveOptions,
  type TlsConfig,
} from "./clouds_resolve.ts";
export { builtInProfile, builtInProfileNames, type VendorProfile } from "./clouds_vendors.ts";

export interface LoadCloudConfigOptions {
  cloud?: string;
  region?: string;
  env: Env;
  /** Reads a file; must throw an error named "NotFound" (Deno.errors.NotFound) when missing. */
  readTextFile: (path: string) => Promise<string>;
  homeDir?: string | undefined;
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
    let text: string;
    try {
      text = await options.readTextFile(path);
    } catch (error) {
      throw new ConfigError(
        `Cannot read ${what} file ${path} of cloud "${config.name}" (${config.source}): ${
          isNotFound(error) ? "no such file" : (error as Error)?.message ?? String(error)
        }`,
        { cause: error },
      );
    }
    checkConfigFileSize(path, text, `${what} file`);
    return text;
  };
  if (config.tls.caCertFile) config.tls.caCerts = [await read("cacert", config.tls.caCertFile)];
  if (config.tls.certFile) config.tls.cert = await read("cert", config.tls.certFile);
  if (config.tls.keyFile) {
    config.tls.key = await read("key", config.tls.keyFile);
    registerSecret(config.tls.key);
  }
  return config;
}
