/**
 * Keystone v3 admin calls for the orchestrator: projects by tag, users, roles, role assignments and
 * application credentials. Requests go to the Keystone v3 URL derived from `auth_url` (the
 * catalog's identity entry is often unversioned or still v2.0).
 */
import { AuthError, OpenStackHttpError } from "../errors.ts";
import { registerSecret } from "../redact.ts";
import type { KeystoneSession } from "./keystone.ts";
import { collectPages } from "./paginate.ts";
import type {
  ApplicationCredential,
  CreateApplicationCredentialOptions,
  CreateUserOptions,
  IdentityApi,
  ListProjectsOptions,
  Project,
  Role,
  User,
} from "./types.ts";
import { type Check, decodeAnswer, shape } from "./wire_check.ts";
import {
  checkApplicationCredential,
  checkProject,
  checkRole,
  checkUser,
  pageOf,
  toApplicationCredential,
  toProject,
  toRole,
  toUser,
  type WireApplicationCredential,
  type WireProject,
  type WireRole,
  type WireUser,
} from "./wire_types.ts";

// The answers this client reads, checked before they are mapped (wire_check.ts).
const PROJECTS_PAGE = pageOf("projects", checkProject);
const USERS_PAGE = pageOf("users", checkUser);
const ROLES_PAGE = pageOf("roles", checkRole);
const APP_CREDS_PAGE = pageOf("application_credentials", checkApplicationCredential);
const PROJECT = shape<{ project: WireProject }>({ project: checkProject });
const USER = shape<{ user: WireUser }>({ user: checkUser });
const APP_CRED = shape<{ application_credential: WireApplicationCredential }>({
  application_credential: checkApplicationCredential,
});

export class IdentityClient implements IdentityApi {
  #session: KeystoneSession;
  readonly baseUrl: string;

  constructor(session: KeystoneSession) {
    this.#session = session;
    this.baseUrl = session.identityUrl;
  }

  /** GETs `path` (or a full URL) and checks its answer. */
  async #get<T>(path: string, kind: string, check: Check<T>): Promise<T> {
    const url = path.startsWith("http") ? path : `${this.baseUrl}${path}`;
    const r = await this.#session.request({ method: "GET", url, expected: [200], kind });
    return decodeAnswer(check, r.body, { method: "GET", url, requestId: r.requestId });
  }

  #forbidden(error: unknown, action: string, hint: string): never {
    if (error instanceof OpenStackHttpError && error.status === 403) {
      throw new AuthError(
        `Cannot ${action} in cloud "${this.#session.config.name}": the credential is not allowed to (403)${
          error.serverMessage ? `: ${error.serverMessage}` : ""
        }`,
        {
          cause: error,
          status: 403,
          code: "forbidden",
          hint,
          ...(error.requestId ? { requestId: error.requestId } : {}),
        },
      );
    }
    throw error;
  }

  async listProjects(options: ListProjectsOptions = {}): Promise<Project[]> {
    const url = new URL(`${this.baseUrl}/projects`);
    if (options.tags?.length) url.searchParams.set("tags", options.tags.join(","));
    if (options.tagsAny?.length) url.searchParams.set("tags-any", options.tagsAny.join(","));
    if (options.domainId) url.searchParams.set("domain_id", options.domainId);
    if (options.name) url.searchParams.set("name", options.name);
    if (options.enabled !== undefined) url.searchParams.set("enabled", String(options.enabled));
    try {
      const rows = await collectPages<WireProject>({
        url: url.toString(),
        collection: "projects",
        what: "projects",
        fetchPage: (u) => this.#get(u, "GET projects", PROJECTS_PAGE),
        logger: this.#session.transport.logger,
      });
      return rows.map(toProject);
    } catch (error) {
      this.#forbidden(
        error,
        "list projects",
        "the orchestrator needs a credential that may list projects (admin, or a reader role with system scope)",
      );
    }
  }

  async getProject(id: string): Promise<Project> {
    const body = await this.#get(`/projects/${encodeURIComponent(id)}`, "GET projects", PROJECT);
    return toProject(body.project);
  }

  async getUser(id: string): Promise<User> {
    const body = await this.#get(`/users/${encodeURIComponent(id)}`, "GET users", USER);
    return toUser(body.user);
  }

  async findUsers(name: string, domainId?: string): Promise<User[]> {
    const url = new URL(`${this.baseUrl}/users`);
    url.searchParams.set("name", name);
    if (domainId) url.searchParams.set("domain_id", domainId);
    try {
      const rows = await collectPages<WireUser>({
        url: url.toString(),
        collection: "users",
        what: "users",
        fetchPage: (u) => this.#get(u, "GET users", USERS_PAGE),
        logger: this.#session.transport.logger,
      });
      return rows.map(toUser);
    } catch (error) {
      this.#forbidden(error, `list users named "${name}"`, "the orchestrator needs the admin role");
    }
  }

  async createUser(options: CreateUserOptions): Promise<User> {
    registerSecret(options.password);
    const user: Record<string, unknown> = {
      name: options.name,
      password: options.password,
      enabled: options.enabled ?? true,
    };
    if (options.domainId) user.domain_id = options.domainId;
    if (options.defaultProjectId) user.default_project_id = options.defaultProjectId;
    if (options.description) user.description = options.description;
    try {
      const url = `${this.baseUrl}/users`;
      const r = await this.#session.request({
        method: "POST",
        url,
        json: { user },
        expected: [201],
        kind: "POST users",
      });
      return toUser(
        decodeAnswer(USER, r.body, { method: "POST", url, requestId: r.requestId }).user,
      );
    } catch (error) {
      this.#forbidden(
        error,
        `create user "${options.name}"`,
        "the orchestrator needs the admin role",
      );
    }
  }

  async setUserPassword(userId: string, password: string): Promise<void> {
    registerSecret(password);
    await this.#session.request({
      method: "PATCH",
      url: `${this.baseUrl}/users/${encodeURIComponent(userId)}`,
      json: { user: { password } },
      expected: [200],
      idempotent: true,
      kind: "PATCH users",
    });
  }

  async listRoles(name?: string): Promise<Role[]> {
    const url = new URL(`${this.baseUrl}/roles`);
    if (name) url.searchParams.set("name", name);
    const rows = await collectPages<WireRole>({
      url: url.toString(),
      collection: "roles",
      what: "roles",
      fetchPage: (u) => this.#get(u, "GET roles", ROLES_PAGE),
      logger: this.#session.transport.logger,
    });
    return rows.map(toRole);
  }

  async assignProjectRole(projectId: string, userId: string, roleId: string): Promise<void> {
    await this.#session.request({
      method: "PUT",
      url: `${this.baseUrl}/projects/${encodeURIComponent(projectId)}/users/${
        encodeURIComponent(userId)
      }/roles/${encodeURIComponent(roleId)}`,
      expected: [204],
      kind: "PUT projects/users/roles",
    });
  }

  async listApplicationCredentials(
    userId: string,
    name?: string,
  ): Promise<ApplicationCredential[]> {
    const url = new URL(
      `${this.baseUrl}/users/${encodeURIComponent(userId)}/application_credentials`,
    );
    if (name) url.searchParams.set("name", name);
    const rows = await collectPages<WireApplicationCredential>({
      url: url.toString(),
      collection: "application_credentials",
      what: "application credentials",
      fetchPage: (u) => this.#get(u, "GET users/application_credentials", APP_CREDS_PAGE),
      logger: this.#session.transport.logger,
    });
    return rows.map(toApplicationCredential);
  }

  async createApplicationCredential(
    userId: string,
    options: CreateApplicationCredentialOptions,
  ): Promise<ApplicationCredential> {
    const cred: Record<string, unknown> = { name: options.name };
    if (options.description) cred.description = options.description;
    if (options.roles) cred.roles = options.roles;
    if (options.expiresAt) cred.expires_at = options.expiresAt.toString();
    if (options.unrestricted !== undefined) cred.unrestricted = options.unrestricted;
    if (options.accessRules) {
      cred.access_rules = options.accessRules.map((r) =>
        r.id ? { id: r.id } : { service: r.service, method: r.method, path: r.path }
      );
    }
    if (options.secret) {
      registerSecret(options.secret);
      cred.secret = options.secret;
    }
    const url = `${this.baseUrl}/users/${encodeURIComponent(userId)}/application_credentials`;
    const r = await this.#session.request({
      method: "POST",
      url,
      json: { application_credential: cred },
      expected: [201],
      kind: "POST users/application_credentials",
    });
    // The secret first: a malformed answer's error must not be the first place it shows up.
    registerSecret(
      (r.body as { application_credential?: { secret?: unknown } } | null)?.application_credential
        ?.secret as string | undefined,
    );
    const wire = decodeAnswer(APP_CRED, r.body, { method: "POST", url, requestId: r.requestId })
      .application_credential;
    return toApplicationCredential(wire);
  }

  async deleteApplicationCredential(userId: string, id: string): Promise<void> {
    await this.#session.request({
      method: "DELETE",
      url: `${this.baseUrl}/users/${encodeURIComponent(userId)}/application_credentials/${
        encodeURIComponent(id)
      }`,
      expected: [204, 404],
      kind: "DELETE users/application_credentials",
    });
  }
}
