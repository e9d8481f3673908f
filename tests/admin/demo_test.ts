import assert from "node:assert/strict";
import { demoOrchestratorPass } from "../../src/cli/demo/orchestrator.ts";
import { ManualClock } from "../../src/clock.ts";
import { createEmulator } from "../../src/emulator/mod.ts";
import { SNAPSENTRY_ACCESS_RULES } from "../../src/k8s/orchestrator.ts";

Deno.test("demoOrchestratorPass creates the demo project's daemon, then changes nothing", async () => {
  const clock = new ManualClock("2026-03-20T06:00:00Z", { autoAdvance: true });
  const emulator = createEmulator({ clock });
  const lines: string[] = [];
  const summary = await demoOrchestratorPass((t) => lines.push(t), emulator, clock);
  assert.equal(summary.projectId, emulator.seed.demoProjectId);
  assert.equal(summary.accessRules, SNAPSENTRY_ACCESS_RULES.length);
  assert.equal(summary.firstPassWrites, 3, "Secret, Deployment and the NetworkPolicy");
  assert.equal(summary.secondPassWrites, 0);
  assert.equal(summary.secondPassUnchanged, true);
  assert.ok(summary.args.includes("--bind-address"));
  const text = lines.join("\n");
  assert.match(text, /created: credential_issued, secret_created, deployment_created/);
  assert.match(text, new RegExp(`Secret snapsentry/${summary.secretName}`));
  assert.match(text, new RegExp(`Deployment snapsentry/${summary.deploymentName}: args daemon`));
  assert.match(text, /roles member, 11 access rules, restricted/);
  assert.match(text, /second pass: every project unchanged, 0 Kubernetes writes/);
  assert.ok(emulator.state.projects.get(summary.projectId)!.tags.includes("snapsentry-enabled"));
});
