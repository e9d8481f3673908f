/**
 * Where the Kubernetes client's configuration comes from: kubeconfig files (`loadKubeconfig`, one
 * file or a merged `KUBECONFIG` list) or the pod's service account (`loadInClusterConfig`). Readers are injected, so tests need no files.
 * Tokens and client keys are registered with the redaction layer as soon as they are read.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../errors.ts";
import { registerSecret } from "../redact.ts";
import { type Dict, isDict } from "./_dict.ts";

/** Everything needed to talk to one API server. */
export interface KubeConfig {
  /** `https://host:port`, no trailing slash. */
  server: string;
  /** Namespace of the kubeconfig context or of the pod; undefined when none is set. */
  namespace?: string;
  /** Bearer token (registered as a secret). */
  token?: string;
  /** The file the token came from; read again when it rotates (service-account tokens). */
  tokenFile?: string;
  /** PEM CA certificates to trust (instead of the system store). */
  caCerts?: string[];
  /** PEM client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  /** Where this came from, for messages: `kubeconfig /path (context "x")` or `in-cluster`. */
  source: string;
}

/** File and environment access, injected so tests need neither. */
export interface ConfigReaders {
  readTextFile(path: string): Promise<string>;
  env(name: string): string | undefined;
}

/** Readers over the real file system and environment. */
export const denoReaders: ConfigReaders = {
  readTextFile: (path) => Deno.readTextFile(path),
  env: (name) => Deno.env.get(name),
};

/** Service-account files mounted into every pod (unless automounting is off). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}

function resolvePath(base: string, path: string): string {
  return path.startsWith("/") ? path : `${base.endsWith("/") ? base : `${base}/`}${path}`;
}

function decodeBase64(value: string, what: string, where: string): string {
  try {
    const bin = atob(value.replace(/\s+/g, ""));
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    throw new ConfigError(`Cannot decode ${what} in ${where}: the value is not valid base64`);
  }
}

async function readFile(
  readers: ConfigReaders,
  path: string,
  what: string,
  where: string,
): Promise<string> {
  try {
    return await readers.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      `Cannot read ${what} "${path}" named in ${where}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

function normaliseServer(server: string, where: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ConfigError(`Cannot use server "${server}" from ${where}: it is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(
      `Cannot use server "${server}" from ${where}: the scheme must be https (or http for a local proxy)`,
    );
  }
  return server.replace(/\/+$/, "");
}

/** One named entry of a kubeconfig list, with the file that defined it (relative paths). */
interface Entry {
  value: Dict;
  file: string;
}

/** Kubeconfig files merged as kubectl merges `KUBECONFIG`: the first file to set a value wins. */
interface Merged {
  currentContext?: string;
  contexts: Map<string, Entry>;
  clusters: Map<string, Entry>;
  users: Map<string, Entry>;
}

function mergeInto(merged: Merged, doc: Dict, file: string): void {
  const current = doc["current-context"];
  if (merged.currentContext === undefined && typeof current === "string" && current !== "") {
    merged.currentContext = current;
  }
  const lists = [["contexts", "context"], ["clusters", "cluster"], ["users", "user"]] as const;
  for (const [list, field] of lists) {
    const entries = doc[list];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (!isDict(entry) || typeof entry.name !== "string") continue;
      const map = merged[list];
      if (map.has(entry.name)) continue;
      map.set(entry.name, { value: isDict(entry[field]) ? entry[field] as Dict : {}, file });
    }
  }
}

function names(map: Map<string, Entry>): string {
  const all = [...map.keys()].map((n) => `"${n}"`);
  return all.length ? all.join(", ") : "none";
}

async function parseKubeconfigFile(
  path: string,
  readers: ConfigReaders,
  optional: boolean,
): Promise<Dict | undefined> {
  let text: string;
  try {
    text = await readers.readTextFile(path);
  } catch (error) {
    if (
      optional && (error instanceof Deno.errors.NotFound || (error as Error)?.name === "NotFound")
    ) {
      return undefined;
    }
    throw new ConfigError(
      `Cannot read kubeconfig "${path}": ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
        hint: "pass --kubeconfig with a readable file, set KUBECONFIG, or use --incluster in a pod",
      },
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    // The library's message goes on with the offending lines, which may hold a token: keep only
    // its first line (what is wrong and where).
    const what = (error instanceof Error ? error.message : String(error)).split("\n")[0]!
      .replace(/:$/, "");
    throw new ConfigError(`Cannot parse kubeconfig "${path}": ${what}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isDict(doc)) {
    throw new ConfigError(`Cannot parse kubeconfig "${path}": expected a YAML mapping`);
  }
  return doc;
}

/** The files named by a `KUBECONFIG` value (colon-separated; empty entries skipped). */
export function kubeconfigPaths(value: string): string[] {
  return value.split(":").map((p) => p.trim()).filter((p) => p !== "");
}

/**
 * Loads a kubeconfig: its current context (or `context`), that context's cluster and user.
 * `path` is one file (`--kubeconfig`, which must exist) or the list of a `KUBECONFIG` variable,
 * merged as kubectl does: files that do not exist are skipped, and for `current-context` and
 * each named context, cluster and user the first file that sets it wins. Relative file paths are
 * resolved against the folder of the file that holds them, as kubectl does.
 */
export async function loadKubeconfig(
  path: string | readonly string[],
  readers: ConfigReaders = denoReaders,
  options: { context?: string } = {},
): Promise<KubeConfig> {
  const files = typeof path === "string" ? [path] : [...path];
  const label = files.join(":");
  const merged: Merged = { contexts: new Map(), clusters: new Map(), users: new Map() };
  let found = 0;
  for (const file of files) {
    const doc = await parseKubeconfigFile(file, readers, typeof path !== "string");
    if (doc === undefined) continue;
    found++;
    mergeInto(merged, doc, file);
  }
  if (found === 0) {
    throw new ConfigError(`Cannot read kubeconfig "${label}": none of its files exists`, {
      hint: "point KUBECONFIG at an existing file, or pass --kubeconfig or --incluster",
    });
  }
  const contextName = options.context ?? merged.currentContext;
  if (typeof contextName !== "string" || contextName === "") {
    throw new ConfigError(
      `Cannot choose a context in kubeconfig "${label}": current-context is not set; defined contexts are ${
        names(merged.contexts)
      }`,
      { hint: "pass --context NAME" },
    );
  }
  const where = `kubeconfig "${label}" (context "${contextName}")`;
  const contextEntry = merged.contexts.get(contextName);
  if (!contextEntry) {
    throw new ConfigError(
      `Cannot find context "${contextName}" in kubeconfig "${label}": defined contexts are ${
        names(merged.contexts)
      }`,
    );
  }
  const context = contextEntry.value;
  const clusterName = String(context.cluster ?? "");
  const clusterEntry = merged.clusters.get(clusterName);
  if (!clusterEntry) {
    throw new ConfigError(
      `Cannot find cluster "${clusterName}" of ${where}: defined clusters are ${
        names(merged.clusters)
      }`,
    );
  }
  const cluster = clusterEntry.value;
  const userName = context.user === undefined ? undefined : String(context.user);
  const userEntry = userName === undefined
    ? { value: {}, file: contextEntry.file }
    : merged.users.get(userName);
  if (!userEntry) {
    throw new ConfigError(
      `Cannot find user "${userName}" of ${where}: defined users are ${names(merged.users)}`,
    );
  }
  const user = userEntry.value;
  if (cluster["insecure-skip-tls-verify"] === true) {
    throw new ConfigError(
      `Cannot use cluster "${clusterName}" of ${where}: insecure-skip-tls-verify is set and snapsentry never turns TLS verification off`,
      {
        hint: "set certificate-authority or certificate-authority-data to the cluster's CA instead",
      },
    );
  }
  if (typeof cluster.server !== "string" || cluster.server === "") {
    throw new ConfigError(`Cannot find the server of cluster "${clusterName}" in ${where}`);
  }
  const clusterBase = dirname(clusterEntry.file);
  const userBase = dirname(userEntry.file);
  const config: KubeConfig = { server: normaliseServer(cluster.server, where), source: where };
  if (typeof context.namespace === "string" && context.namespace !== "") {
    config.namespace = context.namespace;
  }

  if (typeof cluster["certificate-authority-data"] === "string") {
    config.caCerts = [
      decodeBase64(cluster["certificate-authority-data"], "certificate-authority-data", where),
    ];
  } else if (typeof cluster["certificate-authority"] === "string") {
    config.caCerts = [
      await readFile(
        readers,
        resolvePath(clusterBase, cluster["certificate-authority"]),
        "certificate-authority",
        where,
      ),
    ];
  }

  for (const unsupported of ["exec", "auth-provider"]) {
    if (user[unsupported] !== undefined) {
      throw new ConfigError(
        `Cannot use user "${userName}" of ${where}: "${unsupported}" credential plugins are not supported`,
        { hint: "use a service-account token or a client certificate in the kubeconfig" },
      );
    }
  }
  if (user.username !== undefined || user.password !== undefined) {
    throw new ConfigError(
      `Cannot use user "${userName}" of ${where}: basic authentication is not supported`,
      { hint: "use a service-account token or a client certificate in the kubeconfig" },
    );
  }
  if (typeof user.token === "string" && user.token !== "") {
    config.token = user.token;
  } else if (typeof user.tokenFile === "string") {
    const tokenFile = resolvePath(userBase, user.tokenFile);
    config.token = (await readFile(readers, tokenFile, "tokenFile", where)).trim();
    // Re-read on rotation, as client-go does for a tokenFile.
    config.tokenFile = tokenFile;
  }
  if (typeof user["client-certificate-data"] === "string") {
    config.cert = decodeBase64(user["client-certificate-data"], "client-certificate-data", where);
  } else if (typeof user["client-certificate"] === "string") {
    config.cert = await readFile(
      readers,
      resolvePath(userBase, user["client-certificate"]),
      "client-certificate",
      where,
    );
  }
  if (typeof user["client-key-data"] === "string") {
    config.key = decodeBase64(user["client-key-data"], "client-key-data", where);
  } else if (typeof user["client-key"] === "string") {
    config.key = await readFile(
      readers,
      resolvePath(userBase, user["client-key"]),
      "client-key",
      where,
    );
  }
  if ((config.cert === undefined) !== (config.key === undefined)) {
    throw new ConfigError(
      `Cannot use user "${userName}" of ${where}: a client certificate needs both a certificate and a key`,
    );
  }
  if (config.token === undefined && config.cert === undefined) {
    throw new ConfigError(
      `Cannot find credentials for user "${userName}" of ${where}: set token, tokenFile or a client certificate and key`,
    );
  }
  if (config.token) registerSecret(config.token);
  if (config.key) registerSecret(config.key);
  return config;
}

/**
 * Loads the pod's service-account configuration: the API host from `KUBERNETES_SERVICE_HOST` and
 * `KUBERNETES_SERVICE_PORT`, and the token, CA and namespace files under {@link SERVICE_ACCOUNT_DIR}.
 */
export async function loadInClusterConfig(
  readers: ConfigReaders = denoReaders,
  dir = SERVICE_ACCOUNT_DIR,
): Promise<KubeConfig> {
  const host = readers.env("KUBERNETES_SERVICE_HOST");
  const port = readers.env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw new ConfigError(
      "Cannot use the in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set",
      { hint: "--incluster works only inside a pod; use --kubeconfig elsewhere" },
    );
  }
  const where = "the in-cluster service account";
  const read = async (name: string) => {
    try {
      return await readers.readTextFile(`${dir}/${name}`);
    } catch (error) {
      throw new ConfigError(
        `Cannot read "${dir}/${name}" of ${where}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        {
          cause: error,
          hint:
            "check that the pod mounts its service-account token (automountServiceAccountToken)",
        },
      );
    }
  };
  const token = (await read("token")).trim();
  if (token === "") {
    throw new ConfigError(`Cannot use the token in "${dir}/token" of ${where}: the file is empty`);
  }
  registerSecret(token);
  const ca = await read("ca.crt");
  let namespace: string | undefined;
  try {
    namespace = (await readers.readTextFile(`${dir}/namespace`)).trim() || undefined;
  } catch {
    namespace = undefined;
  }
  // An IPv6 service host needs brackets in a URL.
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const config: KubeConfig = {
    server: normaliseServer(`https://${hostPart}:${port}`, where),
    token,
    // The kubelet rotates a projected token about hourly: the client reads it again.
    tokenFile: `${dir}/token`,
    caCerts: [ca],
    source: "in-cluster",
  };
  if (namespace) config.namespace = namespace;
  return config;
}
