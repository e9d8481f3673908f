/**
 * The admin profile's TLS settings reach the project daemons (issue 13): the admin clouds.yaml
 * names a CA, a client certificate and key, api_timeout and a block-storage endpoint override;
 * the project clouds.yaml the orchestrator writes carries them as mounted files, and the
 * project's own loader authenticates with it against a loopback Keystone + Cinder that demands a
 * client certificate.
 *
 * Deno.serve cannot ask for a client certificate, so the server is node:https (Deno's Node API)
 * with `requestCert` and `rejectUnauthorized`, in front of the emulator's fetch handler.
 */
import assert from "node:assert/strict";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { FILE_KEYS, SECRET_KEYS, secretName } from "../../src/k8s/desired.ts";
import type { Deployment } from "../../src/k8s/types.ts";
import { openCloud } from "../../src/openstack/mod.ts";
import {
  adminWorld,
  CLOUDS_PATH,
  KUBECONFIG_PATH,
  NS,
  secretText,
  taggedProject,
} from "./harness.ts";

const TLS = new URL("../fixtures/client/tls/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, TLS));

/** A loopback HTTPS server that requires a client certificate signed by client-ca.pem. */
async function mutualTlsServer(handler: (request: Request) => Promise<Response>) {
  const seen: { authorized: boolean; cn?: string }[] = [];
  const server = https.createServer({
    cert: read("server.pem"),
    key: read("server.key"),
    ca: read("client-ca.pem"),
    requestCert: true,
    rejectUnauthorized: true,
  }, async (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as unknown as {
      authorized: boolean;
      getPeerCertificate(): { subject?: { CN?: string } };
    };
    seen.push({
      authorized: socket.authorized,
      ...(socket.getPeerCertificate().subject?.CN
        ? { cn: socket.getPeerCertificate().subject!.CN! }
        : {}),
    });
    const chunks: Uint8Array[] = [];
    for await (const c of req) chunks.push(c as Uint8Array);
    const body = chunks.length ? new Blob(chunks as BlobPart[]) : null;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string") headers.set(k, v);
    }
    const response = await handler(
      new Request(`https://localhost${req.url}`, {
        method: req.method!,
        headers,
        ...(body && req.method !== "GET" && req.method !== "HEAD" ? { body } : {}),
      }),
    );
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => (out[k] = v));
    res.writeHead(response.status, out);
    res.end(new Uint8Array(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://localhost:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

Deno.test("a generated project clouds.yaml authenticates with the admin profile's client certificate", async () => {
  const w = adminWorld();
  const p = taggedProject(w, "alpha");
  w.os.addVolume(p.id, { name: "alpha-data" });
  const server = await mutualTlsServer((r) => w.os.fetch(r));
  try {
    // Keystone's catalog and every URL now point at the mutual-TLS server.
    w.os.baseUrl = server.url;
    const clouds = parseYaml(w.os.cloudsYaml()) as {
      clouds: Record<string, Record<string, unknown>>;
    };
    const adminProjectId = w.os.seed.adminProjectId;
    Object.assign(clouds.clouds["emulator-admin"]!, {
      cacert: "/admin/tls/ca.pem",
      cert: "/admin/tls/client.pem",
      key: "/admin/tls/client.key",
      api_timeout: 20,
      block_storage_endpoint_override: `${server.url}/volume/v3/${adminProjectId}`,
    });
    w.files[CLOUDS_PATH] = stringifyYaml(clouds);
    w.files["/admin/tls/ca.pem"] = read("ca.pem");
    w.files["/admin/tls/client.pem"] = read("client.pem");
    w.files["/admin/tls/client.key"] = read("client.key");

    // The admin pass itself runs in-process (the harness's fetch); only the result matters here.
    const r = await w.run(["admin", "orchestrator", "--kubeconfig", KUBECONFIG_PATH, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.logs.some((e) => e.event === "orchestrator_endpoint_override_templated"));

    const data = secretText(w, secretName(p.id));
    assert.equal(data[SECRET_KEYS.cacert], read("ca.pem"));
    assert.equal(data[SECRET_KEYS.clientCert], read("client.pem"));
    assert.equal(data[SECRET_KEYS.clientKey], read("client.key"));
    const profile = (parseYaml(data[SECRET_KEYS.cloudsYaml]!) as {
      clouds: { snapsentry: Record<string, unknown> };
    }).clouds.snapsentry;
    assert.deepEqual(
      {
        cacert: profile.cacert,
        cert: profile.cert,
        key: profile.key,
        api_timeout: profile.api_timeout,
        block_storage_endpoint_override: profile.block_storage_endpoint_override,
      },
      {
        cacert: "/etc/openstack/cacert.pem",
        cert: "/etc/openstack/client-cert.pem",
        key: "/etc/openstack/client-key.pem",
        api_timeout: 20,
        block_storage_endpoint_override: `${server.url}/volume/v3/%(project_id)s`,
      },
    );
    assert.ok(!data[SECRET_KEYS.cloudsYaml]!.includes("/admin/tls/"), "no admin host path");
    assert.ok(!JSON.stringify(r.stdout).includes("PRIVATE KEY"), "the key is never printed");
    // The pod mounts exactly those files where clouds.yaml points.
    const d = w.kube.getObject("deployments", NS, `snapsentry-${p.id}`) as unknown as Deployment;
    const items = d.spec.template.spec.volumes![0]!.secret!.items!.map((i) => i.path);
    assert.deepEqual(items, FILE_KEYS);
    assert.equal(d.spec.template.spec.containers[0]!.volumeMounts![0]!.mountPath, "/etc/openstack");

    // The daemon's view: its own loader reads the mounted files; the network is real TLS.
    const mounted = (yaml: string) => (path: string) => {
      if (path === "/etc/openstack/clouds.yaml") return Promise.resolve(yaml);
      const key = path.replace("/etc/openstack/", "");
      return key in data && path.startsWith("/etc/openstack/")
        ? Promise.resolve(data[key]!)
        : Promise.reject(new Deno.errors.NotFound(path));
    };
    const open = (yaml: string) =>
      openCloud({
        cloudName: "snapsentry",
        env: { OS_CLIENT_CONFIG_FILE: "/etc/openstack/clouds.yaml" },
        readTextFile: mounted(yaml),
        cwd: "/",
        // The real clock: the manual one would let the request timeout pass at once.
        retry: { maxRetries: 0 },
      });
    const cloud = await open(data[SECRET_KEYS.cloudsYaml]!);
    try {
      assert.equal(cloud.config.apiTimeoutMs, 20_000);
      const volumes = await (await cloud.blockStorage()).listVolumes();
      assert.deepEqual(volumes.map((v) => v.name), ["alpha-data"]);
    } finally {
      cloud.close();
    }
    assert.ok(server.seen.length > 0 && server.seen.every((s) => s.authorized));
    assert.equal(server.seen[0]!.cn, "snapsentry-test-client");

    // Without the client certificate the same server refuses the handshake.
    const bare = { ...profile };
    delete bare.cert;
    delete bare.key;
    const without = await open(stringifyYaml({ clouds: { snapsentry: bare } }));
    const requests = server.seen.length;
    try {
      await assert.rejects(() => without.blockStorage(), (e: Error) => {
        assert.match(
          `${e.message} ${String(e.cause)}`,
          /Cannot (POST|reach)|transport|TLS|handshake|fetch/i,
        );
        return true;
      });
      assert.equal(server.seen.length, requests, "no request got past the handshake");
    } finally {
      without.close();
    }
  } finally {
    await server.close();
  }
});
