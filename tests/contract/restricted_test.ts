/**
 * Contract: the least-privilege application credential the orchestrator issues (service user on
 * the project, `member` role, SNAPSENTRY_ACCESS_RULES) is enough for doctor, create-snapshots,
 * status and expire-snapshots, and a call outside its rules (subscribe) is refused with a message
 * that names the missing rule. On a real cloud this checks the rules against Keystone's and
 * keystonemiddleware's real matching, the version document `GET /v3/` included.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { createAdminIdentity } from "../../src/admin/identity.ts";
import type { SummaryJson } from "../../src/exec/mod.ts";
import { SNAPSENTRY_ACCESS_RULES } from "../../src/k8s/orchestrator.ts";
import { cli } from "../helpers/cli.ts";
import { BACKEND, needs, withFixtures } from "./target.ts";

const CREDENTIAL_NAME = "snapsentry-contract-restricted";
const YAML_PATH = "/contract/restricted-clouds.yaml";

Deno.test(
  `contract[${BACKEND}]: the orchestrator's restricted application credential runs snapsentry`,
  {
    ...needs("member", "admin"),
  },
  async () => {
    await withFixtures(async (fx, target) => {
      const admin = await fx.open("admin");
      const member = await fx.open("member");
      const projectId = await member.session.projectId();
      const project = await admin.identity.getProject(projectId);
      const identity = createAdminIdentity({
        cloud: admin,
        clock: target.clock,
        fetch: target.fetch as typeof fetch,
      });
      const ref = {
        id: project.id,
        name: project.name,
        ...(project.domainId ? { domainId: project.domainId } : {}),
      };
      const cred = await identity.ensureProjectCredential(ref, {
        name: CREDENTIAL_NAME,
        role: "member",
        accessRules: SNAPSENTRY_ACCESS_RULES,
      });
      try {
        const auth = admin.config.auth as { authUrl: string };
        const yaml = stringify({
          clouds: {
            restricted: {
              auth_type: "v3applicationcredential",
              auth: {
                auth_url: auth.authUrl,
                application_credential_id: cred.application_credential_id,
                application_credential_secret: cred.application_credential_secret,
              },
              ...(admin.config.regionName ? { region_name: admin.config.regionName } : {}),
              ...(admin.config.tls.caCertFile ? { cacert: admin.config.tls.caCertFile } : {}),
            },
          },
        });
        const run = (argv: string[]) =>
          cli(["--cloud", "restricted", "--log-level", "warn", ...argv], {
            env: { ...target.env, OS_CLIENT_CONFIG_FILE: YAML_PATH },
            fetch: target.fetch as typeof fetch,
            clock: target.clock,
            readTextFile: (p) => p === YAML_PATH ? Promise.resolve(yaml) : target.readTextFile(p),
            cwd: Deno.cwd(),
            homeDir: undefined,
          });

        const v = await fx.createVolume(member, { name: "restricted" });
        // Outside the rules: writing volume metadata. Refused, with the rule named.
        const refused = await run([
          "subscribe",
          "daily",
          "--volume-id",
          v.id,
          "--start-time",
          "00:00",
        ]);
        assert.equal(refused.code, 1, refused.stderr);
        assert.match(
          refused.stderr,
          /access rules probably do not allow POST \S*\/v3\/\S*\/metadata/,
        );
        // The member subscribes; the restricted credential does the rest.
        const bs = await member.blockStorage();
        await bs.mergeVolumeMetadata(v.id, {
          "x-snapsentry-managed": "true",
          "x-snapsentry-daily-enabled": "true",
          "x-snapsentry-daily-retention-days": "1",
        });
        const doctor = await run(["doctor", "--json"]);
        assert.equal(doctor.code, 0, doctor.stderr);
        assert.equal(JSON.parse(doctor.stdout).project.id, projectId);

        const created = await run(["create-snapshots", "--json"]);
        assert.ok(created.code === 0 || created.code === 1, created.stderr);
        const summary = JSON.parse(created.stdout) as SummaryJson;
        const mine = summary.actions.filter((a) => a.volume_id === v.id);
        assert.deepEqual(mine.map((a) => [a.kind, a.status]), [["create", "done"]], created.stdout);

        const status = await run(["status", "--json"]);
        assert.equal(status.code, 0, status.stderr);
        const entry = JSON.parse(status.stdout).entries.find((e: { volume_id: string }) =>
          e.volume_id === v.id
        );
        assert.equal(entry.verdict, "OK");

        const expired = await run([
          "expire-snapshots",
          "--json",
          "--now",
          target.clock.now().add({ hours: 72 }).toString(),
        ]);
        assert.ok(expired.code === 0 || expired.code === 1, expired.stderr);
        const kept = (JSON.parse(expired.stdout) as SummaryJson).actions.filter((a) =>
          a.volume_id === v.id
        );
        // Expired, but the newest available snapshot of an enabled policy stays (min-keep guard).
        assert.deepEqual(kept.map((a) => [a.kind, a.status]), [["keep", "skipped"]]);
      } finally {
        await identity.deleteProjectCredential(ref, { name: CREDENTIAL_NAME });
      }
    });
  },
);
