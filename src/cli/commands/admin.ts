/**
 * `snapsentry admin`: the administrator's commands, run with an admin profile (`--cloud`).
 *
 * - `list-subscribed-projects`: Keystone projects tagged `snapsentry-enabled` (all pages).
 * - `orchestrator`: one `snapsentry daemon` Deployment per tagged project (admin_orchestrator.ts).
 * - `metadefs install|show|uninstall`: the Glance metadata definitions for Horizon/Skyline.
 */
import type { Command } from "commander";
import {
  createGlanceMetadefsApi,
  glanceConnection,
  installMetadefs,
  METADEF_NAMESPACE,
  showMetadefs,
  uninstallMetadefs,
} from "../../admin/mod.ts";
import { AuthError, OpenStackHttpError } from "../../errors.ts";
import { ORCHESTRATOR_DEFAULTS } from "../../k8s/mod.ts";
import { cloudFor } from "../cloud.ts";
import { table } from "../output.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { registerOrchestrator } from "./admin_orchestrator.ts";

export { cloudSettingsOf } from "./admin_orchestrator.ts";

const DEFAULT_TAG = ORCHESTRATOR_DEFAULTS.projectTag;

function forbiddenToList(error: unknown): boolean {
  return (error instanceof AuthError && error.status === 403) ||
    (error instanceof OpenStackHttpError && error.status === 403);
}

function registerListProjects(admin: Command, ctx: CommandContext): void {
  const cmd = admin.command("list-subscribed-projects")
    .description("List the Keystone projects tagged for snapsentry (all pages)")
    .option("--tag <tag>", "project tag", DEFAULT_TAG)
    .option("--json", "machine-readable output")
    .action(async (flags: { tag: string; json?: boolean }) => {
      const cloud = await cloudFor(ctx);
      try {
        let projects;
        try {
          projects = await cloud.identity.listProjects({ tags: [flags.tag] });
        } catch (error) {
          if (forbiddenToList(error)) {
            throw new AuthError(
              `Cannot list projects tagged "${flags.tag}" in cloud "${cloud.config.name}": the command needs a credential allowed to list projects (admin, or a reader with system scope)`,
              { cause: error, status: 403, code: "forbidden" },
            );
          }
          throw error;
        }
        ctx.logger().info("subscribed_projects_listed", { tag: flags.tag, count: projects.length });
        if (flags.json) {
          ctx.json(projects.map((p) => ({
            id: p.id,
            name: p.name,
            domain_id: p.domainId,
            enabled: p.enabled,
            tags: p.tags,
          })));
          return;
        }
        if (projects.length === 0) {
          ctx.out(`No project is tagged "${flags.tag}"`);
          return;
        }
        ctx.out(
          table(
            ["PROJECT ID", "PROJECT NAME", "DOMAIN ID", "TAGS"],
            projects.map((p) => [p.id, p.name, p.domainId ?? "-", p.tags.join(", ")]),
          ).trimEnd(),
        );
      } finally {
        cloud.close();
      }
    });
  withExamples(
    cmd,
    "snapsentry --cloud admin admin list-subscribed-projects",
    "snapsentry --cloud admin admin list-subscribed-projects --json",
  );
}

async function withGlance<T>(
  ctx: CommandContext,
  action: string,
  fn: (api: ReturnType<typeof createGlanceMetadefsApi>) => Promise<T>,
): Promise<T> {
  const cloud = await cloudFor(ctx);
  const glance = glanceConnection(cloud, { fetch: ctx.deps.fetch, clock: ctx.deps.clock });
  try {
    return await fn(createGlanceMetadefsApi(glance.request));
  } catch (error) {
    if (error instanceof OpenStackHttpError && error.status === 403) {
      throw new AuthError(
        `Cannot ${action} metadata definitions "${METADEF_NAMESPACE}" in cloud "${cloud.config.name}": Glance refused (403); metadef writes need the admin role`,
        { cause: error, status: 403, code: "forbidden" },
      );
    }
    throw error;
  } finally {
    glance.close();
    cloud.close();
  }
}

function registerMetadefs(admin: Command, ctx: CommandContext): void {
  const metadefs = admin.command("metadefs")
    .description(
      `Glance metadata definitions (${METADEF_NAMESPACE}) so Horizon and Skyline show a form for the volume keys`,
    );
  withExamples(
    metadefs,
    "snapsentry --cloud admin admin metadefs install",
    "snapsentry --cloud admin admin metadefs show --json",
  );

  const install = metadefs.command("install")
    .description("Create or update the namespace and its properties (idempotent)")
    .option("--json", "machine-readable output")
    .action(async (flags: { json?: boolean }) => {
      const result = await withGlance(ctx, "install", (api) => installMetadefs(api, ctx.logger()));
      if (flags.json) return ctx.json(result);
      if (!result.changed) {
        ctx.out(`${METADEF_NAMESPACE} is up to date (${result.unchanged.length} properties)`);
        return;
      }
      ctx.out(
        `${METADEF_NAMESPACE}: namespace ${result.namespace}${
          result.resourceTypeAssociated ? ", associated with OS::Cinder::Volume" : ""
        }; properties ${result.created.length} created, ${result.updated.length} updated, ${result.deleted.length} deleted, ${result.unchanged.length} unchanged`,
      );
    });
  withExamples(install, "snapsentry --cloud admin admin metadefs install");

  const show = metadefs.command("show")
    .description("Show the installed namespace and properties (exit 1 when not installed)")
    .option("--json", "machine-readable output")
    .action(async (flags: { json?: boolean }) => {
      const ns = await withGlance(ctx, "show", (api) => showMetadefs(api));
      if (!ns) {
        if (flags.json) ctx.json(null);
        else {ctx.out(
            `${METADEF_NAMESPACE} is not installed; run: snapsentry admin metadefs install`,
          );}
        ctx.setExitCode(1);
        return;
      }
      if (flags.json) return ctx.json(ns);
      const props = ns.properties ?? {};
      ctx.out(
        `${ns.namespace} (${ns.display_name}), ${ns.visibility}${
          ns.protected ? ", protected" : ""
        }; resource types: ${
          (ns.resource_type_associations ?? []).map((a) => a.name).join(", ") || "-"
        }`,
      );
      ctx.out(
        table(
          ["PROPERTY", "TYPE", "DEFAULT", "TITLE"],
          Object.entries(props).map(([name, p]) => [
            name,
            p.type,
            p.default === undefined ? "-" : String(p.default),
            p.title,
          ]),
        ).trimEnd(),
      );
    });
  withExamples(show, "snapsentry --cloud admin admin metadefs show --json");

  const uninstall = metadefs.command("uninstall")
    .description("Remove the namespace (lifting its protection first)")
    .option("--json", "machine-readable output")
    .action(async (flags: { json?: boolean }) => {
      const result = await withGlance(
        ctx,
        "uninstall",
        (api) => uninstallMetadefs(api, ctx.logger()),
      );
      if (flags.json) return ctx.json(result);
      ctx.out(
        result.deleted
          ? `${METADEF_NAMESPACE} removed`
          : `${METADEF_NAMESPACE} was not installed; nothing to remove`,
      );
    });
  withExamples(uninstall, "snapsentry --cloud admin admin metadefs uninstall");
}

export function registerAdmin(program: Command, ctx: CommandContext): void {
  const admin = program.command("admin")
    .description(
      "Administrator commands: project discovery, the Kubernetes orchestrator, Glance metadefs",
    );
  withExamples(
    admin,
    "snapsentry --cloud admin admin list-subscribed-projects",
    "snapsentry --cloud admin admin orchestrator --kubeconfig ~/.kube/config",
    "snapsentry --cloud admin admin metadefs install",
  );
  registerListProjects(admin, ctx);
  registerOrchestrator(admin, ctx);
  registerMetadefs(admin, ctx);
}
