/**
 * `doctor`: authenticates and shows what snapsentry would use: project, block-storage endpoint,
 * negotiated microversion and the server's range, and the snapshot and gigabyte quotas with usage.
 */
import type { Command } from "commander";
import { cloudFor } from "../cloud.ts";
import { type CommandContext, withExamples } from "../command.ts";

export function registerDoctor(program: Command, ctx: CommandContext): void {
  const cmd = program.command("doctor")
    .description("Check authentication, endpoint, microversion and quotas of a cloud")
    .option("--json", "machine-readable output")
    .action(async (flags: { json?: boolean }) => {
      const cloud = await cloudFor(ctx);
      const token = await cloud.session.tokenInfo();
      const endpoint = await cloud.blockStorageEndpoint();
      const mv = await cloud.microversion();
      const cinder = await cloud.blockStorage();
      const quota = await cinder.getQuotaSet();
      const report = {
        cloud: cloud.config.name,
        source: cloud.config.source,
        auth_type: cloud.config.auth.type,
        user: { id: token.userId, name: token.userName ?? null },
        project: { id: token.projectId ?? null, name: token.projectName ?? null },
        roles: token.roles,
        token_expires_at: token.expiresAt.toString(),
        block_storage: {
          service_type: endpoint.serviceType,
          interface: endpoint.interface,
          region: endpoint.region,
          url: endpoint.url,
          overridden: endpoint.overridden,
        },
        microversion: { chosen: mv.chosen, server_min: mv.min, server_max: mv.max },
        quotas: {
          snapshots: quota.snapshots,
          gigabytes: quota.gigabytes,
          volumes: quota.volumes,
        },
      };
      if (flags.json) return ctx.json(report);
      const lim = (n: number) => (n < 0 ? "unlimited" : String(n));
      ctx.out(
        [
          `Cloud:          ${report.cloud} (${report.source}, ${report.auth_type})`,
          `User:           ${report.user.name ?? "-"} (${report.user.id})`,
          `Project:        ${report.project.name ?? "-"} (${report.project.id ?? "-"})`,
          `Roles:          ${report.roles.join(", ") || "-"}`,
          `Block storage:  ${endpoint.serviceType}, ${endpoint.interface}, region ${
            endpoint.region ?? "-"
          }${endpoint.overridden ? " (override)" : ""}`,
          `                ${endpoint.url}`,
          `Microversion:   ${mv.chosen} (server ${mv.min} to ${mv.max})`,
          `Snapshots:      ${quota.snapshots.inUse} in use of ${lim(quota.snapshots.limit)}`,
          `Gigabytes:      ${quota.gigabytes.inUse} in use of ${lim(quota.gigabytes.limit)}`,
        ].join("\n"),
      );
    });
  withExamples(cmd, "snapsentry --cloud prod doctor", "OS_CLOUD=prod snapsentry doctor --json");
}
