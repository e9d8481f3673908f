/**
 * The OpenStack adapter: clouds.yaml, Keystone v3 sessions, the service catalog, Cinder v3 and the
 * Keystone admin calls. It owns every byte sent to an OpenStack API. It may import `src/core/`
 * types, never the reverse; it knows nothing of argv, stdout or exit codes.
 *
 * Entry point: `openCloud()`. Everything is injected (fetch, Clock, Logger), so tests pass a
 * handler function or the emulator's `fetch` and no port is opened.
 *
 * What it guarantees about the wire (`guarded_fetch.ts`, `paginate.ts`, `wire_check.ts`): a token
 * or a request body never leaves the origin it was meant for (same-origin redirects only, none
 * for an auth request); every answer is read under a byte cap (64 MiB) and every listing under a
 * page limit; every answer is schema-checked before it is used (`bad_response`); TLS failures
 * name their cause and are not retried.
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { nullLogger } from "../log.ts";
import { MIN_SECRET_LENGTH } from "../redact.ts";
import { CinderClient } from "./cinder.ts";
import {
  type EndpointInfo,
  expandEndpointTemplate,
  selectEndpoint,
  serviceTypeAliases,
} from "./catalog.ts";
import {
  type CloudConfig,
  type Env,
  type FileAccessCheck,
  loadCloudConfig,
  type TlsConfig,
} from "./clouds_yaml.ts";
import {
  createRateLimiter,
  DEFAULT_TIMEOUT_MS,
  type FetchLike,
  HttpTransport,
  type RequestScope,
  type RetryPolicy,
} from "./http.ts";
import { IdentityClient } from "./identity.ts";
import { KeystoneSession } from "./keystone.ts";
import {
  type MicroversionInfo,
  negotiateMicroversion,
  parseVersionDocument,
  versionDocumentUrl,
} from "./microversion.ts";
import type { RequestStatsSnapshot } from "./types.ts";
import { BadResponseError, decodeAnswer } from "./wire_check.ts";
import { checkVersionDocument } from "./wire_types.ts";
import { staysOnThisHost } from "../net.ts";

export * from "./types.ts";
export {
  BLOCK_STORAGE_ALIASES,
  type EndpointInfo,
  type EndpointInterface,
  type EndpointQuery,
  expandEndpointTemplate,
  normaliseInterface,
  selectEndpoint,
  serviceTypeAliases,
} from "./catalog.ts";
export {
  type ApplicationCredentialAuth,
  type AuthScope,
  type BlockStorageConfig,
  candidatePaths,
  type CloudAuth,
  type CloudConfig,
  type CloudConfigInit,
  CLOUDS_YAML_NOT_FOUND,
  type CloudsFile,
  type CloudsFiles,
  defineCloudConfig,
  type Env,
  type FileAccessCheck,
  loadCloudConfig,
  type LoadCloudConfigOptions,
  type PasswordAuth,
  readableByOthers,
  resolveCloudConfig,
  type ResolveOptions,
  type TlsConfig,
  type TokenAuth,
} from "./clouds_yaml.ts";
export {
  CinderClient,
  type CinderClientOptions,
  encodeMetadataFilter,
  MV_NO_FORCE,
  MV_REVERT,
  MV_SNAPSHOT_METADATA_FILTER,
  type Requester,
} from "./cinder.ts";
export {
  CinderQuotaExceededError,
  createRateLimiter,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  type FetchLike,
  hasStatus,
  type HttpRequest,
  type HttpResponse,
  HttpTransport,
  type HttpTransportOptions,
  type RateLimiter,
  requestKind,
  type RequestScope,
  RequestStats,
  RETRY_STATUSES,
  retryAfterMs,
  type RetryPolicy,
  safeUrl,
} from "./http.ts";
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  guardedFetch,
  type GuardedResponse,
  type GuardOptions,
  MAX_REDIRECTS,
  readCapped,
} from "./guarded_fetch.ts";
export {
  classifyTls,
  formatBytes,
  networkError,
  RedirectError,
  type RedirectRefusal,
  ResponseTooLargeError,
  TlsError,
  type TlsProblem,
} from "./net_errors.ts";
export { IdentityClient } from "./identity.ts";
export { identityV3Url, KeystoneSession, REAUTH_MARGIN_MS, type TokenInfo } from "./keystone.ts";
export {
  atLeast,
  CLIENT_MAX_MICROVERSION,
  compareMicroversions,
  type MicroversionInfo,
  negotiateMicroversion,
  parseVersionDocument,
} from "./microversion.ts";
export {
  collectPages,
  DEFAULT_MAX_PAGES,
  DEFAULT_PAGE_LIMIT,
  MAX_LISTING_RESTARTS,
  type PaginateOptions,
} from "./paginate.ts";
export { parseOpenStackTime } from "./wire_types.ts";
export { BadResponseError, decodeAnswer } from "./wire_check.ts";

export interface OpenCloudOptions {
  /** A resolved cloud; when absent, clouds.yaml is loaded (see `cloudName`, `env`). */
  config?: CloudConfig;
  /** Cloud to load from clouds.yaml (`--cloud`); default OS_CLOUD, then the only one. */
  cloudName?: string;
  /** Region override (`--os-region-name`); default OS_REGION_NAME, then clouds.yaml. */
  region?: string;
  /** Environment, read once by the caller (default: none). */
  env?: Env;
  /** File reader for clouds.yaml and TLS files; default Deno.readTextFile. */
  readTextFile?: (path: string) => Promise<string>;
  /** Permission check of files holding secrets (warnings); default none. */
  fileAccess?: FileAccessCheck;
  homeDir?: string;
  cwd?: string;
  fetch?: FetchLike;
  clock?: Clock;
  logger?: Logger;
  /** Request id of calls made outside any run's scope (`req-<uuid>`); default: a fresh one. */
  requestId?: string;
  /** Per-request timeout; default clouds.yaml `api_timeout`, then 60 s. */
  timeoutMs?: number;
  /** `--rate-limit`: requests per second across the run. */
  rateLimitPerSecond?: number;
  retry?: Partial<RetryPolicy>;
  /** Jitter source (tests). */
  random?: () => number;
  /** Largest response body read, in bytes; default 64 MiB. */
  maxResponseBytes?: number;
  /** Most pages one Cinder listing may take; default fits 1,000,000 items at 1,000 a page. */
  maxPages?: number;
}

/** An opened cloud: configuration, session and the service clients. */
export interface Cloud {
  config: CloudConfig;
  session: KeystoneSession;
  transport: HttpTransport;
  /** Keystone admin calls. */
  identity: IdentityClient;
  /** The request id of calls made without a scope. */
  requestId: string;
  /**
   * Authenticates, finds the endpoint and negotiates once; later calls get the same client. With
   * a `scope`, the client's requests (and any authentication or negotiation they trigger) carry
   * that scope's request id and are counted in its stats.
   */
  blockStorage(scope?: RequestScope): Promise<CinderClient>;
  /** The block-storage endpoint chosen (for `doctor`). */
  blockStorageEndpoint(scope?: RequestScope): Promise<EndpointInfo>;
  /** Server range and chosen microversion (for `doctor`). */
  microversion(): Promise<MicroversionInfo>;
  /** Request counts so far. */
  stats(): RequestStatsSnapshot;
  /** Releases the TLS client, if one was made. */
  close(): void;
}

/**
 * Builds the Deno HTTP client that carries `cacert`/`cert`/`key`, or undefined when none is set.
 * (`verify: false` never gets here: the loader refuses it.)
 */
export function createTlsHttpClient(tls: TlsConfig): Deno.HttpClient | undefined {
  if (!tls.caCerts?.length && !tls.cert) return undefined;
  // Deno only parses the PEM on the first request; check it here so the error names the file.
  const pemCheck = (what: string, file: string | undefined, text: string, marker: RegExp) => {
    if (!marker.test(text)) {
      throw new ConfigError(
        `Cannot use ${what} ${
          file ?? "(inline)"
        }: it is not a PEM file (no ${marker.source} block)`,
        { hint: "point it at a PEM file (base64 text between -----BEGIN …----- lines)" },
      );
    }
  };
  for (const ca of tls.caCerts ?? []) {
    pemCheck("cacert", tls.caCertFile, ca, /-----BEGIN CERTIFICATE-----/);
  }
  if (tls.cert) pemCheck("cert", tls.certFile, tls.cert, /-----BEGIN CERTIFICATE-----/);
  if (tls.key) pemCheck("key", tls.keyFile, tls.key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  const options: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {};
  if (tls.caCerts?.length) options.caCerts = tls.caCerts;
  if (tls.cert && tls.key) {
    options.cert = tls.cert;
    options.key = tls.key;
  } else if (tls.cert) {
    throw new ConfigError(
      `Cannot use client certificate "${tls.certFile ?? "cert"}": key is missing`,
    );
  }
  try {
    return Deno.createHttpClient(options as Deno.CreateHttpClientOptions & Deno.TlsCertifiedKeyPem);
  } catch (error) {
    throw new ConfigError(
      `Cannot use the TLS files (cacert ${tls.caCertFile ?? "-"}, cert ${
        tls.certFile ?? "-"
      }, key ${tls.keyFile ?? "-"}): ${(error as Error).message}`,
      {
        cause: error,
        hint: "check that they are PEM files and that the key matches the certificate",
      },
    );
  }
}

/**
 * Warns about a credential too short to be redacted (see `MIN_SECRET_LENGTH`): it is used as it
 * is, but it could show in free text of a log line or an error.
 */
function warnShortSecrets(config: CloudConfig, logger: Logger): void {
  const auth = config.auth as unknown as Record<string, unknown>;
  for (const field of ["password", "secret", "token"]) {
    const value = auth[field];
    if (typeof value !== "string" || value === "" || value.length >= MIN_SECRET_LENGTH) continue;
    logger.warn("secret_too_short", {
      field: `auth.${field}`,
      min_length: MIN_SECRET_LENGTH,
      message: `Cannot redact auth.${field} of cloud "${config.name}": it is shorter than ` +
        `${MIN_SECRET_LENGTH} characters, so it may show in logs and error messages; use a longer one`,
    });
  }
}

/**
 * Warns once per URL origin when credentials would go over plain HTTP to another host: the
 * password or application credential secret (`auth_url`), or the token (a Cinder endpoint).
 */
function cleartextWarner(config: CloudConfig, logger: Logger): (url: string, what: string) => void {
  const warned = new Set<string>();
  return (url, what) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return;
    }
    if (u.protocol !== "http:" || staysOnThisHost(u.hostname) || warned.has(u.origin)) return;
    warned.add(u.origin);
    logger.warn("credentials_in_cleartext", {
      url: u.origin,
      sends: what,
      message: `Cloud "${config.name}" sends its ${what} over plain HTTP to ${u.origin}: anyone ` +
        "on the path can read it; use the https:// URL of the service",
    });
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * The microversion range of a version document, checked first: a malformed one (a `versions`
 * that is not a list, a version "x.y") is a BadResponseError, not a TypeError or RangeError.
 */
function readVersionDocument(
  body: unknown,
  call: { method: string; url: string; requestId?: string | undefined },
): { min: string; max: string } {
  decodeAnswer(checkVersionDocument, body, call);
  try {
    return parseVersionDocument(body);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new BadResponseError({ ...call, path: "versions" }, error.message, { cause: error });
  }
}

/** Ensures a Cinder URL carries the project id (catalogs without it need it below 3.67). */
function withProject(url: string, projectId: string): string {
  const u = new URL(url);
  const parts = u.pathname.split("/").filter((p) => p !== "");
  const last = parts[parts.length - 1];
  if (last !== undefined && /^v\d+(\.\d+)?$/.test(last)) {
    u.pathname = `/${[...parts, projectId].join("/")}`;
  }
  return u.toString().replace(/\/+$/, "");
}

/** Opens a cloud: loads/takes the config, builds the transport and the session. */
export async function openCloud(options: OpenCloudOptions = {}): Promise<Cloud> {
  const env = options.env ?? {};
  const config = options.config ?? await loadCloudConfig({
    ...(options.cloudName ? { cloud: options.cloudName } : {}),
    ...(options.region ? { region: options.region } : {}),
    env,
    readTextFile: options.readTextFile ?? ((p) => Deno.readTextFile(p)),
    ...(options.fileAccess ? { fileAccess: options.fileAccess } : {}),
    ...(options.homeDir ?? env.HOME ? { homeDir: options.homeDir ?? env.HOME } : {}),
    cwd: options.cwd ?? Deno.cwd(),
  });
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? nullLogger).with({ cloud: config.name });
  warnShortSecrets(config, logger);
  const warnCleartext = cleartextWarner(config, logger);
  warnCleartext(
    config.auth.authUrl,
    config.auth.type === "token"
      ? "token"
      : config.auth.type === "password"
      ? "password"
      : "application credential secret",
  );
  const httpClient = createTlsHttpClient(config.tls);
  const transport = new HttpTransport({
    ...(options.fetch ? { fetch: options.fetch } : {}),
    clock,
    logger,
    ...(options.requestId ? { requestId: options.requestId } : {}),
    timeoutMs: options.timeoutMs ?? config.apiTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(httpClient ? { httpClient } : {}),
    ...(options.maxResponseBytes !== undefined
      ? { maxResponseBytes: options.maxResponseBytes }
      : {}),
    ...(options.rateLimitPerSecond
      ? { rateLimiter: createRateLimiter(options.rateLimitPerSecond, clock) }
      : {}),
  });
  const session = new KeystoneSession({ config, transport, logger, clock });
  const identity = new IdentityClient(session);

  let endpointPromise: Promise<EndpointInfo> | undefined;
  let negotiated: Promise<{ client: CinderClient; info: MicroversionInfo }> | undefined;

  const blockStorageEndpoint = (scope?: RequestScope): Promise<EndpointInfo> => {
    endpointPromise ??= (async () => {
      const info = await session.tokenInfo(scope);
      const projectId = await session.projectId(scope);
      const bs = config.blockStorage;
      const iface = bs.interface ?? config.interface;
      const region = bs.regionName ?? config.regionName;
      let ep: EndpointInfo;
      if (bs.endpointOverride) {
        ep = {
          serviceType: bs.serviceType,
          interface: iface,
          region: region ?? null,
          url: expandEndpointTemplate(bs.endpointOverride, projectId),
          overridden: true,
        };
        if (!isHttpUrl(ep.url)) {
          throw new ConfigError(
            `Cannot use block_storage_endpoint_override "${ep.url}" of cloud "${config.name}": it is not an http(s) URL`,
            { hint: "set it to the Cinder URL, e.g. https://cinder.example.com:8776/v3" },
          );
        }
      } else {
        ep = selectEndpoint(info.catalog, {
          serviceType: bs.serviceType,
          aliases: serviceTypeAliases(bs.serviceType),
          interface: iface,
          ...(region ? { region } : {}),
          cloud: config.name,
        });
        // The catalog is Keystone's answer: a broken URL in it is a bad response, reported
        // against the token request (not an "Invalid URL" TypeError from deep inside).
        if (!isHttpUrl(ep.url)) {
          throw new BadResponseError(
            {
              method: "POST",
              url: `${session.identityUrl}/auth/tokens`,
              requestId: info.requestId,
              path: "token.catalog",
            },
            `the catalog's ${ep.serviceType} ${ep.interface} endpoint ${
              JSON.stringify(ep.url.slice(0, 200))
            } is not an http(s) URL`,
          );
        }
      }
      warnCleartext(ep.url, "token");
      return { ...ep, url: withProject(ep.url, projectId) };
    })();
    endpointPromise.catch(() => {
      endpointPromise = undefined;
    });
    return endpointPromise;
  };

  const negotiate = (scope?: RequestScope) => {
    negotiated ??= (async () => {
      const ep = await blockStorageEndpoint(scope);
      const projectId = await session.projectId(scope);
      const r = await session.request({
        method: "GET",
        url: versionDocumentUrl(ep.url),
        expected: [200, 300],
        kind: "GET versions",
        ...(scope ? { scope } : {}),
      });
      const range = readVersionDocument(r.body, {
        method: "GET",
        url: versionDocumentUrl(ep.url),
        requestId: r.requestId,
      });
      const info = negotiateMicroversion({
        serverMin: range.min,
        serverMax: range.max,
        ...(config.blockStorage.apiVersion ? { pinned: config.blockStorage.apiVersion } : {}),
      });
      logger.debug("microversion_negotiated", {
        server_min: info.min,
        server_max: info.max,
        chosen: info.chosen,
      });
      const client = new CinderClient({
        session,
        endpoint: ep.url,
        projectId,
        microversion: info.chosen,
        logger,
        ...(options.maxPages !== undefined ? { maxPages: options.maxPages } : {}),
      });
      return { client, info };
    })();
    negotiated.catch(() => {
      negotiated = undefined;
    });
    return negotiated;
  };

  return {
    config,
    session,
    transport,
    identity,
    requestId: transport.requestId,
    blockStorage: async (scope) => {
      const { client } = await negotiate(scope);
      return scope ? client.withScope(scope) : client;
    },
    blockStorageEndpoint,
    microversion: async () => (await negotiate()).info,
    stats: () => transport.stats.snapshot(),
    close: () => httpClient?.close(),
  };
}
