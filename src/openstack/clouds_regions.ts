/**
 * Regions of a cloud with openstacksdk's semantics (`openstack/config/loader.py`): the known
 * regions (`_get_known_regions`), the choice among them (`_get_region`: the one asked for, else the
 * first; one not in the list is an error listing those that exist), and the `{region_name}`
 * placeholders that vendor profiles put in `auth_url`.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { type Ctx, type Dict, isDict, quoteList } from "./_clouds_shared.ts";

/** The code of the error "the region asked for is not one of the cloud's regions". */
export const REGION_NOT_FOUND = "region_not_found";

/**
 * Where the region came from: `requested` (the caller's `region`: a flag or variable), the
 * cloud's `region_name`, the first of the cloud's `regions`, the vendor `profile`'s default.
 */
export type RegionSource = "requested" | "region_name" | "regions" | "profile";

/** A region entry: its name and the keys it overrides (`regions: [{name, values}]`). */
export interface RegionEntry {
  name: string;
  values: Dict;
}

/** Known regions of a cloud, as openstacksdk `_get_known_regions`. */
export function knownRegions(c: Dict): { name: string; values: Dict }[] {
  if (Array.isArray(c.regions)) {
    return c.regions.map((r) => {
      if (isDict(r)) {
        return { name: String(r.name ?? ""), values: isDict(r.values) ? r.values : {} };
      }
      return { name: String(r), values: {} };
    });
  }
  const rn = c.region_name;
  if (Array.isArray(rn)) return rn.map((r) => ({ name: String(r), values: {} }));
  if (typeof rn === "string" && rn) {
    return rn.split(",").map((r) => ({ name: r.trim(), values: {} }));
  }
  return [];
}

// Keys whose `{name}` placeholders are expanded, as openstacksdk's `magic_fixes` does for
// auth_url and `get_one` for every top-level string: the vendor profiles use `{region_name}` in
// auth_url (citycloud, conoha, otc) and in block_storage_endpoint_override (rackspace).
const EXPANDED_KEYS = /^(?:(?:block_storage|volumev3|volumev2|volume)_)?endpoint_override$/;

function expandPlaceholders(value: string, key: string, c: Dict, ctx: Ctx): string {
  return value.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = c[name];
    if (typeof v === "string" && v !== "") return v;
    if (name === "region_name") {
      throw new ConfigError(
        `Cannot use ${key} "${value}" of cloud "${ctx.cloud}" in ${ctx.where}: it needs a region for {region_name} and the cloud has none`,
        { code: REGION_NOT_FOUND, hint: "pass --region NAME, or set region_name in the cloud" },
      );
    }
    throw new ConfigError(
      `Cannot use ${key} "${value}" of cloud "${ctx.cloud}" in ${ctx.where}: it refers to {${name}}, which the cloud does not set`,
      { hint: `set ${name} in the cloud, or write the value out` },
    );
  });
}

/** Expands `{region_name}` (and other `{key}`s) in auth.auth_url and the endpoint overrides. */
export function expandRegionName(c: Dict, ctx: Ctx): void {
  const auth = c.auth as Dict;
  if (typeof auth.auth_url === "string" && auth.auth_url.includes("{")) {
    auth.auth_url = expandPlaceholders(auth.auth_url, "auth_url", c, ctx);
  }
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === "string" && v.includes("{") && EXPANDED_KEYS.test(k)) {
      c[k] = expandPlaceholders(v, k, c, ctx);
    }
  }
}

/** The chosen region and where it came from, or undefined when the cloud names none. */
export function chooseRegion(
  regions: RegionEntry[],
  wanted: string | undefined,
  from: RegionSource,
  ctx: Ctx,
): (RegionEntry & { source: RegionSource }) | undefined {
  if (regions.length === 0) {
    return wanted ? { name: wanted, values: {}, source: "requested" } : undefined;
  }
  const chosen = wanted ? regions.find((r) => r.name === wanted) : regions[0];
  if (!chosen) {
    throw new ConfigError(
      `Cannot use region "${wanted}" with cloud "${ctx.cloud}" (${ctx.where}): valid regions are ${
        quoteList(regions.map((r) => r.name))
      }`,
      {
        code: REGION_NOT_FOUND,
        hint:
          "region names are case-sensitive; pick one of those, or add it to the cloud's regions",
      },
    );
  }
  return { ...chosen, source: wanted ? "requested" : from };
}
