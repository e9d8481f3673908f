/**
 * Keystone v3 authentication and the authenticated session every service client uses: password,
 * application credential and token auth; project or domain scope; the token from
 * `X-Subject-Token`; proactive re-auth when less than 120 s are left (keystoneauth's rule); and
 * exactly one retry after a 401, with a single-flight re-auth shared by concurrent callers that is
 * skipped when the token already changed (gophercloud's `Reauthenticate`).
 */
import type { Clock } from "../clock.ts";
import { AuthError, OpenStackHttpError, SnapsentryError, TransportError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../redact.ts";
import type { CloudAuth, CloudConfig } from "./clouds_yaml.ts";
import {
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type RequestScope,
  safeUrl,
} from "./http.ts";
import { TlsError } from "./net_errors.ts";
import { decodeAnswer, shape } from "./wire_check.ts";
import {
  checkToken,
  parseOpenStackTime,
  type WireCatalogService,
  type WireToken,
} from "./wire_types.ts";

const TOKEN_BODY = shape<{ token: WireToken }>({ token: checkToken });

/** Re-authenticate when the token has less than this left. */
export const REAUTH_MARGIN_MS = 120_000;

/** What the current token says about who we are. */
export interface TokenInfo {
  expiresAt: Temporal.Instant;
  userId: string;
  userName?: string;
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  domainId?: string;
  roles: string[];
  catalog: WireCatalogService[];
  methods: string[];
  /** `x-openstack-request-id` of the answer that issued the token (for catalog errors). */
  requestId?: string;
}

/**
 * Keystone's v3 URL for an `auth_url`: kept when it ends in /v3, /v2.0 becomes /v3, otherwise /v3
 * is appended (`http://host:5000` and devstack's `http://host/identity` both work without a
 * discovery round trip).
 */
export function identityV3Url(authUrl: string): string {
  const u = new URL(authUrl);
  let path = u.pathname.replace(/\/+$/, "");
  if (/\/v2\.0$/.test(path)) path = path.replace(/\/v2\.0$/, "/v3");
  else if (!/\/v3$/.test(path)) path = `${path}/v3`;
  u.pathname = path;
  u.search = "";
  return u.toString().replace(/\/$/, "");
}

function userRef(a: {
  userId?: string;
  username?: string;
  userDomainId?: string;
  userDomainName?: string;
}): Record<string, unknown> {
  if (a.userId) return { id: a.userId };
  const domain = a.userDomainId ? { id: a.userDomainId } : { name: a.userDomainName };
  return { name: a.username, domain };
}

function scopeOf(a: CloudAuth): Record<string, unknown> | undefined {
  if (a.type === "v3applicationcredential") return undefined; // always the credential's project
  if (a.projectId) return { project: { id: a.projectId } };
  if (a.projectName) {
    const domain = a.projectDomainId ? { id: a.projectDomainId } : { name: a.projectDomainName };
    return { project: { name: a.projectName, domain } };
  }
  if (a.domainId) return { domain: { id: a.domainId } };
  if (a.domainName) return { domain: { name: a.domainName } };
  return undefined;
}

/** The `POST /v3/auth/tokens` body for an auth config. */
export function authRequestBody(a: CloudAuth): Record<string, unknown> {
  let identity: Record<string, unknown>;
  if (a.type === "password") {
    identity = {
      methods: ["password"],
      password: { user: { ...userRef(a), password: a.password } },
    };
  } else if (a.type === "v3applicationcredential") {
    const cred: Record<string, unknown> = a.id
      ? { id: a.id, secret: a.secret }
      : { name: a.name, user: userRef(a), secret: a.secret };
    identity = { methods: ["application_credential"], application_credential: cred };
  } else {
    identity = { methods: ["token"], token: { id: a.token } };
  }
  const scope = scopeOf(a);
  return { auth: scope ? { identity, scope } : { identity } };
}

/** Who is authenticating, for messages (never a secret). */
export function describePrincipal(a: CloudAuth): string {
  if (a.type === "v3applicationcredential") {
    return a.id
      ? `application credential "${a.id}"`
      : `application credential "${a.name}" of user "${a.userId ?? a.username}"`;
  }
  if (a.type === "token") return "the configured token";
  return `user "${a.userId ?? a.username}"`;
}

export interface SessionOptions {
  config: CloudConfig;
  transport: HttpTransport;
  logger: Logger;
  clock: Clock;
}

/** An authenticated Keystone session: hands out tokens and sends authenticated requests. */
export class KeystoneSession {
  readonly config: CloudConfig;
  readonly transport: HttpTransport;
  /** Keystone v3 base URL, e.g. `https://keystone.example.com:5000/v3`. */
  readonly identityUrl: string;
  #logger: Logger;
  #clock: Clock;
  #token: string | undefined;
  #info: TokenInfo | undefined;
  #inflight: Promise<string> | undefined;
  /** How many times a token was issued (tests and `doctor`). */
  authCount = 0;

  constructor(options: SessionOptions) {
    this.config = options.config;
    this.transport = options.transport;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.identityUrl = identityV3Url(options.config.auth.authUrl);
  }

  /**
   * The current token's facts; authenticates first if needed (counted in `scope`, the run that
   * needed the token).
   */
  async tokenInfo(scope?: RequestScope): Promise<TokenInfo> {
    await this.token(scope);
    return this.#info!;
  }

  /** The project id of the token; throws when the token is not project-scoped. */
  async projectId(scope?: RequestScope): Promise<string> {
    const info = await this.tokenInfo(scope);
    if (!info.projectId) {
      throw new AuthError(
        `Cannot use cloud "${this.config.name}" for block storage: the token is scoped to a domain, not a project`,
        { hint: "set auth.project_id or auth.project_name in clouds.yaml" },
      );
    }
    return info.projectId;
  }

  /** A valid token: re-authenticates when none is held or it has less than 120 s left. */
  async token(scope?: RequestScope): Promise<string> {
    if (this.#token && this.#info) {
      const left = this.#info.expiresAt.epochMilliseconds - this.#clock.now().epochMilliseconds;
      if (left > REAUTH_MARGIN_MS) return this.#token;
      this.#logger.debug("token_refresh", {
        reason: "expiring",
        seconds_left: Math.round(left / 1000),
      });
    }
    return await this.#reauth(this.#token, scope);
  }

  /** Forgets the token so the next call authenticates again. */
  invalidate(): void {
    this.#token = undefined;
    this.#info = undefined;
  }

  /**
   * Single-flight re-auth: concurrent callers share one request, and if the token already
   * changed since `stale` was used, the new one is returned without another request.
   */
  #reauth(stale: string | undefined, scope: RequestScope | undefined): Promise<string> {
    if (this.#token && this.#token !== stale && this.#info) return Promise.resolve(this.#token);
    if (!this.#inflight) {
      this.#inflight = this.#authenticate(scope).finally(() => {
        this.#inflight = undefined;
      });
    }
    return this.#inflight;
  }

  async #authenticate(scope: RequestScope | undefined): Promise<string> {
    const { config } = this;
    const url = `${this.identityUrl}/auth/tokens`;
    const who = describePrincipal(config.auth);
    let response: HttpResponse;
    try {
      response = await this.transport.request({
        method: "POST",
        url,
        json: authRequestBody(config.auth),
        expected: [201],
        // Issuing a token has no side effect worth protecting: retrying it is safe.
        idempotent: true,
        // The body is the password or secret: it never follows a redirect, not even on the
        // same origin (fetch would repeat it on 307/308).
        redirects: "never",
        kind: "POST auth/tokens",
        ...(scope ? { scope } : {}),
      });
    } catch (error) {
      throw this.#authError(error, who);
    }
    const token = response.headers.get("x-subject-token");
    const body = response.body as { token?: WireToken } | null;
    if (!token || !body?.token) {
      throw new AuthError(
        `Cannot authenticate ${who} in cloud "${config.name}": Keystone at ${
          safeUrl(this.identityUrl)
        } answered without X-Subject-Token or token body`,
        response.requestId ? { requestId: response.requestId } : {},
      );
    }
    registerSecret(token);
    const t = decodeAnswer(TOKEN_BODY, body, {
      method: "POST",
      url,
      requestId: response.requestId,
    }).token;
    if (!t.project && !t.domain) {
      throw new AuthError(
        `Cannot use the token of ${who} in cloud "${config.name}": Keystone issued an unscoped token (no project, no catalog)`,
        { hint: "set auth.project_id, or auth.project_name with auth.project_domain_name" },
      );
    }
    const info: TokenInfo = {
      expiresAt: parseOpenStackTime(t.expires_at),
      userId: t.user?.id ?? "",
      roles: (t.roles ?? []).map((r) => r.name),
      catalog: t.catalog ?? [],
      methods: t.methods ?? [],
    };
    if (t.user?.name) info.userName = t.user.name;
    if (t.project) {
      info.projectId = t.project.id;
      if (t.project.name) info.projectName = t.project.name;
      if (t.project.domain?.id) info.projectDomainId = t.project.domain.id;
    }
    if (t.domain) info.domainId = t.domain.id;
    if (response.requestId) info.requestId = response.requestId;
    this.#token = token;
    this.#info = info;
    this.authCount++;
    this.#logger.debug("token_issued", {
      cloud: config.name,
      project_id: info.projectId,
      expires_at: info.expiresAt.toString(),
      request_id: response.requestId,
    });
    return token;
  }

  #authError(error: unknown, who: string): Error {
    const cloud = this.config.name;
    const where = safeUrl(this.identityUrl);
    if (error instanceof OpenStackHttpError) {
      const opts = {
        cause: error,
        status: error.status,
        ...(error.requestId ? { requestId: error.requestId } : {}),
      };
      if (error.status === 401) {
        return new AuthError(
          `Cannot authenticate ${who} in cloud "${cloud}": Keystone rejected the credentials (401)`,
          {
            ...opts,
            hint: "check the password/secret and the user and project domains in clouds.yaml",
          },
        );
      }
      if (error.status === 404) {
        return new AuthError(
          `Cannot authenticate ${who} in cloud "${cloud}": ${where}/auth/tokens does not exist (404)${
            error.serverMessage ? `: ${error.serverMessage}` : ""
          }`,
          {
            ...opts,
            hint:
              "check auth_url; it is Keystone's URL, usually ending in :5000/v3 or /identity/v3",
          },
        );
      }
      return new AuthError(
        `Cannot authenticate ${who} in cloud "${cloud}": Keystone answered ${error.status}${
          error.serverMessage ? `: ${error.serverMessage}` : ""
        }`,
        opts,
      );
    }
    if (
      error instanceof TransportError ||
      (error as { cause?: unknown })?.cause instanceof TransportError
    ) {
      const inner = error instanceof TransportError
        ? error
        : (error as { cause: TransportError }).cause;
      // A TLS failure keeps its own code and hint (cacert, cert/key): "check auth_url" would
      // send the user the wrong way.
      const tls = inner instanceof TlsError;
      return new AuthError(
        `Cannot reach Keystone at ${where} for cloud "${cloud}": ${(error as Error).message}`,
        {
          cause: error,
          ...(tls ? { code: inner.code } : {}),
          hint: tls && inner.hint
            ? inner.hint
            : "check auth_url and that the host is reachable from here",
        },
      );
    }
    if (error instanceof SnapsentryError) return error;
    return new AuthError(`Cannot authenticate ${who} in cloud "${cloud}": ${String(error)}`, {
      cause: error,
    });
  }

  /**
   * Sends an authenticated request. On 401 it re-authenticates once (shared with concurrent
   * callers) and repeats the request once: a 401 is answered by Keystone middleware before the
   * service acts, so even a POST is safe to repeat.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const token = await this.token(req.scope);
    try {
      return await this.transport.request({
        ...req,
        headers: { ...req.headers, "X-Auth-Token": token },
      });
    } catch (error) {
      if (!(error instanceof OpenStackHttpError) || error.status !== 401) throw error;
      this.#logger.debug("token_refresh", { reason: "401", request_id: error.requestId });
      const fresh = await this.#reauth(token, req.scope);
      try {
        return await this.transport.request({
          ...req,
          headers: { ...req.headers, "X-Auth-Token": fresh },
        });
      } catch (again) {
        throw this.#explainRefusal(again, req);
      }
    }
  }

  /**
   * A 401 with a fresh token is not an expired token. With an application credential it is, in
   * practice, an access rule refusing the call (Keystone middleware answers 401 for that too), so
   * say which rule is missing.
   */
  #explainRefusal(error: unknown, req: HttpRequest): unknown {
    if (
      !(error instanceof OpenStackHttpError) || error.status !== 401 ||
      this.config.auth.type !== "v3applicationcredential"
    ) return error;
    let path = req.url;
    try {
      path = new URL(req.url).pathname;
    } catch { /* keep the raw URL */ }
    return new OpenStackHttpError({
      method: error.method,
      url: error.url,
      status: error.status,
      expected: error.expected,
      ...(error.requestId ? { requestId: error.requestId } : {}),
      ...(error.bodyExcerpt ? { bodyExcerpt: error.bodyExcerpt } : {}),
      serverMessage:
        `${
          (error.serverMessage ?? "unauthorized").replace(/\.$/, "")
        }; a fresh token was refused too, ` +
        `so the application credential's access rules probably do not allow ${req.method} ${path}`,
    }, {
      code: "access_rule_refused",
      hint: "use a credential whose access rules include this call (subscribe and unsubscribe " +
        "need POST/DELETE on /v3/*/volumes/*/metadata), or an unrestricted one",
      cause: error,
    });
  }
}
