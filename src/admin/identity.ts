/**
 * The orchestrator's Keystone side over the admin cloud: tagged projects, and one least-privilege
 * application credential per project.
 *
 * An application credential can only be created by its owner with a token scoped to its project
 * (Keystone policy `identity:create_application_credential` is `user_id:%(user_id)s`), so each
 * project gets a service user `snapsentry-<project id>` in the project's own domain. Project ids
 * are unique across domains, so two same-named projects never share a user (the Go tool named
 * users after the project name and matched them across all domains: go-compatibility.md, Orchestrator). The user holds
 * only `--controller-role` (default `member`) on its project; the credential it issues carries that
 * role, the block-storage access rules (with the project's own id), an expiry and
 * `unrestricted: false`.
 *
 * It also finds SnapSentry-Go's password user of a project (`snapsentry-<lower(project name)>` in
 * the project's domain, default project the project) and deletes it when asked.
 */
import type { Clock } from "../clock.ts";
import { AuthError, OpenStackHttpError, SnapsentryError } from "../errors.ts";
import {
  type AccessRule,
  type GoUser,
  goUserName,
  type OrchestratorIdentity,
  type ProjectCredential,
  type ProjectRef,
} from "../k8s/mod.ts";
import type { Logger } from "../log.ts";
import { nullLogger } from "../log.ts";
import {
  type Cloud,
  type CloudConfig,
  defineCloudConfig,
  type FetchLike,
  openCloud,
  type User,
} from "../openstack/mod.ts";
import { registerSecret } from "../redact.ts";

/**
 * Keystone revokes tokens issued in the same second as a password change (revocation events have
 * one-second granularity; seen on Debian 12's Keystone 22).
 */
export const PASSWORD_CHANGE_SETTLE_MS = 1100;

/** Name of a project's service user. */
export function serviceUserName(projectId: string): string {
  return `snapsentry-${projectId}`;
}

/** Whether a credential name is `name` or one of its rotations (`name-<timestamp>`). */
export function isCredentialOf(name: string, candidate: string): boolean {
  return candidate === name || candidate.startsWith(`${name}-`);
}

/** `name-20260115t120000z`: a rotated credential's name, unique per second. */
export function rotatedCredentialName(name: string, now: Temporal.Instant): string {
  const stamp = now.toString({ smallestUnit: "second" }).replace(/[-:]/g, "").toLowerCase();
  return `${name}-${stamp}`;
}

const USER_DESCRIPTION =
  "snapsentry orchestrator service user: owns this project's snapsentry application credential. " +
  "Deleting it revokes the credential; changing its password does not.";

/** 32 random bytes, base64url: well above any Keystone password policy's minimum. */
export function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  const password = btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  registerSecret(password);
  return password;
}

export interface AdminIdentityOptions {
  /** The opened admin cloud (`--cloud`). */
  cloud: Cloud;
  clock: Clock;
  logger?: Logger;
  /** The fetch the admin cloud uses; the per-user sessions go through it too. */
  fetch?: FetchLike;
  /** Password source (tests). */
  password?: () => string;
  /** Opens a cloud as a service user; default `openCloud` with the same fetch, clock and TLS. */
  openUserCloud?: (config: CloudConfig) => Promise<Cloud>;
}

/** An {@link OrchestratorIdentity} with the lookups it caches exposed for tests. */
export interface AdminIdentity extends OrchestratorIdentity {
  /** The service user of a project, or undefined when there is none. */
  findServiceUser(project: ProjectRef): Promise<User | undefined>;
}

/** {@link OrchestratorIdentity} over the admin cloud's Keystone. */
export function createAdminIdentity(options: AdminIdentityOptions): AdminIdentity {
  const { cloud, clock } = options;
  const admin = cloud.identity;
  const logger = (options.logger ?? nullLogger).with({ component: "orchestrator_identity" });
  const newPassword = options.password ?? randomPassword;
  const openUserCloud = options.openUserCloud ??
    ((config: CloudConfig) =>
      openCloud({
        config,
        clock,
        logger: options.logger ?? nullLogger,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }));
  const roleIds = new Map<string, string>();

  const findServiceUser = async (project: ProjectRef): Promise<User | undefined> => {
    const users = await admin.findUsers(serviceUserName(project.id), project.domainId);
    return users[0];
  };

  const resolveRole = async (role: string): Promise<string> => {
    const cached = roleIds.get(role);
    if (cached) return cached;
    const found = (await admin.listRoles(role)).filter((r) => r.name === role && !r.domainId);
    if (found.length === 0) {
      throw new SnapsentryError(
        `Cannot find role "${role}" from --controller-role in Keystone of cloud "${cloud.config.name}": no global role of that name exists`,
        {
          code: "role_not_found",
          hint: 'create it (openstack role create) or pass an existing one, e.g. "member"',
        },
      );
    }
    roleIds.set(role, found[0]!.id);
    return found[0]!.id;
  };

  const projectDomain = async (project: ProjectRef): Promise<string> => {
    if (project.domainId) return project.domainId;
    const p = await admin.getProject(project.id);
    return p.domainId ?? "default";
  };

  const userCloudConfig = (project: ProjectRef, userId: string, password: string) =>
    defineCloudConfig({
      name: serviceUserName(project.id),
      source: `service user of project ${project.id}`,
      auth: {
        type: "password",
        authUrl: cloud.config.auth.authUrl,
        userId,
        password,
        projectId: project.id,
      },
      interface: cloud.config.interface,
      tls: cloud.config.tls,
      ...(cloud.config.regionName ? { regionName: cloud.config.regionName } : {}),
      ...(cloud.config.apiTimeoutMs ? { apiTimeoutMs: cloud.config.apiTimeoutMs } : {}),
    });

  return {
    findServiceUser,

    async listTaggedProjects(tag) {
      const projects = await admin.listProjects({ tags: [tag] });
      return projects.map((p) => {
        const ref: ProjectRef = { id: p.id, name: p.name };
        if (p.domainId) ref.domainId = p.domainId;
        return ref;
      });
    },

    async ensureProjectCredential(project, request) {
      const log = logger.with({ project_id: project.id, project_name: project.name });
      // The role first: a missing role must not leave a user behind.
      const roleId = await resolveRole(request.role);
      const domainId = await projectDomain(project);
      const password = newPassword();
      registerSecret(password);
      let user = (await admin.findUsers(serviceUserName(project.id), domainId))[0];
      let passwordChanged = false;
      if (user) {
        await admin.setUserPassword(user.id, password);
        passwordChanged = true;
        log.info("orchestrator_service_user_password_reset", { user_id: user.id });
      } else {
        user = await admin.createUser({
          name: serviceUserName(project.id),
          password,
          domainId,
          defaultProjectId: project.id,
          description: USER_DESCRIPTION,
        });
        log.info("orchestrator_service_user_created", { user_id: user.id, domain_id: domainId });
      }
      // PUT is idempotent: assigning a role the user already holds answers 204 again.
      await admin.assignProjectRole(project.id, user.id, roleId);
      // Keystone revokes every token issued in the second of a password change, including one we
      // would get right now: wait past that second.
      if (passwordChanged) await clock.sleep(PASSWORD_CHANGE_SETTLE_MS);

      const userCloud = await openUserCloud(userCloudConfig(project, user.id, password));
      try {
        const mine = userCloud.identity;
        const keep = new Set(request.keep ?? []);
        // The secret of an existing credential cannot be read back: replace it, except the ones
        // a running daemon still uses during a rotation.
        const existing = (await mine.listApplicationCredentials(user.id))
          .filter((a) => isCredentialOf(request.name, a.name));
        for (const old of existing) {
          if (keep.has(old.id)) continue;
          await mine.deleteApplicationCredential(user.id, old.id);
          log.info("orchestrator_credential_replaced", { application_credential_id: old.id });
        }
        const taken = existing.some((a) => keep.has(a.id) && a.name === request.name);
        const name = taken ? rotatedCredentialName(request.name, clock.now()) : request.name;
        let created;
        try {
          created = await mine.createApplicationCredential(user.id, {
            name,
            ...(request.expiresAt ? { expiresAt: request.expiresAt } : {}),
            description:
              `snapsentry daemon of project ${project.id}, managed by snapsentry admin orchestrator`,
            roles: [{ name: request.role }],
            unrestricted: false,
            accessRules: request.accessRules.map((r: AccessRule) => ({
              service: r.service,
              method: r.method,
              path: r.path,
            })),
          });
        } catch (error) {
          throw new SnapsentryError(
            `Cannot create application credential "${request.name}" for project "${project.id}": ${
              error instanceof Error ? error.message : String(error)
            }`,
            {
              code: "credential_create_failed",
              cause: error,
              hint:
                "Keystone needs [keystone_authtoken] service_type on Cinder for access rules, and the role must be assignable",
            },
          );
        }
        if (!created.secret) {
          throw new SnapsentryError(
            `Cannot use application credential "${created.id}" of project "${project.id}": Keystone returned no secret`,
            { code: "credential_create_failed" },
          );
        }
        registerSecret(created.secret);
        const credential: ProjectCredential = {
          application_credential_id: created.id,
          application_credential_secret: created.secret,
          ...(created.expiresAt ? { expiresAt: created.expiresAt.toString() } : {}),
        };
        return credential;
      } finally {
        userCloud.close();
      }
    },

    async credentialExists(project, applicationCredentialId) {
      const user = await findServiceUser(project);
      if (!user) return false;
      try {
        const list = await admin.listApplicationCredentials(user.id);
        return list.some((a) => a.id === applicationCredentialId);
      } catch (error) {
        // Older Keystone policies let only the owner list its credentials: keep what the
        // Secret holds rather than rotating it on every pass.
        if (error instanceof OpenStackHttpError && error.status === 403) {
          logger.warn("orchestrator_credential_check_forbidden", {
            project_id: project.id,
            hint: "the admin credential may not list other users' application credentials",
          });
          return true;
        }
        throw error;
      }
    },

    async deleteProjectCredential(project, request) {
      const user = await findServiceUser(project);
      if (!user) return;
      if (request.id) {
        // A rotated-out credential: DELETE answers 404 for one already gone, which is fine.
        await admin.deleteApplicationCredential(user.id, request.id);
        logger.info("orchestrator_credential_deleted", {
          project_id: project.id,
          user_id: user.id,
          application_credential_id: request.id,
        });
        return;
      }
      let list;
      try {
        list = (await admin.listApplicationCredentials(user.id))
          .filter((a) => isCredentialOf(request.name, a.name));
      } catch (error) {
        if (error instanceof OpenStackHttpError && error.status === 403) {
          throw new AuthError(
            `Cannot delete application credential "${request.name}" of user "${user.name}": the admin credential may not manage other users' application credentials (403)`,
            { cause: error, status: 403, code: "forbidden" },
          );
        }
        throw error;
      }
      for (const a of list) await admin.deleteApplicationCredential(user.id, a.id);
      // The user is kept: it owns nothing else, and deleting users is an operator decision.
      logger.info("orchestrator_credential_deleted", {
        project_id: project.id,
        user_id: user.id,
        deleted: list.length,
        note: `service user ${user.name} kept; delete it by hand if the project is gone for good`,
      });
    },

    async verifyProjectCredential(_project, credential) {
      const config = defineCloudConfig({
        name: "snapsentry-credential-check",
        source: "the project's new application credential",
        auth: {
          type: "v3applicationcredential",
          authUrl: cloud.config.auth.authUrl,
          id: credential.application_credential_id,
          secret: credential.application_credential_secret,
        },
        interface: cloud.config.interface,
        tls: cloud.config.tls,
        ...(cloud.config.regionName ? { regionName: cloud.config.regionName } : {}),
        blockStorage: cloud.config.blockStorage,
      });
      const check = await openUserCloud(config);
      try {
        // A token from Keystone, then Cinder's version document through keystonemiddleware and
        // the credential's access rules: both halves of what the daemon needs.
        await check.blockStorage();
      } finally {
        check.close();
      }
    },

    async findGoUser(project): Promise<GoUser | undefined> {
      const domainId = await projectDomain(project);
      const users = await admin.findUsers(goUserName(project.name), domainId);
      // Go made the user with the project as its default project; another user of that name
      // (a second project of the same name, or a person) is never SnapSentry-Go's of this one.
      const user = users.find((u) =>
        u.defaultProjectId === project.id && u.name !== serviceUserName(project.id)
      );
      if (!user) return undefined;
      return {
        id: user.id,
        name: user.name,
        ...(user.domainId ? { domainId: user.domainId } : {}),
      };
    },

    async deleteGoUser(project, user) {
      // The IdentityClient has no user deletion (nothing else deletes users): one DELETE here.
      await cloud.session.request({
        method: "DELETE",
        url: `${admin.baseUrl}/users/${encodeURIComponent(user.id)}`,
        expected: [204, 404],
        kind: "DELETE users",
      });
      logger.info("orchestrator_go_user_deleted", {
        project_id: project.id,
        user_id: user.id,
        user_name: user.name,
      });
    },
  };
}
