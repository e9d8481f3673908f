/**
 * The container image as the Dockerfile and the release workflow build it (no Docker daemon or
 * registry is reachable here, so the build itself runs in the release workflow): OCI labels, the
 * version and commit stamped into the binary, Docker's HEALTHCHECK through `snapsentry
 * healthcheck`, and one image reference shared by the workflow, the manifests and the
 * orchestrator's default.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { ORCHESTRATOR_DEFAULTS } from "../../src/k8s/mod.ts";

const ROOT = new URL("../../", import.meta.url);
const dockerfile = await Deno.readTextFile(new URL("Dockerfile", ROOT));
// Instructions with their continuation lines joined, comments dropped.
const instructions = dockerfile.replace(/\\\n/g, " ").split("\n").map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));
const runStage = instructions.slice(instructions.findLastIndex((l) => l.startsWith("FROM ")));

Deno.test("Dockerfile: OCI labels on the image, from build arguments", () => {
  const labels = runStage.filter((l) => l.startsWith("LABEL ")).join(" ");
  for (
    const [key, value] of [
      ["title", '"snapsentry"'],
      ["version", '"${VERSION}"'],
      ["revision", '"${REVISION}"'],
      ["created", '"${CREATED}"'],
      ["source", '"${SOURCE_URL}"'],
      ["description", '"'],
      ["base.name", '"gcr.io/distroless/cc-debian12:nonroot"'],
    ]
  ) {
    assert.ok(labels.includes(`org.opencontainers.image.${key}=${value}`), `label ${key}`);
  }
  for (const arg of ["VERSION", "REVISION", "CREATED", "SOURCE_URL"]) {
    assert.ok(runStage.includes(`ARG ${arg}`), `the run stage declares ARG ${arg}`);
  }
});

Deno.test("Dockerfile: the build stamps version and commit into the binary", () => {
  const build = instructions.slice(0, instructions.findLastIndex((l) => l.startsWith("FROM ")));
  const run = build.find((l) => l.startsWith("RUN ") && l.includes("deno task compile"))!;
  assert.match(run, /SNAPSENTRY_VERSION="\$\{VERSION\}"/);
  assert.match(run, /SNAPSENTRY_COMMIT="\$\{REVISION\}"/);
  assert.match(run, /SOURCE_DATE_EPOCH=/);
  assert.match(run, /\.\/dist\/snapsentry version( |$)/, "the build shows the stamp");
  for (const arg of ["VERSION", "REVISION", "CREATED"]) assert.ok(build.includes(`ARG ${arg}`));
});

Deno.test("Dockerfile: HEALTHCHECK runs `snapsentry healthcheck` against the CMD's daemon", () => {
  const hc = runStage.find((l) => l.startsWith("HEALTHCHECK "))!;
  assert.match(hc, /CMD \["\/usr\/local\/bin\/snapsentry", "healthcheck"/);
  const cmd = runStage.find((l) => l.startsWith("CMD "))!;
  assert.match(cmd, /"daemon", "--bind-address", "0\.0\.0\.0:8080"/, "healthcheck's default port");
  assert.ok(runStage.includes("USER 65532:65532"));
});

Deno.test("one image reference: release workflow, manifests and the orchestrator's default", async () => {
  const version = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).version;
  const workflow = parse(
    await Deno.readTextFile(new URL(".github/workflows/release.yml", ROOT)),
  ) as {
    env: { IMAGE: string };
    jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
  };
  const image = `${workflow.env.IMAGE}:${version}`;
  assert.equal(ORCHESTRATOR_DEFAULTS.image, image);
  for (const f of ["cronjob.yaml", "deployment.yaml"]) {
    const text = await Deno.readTextFile(new URL(`deploy/kubernetes/${f}`, ROOT));
    const refs = [...text.matchAll(/ghcr\.io\/[\w./-]+:[\w.-]+/g)].map((m) => m[0]);
    assert.ok(refs.length > 0);
    for (const r of refs) assert.equal(r, image, `${f}`);
  }
  const push = workflow.jobs.image!.steps.find((s) =>
    s.uses?.startsWith("docker/build-push-action")
  );
  assert.ok(push?.with?.tags?.includes("${{ env.IMAGE }}:${{ steps.version.outputs.version }}"));
  for (const arg of ["VERSION=", "REVISION=", "CREATED=", "SOURCE_URL="]) {
    assert.ok(push?.with?.["build-args"]?.includes(arg), `build-arg ${arg}`);
  }
});
