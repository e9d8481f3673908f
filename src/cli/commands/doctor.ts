/**
 * `doctor`: authenticates and shows what snapsentry would use: project, region and where it came
 * from, block-storage endpoint, negotiated microversion and the server's range, and the snapshot
 * and gigabyte quotas with usage.
 */
import type { Command } from "commander";
import type { CloudConfig } from "../../openstack/mod.ts";
import { cloudFor } from "../cloud.ts";
import { type CommandContext, withExamples } from "../command.ts";
import type { GlobalOptions } from "../context.ts";

/** Where the cloud's region came from, in words (`--region`, `region_name in FILE`, …). */
export function regionOrigin(config: CloudConfig, globals: GlobalOptions): string | null {
  switch (config.regionSource) {
    case "requested":
      return globals.regionFrom ?? "the caller";
    case "region_name":
      return `region_name in ${config.source}`;
    case "regions":
      return `the first of regions in ${config.source}`;
    case "profile":
      return config.profile
        ? `the first region of profile "${config.profile.name}" (${config.profile.source})`
        : "the vendor profile";
    default:
      return null;
  }
}

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
      const config = cloud.config;
      const report = {
        cloud: config.name,
        source: config.source,
        auth_type: config.auth.type,
        region: {
          name: config.regionName ?? null,
          from: regionOrigin(config, ctx.globals()),
          known: config.knownRegions ?? [],
        },
        profile: config.profile ?? null,
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
        // Configuration warnings: a deprecated profile, a file holding the secret that others
        // can read, …
        warnings: config.warnings ?? [],
      };
      if (flags.json) return ctx.json(report);
      const lim = (n: number) => (n < 0 ? "unlimited" : String(n));
      ctx.out(
        [
          `Cloud:          ${report.cloud} (${report.source}, ${report.auth_type})`,
          `User:           ${report.user.name ?? "-"} (${report.user.id})`,
          `Project:        ${report.project.name ?? "-"} (${report.project.id ?? "-"})`,
          `Roles:          ${report.roles.join(", ") || "-"}`,
          `Region:         ${
            report.region.name === null
              ? "- (none set: the catalog's first matching endpoint)"
              : `${report.region.name} (from ${report.region.from})`
          }${
            report.region.known.length > 1
              ? `; cloud regions: ${report.region.known.join(", ")}`
              : ""
          }`,
          ...(report.profile
            ? [`Profile:        ${report.profile.name} (${report.profile.source})`]
            : []),
          `Block storage:  ${endpoint.serviceType}, ${endpoint.interface}, region ${
            endpoint.region ?? "-"
          }${endpoint.overridden ? " (override)" : ""}`,
          `                ${endpoint.url}`,
          `Microversion:   ${mv.chosen} (server ${mv.min} to ${mv.max})`,
          `Snapshots:      ${quota.snapshots.inUse} in use of ${lim(quota.snapshots.limit)}`,
          `Gigabytes:      ${quota.gigabytes.inUse} in use of ${lim(quota.gigabytes.limit)}`,
          ...report.warnings.map((w) => `WARN            ${w}`),
        ].join("\n"),
      );
    });
  withExamples(cmd, "snapsentry --cloud prod doctor", "OS_CLOUD=prod snapsentry doctor --json");
}
