/**
 * The command-line program: commander wiring, global flags with their environment fallbacks, and
 * the mapping from outcomes and errors to exit codes (0 ok, 1 the run did its work but something
 * failed, 2 usage or configuration error). Commands return or throw; only `runCli` picks the code.
 */
import { Command, CommanderError, Help, Option } from "commander";
import { BUILD_INFO } from "../build_info.ts";
import { describeError, exitCodeFor, SnapsentryError, UsageError } from "../errors.ts";
import { type Level, LEVELS, type LogFormat, type Logger, parseLevel } from "../log.ts";
import { registerSecret } from "../redact.ts";
import { type CommandContext, withExamples } from "./command.ts";
import type { CliDeps, GlobalOptions, RegionOrigin } from "./context.ts";
import { intFlag, sizeFlag, timeoutFlag } from "./flags.ts";
import { errorLine, textOutput, toJson } from "./output.ts";
import { COMMANDS } from "./commands/mod.ts";

function parseFormat(value: string): LogFormat {
  if (value === "json" || value === "logfmt") return value;
  throw new UsageError(`Cannot use --log-format "${value}": expected "json" or "logfmt"`);
}

/** The global flags once resolved, plus what is worth a warning once the logger exists. */
export interface ResolvedGlobals extends GlobalOptions {
  /** Log events to write at warn level as soon as the logger exists. */
  warnings: { event: string; fields: Record<string, unknown> }[];
}

/**
 * Resolves the global flags, falling back to SNAPSENTRY_* variables (OS_CLOUD for --cloud, and
 * OS_REGION_NAME for --region as python-openstackclient reads it). `--os-cloud` and
 * `--os-region-name` are openstackclient's spellings of `--cloud` and `--region`.
 */
export function resolveGlobals(
  opts: Record<string, unknown>,
  env: Record<string, string | undefined>,
): ResolvedGlobals {
  const given = (v: unknown): v is string => typeof v === "string" && v !== "";
  const fromEnv = (...vars: string[]): { value: string; from: string } | undefined => {
    for (const v of vars) {
      const value = env[v];
      if (value !== undefined && value !== "") return { value, from: v };
    }
    return undefined;
  };
  const pick = (flag: unknown, ...vars: string[]): string | undefined =>
    given(flag) ? flag : fromEnv(...vars)?.value;
  const warnings: ResolvedGlobals["warnings"] = [];
  // An unknown level (`trace`, `verbose`) falls back to info with one warning, as the Go tool's
  // logger did, so a leftover SNAPSENTRY_LOG_LEVEL never stops a run.
  let logLevel: Level = "info";
  const levelText = pick(opts.logLevel, "SNAPSENTRY_LOG_LEVEL");
  if (levelText !== undefined) {
    try {
      logLevel = parseLevel(levelText);
    } catch {
      warnings.push({
        event: "log_level_unknown",
        fields: { value: levelText, used: "info", expected: LEVELS.join(", ") },
      });
    }
  }
  const webhookPassword = pick(opts.webhookPassword, "SNAPSENTRY_WEBHOOK_PASSWORD");
  registerSecret(webhookPassword);
  if (given(opts.webhookPassword)) {
    // Process arguments are readable by every user of the host (ps, /proc/<pid>/cmdline).
    warnings.push({
      event: "secret_on_command_line",
      fields: {
        option: "--webhook-password",
        hint: "set SNAPSENTRY_WEBHOOK_PASSWORD instead; other users of this host can read " +
          "command lines",
      },
    });
  }
  const globals: ResolvedGlobals = {
    logLevel,
    logFormat: parseFormat(pick(opts.logFormat, "SNAPSENTRY_LOG_FORMAT") ?? "json"),
    timeoutMs: timeoutFlag(pick(opts.timeout, "SNAPSENTRY_TIMEOUT") ?? "0"),
    warnings,
  };
  const cloud = given(opts.cloud) ? opts.cloud : pick(opts.osCloud, "SNAPSENTRY_CLOUD", "OS_CLOUD");
  if (cloud !== undefined) globals.cloud = cloud;
  let region: { value: string; from: RegionOrigin } | undefined;
  if (given(opts.region)) region = { value: opts.region, from: "--region" };
  else if (given(opts.osRegionName)) {
    region = { value: opts.osRegionName, from: "--os-region-name" };
  } else {
    const e = fromEnv("SNAPSENTRY_REGION", "OS_REGION_NAME");
    if (e) region = { value: e.value, from: e.from as RegionOrigin };
  }
  if (region) {
    globals.region = region.value;
    globals.regionFrom = region.from;
  }
  const maxResponse = pick(opts.maxResponseSize, "SNAPSENTRY_MAX_RESPONSE_SIZE");
  if (maxResponse !== undefined) {
    // A page of 1,000 volumes is under 5 MiB; below 1 MiB a normal listing would fail.
    globals.maxResponseBytes = sizeFlag("--max-response-size", maxResponse, {
      min: 1024 ** 2,
      max: 4 * 1024 ** 3,
    });
  }
  const maxPages = pick(opts.maxPages, "SNAPSENTRY_MAX_PAGES");
  if (maxPages !== undefined) {
    globals.maxPages = intFlag("--max-pages", maxPages, { min: 1, max: 1_000_000 });
  }
  const webhookUrl = pick(opts.webhookUrl, "SNAPSENTRY_WEBHOOK_URL");
  if (webhookUrl !== undefined) globals.webhookUrl = webhookUrl;
  const webhookUsername = pick(opts.webhookUsername, "SNAPSENTRY_WEBHOOK_USERNAME");
  if (webhookUsername !== undefined) globals.webhookUsername = webhookUsername;
  if (webhookPassword !== undefined) globals.webhookPassword = webhookPassword;
  return globals;
}

/**
 * Help that shows what a command accepts: the options of its parent groups (`subscribe`'s
 * `--volume-id`, `--retention`, … under `subscribe daily`) among its own, and the root's options
 * (`--cloud`, `--log-level`, …) as "Global Options".
 */
const HELP_CONFIG: Partial<Help> = {
  showGlobalOptions: true,
  visibleOptions(cmd: Command): Option[] {
    const own = Help.prototype.visibleOptions.call(this, cmd);
    const inherited: Option[] = [];
    for (let a = cmd.parent; a?.parent; a = a.parent) {
      inherited.push(...a.options.filter((o) => !o.hidden));
    }
    const helpAt = own.findIndex((o) => o.long === "--help");
    if (helpAt < 0) return [...own, ...inherited];
    return [...own.slice(0, helpAt), ...inherited, ...own.slice(helpAt)];
  },
  visibleGlobalOptions(cmd: Command): Option[] {
    if (!cmd.parent) return [];
    let root = cmd.parent;
    while (root.parent) root = root.parent;
    return root.options.filter((o) => !o.hidden);
  },
};

/** Builds the program. Exposed for tests that inspect help text. */
export function buildProgram(
  deps: CliDeps,
  state: { exitCode: number; logger?: Logger; logLevel?: Level },
): Command {
  let globals: ResolvedGlobals | undefined;
  let logger: Logger | undefined;
  const ctx: CommandContext = {
    deps,
    globals() {
      if (!globals) throw new TypeError("globals() called outside an action");
      return globals;
    },
    logger() {
      if (!logger) throw new TypeError("logger() called outside an action");
      return logger;
    },
    // Lines carry cloud data (names, server messages): redacted, control characters escaped.
    out: (text) => {
      const safe = textOutput(text.endsWith("\n") ? text.slice(0, -1) : text);
      deps.writeOut(safe + "\n");
    },
    json: (value) => deps.writeOut(toJson(value)),
    setExitCode: (code) => {
      state.exitCode = Math.max(state.exitCode, code);
    },
    runCli: (argv, inner) => runCli(argv, inner),
  };

  const program = new Command("snapsentry")
    .description(
      "Snapshot lifecycle manager for OpenStack Cinder: policies in volume metadata, " +
        "snapshots when a window is due, deletion when they expire",
    )
    .addOption(
      new Option(
        "--cloud <name>",
        "clouds.yaml cloud; alias --os-cloud (env SNAPSENTRY_CLOUD, then OS_CLOUD)",
      ),
    )
    .addOption(new Option("--os-cloud <name>", "openstackclient's name for --cloud").hideHelp())
    .addOption(
      new Option(
        "--region <name>",
        "region of the cloud; alias --os-region-name (env SNAPSENTRY_REGION, then OS_REGION_NAME)",
      ),
    )
    .addOption(
      new Option("--os-region-name <name>", "openstackclient's name for --region").hideHelp(),
    )
    .addOption(
      new Option(
        "--log-level <level>",
        "debug, info, warn or error; anything else means info (env SNAPSENTRY_LOG_LEVEL)",
      ),
    )
    .addOption(
      new Option("--log-format <format>", "json or logfmt (env SNAPSENTRY_LOG_FORMAT)"),
    )
    .addOption(
      new Option(
        "--timeout <duration>",
        "stop starting new work after this long, e.g. 8m or 1h30m; a bare number is seconds; " +
          "0 = none (env SNAPSENTRY_TIMEOUT)",
      ),
    )
    .addOption(
      new Option(
        "--max-response-size <size>",
        "refuse a cloud answer larger than this, e.g. 64MiB (default; env " +
          "SNAPSENTRY_MAX_RESPONSE_SIZE)",
      ),
    )
    .addOption(
      new Option(
        "--max-pages <n>",
        "stop a listing after this many pages (default 1001: a million items at 1000 a page; " +
          "env SNAPSENTRY_MAX_PAGES)",
      ),
    )
    .addOption(
      new Option("--webhook-url <url>", "POST failure alerts here (env SNAPSENTRY_WEBHOOK_URL)"),
    )
    .addOption(
      new Option(
        "--webhook-username <user>",
        "basic-auth user for the webhook (env SNAPSENTRY_WEBHOOK_USERNAME)",
      ),
    )
    .addOption(
      new Option(
        "--webhook-password <password>",
        "basic-auth password for the webhook; prefer env SNAPSENTRY_WEBHOOK_PASSWORD",
      ),
    )
    .version(BUILD_INFO.version, "-V, --version", "print the version and exit")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureHelp(HELP_CONFIG)
    .configureOutput({
      writeOut: (s) => deps.writeOut(s),
      writeErr: (s) => deps.writeErr(s),
    })
    .hook("preAction", (_root, action) => {
      globals = resolveGlobals(action.optsWithGlobals(), deps.env);
      logger = deps.makeLogger({ level: globals.logLevel, format: globals.logFormat });
      for (const w of globals.warnings) logger.warn(w.event, w.fields);
      state.logger = logger;
      state.logLevel = globals.logLevel;
    });
  withExamples(
    program,
    "snapsentry --cloud mycloud status",
    "snapsentry demo",
  );

  for (const register of COMMANDS) register(program, ctx);
  // Every subcommand shares the error handling and output configuration of the root.
  const configure = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureHelp(HELP_CONFIG).configureOutput({
        writeOut: (s) => deps.writeOut(s),
        writeErr: (s) => deps.writeErr(s),
      }).showSuggestionAfterError(true);
      configure(sub);
    }
  };
  configure(program);
  return program;
}

/** Runs the CLI on `argv` (without the program name) and returns the exit code. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const state: { exitCode: number; logger?: Logger; logLevel?: Level } = { exitCode: 0 };
  const program = buildProgram(deps, state);
  if (argv.length === 0) {
    deps.writeErr(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
        error.code === "commander.help"
      ) {
        return 0;
      }
      // commander already printed its message; usage errors exit 2.
      return 2;
    }
    const verbose = state.logLevel === "debug";
    deps.writeErr(errorLine(error, verbose));
    if (error instanceof SnapsentryError || error instanceof RangeError) {
      state.logger?.debug("command_failed", {
        error_code: error instanceof SnapsentryError ? error.code : "range_error",
        causes: describeError(error, true),
      });
      return error instanceof RangeError ? 2 : exitCodeFor(error);
    }
    // Not one of ours: a bug. Say so briefly; the stack only at debug level.
    state.logger?.debug("unexpected_error_stack", {
      stack: error instanceof Error ? error.stack : String(error),
    });
    return 1;
  }
}
