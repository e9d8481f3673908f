/**
 * `emulator`: serves the built-in emulated Keystone + Cinder on loopback and prints a clouds.yaml
 * that points at it, so every command can be tried without a cloud.
 */
import type { Command } from "commander";
import { createEmulator } from "../../emulator/mod.ts";
import { UsageError } from "../../errors.ts";
import { type CommandContext, withExamples } from "../command.ts";

export function registerEmulator(program: Command, ctx: CommandContext): void {
  const cmd = program.command("emulator")
    .description("Serve the built-in emulated OpenStack (Keystone + Cinder) on loopback")
    .option("--port <port>", "TCP port (0 = any free port)", "0")
    .option("--hostname <host>", "listen address (loopback only)", "127.0.0.1")
    .option("--volumes <n>", "sample volumes to create in the demo project", "12")
    .option("--snapshot-delay <ms>", "time a snapshot stays creating", "2000")
    .action(
      async (flags: { port: string; hostname: string; volumes: string; snapshotDelay: string }) => {
        const num = (v: string, flag: string, max: number) => {
          if (!/^\d+$/.test(v) || Number(v) > max) {
            throw new UsageError(`Cannot use ${flag} "${v}": expected a whole number up to ${max}`);
          }
          return Number(v);
        };
        const port = num(flags.port, "--port", 65535);
        const volumes = num(flags.volumes, "--volumes", 100_000);
        const delay = num(flags.snapshotDelay, "--snapshot-delay", 3_600_000);
        if (!["127.0.0.1", "localhost", "::1"].includes(flags.hostname)) {
          throw new UsageError(
            `Cannot use --hostname "${flags.hostname}": the emulator listens on loopback only (127.0.0.1 or ::1)`,
          );
        }
        const emulator = createEmulator({ snapshotDelayMs: delay });
        // A realistic shape: VMs with 3 volumes, a shared volume per 12, the rest unattached.
        const servers = Math.floor(volumes / 4);
        const shared = Math.floor(volumes / 12);
        emulator.seedSample(emulator.seed.demoProjectId, {
          servers,
          volumesPerServer: 3,
          shared,
          unattached: Math.max(0, volumes - servers * 3 - shared),
        });
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
        ctx.logger().info("emulator_started", { url: server.url, volumes });
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
      },
    );
  withExamples(
    cmd,
    "snapsentry emulator --port 5050 --volumes 40 > clouds.yaml",
  );
}
