/**
 * Cinder's shared list logic for volumes and snapshots: sort keys, marker paging with the limit
 * cap and next link, `all_tenants` and the `metadata` filter.
 */

import type { ServiceContext } from "../context.ts";
import { cinderFault, parseMetadataFilter } from "../wire.ts";
import { type C, type Json, projUrl, strictBool } from "./shared.ts";

type SortKey = "created_at" | "updated_at" | "id" | "name" | "size" | "status";
const SORT_KEYS = new Set([
  "created_at",
  "updated_at",
  "id",
  "name",
  "display_name",
  "size",
  "status",
]);

export interface Sortable {
  id: string;
  createdAt: number;
  updatedAt: number | null;
  name: string;
  size: number;
  status: string;
}

function parseSort(c: C): { key: SortKey; desc: boolean }[] | Response | null {
  const sort = c.req.query("sort");
  const out: { key: SortKey; desc: boolean }[] = [];
  if (sort !== undefined) {
    for (const part of sort.split(",")) {
      const [k, d] = part.split(":");
      const key = (k ?? "").trim();
      if (!SORT_KEYS.has(key)) return cinderFault(400, `Invalid sort key: ${key}`);
      const dir = (d ?? "desc").trim().toLowerCase();
      if (dir !== "asc" && dir !== "desc") return cinderFault(400, `Invalid sort dir: ${dir}`);
      out.push({ key: (key === "display_name" ? "name" : key) as SortKey, desc: dir === "desc" });
    }
  } else if (c.req.query("sort_key") !== undefined) {
    const keys = c.req.query("sort_key")!.split(",");
    const dirs = (c.req.query("sort_dir") ?? "desc").split(",");
    keys.forEach((k, i) => {
      out.push({
        key: (k === "display_name" ? "name" : k) as SortKey,
        desc: (dirs[i] ?? dirs[dirs.length - 1]) !== "asc",
      });
    });
    if (!out.every((s) => SORT_KEYS.has(s.key))) return cinderFault(400, "Invalid sort key");
  } else {
    return null;
  }
  if (out.length === 1 && out[0]!.key === "created_at" && out[0]!.desc) return null;
  if (!out.some((s) => s.key === "id")) out.push({ key: "id", desc: out[out.length - 1]!.desc });
  return out;
}

function comparator(keys: { key: SortKey; desc: boolean }[] | null) {
  const ks = keys ??
    [{ key: "created_at" as SortKey, desc: true }, { key: "id" as SortKey, desc: true }];
  return (a: Sortable, b: Sortable): number => {
    for (const { key, desc } of ks) {
      const av = key === "created_at"
        ? a.createdAt
        : key === "updated_at"
        ? a.updatedAt ?? -Infinity
        : a[key];
      const bv = key === "created_at"
        ? b.createdAt
        : key === "updated_at"
        ? b.updatedAt ?? -Infinity
        : b[key];
      if (av === bv) continue;
      const r = av < bv ? -1 : 1;
      return desc ? -r : r;
    }
    return 0;
  };
}

/** The list logic of a service context, capped at its `osapi_max_limit`. */
export function pager(ctx: ServiceContext) {
  /** Shared list logic: sort, marker (404 when unknown or deleted), limit cap, next link. */
  function page<T extends Sortable>(
    c: C,
    all: T[],
    filter: (x: T) => boolean,
    markerLookup: (id: string) => T | undefined,
    collection: string,
    linkPath: string,
  ): { items: T[]; links: Json[] | undefined } | Response {
    const notFoundNoun = collection === "volumes" ? "Volume" : "Snapshot";
    const rawLimit = c.req.query("limit");
    let limit = ctx.maxLimit;
    if (rawLimit !== undefined) {
      if (!/^-?\d+$/.test(rawLimit.trim())) {
        return cinderFault(400, "limit param must be an integer");
      }
      const n = Number(rawLimit);
      if (n < 0) return cinderFault(400, "limit param must be positive");
      limit = Math.min(n, ctx.maxLimit);
    }
    const sort = parseSort(c);
    if (sort instanceof Response) return sort;
    const cmp = comparator(sort);
    let items = sort ? [...all].sort(cmp) : all;
    let start = 0;
    const markerId = c.req.query("marker");
    if (markerId !== undefined) {
      const marker = markerLookup(markerId);
      // Cinder looks the marker up as a volume/snapshot: its own not-found message.
      if (!marker) return cinderFault(404, `${notFoundNoun} ${markerId} could not be found.`);
      // First element strictly after the marker in sort order (binary search).
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(items[mid]!, marker) <= 0) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const out: T[] = [];
    if (limit > 0) {
      for (let i = start; i < items.length && out.length < limit; i++) {
        if (filter(items[i]!)) out.push(items[i]!);
      }
    }
    items = out;
    let links: Json[] | undefined;
    // cinder/api/common.py _get_collection_links: a next link only when the page is full.
    if (limit > 0 && items.length === limit) {
      const url = new URL(`${projUrl(c)}/${linkPath}`);
      const params = new URL(c.req.url).searchParams;
      params.delete("marker");
      for (const [k, v] of params) url.searchParams.append(k, v);
      url.searchParams.set("marker", items[items.length - 1]!.id);
      links = [{ rel: "next", href: url.toString() }];
    }
    return { items, links };
  }
  return page;
}

export function allTenants(c: C): boolean {
  const v = c.req.query("all_tenants");
  return c.get("auth").isAdmin && v !== undefined && strictBool(v === "" ? "1" : v) === true;
}

export function metadataFilter(c: C): Record<string, string> | null | undefined {
  const raw = c.req.query("metadata");
  if (raw === undefined) return undefined;
  return parseMetadataFilter(raw) ?? null;
}

export function matchesMeta(meta: Record<string, string>, want: Record<string, string>): boolean {
  for (const k in want) if (meta[k] !== want[k]) return false;
  return true;
}
