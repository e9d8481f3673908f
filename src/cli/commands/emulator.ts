/**
 * `emulator`: serves the built-in emulated Keystone + Cinder on loopback and prints a clouds.yaml
 * that points at it, so every command can be tried without a cloud. The sample is either
 * `--volumes N` in a realistic shape, or an exact shape (`--servers`, `--volumes-per-server`,
 * `--shared`, `--unattached`); `--policy` subscribes it and `--snapshots-per-volume` seeds the
 * snapshots a run would have left (the benchmarks start it this way).
 */
import type { Command } from "commander";
import { POLICY_TYPES, type PolicyType } from "../../core/mod.ts";
import { createEmulator } from "../../emulator/mod.ts";
import { UsageError } from "../../errors.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { type SampleSpec, seedEmulatorSample } from "../emulator_sample.ts";

const MAX_VOLUMES = 100_000;
const MAX_SNAPSHOTS = 1_000_000;

interface EmulatorFlags {
  port: string;
  hostname: string;
  volumes?: string;
  servers?: string;
  volumesPerServer?: string;
  shared?: string;
  unattached?: string;
  policy?: string;
  snapshotsPerVolume?: string;
  windowsBack?: string;
  latencyMs?: string;
  snapshotDelay: string;
}

function num(v: string, flag: string, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) > max) {
    throw new UsageError(`Cannot use ${flag} "${v}": expected a whole number up to ${max}`);
  }
  return Number(v);
}

/** The sample the flags ask for; every bad value or combination is a UsageError. */
export function sampleSpecOf(flags: Omit<EmulatorFlags, "port" | "hostname" | "snapshotDelay">) {
  const shaped = flags.servers !== undefined || flags.volumesPerServer !== undefined ||
    flags.shared !== undefined || flags.unattached !== undefined;
  let spec: SampleSpec;
  if (shaped) {
    if (flags.volumes !== undefined) {
      throw new UsageError(
        "Cannot use --volumes with --servers, --volumes-per-server, --shared or --unattached: " +
          "give either a total (--volumes) or the shape",
      );
    }
    spec = {
      servers: num(flags.servers ?? "0", "--servers", MAX_VOLUMES),
      volumesPerServer: num(flags.volumesPerServer ?? "3", "--volumes-per-server", 100),
      shared: num(flags.shared ?? "0", "--shared", MAX_VOLUMES),
      unattached: num(flags.unattached ?? "0", "--unattached", MAX_VOLUMES),
    };
    const total = spec.servers * spec.volumesPerServer + spec.shared + spec.unattached;
    if (total > MAX_VOLUMES) {
      throw new UsageError(
        `Cannot seed ${total} volumes (--servers × --volumes-per-server + --shared + ` +
          `--unattached): at most ${MAX_VOLUMES}`,
      );
    }
    if (spec.shared > 0 && spec.servers === 0) {
      throw new UsageError(
        `Cannot use --shared "${flags.shared}" without --servers: a shared volume is attached ` +
          "to servers of the sample",
      );
    }
  } else {
    // A realistic shape: VMs with 3 volumes, a shared volume per 12, the rest unattached.
    const volumes = num(flags.volumes ?? "12", "--volumes", MAX_VOLUMES);
    const servers = Math.floor(volumes / 4);
    const shared = Math.floor(volumes / 12);
    spec = {
      servers,
      volumesPerServer: 3,
      shared,
      unattached: Math.max(0, volumes - servers * 3 - shared),
    };
  }
  if (flags.policy !== undefined) {
    const type = flags.policy.trim().toLowerCase();
    if (!(POLICY_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(
        `Cannot use --policy "${flags.policy}": expected ${POLICY_TYPES.join(", ")}`,
      );
    }
    spec.policy = type as PolicyType;
  }
  if (flags.snapshotsPerVolume !== undefined) {
    if (spec.policy === undefined) {
      throw new UsageError(
        "Cannot use --snapshots-per-volume without --policy: the snapshots are for a policy's " +
          "windows; add --policy daily (or weekly, monthly, express)",
      );
    }
    spec.snapshotsPerVolume = num(flags.snapshotsPerVolume, "--snapshots-per-volume", 1000);
    const volumes = spec.servers * spec.volumesPerServer + spec.shared + spec.unattached;
    if (volumes * spec.snapshotsPerVolume > MAX_SNAPSHOTS) {
      throw new UsageError(
        `Cannot seed ${volumes * spec.snapshotsPerVolume} snapshots (${volumes} volumes × ` +
          `--snapshots-per-volume ${spec.snapshotsPerVolume}): at most ${MAX_SNAPSHOTS}`,
      );
    }
  }
  if (flags.windowsBack !== undefined) {
    if (spec.snapshotsPerVolume === undefined) {
      throw new UsageError(
        "Cannot use --windows-back without --snapshots-per-volume: it says which windows the " +
          "seeded snapshots are for",
      );
    }
    spec.windowsBack = num(flags.windowsBack, "--windows-back", 10_000);
  }
  return spec;
}

export function registerEmulator(program: Command, ctx: CommandContext): void {
  const cmd = program.command("emulator")
    .description("Serve the built-in emulated OpenStack (Keystone + Cinder) on loopback")
    .option("--port <port>", "TCP port (0 = any free port)", "0")
    .option("--hostname <host>", "listen address (loopback only)", "127.0.0.1")
    .option("--volumes <n>", "sample volumes in a realistic shape (default 12)")
    .option("--servers <n>", "servers of the sample (instead of --volumes)")
    .option("--volumes-per-server <n>", "volumes attached to each server (default 3)")
    .option("--shared <n>", "multi-attached volumes, each on two servers (default 0)")
    .option("--unattached <n>", "unattached volumes (default 0)")
    .option("--policy <type>", "subscribe every volume: daily, weekly, monthly or express")
    .option("--snapshots-per-volume <k>", "managed snapshots per volume, one per policy window")
    .option(
      "--windows-back <b>",
      "the newest seeded snapshot is for the window b before the current one (0: nothing due)",
    )
    .option("--latency-ms <ms>", "real time added to every request (default 0)")
    .option("--snapshot-delay <ms>", "time a snapshot stays creating", "2000")
    .action(async (flags: EmulatorFlags) => {
      const port = num(flags.port, "--port", 65535);
      const delay = num(flags.snapshotDelay, "--snapshot-delay", 3_600_000);
      const latency = num(flags.latencyMs ?? "0", "--latency-ms", 60_000);
      const spec = sampleSpecOf(flags);
      if (!["127.0.0.1", "localhost", "::1"].includes(flags.hostname)) {
        throw new UsageError(
          `Cannot use --hostname "${flags.hostname}": the emulator listens on loopback only (127.0.0.1 or ::1)`,
        );
      }
      const emulator = createEmulator({
        clock: ctx.deps.clock,
        snapshotDelayMs: delay,
        realLatencyMs: latency,
      });
      const seeded = seedEmulatorSample(emulator, spec);
      let server;
      try {
        server = emulator.serve({ hostname: flags.hostname as "127.0.0.1", port });
      } catch (e) {
        if (e instanceof Deno.errors.AddrInUse) {
          throw new UsageError(
            `Cannot listen on ${flags.hostname}:${port}: address already in use; pass --port with a free port or 0`,
          );
        }
        throw e;
      }
      ctx.logger().info("emulator_started", { url: server.url, ...seeded });
      ctx.out(`# snapsentry emulator on ${server.url}; save as clouds.yaml, then:`);
      ctx.out(`#   OS_CLIENT_CONFIG_FILE=clouds.yaml snapsentry --cloud emulator status`);
      ctx.out(emulator.cloudsYaml());
      await new Promise<void>((resolve) => {
        const stop = ctx.deps.onSignal?.(() => {
          stop?.();
          resolve();
        });
        if (!stop) ctx.deps.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      await server.shutdown();
    });
  withExamples(
    cmd,
    "snapsentry emulator --port 5050 --volumes 40 > clouds.yaml",
    "snapsentry emulator --servers 300 --volumes-per-server 2 --shared 50 --unattached 350 \\\n" +
      "      --policy daily --snapshots-per-volume 3 --latency-ms 20 > clouds.yaml",
    "snapsentry emulator --volumes 100 --policy daily --snapshots-per-volume 3 --windows-back 1" +
      "   # every window due",
  );
}
