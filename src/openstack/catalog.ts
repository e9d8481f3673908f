/**
 * Service catalog lookup: a pure function of the token's catalog, the service type (with its
 * aliases), the interface and the region, like gophercloud's `V3EndpointURL`, but the error says
 * what was searched for and what the catalog offers.
 */
import { EndpointNotFoundError } from "../errors.ts";
import type { WireCatalogService } from "./wire_types.ts";

export type EndpointInterface = "public" | "internal" | "admin";

/**
 * Block-storage service types in lookup order. `volumev2` is left out on purpose: it points at
 * the v2 API, which snapsentry does not speak (Cinder removed it in Xena).
 */
export const BLOCK_STORAGE_ALIASES: readonly string[] = [
  "block-storage",
  "volumev3",
  "volume",
  "block-store",
];

/** The endpoint chosen for a service. */
export interface EndpointInfo {
  /** The catalog type that matched (e.g. "volumev3"), or the configured type for an override. */
  serviceType: string;
  interface: EndpointInterface;
  /** Region of the endpoint, null when the catalog entry has none. */
  region: string | null;
  url: string;
  /** True when the URL came from `*_endpoint_override`. */
  overridden: boolean;
}

export interface EndpointQuery {
  /** The service type asked for, e.g. "block-storage". */
  serviceType: string;
  /** Types tried in order; default: `serviceType`, then its known aliases. */
  aliases?: readonly string[];
  interface: EndpointInterface;
  region?: string;
  /** The cloud's name in clouds.yaml, for the error message. */
  cloud?: string;
}

/** Normalises an interface name: "publicURL" → "public", case-insensitive. */
export function normaliseInterface(value: string): EndpointInterface | undefined {
  const v = value.trim().toLowerCase().replace(/url$/, "");
  return v === "public" || v === "internal" || v === "admin" ? v : undefined;
}

/** The alias list for a service type: itself first, then the others of its family. */
export function serviceTypeAliases(serviceType: string): string[] {
  const family = BLOCK_STORAGE_ALIASES.includes(serviceType) ? BLOCK_STORAGE_ALIASES : [];
  return [serviceType, ...family.filter((t) => t !== serviceType)];
}

function regionOf(e: { region?: string | null; region_id?: string | null }): string | null {
  return e.region_id ?? e.region ?? null;
}

/**
 * Picks the endpoint for `query` from `catalog`. The first matching alias wins, in alias order,
 * and within it the first endpoint in catalog order (gophercloud GH-1764). Throws
 * `EndpointNotFoundError` (a configuration error, exit 2) naming the query and the cloud, listing
 * what the catalog offers, and naming the regions it offers when the region is what differs.
 */
export function selectEndpoint(
  catalog: readonly WireCatalogService[],
  query: EndpointQuery,
): EndpointInfo {
  const types = query.aliases ?? serviceTypeAliases(query.serviceType);
  for (const type of types) {
    for (const service of catalog) {
      if (service.type !== type) continue;
      for (const ep of service.endpoints ?? []) {
        if (normaliseInterface(ep.interface) !== query.interface) continue;
        const region = regionOf(ep);
        if (query.region && region !== query.region && ep.region !== query.region) continue;
        return {
          serviceType: type,
          interface: query.interface,
          region,
          url: ep.url,
          overridden: false,
        };
      }
    }
  }
  const where = `(interface "${query.interface}"${
    query.region ? `, region "${query.region}"` : ""
  })${query.cloud ? ` in cloud "${query.cloud}"` : ""}`;
  const offers: string[] = [];
  for (const service of catalog) {
    if (!types.includes(service.type)) continue;
    for (const ep of service.endpoints ?? []) {
      offers.push(`${service.type} ${ep.interface} ${regionOf(ep) ?? "(no region)"}`);
    }
  }
  const offered = offers.length > 0
    ? `catalog offers ${offers.map((o) => `"${o}"`).join(", ")}`
    : `catalog has no service of type ${types.map((t) => `"${t}"`).join(", ")}; it offers ${
      catalog.length > 0
        ? [...new Set(catalog.map((s) => `"${s.type}"`))].join(", ")
        : "nothing (empty catalog)"
    }`;
  // The region is what does not match when the interface is offered elsewhere: name the regions.
  const regions = [
    ...new Set(
      catalog.filter((s) => types.includes(s.type)).flatMap((s) => s.endpoints ?? [])
        .filter((ep) => normaliseInterface(ep.interface) === query.interface)
        .map((ep) => regionOf(ep)).filter((r): r is string => r !== null),
    ),
  ];
  const hint = query.region && regions.length > 0
    ? `set region_name in clouds.yaml to a region the catalog offers for ${query.serviceType} (${
      regions.map((r) => `"${r}"`).join(", ")
    }), or set block_storage_endpoint_override`
    : "set interface/region_name in clouds.yaml to one the catalog offers, or set block_storage_endpoint_override";
  throw new EndpointNotFoundError(
    `Cannot find a ${query.serviceType} endpoint ${where}: ${offered}`,
    { hint },
  );
}

/**
 * Expands `%(project_id)s` and `$(project_id)s` (and `tenant_id`) in an endpoint override, as
 * keystoneauth does for catalog templates.
 */
export function expandEndpointTemplate(url: string, projectId: string | undefined): string {
  return url.replace(/[%$]\((project_id|tenant_id)\)s/g, () => {
    if (!projectId) {
      throw new EndpointNotFoundError(
        `Cannot expand endpoint override "${url}": the token has no project scope`,
      );
    }
    return projectId;
  });
}
