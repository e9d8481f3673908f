/**
 * The auth section of a cloud: the auth types snapsentry supports (password, application
 * credential, token), openstacksdk's fix-ups that move top-level and legacy keys under `auth:`,
 * and the checks that every required field is there.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { type Ctx, type Dict, isDict, quoteList, str } from "./_clouds_shared.ts";

/** Where a project or domain token is scoped (Keystone v3 `scope`). */
export interface AuthScope {
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  projectDomainName?: string;
  /** Domain scope (only when no project is given). */
  domainId?: string;
  domainName?: string;
}

/** `auth_type: password` / `v3password`. */
export interface PasswordAuth extends AuthScope {
  type: "password";
  authUrl: string;
  password: string;
  userId?: string;
  username?: string;
  userDomainId?: string;
  userDomainName?: string;
}

/** `auth_type: v3applicationcredential`, by id, or by name plus the owning user. */
export interface ApplicationCredentialAuth {
  type: "v3applicationcredential";
  authUrl: string;
  secret: string;
  id?: string;
  name?: string;
  userId?: string;
  username?: string;
  userDomainId?: string;
  userDomainName?: string;
}

/** `auth_type: token` / `v3token`. */
export interface TokenAuth extends AuthScope {
  type: "token";
  authUrl: string;
  token: string;
}

export type CloudAuth = PasswordAuth | ApplicationCredentialAuth | TokenAuth;

/** Keys that belong under `auth:` when written at the top level of a cloud or in OS_* vars. */
const AUTH_KEYS = [
  "auth_url",
  "username",
  "user_id",
  "user_name",
  "password",
  "user_domain_name",
  "user_domain_id",
  "project_id",
  "project_name",
  "project_domain_name",
  "project_domain_id",
  "tenant_id",
  "tenant_name",
  "domain_id",
  "domain_name",
  "default_domain_id",
  "default_domain_name",
  "application_credential_id",
  "application_credential_name",
  "application_credential_secret",
  "token",
  "auth_token",
  "system_scope",
  "trust_id",
];

/** Applies openstacksdk's backwards-compatibility fix-ups to one cloud dict. */
export function _fixUp(cloud: Dict): Dict {
  const c: Dict = { ...cloud };
  const auth: Dict = isDict(c.auth) ? { ...c.auth } : {};
  if (c.auth_plugin !== undefined && c.auth_type === undefined) c.auth_type = c.auth_plugin;
  delete c.auth_plugin;
  for (const k of AUTH_KEYS) {
    if (c[k] !== undefined) {
      if (auth[k] === undefined) auth[k] = c[k];
      delete c[k];
    }
  }
  // Legacy names.
  if (auth.auth_token !== undefined && auth.token === undefined) auth.token = auth.auth_token;
  delete auth.auth_token;
  if (auth.tenant_id !== undefined && auth.project_id === undefined) {
    auth.project_id = auth.tenant_id;
  }
  if (auth.tenant_name !== undefined && auth.project_name === undefined) {
    auth.project_name = auth.tenant_name;
  }
  if (auth.user_name !== undefined && auth.username === undefined) auth.username = auth.user_name;
  delete auth.tenant_id;
  delete auth.tenant_name;
  delete auth.user_name;
  // endpoint_type → interface, also per service (volume_endpoint_type → volume_interface).
  for (const k of Object.keys(c)) {
    if (k === "endpoint_type" || k.endsWith("_endpoint_type")) {
      const target = k === "endpoint_type"
        ? "interface"
        : k.replace(/_endpoint_type$/, "_interface");
      if (c[target] === undefined) c[target] = c[k];
      delete c[k];
    }
  }
  // openstacksdk `_handle_domain_id`: with a project scope, domain_id/domain_name is the default
  // for both the user's and the project's domain; without one it is a domain scope.
  const projectScoped = auth.project_id !== undefined || auth.project_name !== undefined;
  for (
    const [target, pair] of [["domain_id", ["user_domain_id", "project_domain_id"]], [
      "domain_name",
      ["user_domain_name", "project_domain_name"],
    ]] as const
  ) {
    if (projectScoped && auth[target] !== undefined) {
      for (const k of pair) if (auth[k] === undefined) auth[k] = auth[target];
      delete auth[target];
    }
  }
  // default_domain: keystoneauth's default for user and project domains.
  const defId = auth.default_domain_id ?? c.default_domain;
  const defName = auth.default_domain_name;
  if (defId !== undefined || defName !== undefined) {
    for (const who of ["user", "project"]) {
      if (auth[`${who}_domain_id`] === undefined && auth[`${who}_domain_name`] === undefined) {
        if (defId !== undefined) auth[`${who}_domain_id`] = defId;
        else auth[`${who}_domain_name`] = defName;
      }
    }
  }
  c.auth = auth;
  return c;
}

/** Supported auth_type values and what they map to. */
const AUTH_TYPES: Record<string, CloudAuth["type"]> = {
  password: "password",
  v3password: "password",
  v3applicationcredential: "v3applicationcredential",
  applicationcredential: "v3applicationcredential",
  token: "token",
  v3token: "token",
};

function need(ctx: Ctx, authType: string, field: string, extra = ""): never {
  throw new ConfigError(
    `Cannot use cloud "${ctx.cloud}" from ${ctx.where}: auth_type "${authType}" needs auth.${field}${extra}`,
    {
      hint: field.includes("secret") || field.includes("password") || field === "token"
        ? "put secrets in secure.yaml next to clouds.yaml, or in the matching OS_* variable"
        : "add it under the cloud's auth: section",
    },
  );
}

/** An auth_url must be an http(s) URL: a typo is a configuration error, not a failed request. */
function checkAuthUrl(authUrl: string, ctx: Ctx): void {
  let url: URL | undefined;
  try {
    url = new URL(authUrl);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "") return;
  throw new ConfigError(
    `Cannot use auth_url "${authUrl}" of cloud "${ctx.cloud}" in ${ctx.where}: it is not an http(s) URL`,
    {
      code: "invalid_auth_url",
      hint: "set auth.auth_url to the Keystone URL, such as https://keystone.example.com:5000/v3",
    },
  );
}

function buildScope(auth: Dict, ctx: Ctx, authType: string): AuthScope {
  const s: AuthScope = {};
  const projectId = str(auth.project_id);
  const projectName = str(auth.project_name);
  if (projectId) s.projectId = projectId;
  if (projectName) s.projectName = projectName;
  const pdi = str(auth.project_domain_id);
  const pdn = str(auth.project_domain_name);
  if (pdi) s.projectDomainId = pdi;
  if (pdn) s.projectDomainName = pdn;
  if (!projectId && projectName && !pdi && !pdn) {
    need(
      ctx,
      authType,
      "project_domain_name",
      ` (or project_domain_id) to find project "${projectName}"`,
    );
  }
  if (!projectId && !projectName) {
    const di = str(auth.domain_id);
    const dn = str(auth.domain_name);
    if (di) s.domainId = di;
    if (dn) s.domainName = dn;
    if (!di && !dn) {
      need(
        ctx,
        authType,
        "project_id",
        " or auth.project_name (an unscoped token has no catalog; use domain_id/domain_name for a domain-scoped token)",
      );
    }
  }
  return s;
}

export function _buildAuth(c: Dict, ctx: Ctx): CloudAuth {
  const auth = c.auth as Dict;
  let declared = str(c.auth_type);
  if (!declared) {
    if (str(auth.token) && !str(auth.password)) declared = "token";
    else if (str(auth.application_credential_secret)) declared = "v3applicationcredential";
    else declared = "password";
  }
  const type = AUTH_TYPES[declared.toLowerCase()];
  if (!type) {
    throw new ConfigError(
      `Cannot use auth_type "${declared}" of cloud "${ctx.cloud}" in ${ctx.where}: snapsentry supports ${
        quoteList(Object.keys(AUTH_TYPES))
      }`,
    );
  }
  const authUrl = str(auth.auth_url);
  if (!authUrl) need(ctx, declared, "auth_url");
  checkAuthUrl(authUrl, ctx);
  const user = () => {
    const u: {
      userId?: string;
      username?: string;
      userDomainId?: string;
      userDomainName?: string;
    } = {};
    const id = str(auth.user_id);
    const name = str(auth.username);
    if (id) u.userId = id;
    if (name) u.username = name;
    const udi = str(auth.user_domain_id);
    const udn = str(auth.user_domain_name);
    if (udi) u.userDomainId = udi;
    if (udn) u.userDomainName = udn;
    return u;
  };
  if (type === "password") {
    const password = str(auth.password);
    if (!password) need(ctx, declared, "password");
    const u = user();
    if (!u.userId && !u.username) need(ctx, declared, "username", " (or auth.user_id)");
    if (!u.userId && !u.userDomainId && !u.userDomainName) {
      need(ctx, declared, "user_domain_name", ` (or user_domain_id) for user "${u.username}"`);
    }
    return { type, authUrl, password, ...u, ...buildScope(auth, ctx, declared) };
  }
  if (type === "v3applicationcredential") {
    const secret = str(auth.application_credential_secret);
    if (!secret) need(ctx, declared, "application_credential_secret");
    const id = str(auth.application_credential_id);
    const name = str(auth.application_credential_name);
    if (!id && !name) {
      need(
        ctx,
        declared,
        "application_credential_id",
        " (or application_credential_name with the user)",
      );
    }
    const out: ApplicationCredentialAuth = { type, authUrl, secret };
    if (id) out.id = id;
    else {
      out.name = name!;
      const u = user();
      if (!u.userId && !u.username) {
        need(
          ctx,
          declared,
          "user_id",
          ` (or username) to find application credential "${name}" by name`,
        );
      }
      if (!u.userId && !u.userDomainId && !u.userDomainName) {
        need(ctx, declared, "user_domain_name", ` (or user_domain_id) for user "${u.username}"`);
      }
      Object.assign(out, u);
    }
    return out;
  }
  const token = str(auth.token);
  if (!token) need(ctx, declared, "token");
  return { type: "token", authUrl, token, ...buildScope(auth, ctx, declared) };
}
