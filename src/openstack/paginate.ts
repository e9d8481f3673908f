/**
 * Marker pagination for OpenStack list calls: send `limit`, follow the `<collection>_links`
 * `rel=next` href (Cinder) or `links.next` (Keystone), stop when there is no next link or a page is
 * empty, and refuse to loop when the server hands back a marker it already gave.
 */
import { SnapsentryError } from "../errors.ts";
import type { WireLink } from "./wire_types.ts";

/** Cinder's default `osapi_max_limit`. */
export const DEFAULT_PAGE_LIMIT = 1000;

export interface PaginateOptions {
  /** First page URL, without `limit`/`marker`. */
  url: string;
  /** Body key of the list, e.g. "volumes" or "snapshots". */
  collection: string;
  /** Page size sent as `limit`. Omit for Keystone lists, which do not page by limit. */
  limit?: number;
  /** Fetches one page and returns the parsed body. */
  fetchPage: (url: string) => Promise<unknown>;
  /** What is being listed, for error messages ("volumes"). */
  what?: string;
}

/** Finds the next-page href in a Cinder (`x_links` list) or Keystone (`links.next`) body. */
export function nextLink(body: Record<string, unknown>, collection: string): string | undefined {
  const cinder = body[`${collection}_links`];
  if (Array.isArray(cinder)) {
    const next = (cinder as WireLink[]).find((l) => l?.rel === "next");
    if (next?.href) return next.href;
  }
  const links = body.links as { next?: string | null } | undefined;
  if (links && typeof links === "object" && typeof links.next === "string" && links.next) {
    return links.next;
  }
  return undefined;
}

/**
 * Builds the URL of the next page on our own endpoint: the host and path of `current`, its query
 * overlaid with the query of the server's `href`. Cinder builds hrefs from its `public_endpoint`
 * setting, which is often wrong behind a proxy (http instead of https, internal host names); the
 * query is what carries the position, and keeping ours means no filter is ever dropped.
 */
export function nextPageUrl(current: string, href: string): string {
  const target = new URL(href, current);
  const out = new URL(current);
  for (const [k, v] of target.searchParams) out.searchParams.set(k, v);
  return out.toString();
}

/** Fetches every page and returns the concatenated items. */
export async function collectPages<T>(options: PaginateOptions): Promise<T[]> {
  const items: T[] = [];
  const first = new URL(options.url);
  if (options.limit !== undefined) first.searchParams.set("limit", String(options.limit));
  let url: string | undefined = first.toString();
  const seen = new Set<string>();
  while (url) {
    const body = (await options.fetchPage(url)) as Record<string, unknown> | null;
    const page = body?.[options.collection];
    if (!Array.isArray(page)) {
      throw new SnapsentryError(
        `Cannot list ${
          options.what ?? options.collection
        }: the response has no "${options.collection}" list`,
        { code: "bad_response" },
      );
    }
    items.push(...(page as T[]));
    const href = nextLink(body as Record<string, unknown>, options.collection);
    if (!href || page.length === 0) break;
    const next = nextPageUrl(url, href);
    const marker = new URL(next).searchParams.get("marker") ?? next;
    if (seen.has(marker)) {
      throw new SnapsentryError(
        `Cannot list ${
          options.what ?? options.collection
        }: the server returned marker "${marker}" twice, so pagination would loop`,
        {
          code: "pagination_loop",
          hint: "this is a server bug; retry later or report it to the cloud operator",
        },
      );
    }
    seen.add(marker);
    url = next;
  }
  return items;
}
