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
    return os.fetch(request);
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
