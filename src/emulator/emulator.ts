/**
 * The emulated OpenStack cloud: Keystone v3, Cinder v3 and Glance metadefs behind one
 * fetch-compatible handler, with fault injection, request counting, state builders and a default
 * seed (domain `default`, projects `admin` and `demo`).
 *
 * This file owns the HTTP face (the fetch handler with faults and counts, serving on loopback,
 * clouds.yaml); the state builders, the seed and the sample data are `CloudBuilder`'s
 * (`cloud_builder.ts`), which `Emulator` extends.
 */

import { Hono } from "hono";
import { stringify as yamlStringify } from "yaml";
import { type Clock, systemClock } from "../clock.ts";
import { cinderApp } from "./cinder.ts";
import { CloudBuilder } from "./cloud_builder.ts";
import type { Directives, HonoEnv, RequestEnv, ServiceContext } from "./context.ts";
import { type Fault, Faults } from "./faults.ts";
import { glanceApp } from "./glance.ts";
import { keystoneApp } from "./keystone.ts";
import { type QuotaLimits, UNLIMITED_QUOTAS } from "./state.ts";
import { cinderFault } from "./wire.ts";

export type {
  AddSnapshotOptions,
  AddVolumeOptions,
  EmulatorSeed,
  SampleResult,
  SeedSampleOptions,
} from "./cloud_builder.ts";

export interface EmulatorOptions {
  clock?: Clock;
  /** Where the catalog and clouds.yaml point (default "http://emulator.snapsentry.invalid"). */
  baseUrl?: string;
  /** `creating` → `available` delay on the clock (default 2000 ms). */
  snapshotDelayMs?: number;
  /** `deleting` → gone delay on the clock (default 1000 ms). */
  deleteDelayMs?: number;
  /** `creating` → `available` delay of new volumes (default 0: available on the next read). */
  volumeDelayMs?: number;
  /** Highest Cinder microversion, "3.70" by default. */
  maxMicroversion?: string;
  /** `osapi_max_limit` (default 1000). */
  maxLimit?: number;
  /** Token lifetime (default 1 hour). */
  tokenLifetimeMs?: number;
  /** Real time added to every request, for benchmarks (default 0). */
  realLatencyMs?: number;
  /** Quotas of projects without `setQuota` (default: every limit -1, unlimited). */
  defaultQuotas?: Partial<QuotaLimits>;
}

export interface RequestStats {
  total: number;
  /** Key: "METHOD kind", e.g. "GET volumes/detail". */
  byKind: Record<string, number>;
  /** Key: "METHOD STATUS", e.g. "GET 200"; "METHOD error" for dropped connections. */
  byMethodStatus: Record<string, number>;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  kind: string;
  status: number | "error";
  requestId: string;
  /** The inbound X-OpenStack-Request-ID when it had the `req-<uuid>` form. */
  globalRequestId: string | null;
  faults: Fault["type"][];
}

export interface CloudConfig {
  auth_type?: string;
  auth: Record<string, string>;
  region_name: string;
  interface: string;
  identity_api_version: number;
}

const KEEP_SEGMENTS = new Set(["detail", "tokens", "projects", "defaults"]);

/** "GET volumes/detail", "POST snapshots/{id}/action", "POST auth/tokens", "GET versions". */
export function requestKind(method: string, path: string): string {
  const seg = path.split("/").filter(Boolean);
  const alt = (rest: string[]) =>
    rest.map((s, i) => i % 2 === 1 && !KEEP_SEGMENTS.has(s) ? "{id}" : s).join("/");
  let rest: string;
  if (seg[0] === "identity") {
    rest = seg.length <= 2 ? "versions" : alt(seg.slice(2));
  } else if (seg[0] === "volume") {
    rest = seg.length <= 2 ? "versions" : seg.length === 3 ? "project" : alt(seg.slice(3));
  } else if (seg[0] === "image") {
    rest = seg[2] === "metadefs" ? `metadefs/${alt(seg.slice(3))}` : alt(seg.slice(2));
  } else {
    rest = seg.join("/");
  }
  return `${method} ${rest}`;
}

function parseMv(s: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(s);
  if (!m) throw new RangeError(`Cannot parse maxMicroversion "${s}": expected 3.x`);
  return [Number(m[1]), Number(m[2])];
}

const VALID_GLOBAL_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The emulated cloud behind one fetch handler; its builders and reads come from `CloudBuilder`. */
export class Emulator extends CloudBuilder {
  readonly faults = new Faults();
  /** Every request handled (capped to the last 10,000). */
  readonly requestLog: RequestLogEntry[] = [];
  #baseUrl: string;
  #prefix: string;
  #ctx: ServiceContext;
  #app: Hono<HonoEnv>;
  #realLatencyMs: number;
  #stats: RequestStats = { total: 0, byKind: {}, byMethodStatus: {} };

  constructor(options: EmulatorOptions = {}) {
    super(options.clock ?? systemClock, { ...UNLIMITED_QUOTAS, ...options.defaultQuotas });
    this.#baseUrl = "";
    this.#prefix = "";
    this.baseUrl = options.baseUrl ?? "http://emulator.snapsentry.invalid";
    this.#realLatencyMs = options.realLatencyMs ?? 0;
    this.#ctx = {
      state: this.state,
      baseUrl: () => this.#baseUrl,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 3_600_000,
      maxMicroversion: parseMv(options.maxMicroversion ?? "3.70"),
      maxLimit: options.maxLimit ?? 1000,
      snapshotDelayMs: options.snapshotDelayMs ?? 2000,
      deleteDelayMs: options.deleteDelayMs ?? 1000,
      volumeDelayMs: options.volumeDelayMs ?? 0,
      region: "RegionOne",
    };
    const app = new Hono<HonoEnv>();
    app.route("/", keystoneApp(this.#ctx));
    // deno-lint-ignore no-explicit-any
    app.route("/", cinderApp(this.#ctx) as any);
    app.route("/", glanceApp(this.#ctx));
    app.notFound(() => cinderFault(404, "The resource could not be found."));
    app.onError((err) => cinderFault(500, `${err.name}: ${err.message}`));
    this.#app = app;
    this.fetch = this.fetch.bind(this);
  }

  /** The base URL the catalog and clouds.yaml point at. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  set baseUrl(url: string) {
    const u = new URL(url);
    this.#baseUrl = `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
    this.#prefix = u.pathname.replace(/\/+$/, "");
  }

  // ---- the handler --------------------------------------------------------------------------

  /** A fetch-compatible handler (bound; pass it wherever `fetch` is expected). */
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const req = input instanceof Request && init === undefined ? input : new Request(input, init);
    const url = new URL(req.url);
    let path = url.pathname;
    if (this.#prefix && path.startsWith(this.#prefix)) {
      path = path.slice(this.#prefix.length) || "/";
    }
    const method = req.method.toUpperCase();
    const kind = requestKind(method, path);
    const requestId = `req-${crypto.randomUUID()}`;
    const inbound = req.headers.get("X-OpenStack-Request-ID");
    const globalRequestId = inbound && VALID_GLOBAL_ID.test(inbound) ? inbound : null;
    const faults = this.faults.match(method, path, kind);
    const log = (status: number | "error") => {
      this.#stats.total++;
      this.#stats.byKind[kind] = (this.#stats.byKind[kind] ?? 0) + 1;
      const ms = `${method} ${status}`;
      this.#stats.byMethodStatus[ms] = (this.#stats.byMethodStatus[ms] ?? 0) + 1;
      this.requestLog.push({
        method,
        path,
        kind,
        status,
        requestId,
        globalRequestId,
        faults: faults.map((f) => f.type),
      });
      if (this.requestLog.length > 10_000) {
        this.requestLog.splice(0, this.requestLog.length - 10_000);
      }
    };
    const finish = (res: Response, status = res.status) => {
      const out = new Response(res.body, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
      out.headers.set("x-openstack-request-id", requestId);
      if (globalRequestId) out.headers.set("x-openstack-global-request-id", globalRequestId);
      log(status);
      return out;
    };
    const dropped = () => {
      log("error");
      return new TypeError(
        `error sending request for url (${req.url}): connection closed before message completed`,
      );
    };

    if (this.#realLatencyMs > 0) await systemClock.sleep(this.#realLatencyMs, req.signal);
    for (const f of faults) {
      if (f.type === "latency") {
        if (f.realMs) await systemClock.sleep(f.realMs, req.signal);
        await this.clock.sleep(f.ms, req.signal);
      }
    }
    const directives: Directives = {};
    let lost: Extract<Fault, { type: "lost_response" }> | undefined;
    for (const f of faults) {
      switch (f.type) {
        case "drop":
          throw dropped();
        case "status":
          return finish(cinderFault(f.status, f.message ?? defaultStatusMessage(f.status)));
        case "rate_limit": {
          const status = f.status ?? 429;
          return finish(
            Response.json(
              {
                overLimit: {
                  code: status,
                  message: "Too many requests.",
                  retryAfter: String(f.retryAfter),
                },
              },
              { status, headers: { "Retry-After": String(f.retryAfter) } },
            ),
          );
        }
        case "expire_token": {
          const t = this.state.tokens.get(req.headers.get("X-Auth-Token") ?? "");
          if (t) t.expiresAt = Math.min(t.expiresAt, this.state.nowMs());
          break;
        }
        case "snapshot_stuck":
          directives.snapshotStuck = true;
          break;
        case "snapshot_error":
          directives.snapshotError = true;
          break;
        case "snapshot_error_deleting":
          directives.deleteError = true;
          break;
        case "lost_response":
          lost = f;
          break;
        case "latency":
          break;
      }
    }

    this.state.settle();
    const routed = this.#prefix ? new Request(`${url.origin}${path}${url.search}`, req) : req;
    const env: RequestEnv = { root: `${url.origin}${this.#prefix}`, directives };
    const res = await this.#app.fetch(routed, env);
    if (lost) {
      await res.body?.cancel();
      if (lost.drop) throw dropped();
      const status = lost.status ?? 500;
      return finish(cinderFault(status, defaultStatusMessage(status)));
    }
    return finish(res);
  }

  /**
   * Serves the emulator on loopback (port 0 picks a free one). The catalog and clouds.yaml then
   * point at the served URL. A `drop` fault ends the response body with an error.
   */
  serve(options: { hostname?: "127.0.0.1"; port?: number } = {}): {
    url: string;
    port: number;
    shutdown: () => Promise<void>;
  } {
    const server = Deno.serve(
      { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
      async (req) => {
        try {
          return await this.fetch(req);
        } catch (err) {
          if (!(err instanceof TypeError)) throw err;
          return new Response(
            new ReadableStream({
              start(c) {
                c.error(err);
              },
            }),
            { status: 500 },
          );
        }
      },
    );
    const addr = server.addr as Deno.NetAddr;
    const url = `http://${addr.hostname}:${addr.port}`;
    this.baseUrl = url;
    return { url, port: addr.port, shutdown: () => server.shutdown() };
  }

  // ---- counts -------------------------------------------------------------------------------

  /** Requests counted by kind and by method+status since creation or `resetCounts()`. */
  requestCounts(): RequestStats {
    return {
      total: this.#stats.total,
      byKind: { ...this.#stats.byKind },
      byMethodStatus: { ...this.#stats.byMethodStatus },
    };
  }

  resetCounts(): void {
    this.#stats = { total: 0, byKind: {}, byMethodStatus: {} };
  }

  // ---- clouds.yaml ----------------------------------------------------------------------------

  /** clouds.yaml entries: `emulator` (demo member), `emulator-appcred`, `emulator-admin`. */
  cloudConfigs(opts: { baseUrl?: string } = {}): Record<string, CloudConfig> {
    const authUrl = `${(opts.baseUrl ?? this.#baseUrl).replace(/\/+$/, "")}/identity/v3`;
    const common = { region_name: "RegionOne", interface: "public", identity_api_version: 3 };
    return {
      emulator: {
        auth_type: "password",
        auth: {
          auth_url: authUrl,
          username: "demo",
          password: this.seed.demoPassword,
          project_name: "demo",
          user_domain_name: "Default",
          project_domain_name: "Default",
        },
        ...common,
      },
      "emulator-appcred": {
        auth_type: "v3applicationcredential",
        auth: {
          auth_url: authUrl,
          application_credential_id: this.seed.appCredId,
          application_credential_secret: this.seed.appCredSecret,
        },
        ...common,
      },
      "emulator-admin": {
        auth_type: "password",
        auth: {
          auth_url: authUrl,
          username: "admin",
          password: this.seed.adminPassword,
          project_name: "admin",
          user_domain_name: "Default",
          project_domain_name: "Default",
        },
        ...common,
      },
    };
  }

  /** A clouds.yaml text with the three profiles of `cloudConfigs()`. */
  cloudsYaml(opts: { baseUrl?: string } = {}): string {
    return yamlStringify({ clouds: this.cloudConfigs(opts) });
  }
}

function defaultStatusMessage(status: number): string {
  if (status === 503) return "There was an error with the service. Please retry later.";
  if (status === 502) return "Bad Gateway";
  if (status === 504) return "Gateway Timeout";
  return "The server has either erred or is incapable of performing the requested operation.";
}

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  return new Emulator(options);
}
