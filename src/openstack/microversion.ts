/**
 * Cinder microversion negotiation. Reads the endpoint's version document, picks
 * min(our maximum, server maximum) comparing (major, minor) as pairs (gophercloud's
 * `IsSupported` compares minors alone; we do not), and honours a version pinned in clouds.yaml.
 *
 * The header names "volume", not "block-storage": Cinder only accepts the former (see
 * gophercloud's service_client.go comment).
 */
import { ConfigError, SnapsentryError } from "../errors.ts";
import type { WireVersion } from "./wire_types.ts";

/** The highest microversion snapsentry was written and tested against (Zed–2023.2). */
export const CLIENT_MAX_MICROVERSION = "3.70";
/** Snapsentry works with any v3 endpoint; features are gated on the chosen version. */
export const CLIENT_MIN_MICROVERSION = "3.0";

/** A microversion as a (major, minor) pair. */
export interface Microversion {
  major: number;
  minor: number;
}

/** Server range and the version chosen. */
export interface MicroversionInfo {
  min: string;
  max: string;
  chosen: string;
}

/** Parses "3.70" (or "v3.70"); throws RangeError on anything else. */
export function parseMicroversion(value: string): Microversion {
  const m = /^v?(\d+)\.(\d+)$/.exec(value.trim());
  if (!m) throw new RangeError(`Cannot parse microversion "${value}": expected MAJOR.MINOR`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function formatMicroversion(v: Microversion): string {
  return `${v.major}.${v.minor}`;
}

/** Compares two microversions as (major, minor) pairs: negative, zero or positive. */
export function compareMicroversions(a: string | Microversion, b: string | Microversion): number {
  const x = typeof a === "string" ? parseMicroversion(a) : a;
  const y = typeof b === "string" ? parseMicroversion(b) : b;
  return x.major !== y.major ? x.major - y.major : x.minor - y.minor;
}

/** Whether `chosen` is at least `required` ("3.22" etc.). */
export function atLeast(chosen: string, required: string): boolean {
  return compareMicroversions(chosen, required) >= 0;
}

/** The two request headers that carry a Cinder microversion. */
export function microversionHeaders(version: string): Record<string, string> {
  return {
    "OpenStack-API-Version": `volume ${version}`,
    "X-OpenStack-Volume-API-Version": version,
  };
}

/**
 * URL of the version document of a Cinder endpoint: the endpoint with a trailing project id (and
 * anything after the version segment) removed, ending in a slash (`http://h:8776/v3/`).
 */
export function versionDocumentUrl(endpointUrl: string): string {
  const url = new URL(endpointUrl);
  const parts = url.pathname.split("/").filter((p) => p !== "");
  const vi = parts.findIndex((p) => /^v\d+(\.\d+)?$/.test(p));
  const kept = vi >= 0 ? parts.slice(0, vi + 1) : parts;
  url.pathname = `/${kept.join("/")}${kept.length > 0 ? "/" : ""}`;
  url.search = "";
  return url.toString();
}

/**
 * Reads the server's microversion range from a version document: either `{"version": {…}}` or
 * the `{"versions": […]}` list form (Cinder answers `GET /v3/` with the list). An entry with empty
 * `version` means "v3 without microversions", i.e. 3.0 only.
 */
export function parseVersionDocument(body: unknown): { min: string; max: string } {
  const doc = body as {
    version?: WireVersion;
    versions?: WireVersion[] | { values?: WireVersion[] };
  };
  let entries: WireVersion[] = [];
  if (doc?.version) entries = [doc.version];
  else if (Array.isArray(doc?.versions)) entries = doc.versions;
  else if (doc?.versions && Array.isArray(doc.versions.values)) entries = doc.versions.values;
  const v3 = entries.find((e) => /^v3(\.|$)/.test(e.id) && e.status !== "DEPRECATED") ??
    entries.find((e) => /^v3(\.|$)/.test(e.id));
  if (!v3) {
    throw new SnapsentryError(
      `Cannot read the block-storage version document: it lists no v3 API (found ${
        entries.map((e) => `"${e.id}"`).join(", ") || "nothing"
      })`,
      { code: "version_discovery_failed" },
    );
  }
  const max = v3.version && v3.version !== "" ? v3.version : "3.0";
  const min = v3.min_version && v3.min_version !== "" ? v3.min_version : "3.0";
  parseMicroversion(max);
  parseMicroversion(min);
  return { min, max };
}

export interface NegotiateOptions {
  serverMin: string;
  serverMax: string;
  clientMax?: string;
  /** A 3.x version pinned through `volume_api_version` / `block_storage_api_version`. */
  pinned?: string;
}

/** Chooses the microversion to send. Throws ConfigError when a pinned version is out of range. */
export function negotiateMicroversion(options: NegotiateOptions): MicroversionInfo {
  const clientMax = options.clientMax ?? CLIENT_MAX_MICROVERSION;
  const { serverMin, serverMax } = options;
  if (options.pinned) {
    const pinned = formatMicroversion(parseMicroversion(options.pinned));
    if (
      compareMicroversions(pinned, serverMin) < 0 || compareMicroversions(pinned, serverMax) > 0
    ) {
      throw new ConfigError(
        `Cannot use block-storage API version "${pinned}" from clouds.yaml: the server supports ${serverMin} to ${serverMax}`,
        {
          hint: "change volume_api_version to a version in that range, or set it to 3 to negotiate",
        },
      );
    }
    return { min: serverMin, max: serverMax, chosen: pinned };
  }
  const chosen = compareMicroversions(serverMax, clientMax) < 0 ? serverMax : clientMax;
  if (compareMicroversions(chosen, serverMin) < 0) {
    throw new SnapsentryError(
      `Cannot negotiate a block-storage microversion: the server needs at least ${serverMin}, snapsentry supports up to ${clientMax}`,
      { code: "microversion_unsupported" },
    );
  }
  return { min: serverMin, max: serverMax, chosen: formatMicroversion(parseMicroversion(chosen)) };
}
