/**
 * A listing is bounded (issue 13, item 2) and survives a deleted page marker (issue 16, item 3):
 * an endless next link stops at the page limit, a next link to another origin's other listing is
 * refused, a repeated marker is a loop, and a marker Cinder no longer knows (404) restarts the
 * listing a few times, logged, with every item once.
 */
import assert from "node:assert/strict";
import { OpenStackHttpError, SnapsentryError } from "../errors.ts";
import { MemoryLogger } from "../log.ts";
import { collectPages, DEFAULT_MAX_PAGES, MAX_LISTING_RESTARTS } from "./paginate.ts";

const BASE = "http://c:8776/v3/p/snapshots/detail";

function notFound(marker: string): OpenStackHttpError {
  return new OpenStackHttpError({
    method: "GET",
    url: `${BASE}?marker=${marker}`,
    status: 404,
    expected: [200],
    serverMessage: `Snapshot ${marker} could not be found.`,
  });
}

/** A Cinder-like lister over `ids()` (read on every call, so tests can delete in between). */
function cinderPages(ids: () => string[], pageSize: number) {
  const urls: string[] = [];
  const fetchPage = (url: string) => {
    urls.push(url);
    const u = new URL(url);
    const all = ids();
    const marker = u.searchParams.get("marker");
    if (marker !== null && !all.includes(marker)) return Promise.reject(notFound(marker));
    const start = marker === null ? 0 : all.indexOf(marker) + 1;
    const page = all.slice(start, start + pageSize).map((id) => ({ id }));
    const body: Record<string, unknown> = { snapshots: page };
    if (page.length === pageSize) {
      body.snapshots_links = [{
        rel: "next",
        href: `${BASE}?limit=${pageSize}&marker=${page.at(-1)!.id}`,
      }];
    }
    return Promise.resolve(body);
  };
  return { fetchPage, urls };
}

Deno.test("collectPages() is bounded", async (t) => {
  await t.step("the default page limit fits 1,000,000 items at 1,000 a page", async () => {
    assert.equal(DEFAULT_MAX_PAGES, 1001);
    // 1,000 full pages and the empty page that ends an exact multiple (one item per page here,
    // to keep the test small: the limit counts pages, not items).
    let n = 0;
    const items = await collectPages({
      url: BASE,
      collection: "snapshots",
      fetchPage: () => {
        n++;
        return Promise.resolve(
          n <= 1000
            ? {
              snapshots: [{ id: `s${n}` }],
              snapshots_links: [{ rel: "next", href: `${BASE}?marker=s${n}` }],
            }
            : { snapshots: [] },
        );
      },
    });
    assert.equal(items.length, 1000);
    assert.equal(n, 1001);
  });

  await t.step("an endless next link stops at maxPages with pagination_too_long", async () => {
    let n = 0;
    await assert.rejects(
      collectPages({
        url: BASE,
        collection: "snapshots",
        what: "snapshots",
        maxPages: 50,
        fetchPage: () => {
          n++;
          return Promise.resolve({
            snapshots: [{ id: `s${n}` }],
            snapshots_links: [{ rel: "next", href: `${BASE}?marker=fresh-${n}` }],
          });
        },
      }),
      (e: unknown) =>
        e instanceof SnapsentryError && e.code === "pagination_too_long" &&
        /passed 50 pages/.test(e.message),
    );
    assert.equal(n, 50);
  });

  await t.step("a next link to another listing on another origin is refused", async () => {
    let n = 0;
    await assert.rejects(
      collectPages({
        url: BASE,
        collection: "snapshots",
        what: "snapshots",
        fetchPage: () => {
          n++;
          return Promise.resolve({
            snapshots: [{ id: "a" }],
            snapshots_links: [{ rel: "next", href: "https://evil.example/collect?marker=a" }],
          });
        },
      }),
      (e: unknown) =>
        e instanceof SnapsentryError && e.code === "pagination_cross_origin" &&
        e.message.includes("https://evil.example/collect") && e.message.includes(BASE),
    );
    assert.equal(n, 1);
  });

  await t.step("a marker repeated by a later page is a loop", async () => {
    let n = 0;
    await assert.rejects(
      collectPages({
        url: BASE,
        collection: "snapshots",
        fetchPage: () => {
          n++;
          const m = n % 2 === 0 ? "a" : "b";
          return Promise.resolve({
            snapshots: [{ id: m }],
            snapshots_links: [{ rel: "next", href: `${BASE}?marker=${m}` }],
          });
        },
      }),
      (e: unknown) => e instanceof SnapsentryError && e.code === "pagination_loop",
    );
    assert.equal(n, 3);
  });

  await t.step("a next link that is not a URL is a bad_response, not a TypeError", async () => {
    await assert.rejects(
      collectPages({
        url: BASE,
        collection: "snapshots",
        fetchPage: () =>
          Promise.resolve({
            snapshots: [{ id: "a" }],
            snapshots_links: [{ rel: "next", href: "http://[not-a-host" }],
          }),
      }),
      (e: unknown) => e instanceof SnapsentryError && e.code === "bad_response",
    );
  });
});

Deno.test("collectPages() survives a deleted page marker", async (t) => {
  await t.step("restarts once, logs listing_restarted, lists every item once", async () => {
    let ids = ["s1", "s2", "s3", "s4", "s5", "s6", "s7"];
    const { fetchPage, urls } = cinderPages(() => ids, 2);
    const logger = new MemoryLogger();
    let deleted = false;
    const items = await collectPages<{ id: string }>({
      url: BASE,
      collection: "snapshots",
      what: "snapshots",
      limit: 2,
      logger,
      fetchPage: async (url) => {
        const body = await fetchPage(url);
        // Another run deletes s4, the boundary of the second page, right after we read it.
        if (!deleted && new URL(url).searchParams.get("marker") === "s2") {
          deleted = true;
          ids = ids.filter((id) => id !== "s4");
        }
        return body;
      },
    });
    assert.deepEqual(items.map((i) => i.id), ["s1", "s2", "s3", "s5", "s6", "s7"]);
    const events = logger.events("listing_restarted");
    assert.equal(events.length, 1);
    assert.equal(events[0]!.marker, "s4");
    assert.equal(events[0]!.what, "snapshots");
    assert.equal(events[0]!.restart, 1);
    // 2 pages, the 404, then a full pass of 4 pages (the last one empty).
    assert.equal(urls.length, 2 + 1 + 4);
  });

  await t.step("gives up after the restart limit with listing_unstable", async () => {
    assert.equal(MAX_LISTING_RESTARTS, 3);
    let ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const { fetchPage, urls } = cinderPages(() => ids, 2);
    await assert.rejects(
      collectPages({
        url: BASE,
        collection: "snapshots",
        what: "snapshots",
        limit: 2,
        fetchPage: async (url) => {
          const body = await fetchPage(url) as { snapshots: { id: string }[] };
          // Every first page's boundary vanishes as soon as it was read.
          if (!new URL(url).searchParams.has("marker")) {
            const last = body.snapshots.at(-1)!.id;
            ids = ids.filter((id) => id !== last);
          }
          return body;
        },
      }),
      (e: unknown) => {
        assert.ok(e instanceof SnapsentryError && e.code === "listing_unstable", String(e));
        assert.match(e.message, /deleted while listing, 4 times in a row/);
        assert.ok((e as { cause?: unknown }).cause instanceof OpenStackHttpError);
        return true;
      },
    );
    assert.equal(urls.length, 8);
  });

  await t.step("a 404 on the first page is not a deleted marker", async () => {
    await assert.rejects(
      collectPages({
        url: BASE,
        collection: "snapshots",
        fetchPage: () => Promise.reject(notFound("none")),
      }),
      OpenStackHttpError,
    );
  });

  await t.step("an item met twice in one pass is listed once, in its first place", async () => {
    const bodies = [
      {
        snapshots: [{ id: "a", v: 1 }, { id: "b", v: 1 }],
        snapshots_links: [{ rel: "next", href: `${BASE}?marker=b` }],
      },
      { snapshots: [{ id: "a", v: 2 }, { id: "c", v: 1 }] },
    ];
    let i = 0;
    const items = await collectPages({
      url: BASE,
      collection: "snapshots",
      fetchPage: () => Promise.resolve(bodies[i++]),
    });
    assert.deepEqual(items, [{ id: "a", v: 2 }, { id: "b", v: 1 }, { id: "c", v: 1 }]);
  });
});
