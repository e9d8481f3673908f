/**
 * `snapsentry admin`: the administrator's commands, run with an admin profile (`--cloud`).
 *
 * - `list-subscribed-projects`: Keystone projects tagged `snapsentry-enabled` (all pages).
 * - `orchestrator`: one `snapsentry daemon` Deployment per tagged project, each with a
 *   least-privilege application credential in its Secret (Go's flags, go-compatibility.md,
 *   plus role, interval, prune and the child schedules). Exit 0 when every project converged, 1 otherwise, 2 on usage
 *   or configuration errors.
 * - `metadefs install|show|uninstall`: the Glance metadata definitions for Horizon/Skyline.
 */
import type { Command } from "commander";
import { parseSchedule } from "../../daemon/mod.ts";
import {
  createAdminIdentity,
  createGlanceMetadefsApi,
  glanceConnection,
  installMetadefs,
  METADEF_NAMESPACE,
  showMetadefs,
  uninstallMetadefs,
} from "../../admin/mod.ts";
import { AuthError, OpenStackHttpError, UsageError } from "../../errors.ts";
import {
  type CloudSettings,
  type ConfigReaders,
  createKubeFetch,
  type KubeConfig,
  KubernetesClient,
  loadInClusterConfig,
  loadKubeconfig,
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorOptions,
  type OrchestratorResult,
  runOrchestrator,
} from "../../k8s/mod.ts";
import type { Cloud } from "../../openstack/mod.ts";
import { cloudFor } from "../cloud.ts";
import { durationFlag } from "../flags.ts";
import { table } from "../output.ts";
import { type CommandContext, withExamples } from "../command.ts";

const DEFAULT_TAG = ORCHESTRATOR_DEFAULTS.projectTag;

function forbiddenToList(error: unknown): boolean {
  return (error instanceof AuthError && error.status === 403) ||
    (error instanceof OpenStackHttpError && error.status === 403);
}

/** The admin profile's Keystone URL, region, interface and CA, for the project clouds.yaml. */
export function cloudSettingsOf(cloud: Cloud): CloudSettings {
  const settings: CloudSettings = {
    authUrl: cloud.config.auth.authUrl,
    interface: cloud.config.interface,
  };
  if (cloud.config.regionName) settings.regionName = cloud.config.regionName;
  // The loader refuses `verify: false`, so verification is always on; only the CA travels.
  const cas = cloud.config.tls.caCerts ?? [];
  if (cas.length > 0) {
    settings.cacert = {
      pem: cas.map((c) => (c.endsWith("\n") ? c : `${c}\n`)).join(""),
      ...(cloud.config.tls.caCertFile ? { sourcePath: cloud.config.tls.caCertFile } : {}),
    };
  }
  return settings;
}

interface OrchestratorFlags {
  incluster?: boolean;
  kubeconfig?: string;
  controllerRequestsCpu: string;
  controllerRequestsMemory: string;
  controllerLimitCpu: string;
  controllerLimitMemory: string;
  controllerNamespace: string;
  workloadSnapsentryImage: string;
  controllerRole: string;
  interval?: string;
  prune?: boolean;
  createSchedule: string;
  expireSchedule: string;
  tag: string;
  json?: boolean;
}

function printResult(ctx: CommandContext, result: OrchestratorResult, json: boolean): void {
  if (json) {
    ctx.json(result);
    return;
  }
  if (result.error) ctx.out(`Pass failed: ${result.error}`);
  if (result.projects.length > 0) {
    ctx.out(
      table(
        ["PROJECT ID", "PROJECT NAME", "ACTION", "CHANGES"],
        result.projects.map((p) => [
          p.projectId,
          p.name,
          p.action,
          p.action === "failed" ? (p.error ?? "") : (p.changes.join(", ") || "-"),
        ]),
      ).trimEnd(),
    );
  } else if (!result.error) {
    ctx.out("No tagged projects and nothing to prune");
  }
  for (const o of result.orphans) {
    ctx.out(
      `Kept ${o.projectId}${
        o.name ? ` (${o.name})` : ""
      }: the project lost its tag; run with --prune to remove its daemon and credential`,
    );
  }
  const count = (a: string) => result.projects.filter((p) => p.action === a).length;
  ctx.out(
    `${result.converged ? "Converged" : "Not converged"}: ${count("created")} created, ${
      count("updated")
    } updated, ${count("unchanged")} unchanged, ${count("pruned")} pruned, ${
      count("failed")
    } failed, ${result.orphans.length} kept without tag`,
  );
}

async function kubeConfigFor(ctx: CommandContext, flags: OrchestratorFlags): Promise<KubeConfig> {
  if (!!flags.incluster === !!flags.kubeconfig) {
    throw new UsageError(
      "Cannot choose the Kubernetes configuration: give exactly one of --incluster or --kubeconfig PATH",
    );
  }
  const readers: ConfigReaders = {
    readTextFile: ctx.deps.readTextFile,
    env: (name) => ctx.deps.env[name],
  };
  // Both loaders throw ConfigError (exit 2) for a missing or unreadable file.
  return flags.incluster
    ? await loadInClusterConfig(readers)
    : await loadKubeconfig(flags.kubeconfig!, readers);
}

function registerOrchestrator(admin: Command, ctx: CommandContext): void {
  const d = ORCHESTRATOR_DEFAULTS;
  const cmd = admin.command("orchestrator")
    .description(
      "Run one snapsentry daemon per Keystone project tagged snapsentry-enabled, in Kubernetes: " +
        "observe, diff, act (one pass, or every --interval)",
    )
    .option("--incluster", "use the pod's service account (token, CA, API host from the env)")
    .option("--kubeconfig <path>", "kubeconfig file (exactly one of this or --incluster)")
    .option(
      "--controller-requests-cpu <qty>",
      "CPU request of each project daemon",
      d.resources.requestsCpu,
    )
    .option(
      "--controller-requests-memory <qty>",
      "memory request of each project daemon",
      d.resources.requestsMemory,
    )
    .option(
      "--controller-limit-cpu <qty>",
      "CPU limit of each project daemon",
      d.resources.limitsCpu,
    )
    .option(
      "--controller-limit-memory <qty>",
      "memory limit of each project daemon",
      d.resources.limitsMemory,
    )
    .option("--controller-namespace <ns>", "namespace of the project daemons", d.namespace)
    .option("--workload-snapsentry-image <image>", "image of the project daemons", d.image)
    .option(
      "--controller-role <role>",
      "Keystone role the per-project credential carries (never admin unless you ask for it)",
      d.role,
    )
    .option(
      "--interval <duration>",
      "reconcile every DURATION, at least 10s (e.g. 10m or 1h30m); default: one pass",
    )
    .option("--prune", "remove the daemon, Secret and credential of projects that lost the tag")
    .option("--create-schedule <cron>", "the daemons' --create-schedule", d.createSchedule)
    .option("--expire-schedule <cron>", "the daemons' --expire-schedule", d.expireSchedule)
    .option("--tag <tag>", "Keystone project tag that opts a project in", DEFAULT_TAG)
    .option("--json", "print the pass result as JSON")
    .action(async (flags: OrchestratorFlags) => {
      const intervalMs = flags.interval === undefined
        ? undefined
        : durationFlag("--interval", flags.interval, { minMs: 10_000 });
      // The child daemons would refuse a bad schedule and crash-loop in every project: check the
      // expressions here with the daemon's own parser, before anything is written.
      parseSchedule(flags.createSchedule, { flag: "--create-schedule" });
      parseSchedule(flags.expireSchedule, { flag: "--expire-schedule" });
      const kubeConfig = await kubeConfigFor(ctx, flags);
      const globals = ctx.globals();
      const logger = ctx.logger();
      const cloud = await cloudFor(ctx);
      try {
        const options: OrchestratorOptions = {
          namespace: flags.controllerNamespace,
          image: flags.workloadSnapsentryImage,
          imagePullPolicy: d.imagePullPolicy,
          role: flags.controllerRole,
          resources: {
            requestsCpu: flags.controllerRequestsCpu,
            requestsMemory: flags.controllerRequestsMemory,
            limitsCpu: flags.controllerLimitCpu,
            limitsMemory: flags.controllerLimitMemory,
          },
          createSchedule: flags.createSchedule,
          expireSchedule: flags.expireSchedule,
          logLevel: d.logLevel,
          // Webhook settings reach the pods through the Secret, as environment variables.
          webhook: {
            ...(globals.webhookUrl ? { url: globals.webhookUrl } : {}),
            ...(globals.webhookUsername ? { username: globals.webhookUsername } : {}),
            ...(globals.webhookPassword ? { password: globals.webhookPassword } : {}),
          },
          prune: !!flags.prune,
          projectTag: flags.tag,
          cloud: cloudSettingsOf(cloud),
        };
        if (flags.controllerRole === "admin") {
          logger.warn("orchestrator_admin_role", {
            hint:
              "--controller-role admin gives every project daemon admin rights; member suffices",
          });
        }
        const kube = new KubernetesClient({
          config: kubeConfig,
          fetch: createKubeFetch(kubeConfig, ctx.deps.fetch),
        });
        const identity = createAdminIdentity({
          cloud,
          clock: ctx.deps.clock,
          logger,
          fetch: ctx.deps.fetch,
        });
        const result = await runOrchestrator(
          options,
          { identity, kube, clock: ctx.deps.clock, logger },
          {
            ...(intervalMs !== undefined ? { intervalMs } : {}),
            ...(ctx.deps.signal ? { signal: ctx.deps.signal } : {}),
            // In a loop every pass is printed; a single pass is printed below.
            ...(intervalMs !== undefined
              ? { onPass: (r: OrchestratorResult) => printResult(ctx, r, !!flags.json) }
              : {}),
          },
        );
        if (intervalMs === undefined) printResult(ctx, result, !!flags.json);
        ctx.setExitCode(result.converged ? 0 : 1);
      } finally {
        cloud.close();
      }
    });
  withExamples(
    cmd,
    "snapsentry --cloud snapsentry-admin admin orchestrator --kubeconfig ~/.kube/config",
    "snapsentry --cloud snapsentry-admin admin orchestrator --incluster --interval 10m --prune",
  );
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
