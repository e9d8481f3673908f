/**
 * An emulated OpenStack (Keystone + Cinder + Glance) and an emulated Kubernetes API behind one
 * fetch that dispatches by host, plus a CLI wired to both through virtual files: clouds.yaml and a
 * kubeconfig whose server is `https://kube.emulator.invalid`.
 */
import { parse as parseYaml } from "yaml";
import { ManualClock } from "../../src/clock.ts";
import type { CliDeps } from "../../src/cli/mod.ts";
import { createEmulator, type Emulator } from "../../src/emulator/mod.ts";
import { KubernetesEmulator } from "../../src/emulator/mod.ts";
import { decodeBase64, SECRET_KEYS } from "../../src/k8s/desired.ts";
import { type Cloud, openCloud } from "../../src/openstack/mod.ts";
import { cli, type CliResult } from "../helpers/cli.ts";

export const KUBE_HOST = "kube.emulator.invalid";
export const KUBECONFIG_PATH = "/virtual/kubeconfig";
export const CLOUDS_PATH = "/virtual/clouds.yaml";
export const TAG = "snapsentry-enabled";
export const NS = "snapsentry";

export const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: emu
contexts:
  - name: emu
    context: { cluster: emu, user: emu }
clusters:
  - name: emu
    cluster: { server: "https://${KUBE_HOST}" }
users:
  - name: emu
    user: { token: test-token }
`;

export interface AdminWorld {
  clock: ManualClock;
  os: Emulator;
  kube: KubernetesEmulator;
  /** Dispatches by host: the Kubernetes host to `kube`, everything else to `os`. */
  fetch: typeof fetch;
  files: Record<string, string>;
  /** Runs the CLI as `--cloud emulator-admin` (or `cloud`). */
  run(argv: string[], options?: { cloud?: string; overrides?: Partial<CliDeps> }): Promise<
    CliResult
  >;
}

export function adminWorld(start = "2026-01-15T12:00:00Z"): AdminWorld {
  const clock = new ManualClock(start, { autoAdvance: true });
  const os = createEmulator({ clock, snapshotDelayMs: 1000 });
  const kube = new KubernetesEmulator();
  const dispatch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined
      ? input
      : new Request(input, init);
    if (new URL(request.url).host === KUBE_HOST) return kube.fetch(request);
    return deleteUserShim(os, request) ?? os.fetch(request);
  };
  const files: Record<string, string> = {
    [CLOUDS_PATH]: os.cloudsYaml(),
    [KUBECONFIG_PATH]: KUBECONFIG,
  };
  const readTextFile = (p: string) => {
    const f = files[p];
    return f === undefined
      ? Promise.reject(new Deno.errors.NotFound(`No such file: ${p}`))
      : Promise.resolve(f);
  };
  return {
    clock,
    os,
    kube,
    fetch: dispatch as typeof fetch,
    files,
    run: (argv, options = {}) =>
      cli(["--cloud", options.cloud ?? "emulator-admin", ...argv], {
        clock,
        fetch: dispatch as typeof fetch,
        env: { OS_CLIENT_CONFIG_FILE: CLOUDS_PATH },
        readTextFile,
        ...options.overrides,
      }),
  };
}

/** Adds a project carrying the tag (plus `tags`). */
export function taggedProject(
  world: AdminWorld,
  name: string,
  opts: { domainId?: string; tags?: string[] } = {},
) {
  return world.os.addProject({
    name,
    tags: [TAG, ...(opts.tags ?? [])],
    ...(opts.domainId ? { domainId: opts.domainId } : {}),
  });
}

/** Decoded data of a Secret stored in the emulated Kubernetes. */
export function secretText(world: AdminWorld, name: string): Record<string, string> {
  const secret = world.kube.getObject("secrets", NS, name) as
    | { data?: Record<string, string> }
    | undefined;
  if (!secret) throw new Error(`no secret ${name}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = decodeBase64(v) ?? "";
  return out;
}

/** Opens the `snapsentry` profile of a project Secret's clouds.yaml against the emulator. */
export async function openSecretCloud(world: AdminWorld, secretName: string): Promise<Cloud> {
  const yaml = secretText(world, secretName)[SECRET_KEYS.cloudsYaml]!;
  parseYaml(yaml); // must be valid YAML
  return await openCloud({
    cloudName: "snapsentry",
    env: { OS_CLIENT_CONFIG_FILE: "/project/clouds.yaml" },
    readTextFile: (p) =>
      p === "/project/clouds.yaml"
        ? Promise.resolve(yaml)
        : Promise.reject(new Deno.errors.NotFound(p)),
    cwd: "/project",
    fetch: world.fetch,
    clock: world.clock,
  });
}

/**
 * `DELETE /v3/users/{id}`, which the emulated Keystone does not serve (src/emulator/keystone is
 * owned elsewhere): an admin token removes the user and its role assignments, as Keystone does.
 */
function deleteUserShim(os: Emulator, request: Request): Promise<Response> | undefined {
  const m = /\/identity\/v3\/users\/([^/]+)$/.exec(new URL(request.url).pathname);
  if (request.method !== "DELETE" || !m) return undefined;
  const token = os.state.tokens.get(request.headers.get("x-auth-token") ?? "");
  const adminRole = os.state.roleByName("admin")?.id;
  if (!token || !adminRole || !token.roleIds.includes(adminRole)) {
    return Promise.resolve(Response.json({ error: { code: 403 } }, { status: 403 }));
  }
  const id = decodeURIComponent(m[1]!);
  if (!os.state.users.delete(id)) {
    return Promise.resolve(Response.json({ error: { code: 404 } }, { status: 404 }));
  }
  for (const byUser of os.state.assignments.values()) byUser.delete(id);
  return Promise.resolve(new Response(null, { status: 204 }));
}

/** What SnapSentry-Go's orchestrator left for one project (reference §9). */
export interface GoSeed {
  deploymentName: string;
  secretName: string;
  userId: string;
  userName: string;
  password: string;
}

/**
 * Seeds exactly what SnapSentry-Go's orchestrator made for `project` (reference §9): the
 * Deployment `snapsentry-<id>` labelled app=snapsentry-go with its own selector, the Secret
 * `snapsentry-creds-<lower(id)>` with Go's clouds.yaml (`verify: false`, a password), and the
 * admin-role password user `snapsentry-<lower(name)>`.
 */
export function seedGoProject(
  world: AdminWorld,
  project: { id: string; name: string; domainId: string },
  options: { image?: string } = {},
): GoSeed {
  const labels = {
    "project-name": project.name.toLowerCase(),
    "project-id": project.id,
    "domain-id": project.domainId,
    app: "snapsentry-go",
  };
  const profile = `snapsentry-${project.name}-${project.id}`;
  const password = `snapsentry-${crypto.randomUUID()}`;
  const userName = `snapsentry-${project.name.toLowerCase()}`;
  const user = world.os.addUser({
    name: userName,
    password,
    domainId: project.domainId,
    defaultProjectId: project.id,
    roles: [{ projectId: project.id, role: "admin" }],
  });
  const authUrl = `${world.os.baseUrl}/identity/v3/`;
  const cloudsYaml = `clouds:
  ${profile}:
    auth:
      auth_url: ${authUrl}
      username: ${userName}
      password: ${password}
      project_name: ${project.name}
      user_domain_id: ${project.domainId}
      project_domain_id: ${project.domainId}
    region_name: RegionOne
    interface: public
    identity_api_version: 3
    auth_type: password
    timeout: 10
    verify: false
`;
  const secretName = `snapsentry-creds-${project.id.toLowerCase()}`;
  world.kube.seed("secrets", NS, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: secretName,
      namespace: NS,
      labels: {
        "project-name": labels["project-name"],
        "project-id": labels["project-id"],
        "domain-id": labels["domain-id"],
      },
    },
    type: "Opaque",
    stringData: { "clouds.yaml": cloudsYaml },
  });
  const deploymentName = `snapsentry-${project.id}`;
  world.kube.seed("deployments", NS, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: deploymentName, namespace: NS, labels },
    spec: {
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{
            name: "snapsentry-go",
            image: options.image ?? "ghcr.io/snapsentry/snapsentry-go:1.0.0",
            args: [
              "daemon",
              "--cloud",
              profile,
              "--log-level",
              "info",
              "--expire-schedule",
              "0 */1 * * *",
            ],
            env: [{ name: "GOMAXPROCS", value: "1" }, { name: "GOMEMLIMIT", value: "115MiB" }],
            imagePullPolicy: "IfNotPresent",
            resources: {
              requests: { cpu: "64m", memory: "32Mi" },
              limits: { cpu: "512m", memory: "128Mi" },
            },
            volumeMounts: [{
              name: "openstack-clouds-vol",
              mountPath: "/etc/openstack",
              readOnly: true,
            }],
          }],
          volumes: [{
            name: "openstack-clouds-vol",
            secret: { secretName: `snapsentry-creds-${project.id}`, defaultMode: 0o644 },
          }],
        },
      },
    },
  });
  return { deploymentName, secretName, userId: user.id, userName, password };
}
