/**
 * Schema check of the monitoring manifests in deploy/kubernetes/ (servicemonitor.yaml,
 * prometheusrule.yaml; src/k8s/manifest_schema_test.ts checks every manifest there): each
 * document is validated against the schemas of npm's kubernetes-models and its Prometheus
 * Operator models, so a typo in a field name or a wrong type fails here instead of at `kubectl
 * apply`. Also: the PrometheusRule carries exactly the rules file's groups, and the
 * ServiceMonitor's Service selects the pods the orchestrator creates.
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { DAEMON_PORT, projectLabels } from "../../src/k8s/mod.ts";

type Model = { validate(): void };
type ModelClass = new (data: never) => Model;

/** apiVersion/kind → its model. A manifest of a kind missing here fails the test: add it. */
const MODELS: Record<string, ModelClass> = {
  "apps/v1/Deployment": Deployment as unknown as ModelClass,
  "batch/v1/CronJob": CronJob as unknown as ModelClass,
  "v1/Namespace": Namespace as unknown as ModelClass,
  "v1/Secret": Secret as unknown as ModelClass,
  "v1/Service": Service as unknown as ModelClass,
  "v1/ServiceAccount": ServiceAccount as unknown as ModelClass,
  "rbac.authorization.k8s.io/v1/Role": Role as unknown as ModelClass,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding as unknown as ModelClass,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy as unknown as ModelClass,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor as unknown as ModelClass,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor as unknown as ModelClass,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule as unknown as ModelClass,
};

const DIR = new URL("../../deploy/kubernetes/", import.meta.url);
const MONITORING_FILES = ["prometheusrule.yaml", "servicemonitor.yaml"];

type Doc =
  & { apiVersion?: string; kind?: string; metadata?: { name?: string } }
  & Record<
    string,
    unknown
  >;

async function manifests(): Promise<{ file: string; doc: Doc }[]> {
  const out: { file: string; doc: Doc }[] = [];
  const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => /\.ya?ml$/.test(n))
    .sort();
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, DIR));
    for (const d of parseAllDocuments(text)) {
      assert.equal(d.errors.length, 0, `${file}: ${d.errors[0]?.message}`);
      const doc = d.toJS() as Doc | null;
      if (doc) out.push({ file, doc });
    }
  }
  return out;
}

function validate(doc: Doc): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}: add it to MODELS`);
  new Model(doc as never).validate();
}

Deno.test("the monitoring manifests validate against the Kubernetes and Operator schemas", async (t) => {
  const all = (await manifests()).filter((m) => MONITORING_FILES.includes(m.file));
  assert.deepEqual(all.map((m) => m.doc.kind).sort(), [
    "PrometheusRule",
    "Service",
    "ServiceMonitor",
  ]);
  for (const { file, doc } of all) {
    await t.step(`${file}: ${doc.kind} ${doc.metadata?.name}`, () => validate(doc));
  }
});

Deno.test("the schema check can fail: a misspelt field or a wrong type is refused", () => {
  const good = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: "x" },
    spec: { selector: {}, endpoints: [{ port: "http" }] },
  };
  validate(good);
  assert.throws(() =>
    validate({ ...good, spec: { selector: {}, endpoints: [{ port: "http", interval: 60 }] } })
  );
  assert.throws(() =>
    validate({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: { selector: {}, template: { spec: { containers: [{ image: "i" }] } } },
    })
  );
  assert.throws(() => validate({ apiVersion: "v9", kind: "Nope" }), /no schema/);
});

Deno.test("the PrometheusRule carries exactly the groups of deploy/prometheus/snapsentry.rules.yaml", async () => {
  const rules = parse(
    await Deno.readTextFile(
      new URL("../../deploy/prometheus/snapsentry.rules.yaml", import.meta.url),
    ),
  );
  const pr = (await manifests()).find((m) => m.doc.kind === "PrometheusRule")!.doc as {
    spec: { groups: unknown };
  };
  assert.deepEqual(
    pr.spec.groups,
    rules.groups,
    "copy the groups of deploy/prometheus/snapsentry.rules.yaml into prometheusrule.yaml",
  );
});

Deno.test("the ServiceMonitor's Service selects the daemon pods the orchestrator creates", async () => {
  const all = await manifests();
  const service = all.find((m) => m.doc.kind === "Service" && m.file === "servicemonitor.yaml")!
    .doc as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { selector: Record<string, string>; ports: { name: string; port: number }[] };
    };
  const monitor = all.find((m) => m.doc.kind === "ServiceMonitor")!.doc as unknown as {
    spec: {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string }[];
      podTargetLabels: string[];
    };
  };
  const pod = projectLabels({ id: "3f2a0c", name: "demo" });
  for (const [k, v] of Object.entries(service.spec.selector)) {
    assert.equal(pod[k], v, `daemon pods carry ${k}=${v}`);
  }
  for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) {
    assert.equal(service.metadata.labels[k], v, `the Service carries ${k}=${v}`);
  }
  assert.equal(service.spec.ports[0]!.port, DAEMON_PORT);
  assert.equal(monitor.spec.endpoints[0]!.port, service.spec.ports[0]!.name);
  for (const l of monitor.spec.podTargetLabels) assert.ok(l in pod, `pods carry ${l}`);
});
