/**
 * Opens the cloud a command works on: clouds.yaml (via `--cloud`, `SNAPSENTRY_CLOUD`, `OS_CLOUD`)
 * in the region of `--region` (`SNAPSENTRY_REGION`, `OS_REGION_NAME`), with the CLI's injected
 * fetch, clock and logger. One cloud per command run, so the command's runs share one token; each
 * run still sends its own request id (see `exec/run.ts`). Every request carries
 * `User-Agent: snapsentry/<version> Deno/<version>`, as OpenStack clients identify themselves.
 */
import { BUILD_INFO } from "../build_info.ts";
import { ConfigError, EndpointNotFoundError } from "../errors.ts";
import {
  type BlockStorageApi,
  type Cloud,
  CLOUDS_YAML_NOT_FOUND,
  openCloud,
  type OpenCloudOptions,
} from "../openstack/mod.ts";
import type { CommandContext } from "./command.ts";

const opened = new WeakMap<CommandContext, Promise<Cloud>>();

/** The User-Agent of every OpenStack request: ours, then Deno's own (which it replaces). */
export const USER_AGENT = `snapsentry/${BUILD_INFO.version} Deno/${Deno.version.deno}`;

/** Wraps fetch so each request carries {@link USER_AGENT} unless it sets its own. */
export function withUserAgent(fetchFn: typeof fetch, userAgent = USER_AGENT): typeof fetch {
  return (input, init) => {
    const headers = new Headers(
      init?.headers ?? (input instanceof Request ? input.headers : undefined),
    );
    if (!headers.has("user-agent")) headers.set("User-Agent", userAgent);
    return fetchFn(input, { ...init, headers });
  };
}

export interface CloudFlags {
  /** `--rate-limit`: requests per second. */
  rateLimitPerSecond?: number;
}

/** The command's cloud (opened once per command run). */
export function cloudFor(ctx: CommandContext, flags: CloudFlags = {}): Promise<Cloud> {
  let p = opened.get(ctx);
  if (!p) {
    const { deps } = ctx;
    const globals = ctx.globals();
    const options: OpenCloudOptions = {
      env: deps.env,
      readTextFile: deps.readTextFile,
      ...(deps.fileAccess ? { fileAccess: deps.fileAccess } : {}),
      cwd: deps.cwd,
      ...(deps.homeDir ? { homeDir: deps.homeDir } : {}),
      fetch: withUserAgent(deps.fetch),
      clock: deps.clock,
      logger: ctx.logger(),
      ...(globals.cloud ? { cloudName: globals.cloud } : {}),
      ...(globals.region ? { region: globals.region } : {}),
      ...(globals.maxResponseBytes !== undefined
        ? { maxResponseBytes: globals.maxResponseBytes }
        : {}),
      ...(globals.maxPages !== undefined ? { maxPages: globals.maxPages } : {}),
      ...(flags.rateLimitPerSecond ? { rateLimitPerSecond: flags.rateLimitPerSecond } : {}),
    };
    p = openCloud(options).then((cloud) => {
      for (const warning of cloud.config.warnings ?? []) {
        ctx.logger().warn("config_warning", { cloud: cloud.config.name, warning });
      }
      return withConfigErrors(cloud, globals.regionFrom);
    }, (e) => {
      // "region_not_found" (REGION_NOT_FOUND in openstack/): say which flag or variable asked.
      if (e instanceof ConfigError && e.code === "region_not_found" && globals.regionFrom) {
        throw new ConfigError(`${e.message} (the region came from ${globals.regionFrom})`, {
          code: e.code,
          cause: e,
          ...(e.hint ? { hint: e.hint } : {}),
        });
      }
      if (e instanceof ConfigError && e.code === CLOUDS_YAML_NOT_FOUND) {
        throw new ConfigError(e.message, {
          code: CLOUDS_YAML_NOT_FOUND,
          cause: e,
          hint: `${e.hint ? `${e.hint}; ` : ""}or try snapsentry on the built-in emulated ` +
            "cloud with `snapsentry demo`",
        });
      }
      throw e;
    });
    opened.set(ctx, p);
  }
  return p;
}

/**
 * A catalog without the block-storage endpoint the configuration asks for is a configuration
 * error (`EndpointNotFoundError`, exit 2). When the region came from `--region` or a variable,
 * say which, since the file then is not where to fix it.
 */
function withConfigErrors(cloud: Cloud, regionFrom: string | undefined): Cloud {
  if (!regionFrom || cloud.config.regionSource !== "requested") return cloud;
  const explain = (e: unknown): never => {
    if (!(e instanceof EndpointNotFoundError)) throw e;
    throw new EndpointNotFoundError(`${e.message} (the region came from ${regionFrom})`, {
      cause: e,
      ...(e.hint ? { hint: e.hint } : {}),
    });
  };
  return {
    ...cloud,
    blockStorage: (scope) => cloud.blockStorage(scope).catch(explain),
    blockStorageEndpoint: (scope) => cloud.blockStorageEndpoint(scope).catch(explain),
    microversion: () => cloud.microversion().catch(explain),
  };
}

/** The command's authenticated, negotiated Cinder client. */
export async function blockStorage(ctx: CommandContext): Promise<BlockStorageApi> {
  return await (await cloudFor(ctx)).blockStorage();
}
