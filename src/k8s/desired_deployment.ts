/**
 * The desired Deployment of a project: `snapsentry daemon` against the mounted Secret, with
 * startup, liveness and readiness probes, a grace period longer than the daemon's shutdown
 * timeout, a non-root read-only container, and the Secret's non-file keys as environment
 * variables (never in the arguments).
 *
 * @module
 */
import {
  ANNOTATION_KEYS,
  CLOUD_PROFILE,
  CONFIG_MOUNT_PATH,
  contentHash,
  DAEMON_PORT,
  deploymentName,
  FILE_KEYS,
  NON_ROOT_UID,
  projectAnnotations,
  projectLabels,
  type ProjectRef,
  SECRET_KEYS,
  secretName,
  selectorLabels,
} from "./desired.ts";
import type { Deployment, EnvVar } from "./types.ts";

/** Resources of each project daemon (the `--controller-*` flags). */
export interface WorkloadResources {
  requestsCpu: string;
  requestsMemory: string;
  limitsCpu: string;
  limitsMemory: string;
}

/** What every project Deployment shares. */
export interface WorkloadSettings {
  namespace: string;
  image: string;
  imagePullPolicy: string;
  resources: WorkloadResources;
  createSchedule: string;
  expireSchedule: string;
  logLevel: string;
  /** The daemon's `--shutdown-timeout`: how long a run in flight may finish after SIGTERM. */
  shutdownTimeoutSeconds: number;
}

/**
 * Seconds the pod gets past the daemon's shutdown timeout before the kubelet kills it: the
 * timeout covers the run in flight, this covers the webhook and the HTTP server closing.
 */
export const GRACE_MARGIN_SECONDS = 15;

/** The container arguments of a project daemon. No secret ever appears here. */
export function daemonArgs(settings: WorkloadSettings): string[] {
  return [
    "daemon",
    "--cloud",
    CLOUD_PROFILE,
    "--bind-address",
    `0.0.0.0:${DAEMON_PORT}`,
    "--create-schedule",
    settings.createSchedule,
    "--expire-schedule",
    settings.expireSchedule,
    "--log-level",
    settings.logLevel,
    "--shutdown-timeout",
    `${settings.shutdownTimeoutSeconds}s`,
  ];
}

/** Environment variables taken from the Secret, when it has the key. */
const ENV_KEYS = [
  SECRET_KEYS.webhookUrl,
  SECRET_KEYS.webhookUsername,
  SECRET_KEYS.webhookPassword,
  SECRET_KEYS.apiToken,
];

/**
 * The desired Deployment of a project, without the spec-hash annotation (added by
 * {@link withSpecHash}). `secretKeys` lists the Secret's keys, so only present settings become
 * environment variables or files.
 */
export function desiredDeployment(
  project: ProjectRef,
  settings: WorkloadSettings,
  secretKeys: readonly string[],
  configHash: string,
): Deployment {
  const labels = projectLabels(project);
  const secret = secretName(project.id);
  const env: EnvVar[] = [
    { name: "OS_CLIENT_CONFIG_FILE", value: `${CONFIG_MOUNT_PATH}/${SECRET_KEYS.cloudsYaml}` },
  ];
  for (const key of ENV_KEYS) {
    if (secretKeys.includes(key)) {
      env.push({ name: key, valueFrom: { secretKeyRef: { name: secret, key } } });
    }
  }
  const items = FILE_KEYS.filter((key) => secretKeys.includes(key)).map((key) => ({
    key,
    path: key,
  }));
  const probe = (path: string) => ({
    httpGet: { path, port: "http" },
    periodSeconds: 20,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: deploymentName(project.id),
      namespace: settings.namespace,
      labels,
      annotations: projectAnnotations(project),
    },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      // Two daemons of one project would snapshot twice: never run old and new pods together.
      strategy: { type: "Recreate" },
      selector: { matchLabels: selectorLabels(project) },
      template: {
        metadata: { labels, annotations: { [ANNOTATION_KEYS.configHash]: configHash } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // The daemon lets a run in flight finish for --shutdown-timeout after SIGTERM; the
          // default 30 s grace period would kill it half-way on every rollout.
          terminationGracePeriodSeconds: settings.shutdownTimeoutSeconds + GRACE_MARGIN_SECONDS,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NON_ROOT_UID,
            runAsGroup: NON_ROOT_UID,
            fsGroup: NON_ROOT_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: "snapsentry",
            image: settings.image,
            imagePullPolicy: settings.imagePullPolicy,
            args: daemonArgs(settings),
            env,
            ports: [{ name: "http", containerPort: DAEMON_PORT, protocol: "TCP" }],
            resources: {
              requests: {
                cpu: settings.resources.requestsCpu,
                memory: settings.resources.requestsMemory,
              },
              limits: {
                cpu: settings.resources.limitsCpu,
                memory: settings.resources.limitsMemory,
              },
            },
            // Liveness waits for the HTTP server (up to 2 minutes), so a slow start is not a
            // restart loop.
            startupProbe: {
              httpGet: { path: "/healthz", port: "http" },
              periodSeconds: 5,
              timeoutSeconds: 5,
              failureThreshold: 24,
            },
            livenessProbe: probe("/healthz"),
            readinessProbe: probe("/readyz"),
            securityContext: {
              runAsNonRoot: true,
              runAsUser: NON_ROOT_UID,
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: [
              { name: "cloud-config", mountPath: CONFIG_MOUNT_PATH, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          }],
          volumes: [
            { name: "cloud-config", secret: { secretName: secret, defaultMode: 0o440, items } },
            { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
          ],
        },
      },
    },
  };
}

/** Adds the spec-hash annotation (the hash of everything else in the desired Deployment). */
export async function withSpecHash(deployment: Deployment): Promise<Deployment> {
  const hash = await contentHash(deployment);
  return {
    ...deployment,
    metadata: {
      ...deployment.metadata,
      annotations: { ...deployment.metadata.annotations, [ANNOTATION_KEYS.specHash]: hash },
    },
  };
}

/**
 * Whether a Deployment's current generation is rolled out: observed by the controller, every
 * replica updated and available, no old one left (the test `kubectl rollout status` makes).
 */
export function deploymentRolledOut(d: Deployment): boolean {
  const status = (d.status ?? {}) as Record<string, number | undefined>;
  const replicas = d.spec.replicas ?? 1;
  if ((status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return false;
  const updated = status.updatedReplicas ?? 0;
  if (updated < replicas) return false;
  if ((status.replicas ?? 0) > updated) return false;
  return (status.availableReplicas ?? 0) >= updated;
}
