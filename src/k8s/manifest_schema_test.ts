/**
 * The shipped manifests and the objects the orchestrator writes, checked against the Kubernetes
 * OpenAPI schemas (types, required fields, formats) as packaged by npm's `kubernetes-models`
 * (a test-only dependency, pinned in deno.json).
 * It checks no unknown fields; the emulated API and the field-by-field tests cover those.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { deploymentName } from "./desired.ts";
import { desiredDeployment, withSpecHash } from "./desired_deployment.ts";
import { desiredNetworkPolicy } from "./desired_network.ts";
import { desiredSecret, secretContent } from "./desired_secret.ts";
import { ORCHESTRATOR_DEFAULTS } from "./orchestrator_options.ts";

// deno-lint-ignore no-explicit-any
type Model = new (data: any) => { validate(): void };
const MODELS: Record<string, Model> = {
  CronJob,
  Deployment,
  Namespace,
  NetworkPolicy,
  Role,
  RoleBinding,
  Secret,
  Service,
  ServiceAccount,
  // The Prometheus Operator's kinds (prometheusrule.yaml, servicemonitor.yaml).
  PrometheusRule,
  ServiceMonitor,
};

function validate(object: Record<string, unknown>, where: string): void {
  const kind = String(object.kind);
  const model = MODELS[kind];
  assert.ok(model, `${where}: no schema for kind ${kind}`);
  try {
    new model(object).validate();
  } catch (error) {
    throw new Error(`${where} (${kind}) does not match the schema: ${(error as Error).message}`);
  }
}

Deno.test("deploy/kubernetes manifests match the Kubernetes schemas", async () => {
  const dir = new URL("../../deploy/kubernetes/", import.meta.url);
  let checked = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".yaml") || entry.name === "kustomization.yaml") continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    for (const doc of parseAllDocuments(text)) {
      validate(doc.toJS() as Record<string, unknown>, entry.name);
      checked++;
    }
  }
  assert.ok(checked >= 8, `checked ${checked} manifests`);
});

Deno.test("the orchestrator's objects match the Kubernetes schemas", async () => {
  const project = { id: "0a1b2c3d4e5f60718293a4b5c6d7e8f9", name: "Équipe / Prod", domainId: "d" };
  const content = secretContent(
    { application_credential_id: "id", application_credential_secret: "s3cret" },
    {
      authUrl: "https://keystone.example/v3",
      cacert: { pem: "CA" },
      cert: { pem: "CERT" },
      key: { pem: "KEY" },
      apiTimeoutSeconds: 30,
    },
    { url: "https://hooks.example/x", password: "p" },
    { apiToken: "t".repeat(64) },
  );
  const settings = {
    ...ORCHESTRATOR_DEFAULTS,
    resources: { ...ORCHESTRATOR_DEFAULTS.resources },
  };
  const deployment = await withSpecHash(
    desiredDeployment(project, settings, Object.keys(content), "hash"),
  );
  assert.equal(deployment.metadata.name, deploymentName(project.id));
  validate(deployment as unknown as Record<string, unknown>, "desiredDeployment");
  validate(
    desiredSecret(project, "snapsentry", content, { rulesHash: "abcd1234" }) as unknown as Record<
      string,
      unknown
    >,
    "desiredSecret",
  );
  validate(
    desiredNetworkPolicy("snapsentry", { app: "prometheus" }) as unknown as Record<
      string,
      unknown
    >,
    "desiredNetworkPolicy",
  );
  // The check bites: a string where the schema wants an integer is refused.
  const broken = structuredClone(deployment) as unknown as Record<string, unknown>;
  // deno-lint-ignore no-explicit-any
  (broken as any).spec.template.spec.terminationGracePeriodSeconds = "75";
  assert.throws(() => validate(broken, "broken"), /terminationGracePeriodSeconds must be integer/);
});
