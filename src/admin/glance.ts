/**
 * The authenticated Glance `request` function {@link createGlanceMetadefsApi} needs, over the admin
 * cloud's session: the image endpoint comes from the token's own catalog (interface and region of
 * the admin profile), the token from `session.token()`, and a 401 re-authenticates once.
 *
 * Raw `fetch` rather than the Cinder transport, because Glance answers errors as plain text and
 * the metadefs layer reads that text for its messages. It shares the transport's guards
 * (`guardedFetch`): the token never follows a redirect to another origin, and every body is read
 * under the same byte cap.
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import { SnapsentryError } from "../errors.ts";
import {
  type Cloud,
  createTlsHttpClient,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  type EndpointInfo,
  type FetchLike,
  guardedFetch,
  networkError,
  safeUrl,
  selectEndpoint,
} from "../openstack/mod.ts";
import type { GlanceRequest } from "./metadefs.ts";

/** A Glance request function plus the endpoint it resolved; `close()` releases the TLS client. */
export interface GlanceConnection {
  request: GlanceRequest;
  /** The image endpoint chosen from the catalog (resolved on first use). */
  endpoint(): Promise<EndpointInfo>;
  close(): void;
}

export interface GlanceConnectionOptions {
  fetch?: FetchLike;
  clock?: Clock;
  timeoutMs?: number;
  /** Largest response body read, in bytes; default 64 MiB, as for the OpenStack transport. */
  maxResponseBytes?: number;
}

/** The Glance root: catalogs list it unversioned, but a `/v2` suffix is tolerated. */
function glanceRoot(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v2(\.\d+)?$/, "");
}

/** Builds the Glance request function for an opened (admin) cloud. */
export function glanceConnection(
  cloud: Cloud,
  options: GlanceConnectionOptions = {},
): GlanceConnection {
  const doFetch: FetchLike = options.fetch ?? fetch;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? cloud.config.apiTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  let httpClient: Deno.HttpClient | undefined;
  let clientMade = false;
  let endpointPromise: Promise<EndpointInfo> | undefined;

  const endpoint = (): Promise<EndpointInfo> => {
    endpointPromise ??= (async () => {
      const info = await cloud.session.tokenInfo();
      return selectEndpoint(info.catalog, {
        serviceType: "image",
        aliases: ["image"],
        interface: cloud.config.interface,
        ...(cloud.config.regionName ? { region: cloud.config.regionName } : {}),
      });
    })();
    endpointPromise.catch(() => {
      endpointPromise = undefined;
    });
    return endpointPromise;
  };

  const send = async (method: string, url: string, token: string, body?: unknown) => {
    if (!clientMade) {
      httpClient = createTlsHttpClient(cloud.config.tls);
      clientMade = true;
    }
    const headers = new Headers({
      "X-Auth-Token": token,
      "X-OpenStack-Request-ID": cloud.requestId,
      Accept: "application/json",
    });
    const init: RequestInit & { client?: Deno.HttpClient } = { method, headers };
    if (body !== undefined) {
      headers.set("Content-Type", "application/json");
      init.body = JSON.stringify(body);
    }
    if (httpClient) init.client = httpClient;
    const controller = new AbortController();
    const stop = new AbortController();
    init.signal = controller.signal;
    clock.sleep(timeoutMs, stop.signal).then(() => controller.abort(), () => {});
    try {
      // Same-origin redirects only (the token never leaves Glance's origin), and the body is
      // read under the cap before the timer stops, so a stalled or endless body also ends.
      const { response, text } = await guardedFetch(doFetch, url, init, { maxBytes });
      // A 204 (DELETE) must be rebuilt without a body: Response refuses one for null-body statuses.
      const nullBody = [101, 204, 205, 304].includes(response.status) || text === "";
      return new Response(nullBody ? null : text, {
        status: response.status,
        headers: response.headers,
      });
    } catch (error) {
      if (error instanceof SnapsentryError) throw error;
      throw networkError(error, {
        method,
        url: safeUrl(url),
        timedOut: controller.signal.aborted,
        timeoutMs,
      });
    } finally {
      stop.abort();
    }
  };

  const request: GlanceRequest = async (method, path, body) => {
    const ep = await endpoint();
    const url = `${glanceRoot(ep.url)}${path}`;
    const token = await cloud.session.token();
    const first = await send(method, url, token, body);
    if (first.status !== 401) return first;
    // The token was revoked or expired early: authenticate again, once.
    cloud.session.invalidate();
    return await send(method, url, await cloud.session.token(), body);
  };

  return {
    request,
    endpoint,
    close: () => httpClient?.close(),
  };
}
