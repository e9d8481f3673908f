/**
 * Opens the cloud a command works on: clouds.yaml (via `--cloud`, `SNAPSENTRY_CLOUD`, `OS_CLOUD`),
 * with the CLI's injected fetch, clock and logger. One cloud per command run, so the command's
 * runs share one token; each run still sends its own request id (see `exec/run.ts`).
 */
import { ConfigError } from "../errors.ts";
import {
  type BlockStorageApi,
  type Cloud,
  CLOUDS_YAML_NOT_FOUND,
  openCloud,
  type OpenCloudOptions,
} from "../openstack/mod.ts";
import type { CommandContext } from "./command.ts";

const opened = new WeakMap<CommandContext, Promise<Cloud>>();

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
      cwd: deps.cwd,
      ...(deps.homeDir ? { homeDir: deps.homeDir } : {}),
      fetch: deps.fetch,
      clock: deps.clock,
      logger: ctx.logger(),
      ...(globals.cloud ? { cloudName: globals.cloud } : {}),
      ...(flags.rateLimitPerSecond ? { rateLimitPerSecond: flags.rateLimitPerSecond } : {}),
    };
    p = openCloud(options).catch((e) => {
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

/** The command's authenticated, negotiated Cinder client. */
export async function blockStorage(ctx: CommandContext): Promise<BlockStorageApi> {
  return await (await cloudFor(ctx)).blockStorage();
}
