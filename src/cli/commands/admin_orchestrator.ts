/**
 * `snapsentry admin orchestrator`: one `snapsentry daemon` Deployment per Keystone project tagged
 * `snapsentry-enabled`, each with a least-privilege, expiring application credential in its
 * Secret (Go's flags, go-compatibility.md, plus role, interval, prune, the child schedules, the
 * credential lifetime, SnapSentry-Go adoption and a dry run). Exit 0 when every project
 * converged, 1 otherwise, 2 on usage or configuration errors.
 */
import { type Command, Option } from "commander";
import { createAdminIdentity } from "../../admin/mod.ts";
import { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, parseSchedule } from "../../daemon/mod.ts";
import { UsageError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { staysOnThisHost } from "../../net.ts";
import {
  type CloudSettings,
  type ConfigReaders,
  createKubeFetch,
  createOrchestratorHealth,
  DEFAULT_PROMETHEUS_SELECTOR,
  type KubeConfig,
  kubeconfigPaths,
  KubernetesClient,
  loadInClusterConfig,
  loadKubeconfig,
  MIN_CREDENTIAL_TTL_MS,
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

/**
 * The admin profile's settings every project clouds.yaml needs: Keystone URL, region, interface,
 * the CA and client certificate and key (as PEM contents), `api_timeout` and the block-storage
 * keys. An endpoint override naming the admin's own project id gets `%(project_id)s` instead, so
 * each daemon reaches its own project.
 */
export function cloudSettingsOf(cloud: Cloud, adminProjectId?: string): CloudSettings {
  const { config } = cloud;
  const settings: CloudSettings = { authUrl: config.auth.authUrl, interface: config.interface };
  if (config.regionName) settings.regionName = config.regionName;
  // The loader refuses `verify: false`, so verification is always on; only the files travel.
  const pem = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
  const cas = config.tls.caCerts ?? [];
  if (cas.length > 0) {
    settings.cacert = {
      pem: cas.map(pem).join(""),
      ...(config.tls.caCertFile ? { sourcePath: config.tls.caCertFile } : {}),
    };
  }
  if (config.tls.cert && config.tls.key) {
    settings.cert = {
      pem: pem(config.tls.cert),
      ...(config.tls.certFile ? { sourcePath: config.tls.certFile } : {}),
    };
    settings.key = {
      pem: pem(config.tls.key),
      ...(config.tls.keyFile ? { sourcePath: config.tls.keyFile } : {}),
    };
  }
  if (config.apiTimeoutMs !== undefined) settings.apiTimeoutSeconds = config.apiTimeoutMs / 1000;
  const bs = config.blockStorage;
  const blockStorage: NonNullable<CloudSettings["blockStorage"]> = {};
  if (bs.serviceType && bs.serviceType !== "block-storage") {
    blockStorage.serviceType = bs.serviceType;
  }
  if (bs.interface) blockStorage.interface = bs.interface;
  if (bs.regionName) blockStorage.regionName = bs.regionName;
  if (bs.apiVersion) blockStorage.apiVersion = bs.apiVersion;
  if (bs.endpointOverride) {
    blockStorage.endpointOverride = adminProjectId
      ? bs.endpointOverride.split(adminProjectId).join("%(project_id)s")
      : bs.endpointOverride;
  }
  if (Object.keys(blockStorage).length > 0) settings.blockStorage = blockStorage;
  return settings;
}

interface OrchestratorFlags {
  incluster?: boolean;
  kubeconfig?: string;
  context?: string;
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
  credentialTtl: string;
  triggerToken?: boolean;
  networkPolicy: boolean;
  prometheusSelector?: string;
  adoptGo: boolean;
  pruneGoUsers?: boolean;
  dryRun?: boolean;
  rolloutTimeout: string;
  healthAddress?: string;
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
  if (result.dryRun) {
    const steps = result.steps;
    ctx.out(
      steps.length === 0
        ? "Dry run: nothing to write"
        : `Dry run: a real pass would make these writes, in order:\n${
          steps.map((s, i) => `  ${i + 1}. ${s}`).join("\n")
        }`,
    );
  }
  for (const p of result.projects) if (p.pending) ctx.out(`Pending ${p.projectId}: ${p.pending}`);
  for (const o of result.orphans) {
    ctx.out(
      `Kept ${o.projectId}${o.name ? ` (${o.name})` : ""}${
        o.go ? ", SnapSentry-Go's objects" : ""
      }: the project lost its tag; run with --prune to remove its daemon and credential`,
    );
  }
  for (const u of result.goUsers) {
    ctx.out(
      `SnapSentry-Go's Keystone user ${u.name} (${u.userId}) of ${u.projectId}: ${
        u.action.replace("_", " ")
      }${u.reason ? `; ${u.reason}` : ""}`,
    );
  }
  const count = (a: string) => result.projects.filter((p) => p.action === a).length;
  ctx.out(
    `${result.dryRun ? "Dry run, nothing written: " : ""}${
      result.converged ? "Converged" : "Not converged"
    }: ${count("created")} created, ${count("updated")} updated, ${
      count("adopted") ? `${count("adopted")} adopted from SnapSentry-Go, ` : ""
    }${count("unchanged")} unchanged, ${count("pruned")} pruned, ${
      count("failed")
    } failed, ${result.orphans.length} kept without tag`,
  );
}

async function kubeConfigFor(ctx: CommandContext, flags: OrchestratorFlags): Promise<KubeConfig> {
  const fromEnv = ctx.deps.env.KUBECONFIG;
  if (flags.incluster && flags.kubeconfig) {
    throw new UsageError(
      "Cannot choose the Kubernetes configuration: give one of --incluster or --kubeconfig PATH, not both",
    );
  }
  const readers: ConfigReaders = {
    readTextFile: ctx.deps.readTextFile,
    env: (name) => ctx.deps.env[name],
  };
  if (flags.incluster) {
    if (flags.context) {
      throw new UsageError("Cannot use --context with --incluster: a pod has one configuration");
    }
    return await loadInClusterConfig(readers);
  }
  const context = flags.context ? { context: flags.context } : {};
  // --kubeconfig wins over KUBECONFIG, as with kubectl; both loaders throw ConfigError (exit 2).
  if (flags.kubeconfig) return await loadKubeconfig(flags.kubeconfig, readers, context);
  if (fromEnv && kubeconfigPaths(fromEnv).length > 0) {
    return await loadKubeconfig(kubeconfigPaths(fromEnv), readers, context);
  }
  throw new UsageError(
    "Cannot choose the Kubernetes configuration: give --incluster, --kubeconfig PATH, or set KUBECONFIG",
  );
}

/** `key=value[,key=value]` to match labels. */
function selectorFlag(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/.exec(part);
    if (!m) {
      throw new UsageError(
        `Cannot use --prometheus-selector "${value}": expected key=value pairs separated by commas, such as app.kubernetes.io/name=prometheus`,
      );
    }
    out[m[1]!] = m[2]!;
  }
  if (Object.keys(out).length === 0) {
    throw new UsageError(
      `Cannot use --prometheus-selector "${value}": give at least one key=value pair`,
    );
  }
  return out;
}

function hostPortFlag(flag: string, value: string): { hostname: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!m || Number(m[3]) > 65535) {
    throw new UsageError(`Cannot use ${flag} "${value}": expected HOST:PORT, such as 0.0.0.0:8081`);
  }
  return { hostname: m[1] ?? m[2]!, port: Number(m[3]) };
}

export function registerOrchestrator(admin: Command, ctx: CommandContext): void {
  const d = ORCHESTRATOR_DEFAULTS;
  const cmd = admin.command("orchestrator")
    .description(
      "Run one snapsentry daemon per Keystone project tagged snapsentry-enabled, in Kubernetes: " +
        "observe, diff, act (one pass, or every --interval); takes SnapSentry-Go's objects over",
    )
    .option("--incluster", "use the pod's service account (token, CA, API host from the env)")
    .option("--kubeconfig <path>", "kubeconfig file (default: the KUBECONFIG list)")
    .option("--context <name>", "kubeconfig context to use instead of current-context")
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
      "--credential-ttl <duration>",
      "lifetime of each application credential; rotated when a third is left",
      "90d",
    )
    .option(
      "--interval <duration>",
      "reconcile every DURATION, at least 10s (e.g. 10m or 1h30m); default: one pass",
    )
    .option(
      "--health-address <host:port>",
      "with --interval: serve /healthz and /readyz for the orchestrator's own probes",
    )
    .option("--prune", "remove the daemon, Secret and credential of projects that lost the tag")
    .addOption(
      new Option(
        "--no-adopt-go",
        "leave SnapSentry-Go's Deployments alone (their projects then fail to converge)",
      ),
    )
    .option(
      "--prune-go-users",
      "delete SnapSentry-Go's Keystone users once snapsentry's credential works",
    )
    .option("--dry-run", "print every write a pass would make, and make none")
    .option(
      "--rollout-timeout <duration>",
      "how long a pass waits for rolled Deployments before cleaning up after them",
      "3m",
    )
    .option(
      "--trigger-token",
      "give each daemon its own trigger token (SNAPSENTRY_API_TOKEN from its Secret)",
    )
    .addOption(
      new Option("--no-network-policy", "do not manage the daemons' NetworkPolicy"),
    )
    .option(
      "--prometheus-selector <labels>",
      "pods the NetworkPolicy admits to the daemons' port 8080 (default app.kubernetes.io/name=prometheus)",
    )
    .option("--create-schedule <cron>", "the daemons' --create-schedule", d.createSchedule)
    .option("--expire-schedule <cron>", "the daemons' --expire-schedule", d.expireSchedule)
    .option("--tag <tag>", "Keystone project tag that opts a project in", d.projectTag)
    .option("--json", "print the pass result as JSON")
    .action((flags: OrchestratorFlags) => runCommand(ctx, flags));
  withExamples(
    cmd,
    "snapsentry --cloud snapsentry-admin admin orchestrator --kubeconfig ~/.kube/config --dry-run",
    "snapsentry --cloud snapsentry-admin admin orchestrator --incluster --interval 10m --prune",
    "KUBECONFIG=~/.kube/a:~/.kube/b snapsentry --cloud admin admin orchestrator --context prod",
  );
}

async function runCommand(ctx: CommandContext, flags: OrchestratorFlags): Promise<void> {
  const d = ORCHESTRATOR_DEFAULTS;
  const intervalMs = flags.interval === undefined
    ? undefined
    : durationFlag("--interval", flags.interval, { minMs: 10_000 });
  const credentialTtlMs = durationFlag("--credential-ttl", flags.credentialTtl, {
    minMs: MIN_CREDENTIAL_TTL_MS,
  });
  const rolloutTimeoutMs = durationFlag("--rollout-timeout", flags.rolloutTimeout, {
    maxMs: 3_600_000,
  });
  const prometheusSelector = flags.prometheusSelector === undefined
    ? DEFAULT_PROMETHEUS_SELECTOR
    : selectorFlag(flags.prometheusSelector);
  const health = flags.healthAddress === undefined
    ? undefined
    : hostPortFlag("--health-address", flags.healthAddress);
  if (health && intervalMs === undefined) {
    throw new UsageError(
      `Cannot use --health-address "${flags.healthAddress}" without --interval: a single pass has nothing to probe`,
    );
  }
  if (flags.dryRun && intervalMs !== undefined) {
    throw new UsageError("Cannot use --dry-run with --interval: a dry run is one pass");
  }
  // The child daemons would refuse a bad schedule and crash-loop in every project: check the
  // expressions here with the daemon's own parser, before anything is written.
  parseSchedule(flags.createSchedule, { flag: "--create-schedule" });
  parseSchedule(flags.expireSchedule, { flag: "--expire-schedule" });
  const kubeConfig = await kubeConfigFor(ctx, flags);
  const globals = ctx.globals();
  const logger = ctx.logger();
  const cloud = await cloudFor(ctx);
  try {
    const adminProjectId = cloud.config.blockStorage.endpointOverride
      ? await cloud.session.projectId()
      : undefined;
    const settings = cloudSettingsOf(cloud, adminProjectId);
    if (settings.blockStorage?.endpointOverride !== cloud.config.blockStorage.endpointOverride) {
      logger.info("orchestrator_endpoint_override_templated", {
        hint: "the admin profile's block_storage_endpoint_override names the admin project; " +
          "each daemon gets %(project_id)s in its place",
      });
    }
    const options: OrchestratorOptions = {
      ...d,
      namespace: flags.controllerNamespace,
      image: flags.workloadSnapsentryImage,
      role: flags.controllerRole,
      resources: {
        requestsCpu: flags.controllerRequestsCpu,
        requestsMemory: flags.controllerRequestsMemory,
        limitsCpu: flags.controllerLimitCpu,
        limitsMemory: flags.controllerLimitMemory,
      },
      createSchedule: flags.createSchedule,
      expireSchedule: flags.expireSchedule,
      // Webhook settings reach the pods through the Secret, as environment variables.
      webhook: {
        ...(globals.webhookUrl ? { url: globals.webhookUrl } : {}),
        ...(globals.webhookUsername ? { username: globals.webhookUsername } : {}),
        ...(globals.webhookPassword ? { password: globals.webhookPassword } : {}),
      },
      prune: !!flags.prune,
      projectTag: flags.tag,
      cloud: settings,
      credentialTtlMs,
      shutdownTimeoutSeconds: DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
      triggerToken: !!flags.triggerToken,
      networkPolicy: flags.networkPolicy !== false,
      prometheusSelector,
      adoptGo: flags.adoptGo !== false,
      pruneGoUsers: !!flags.pruneGoUsers,
      dryRun: !!flags.dryRun,
      rolloutTimeoutMs,
    };
    if (flags.controllerRole === "admin") {
      logger.warn("orchestrator_admin_role", {
        hint: "--controller-role admin gives every project daemon admin rights; member suffices",
      });
    }
    warnKubeCleartext(kubeConfig, logger);
    const kube = new KubernetesClient({
      config: kubeConfig,
      fetch: createKubeFetch(kubeConfig, ctx.deps.fetch),
      readTextFile: ctx.deps.readTextFile,
    });
    const identity = createAdminIdentity({
      cloud,
      clock: ctx.deps.clock,
      logger,
      fetch: ctx.deps.fetch,
    });
    const probes = health && intervalMs !== undefined
      ? createOrchestratorHealth({ intervalMs, rolloutTimeoutMs, clock: ctx.deps.clock })
      : undefined;
    const server = probes && health
      ? Deno.serve({
        hostname: health.hostname,
        port: health.port,
        ...(ctx.deps.signal ? { signal: ctx.deps.signal } : {}),
        onListen: (addr) =>
          logger.info("orchestrator_health_listening", {
            address: `${addr.hostname}:${addr.port}`,
          }),
      }, probes.handler)
      : undefined;
    try {
      const result = await runOrchestrator(
        options,
        { identity, kube, clock: ctx.deps.clock, logger },
        {
          ...(intervalMs !== undefined ? { intervalMs } : {}),
          ...(ctx.deps.signal ? { signal: ctx.deps.signal } : {}),
          // In a loop every pass is printed; a single pass is printed below.
          ...(intervalMs !== undefined
            ? {
              onPass: (r: OrchestratorResult) => {
                probes?.passFinished(r);
                printResult(ctx, r, !!flags.json);
              },
            }
            : {}),
        },
      );
      if (intervalMs === undefined) printResult(ctx, result, !!flags.json);
      ctx.setExitCode(result.converged ? 0 : 1);
    } finally {
      await server?.shutdown();
    }
  } finally {
    cloud.close();
  }
}

/** A bearer token or client key sent to a Kubernetes API over plain HTTP is warned about. */
function warnKubeCleartext(config: KubeConfig, logger: Logger): void {
  let url: URL;
  try {
    url = new URL(config.server);
  } catch {
    return;
  }
  if (url.protocol !== "http:" || staysOnThisHost(url.hostname)) return;
  if (config.token === undefined && config.tokenFile === undefined) return;
  logger.warn("credentials_in_cleartext", {
    url: url.origin,
    sends: "kubernetes token",
    message:
      `The Kubernetes API ${url.origin} (${config.source}) is plain HTTP: its bearer token ` +
      "can be read on the path; use the https:// address of the API server",
  });
}
