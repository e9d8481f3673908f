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
  /**
   * Who may read a file (`Deno.stat`'s mode and group), to warn when one holding the cloud's
   * secret is readable by others; omitted (tests with virtual files), nothing is checked.
   */
  fileAccess?: FileAccessCheck;
}

/** A file's permission bits and group, and the process's own group. */
export interface FileAccessCheck {
  stat(path: string): Promise<{ mode: number | null; gid: number | null } | null>;
  /** The process's effective group id, or null when it cannot be told (asked only when needed). */
  ownGid(): number | null;
}

/**
 * Who besides the owner can read a file with this mode, in words, or null when nobody can. Group
 * read counts only when the file's group is not the process's own (a private group, or the pod's
 * `fsGroup` of a Kubernetes Secret volume mounted 0440, holds no one else), as ssh judges keys.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { readableByOthers } from "./clouds_yaml.ts";
 * assertEquals(readableByOthers(0o100644, 1000, 1000), "everyone");
 * assertEquals(readableByOthers(0o100640, 0, 1000), "group 0");
 * assertEquals(readableByOthers(0o100440, 1000, 1000), null);
 * assertEquals(readableByOthers(0o100600, 0, 1000), null);
 * ```
 */
export function readableByOthers(
  mode: number,
  fileGid: number | null,
  ownGid: number | null,
): string | null {
  if (mode & 0o004) return "everyone";
  if (mode & 0o040 && (fileGid === null || ownGid === null || fileGid !== ownGid)) {
    return fileGid === null ? "its group" : `group ${fileGid}`;
  }
  return null;
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
  if (options.fileAccess) await warnReadableSecrets(config, files, options);
  return config;
}

/** The chosen cloud's secret (password, application credential secret or token), if any. */
function secretOf(config: CloudConfig): string | undefined {
  const auth = config.auth as unknown as Record<string, unknown>;
  for (const field of ["password", "secret", "token"]) {
    const v = auth[field];
    if (typeof v === "string" && v.length >= 4) return v;
  }
  return undefined;
}

/**
 * Adds a warning for each file holding the chosen cloud's secret (clouds.yaml, secure.yaml, the
 * TLS key) that others can read, as ssh warns about keys. A stat that fails is no warning.
 */
async function warnReadableSecrets(
  config: CloudConfig,
  files: CloudsFiles,
  options: LoadCloudConfigOptions,
): Promise<void> {
  const access = options.fileAccess!;
  const secret = secretOf(config);
  const holders: { path: string; what: string }[] = [];
  for (const f of [files.clouds, files.secure]) {
    if (f && secret !== undefined && f.text.includes(secret)) {
      holders.push({ path: f.path, what: `the credentials of cloud "${config.name}"` });
    }
  }
  if (config.tls.keyFile) {
    holders.push({
      path: expandHome(config.tls.keyFile, options.homeDir),
      what: `the TLS client key of cloud "${config.name}"`,
    });
  }
  for (const h of holders) {
    let st: { mode: number | null; gid: number | null } | null;
    try {
      st = await access.stat(h.path);
    } catch {
      continue;
    }
    if (!st || st.mode === null) continue;
    const who = readableByOthers(st.mode, st.gid, st.mode & 0o040 ? access.ownGid() : null);
    if (!who) continue;
    const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
    (config.warnings ??= []).push(
      `${h.path} holds ${h.what} and is readable by ${who} (mode ${mode}); run chmod 600 ${h.path}`,
    );
  }
}
