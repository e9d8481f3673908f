/**
 * Marker pagination for OpenStack list calls: send `limit`, follow the `<collection>_links`
 * `rel=next` href (Cinder) or `links.next` (Keystone), stop when there is no next link or a page is
 * empty. A listing is bounded: it fails when the server hands back a marker it already gave, when
 * a next link points at another listing on another origin, or when it passes a page limit. A
 * marker deleted while listing (Cinder answers 404 for it) restarts the listing, a few times.
 */
import { SnapsentryError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { hasStatus } from "./http_helpers.ts";
import type { WireLink } from "./wire_types.ts";

/** Cinder's default `osapi_max_limit`. */
export const DEFAULT_PAGE_LIMIT = 1000;
/**
 * Pages one listing may take: 1,000,000 items at 1,000 a page, plus the empty page that ends an
 * exact multiple. An endless `next` link made 59,000 requests in 60 s before this limit.
 */
export const DEFAULT_MAX_PAGES = 1_001;
/**
 * Restarts after the page marker was deleted under us (another run expiring snapshots). Three
 * covers a busy neighbour; more means the listing cannot settle, and the run should say so.
 */
export const MAX_LISTING_RESTARTS = 3;

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
  /** Most pages one pass may fetch; default {@link DEFAULT_MAX_PAGES}. */
  maxPages?: number;
  /** Restarts after a deleted marker; default {@link MAX_LISTING_RESTARTS}. */
  maxRestarts?: number;
  /** Gets the `listing_restarted` event. */
  logger?: Logger;
}

/** Finds the next-page href in a Cinder (`x_links` list) or Keystone (`links.next`) body. */
export function nextLink(body: Record<string, unknown>, collection: string): string | undefined {
  const cinder = body[`${collection}_links`];
  if (Array.isArray(cinder)) {
    const next = (cinder as WireLink[]).find((l) => l?.rel === "next");
    if (typeof next?.href === "string" && next.href) return next.href;
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

/** The path from the API version segment on (`/v3/p/volumes/detail`), or the whole path. */
function listingPath(url: URL): string {
  const parts = url.pathname.split("/").filter((p) => p !== "");
  const vi = parts.findIndex((p) => /^v\d+(\.\d+)?$/.test(p));
  return `/${(vi >= 0 ? parts.slice(vi) : parts).join("/")}`;
}

/**
 * Whether a next link on another origin is still this listing: the same path from the version
 * segment on. That is the proxy case above (Cinder's idea of its own URL), which is followed on
 * our endpoint; anything else on another origin is not a next page of this listing.
 */
function sameListing(current: URL, target: URL): boolean {
  return target.origin === current.origin || listingPath(target) === listingPath(current);
}

function idOf(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : undefined;
}

/** Fetches every page and returns the concatenated items (each id once). */
export async function collectPages<T>(options: PaginateOptions): Promise<T[]> {
  const what = options.what ?? options.collection;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const maxRestarts = options.maxRestarts ?? MAX_LISTING_RESTARTS;
  const first = new URL(options.url);
  if (options.limit !== undefined) first.searchParams.set("limit", String(options.limit));
  for (let restarts = 0;; restarts++) {
    try {
      return await onePass<T>(options, first.toString(), what, maxPages);
    } catch (error) {
      if (!(error instanceof MarkerGone)) throw error;
      if (restarts >= maxRestarts) {
        throw new SnapsentryError(
          `Cannot list ${what}: the page marker "${error.marker}" was deleted while listing, ${
            restarts + 1
          } times in a row`,
          {
            code: "listing_unstable",
            cause: error.cause,
            hint: "something deletes many of them right now (another run?); try again later",
          },
        );
      }
      options.logger?.info("listing_restarted", {
        what,
        marker: error.marker,
        restart: restarts + 1,
        max_restarts: maxRestarts,
        pages_read: error.pages,
      });
    }
  }
}

/** A page marker that no longer exists (Cinder: 404 "Snapshot … could not be found"). */
class MarkerGone extends Error {
  constructor(readonly marker: string, readonly pages: number, cause: unknown) {
    super(`marker ${marker} is gone`, { cause });
  }
}

/** One pass from the first page to the last. */
async function onePass<T>(
  options: PaginateOptions,
  firstUrl: string,
  what: string,
  maxPages: number,
): Promise<T[]> {
  // In listing order, each id once: an item met twice (a concurrent change moved it across a
  // page boundary) keeps its first place and its last value.
  const items: T[] = [];
  const at = new Map<string, number>();
  const seen = new Set<string>();
  let url = firstUrl;
  let marker: string | undefined;
  for (let pages = 0;;) {
    if (pages >= maxPages) {
      throw new SnapsentryError(
        `Cannot list ${what}: the listing passed ${maxPages} pages and the server still sends a next link`,
        {
          code: "pagination_too_long",
          hint:
            "an endless next link is a server or proxy problem; report it to the cloud operator " +
            "(or raise the limit with --max-pages)",
        },
      );
    }
    let body: Record<string, unknown> | null;
    try {
      body = (await options.fetchPage(url)) as Record<string, unknown> | null;
    } catch (error) {
      if (marker !== undefined && hasStatus(error, 404)) throw new MarkerGone(marker, pages, error);
      throw error;
    }
    pages++;
    const page = body?.[options.collection];
    if (!Array.isArray(page)) {
      throw new SnapsentryError(
        `Cannot list ${what}: the answer to GET ${url} has no "${options.collection}" list`,
        { code: "bad_response" },
      );
    }
    for (const item of page as T[]) {
      const id = idOf(item);
      const index = id === undefined ? undefined : at.get(id);
      if (index !== undefined) items[index] = item;
      else {
        if (id !== undefined) at.set(id, items.length);
        items.push(item);
      }
    }
    const href = nextLink(body as Record<string, unknown>, options.collection);
    if (!href || page.length === 0) break;
    let target: URL;
    try {
      target = new URL(href, url);
    } catch {
      throw new SnapsentryError(
        `Cannot list ${what}: the next link "${href.slice(0, 200)}" of GET ${url} is not a URL`,
        { code: "bad_response" },
      );
    }
    if (!sameListing(new URL(url), target)) {
      throw new SnapsentryError(
        `Cannot list ${what}: the next link of GET ${url} points at ${target.origin}${target.pathname}, another origin and another listing`,
        {
          code: "pagination_cross_origin",
          hint: "this is a server or proxy problem; report it to the cloud operator",
        },
      );
    }
    const next = nextPageUrl(url, href);
    const nextMarker = new URL(next).searchParams.get("marker") ?? next;
    if (seen.has(nextMarker)) {
      throw new SnapsentryError(
        `Cannot list ${what}: the server returned marker "${nextMarker}" twice, so pagination would loop`,
        {
          code: "pagination_loop",
          hint: "this is a server bug; retry later or report it to the cloud operator",
        },
      );
    }
    seen.add(nextMarker);
    marker = new URL(next).searchParams.get("marker") ?? undefined;
    url = next;
  }
  return items;
}
