/**
 * What a pass does once the Deployments it rolled are running: remove SnapSentry-Go's Secret,
 * delete rotated-out credentials, and report (or, with `--prune-go-users`, delete) Go's Keystone
 * user after checking that the new credential works. The wait is shared by every project of the
 * pass and bounded by `--rollout-timeout`; what is not rolled out by then is kept and finished by
 * a later pass (the Secret still names the retired credentials; Go's Secret is still there).
 *
 * @module
 */
import { formatDuration } from "../core/mod.ts";
import { describeError } from "../errors.ts";
import { ANNOTATION_KEYS } from "./desired.ts";
import { deploymentRolledOut } from "./desired_deployment.ts";
import type { _AfterRollout, _Pass } from "./orchestrator_act.ts";
import { credentialName, type GoUser } from "./orchestrator_identity.ts";
import type { GoUserOutcome } from "./orchestrator_report.ts";

/** How often a waiting pass looks at the Deployments again. */
export const ROLLOUT_POLL_MS = 5_000;

/** Runs the after-rollout work of `tasks`; appends Go's users to `goUsers`. */
export async function _finish(
  pass: _Pass,
  tasks: _AfterRollout[],
  goUsers: GoUserOutcome[],
): Promise<void> {
  const { clock, kube, identity } = pass.deps;
  const { options } = pass;
  const users = new Map<_AfterRollout, GoUser | undefined>();
  // Tasks that only look for Go's user need no wait when there is none.
  const waiting: _AfterRollout[] = [];
  for (const t of tasks) {
    if (!t.goSecret && t.retired.length === 0) {
      const user = identity.findGoUser ? await identity.findGoUser(t.project) : undefined;
      if (!user) continue;
      users.set(t, user);
    }
    waiting.push(t);
  }
  if (waiting.length === 0) return;
  const budget = formatDuration(options.rolloutTimeoutMs);
  if (options.dryRun) {
    for (const t of waiting) {
      const wait =
        `wait until Deployment ${pass.ns}/${t.deployment} has rolled out (up to ${budget})`;
      t.outcome.steps.push(wait);
      pass.journal.push(`${t.project.id}: ${wait}`);
      await cleanUp(pass, t, users, goUsers);
    }
    return;
  }
  const deadline = clock.now().add({ milliseconds: options.rolloutTimeoutMs });
  let left = waiting;
  for (;;) {
    const still: _AfterRollout[] = [];
    for (const t of left) {
      try {
        const d = await kube.get("deployments", pass.ns, t.deployment);
        if (!deploymentRolledOut(d)) {
          still.push(t);
          continue;
        }
        await cleanUp(pass, t, users, goUsers);
      } catch (error) {
        t.outcome.action = "failed";
        t.outcome.error = describeError(error);
        pass.log.error("orchestrator_project_failed", {
          project_id: t.project.id,
          project_name: t.project.name,
          error: t.outcome.error,
        });
      }
    }
    left = still;
    if (left.length === 0 || Temporal.Instant.compare(clock.now(), deadline) >= 0) break;
    await clock.sleep(ROLLOUT_POLL_MS);
  }
  for (const t of left) {
    const kept = [
      ...(t.goSecret ? [`SnapSentry-Go's Secret ${t.goSecret.metadata.name}`] : []),
      ...(t.retired.length ? [`${t.retired.length} rotated-out credential(s)`] : []),
      ...(users.get(t) ? [`SnapSentry-Go's user ${users.get(t)!.name}`] : []),
    ];
    t.outcome.pending =
      `Deployment ${pass.ns}/${t.deployment} has not rolled out within ${budget}; kept ${
        kept.join(", ")
      } until a later pass sees it running`;
    t.outcome.changes.push("rollout_pending");
    pass.log.warn("orchestrator_rollout_pending", {
      project_id: t.project.id,
      deployment: t.deployment,
      kept,
      hint: "check the pods (kubectl describe deployment); the next pass finishes the clean-up",
    });
  }
}

async function cleanUp(
  pass: _Pass,
  t: _AfterRollout,
  users: Map<_AfterRollout, GoUser | undefined>,
  goUsers: GoUserOutcome[],
): Promise<void> {
  const { identity, kube } = pass.deps;
  const { options } = pass;
  const log = pass.log.with({ project_id: t.project.id, project_name: t.project.name });
  const changes = t.outcome.changes;
  if (t.goSecret) {
    await pass.remove(t.outcome, "secrets", t.goSecret.metadata.name, " (SnapSentry-Go's)");
    changes.push("go_secret_deleted");
    if (t.outcome.action === "unchanged") t.outcome.action = "adopted";
    log.info("orchestrator_go_secret_deleted", { secret: t.goSecret.metadata.name });
  }
  if (t.retired.length > 0) {
    for (const id of t.retired) {
      await pass.write(
        t.outcome,
        `delete application credential ${id} in Keystone (rotated out)`,
        () =>
          identity.deleteProjectCredential(t.project, { name: credentialName(t.project.id), id }),
      );
    }
    await pass.write(
      t.outcome,
      `update ${pass.ref("secrets", t.secret)} (retired credentials gone)`,
      async () => {
        const fresh = await kube.get("secrets", pass.ns, t.secret);
        const annotations = { ...fresh.metadata.annotations };
        delete annotations[ANNOTATION_KEYS.retiredCredentials];
        await kube.replace("secrets", pass.ns, {
          ...fresh,
          metadata: { ...fresh.metadata, annotations },
        });
      },
    );
    changes.push("credential_retired");
    if (t.outcome.action === "unchanged") t.outcome.action = "updated";
    log.info("orchestrator_credential_retired", { application_credential_ids: t.retired });
  }
  if (!t.goUser || !identity.findGoUser) return;
  const user = users.has(t) ? users.get(t) : await identity.findGoUser(t.project);
  if (!user) return;
  const report = (action: GoUserOutcome["action"], reason?: string) =>
    goUsers.push({
      projectId: t.project.id,
      userId: user.id,
      name: user.name,
      action,
      ...(reason ? { reason } : {}),
    });
  if (!options.pruneGoUsers || !identity.deleteGoUser) {
    report("kept", "run with --prune-go-users to delete it once snapsentry's credential works");
    log.warn("orchestrator_go_user_kept", {
      user_id: user.id,
      user_name: user.name,
      hint:
        "SnapSentry-Go's password user holds the admin role on the project; --prune-go-users deletes it once the new credential works",
    });
    return;
  }
  if (!options.dryRun) {
    try {
      if (!identity.verifyProjectCredential) {
        throw new Error("this identity adapter cannot check a credential");
      }
      await identity.verifyProjectCredential(t.project, t.credential);
    } catch (error) {
      const reason = `snapsentry's credential does not work yet: ${describeError(error)}`;
      report("kept", reason);
      t.outcome.pending = `kept SnapSentry-Go's user ${user.name}: ${reason}`;
      log.warn("orchestrator_go_user_kept", { user_id: user.id, user_name: user.name, reason });
      return;
    }
  }
  await pass.write(
    t.outcome,
    `delete Keystone user ${user.name} (${user.id}, SnapSentry-Go's) after checking snapsentry's credential`,
    () => identity.deleteGoUser!(t.project, user),
  );
  report(options.dryRun ? "would_delete" : "deleted");
  changes.push("go_user_deleted");
  if (t.outcome.action === "unchanged") t.outcome.action = "updated";
  log.info("orchestrator_go_user_deleted", { user_id: user.id, user_name: user.name });
}
