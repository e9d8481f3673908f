import assert from "node:assert/strict";
import { SnapsentryError } from "../errors.ts";
import { collectPages, nextPageUrl } from "./paginate.ts";

const BASE = "http://c:8776/v3/p/volumes/detail?metadata=%7B%22a%22%3A%22b%22%7D";

function pages(total: number, pageSize: number, hrefHost = "http://wrong-host:8776") {
  const ids = Array.from({ length: total }, (_, i) => `vol-${String(i).padStart(4, "0")}`);
  const seen: string[] = [];
  const fetchPage = (url: string) => {
    seen.push(url);
    const u = new URL(url);
    const limit = Number(u.searchParams.get("limit"));
    const marker = u.searchParams.get("marker");
    const start = marker ? ids.indexOf(marker) + 1 : 0;
    const page = ids.slice(start, start + Math.min(limit, pageSize)).map((id) => ({ id }));
    const body: Record<string, unknown> = { volumes: page };
    if (
      page.length === Math.min(limit, pageSize) && start + page.length < total + 1 &&
      page.length > 0
    ) {
      body.volumes_links = [{
        rel: "next",
        href: `${hrefHost}/v3/p/volumes/detail?limit=${limit}&marker=${page.at(-1)!.id}`,
      }];
    }
    return Promise.resolve(body);
  };
  return { fetchPage, seen };
}

Deno.test("collectPages()", async (t) => {
  await t.step(
    "follows next links across several pages, on our own host, keeping filters",
    async () => {
      const { fetchPage, seen } = pages(25, 1000);
      const items = await collectPages<{ id: string }>({
        url: BASE,
        collection: "volumes",
        limit: 10,
        fetchPage,
      });
      assert.equal(items.length, 25);
      assert.equal(new Set(items.map((i) => i.id)).size, 25);
      assert.equal(seen.length, 3);
      for (const url of seen) {
        const u = new URL(url);
        assert.equal(u.host, "c:8776");
        assert.equal(u.searchParams.get("metadata"), '{"a":"b"}');
        assert.equal(u.searchParams.get("limit"), "10");
      }
      assert.equal(new URL(seen[2]!).searchParams.get("marker"), "vol-0019");
    },
  );

  await t.step("a server cap below our limit still pages to the end", async () => {
    const { fetchPage, seen } = pages(7, 3);
    const items = await collectPages({ url: BASE, collection: "volumes", limit: 1000, fetchPage });
    assert.equal(items.length, 7);
    assert.equal(seen.length, 3);
  });

  await t.step("an exact multiple ends on the empty page", async () => {
    const { fetchPage, seen } = pages(20, 1000);
    assert.equal(
      (await collectPages({ url: BASE, collection: "volumes", limit: 10, fetchPage })).length,
      20,
    );
    assert.equal(seen.length, 3);
  });

  await t.step("a repeated marker is an error, not a loop", async () => {
    let calls = 0;
    const fetchPage = () => {
      calls++;
      return Promise.resolve({
        volumes: [{ id: "a" }, { id: "b" }],
        volumes_links: [{ rel: "next", href: "http://c/v3/p/volumes/detail?limit=2&marker=b" }],
      });
    };
    await assert.rejects(
      collectPages({ url: BASE, collection: "volumes", limit: 2, fetchPage, what: "volumes" }),
      (e: unknown) =>
        e instanceof SnapsentryError && e.code === "pagination_loop" &&
        /marker "b" twice/.test(e.message),
    );
    assert.equal(calls, 2);
  });

  await t.step("follows Keystone's links.next", async () => {
    const bodies = [
      {
        projects: [{ id: "1" }],
        links: { next: "http://k/v3/projects?marker=1", self: "x", previous: null },
      },
      { projects: [{ id: "2" }], links: { next: null, self: "y", previous: null } },
    ];
    let i = 0;
    const items = await collectPages({
      url: "http://k/v3/projects?tags=a",
      collection: "projects",
      fetchPage: () => Promise.resolve(bodies[i++]),
    });
    assert.equal(items.length, 2);
  });

  await t.step("a body without the list is an error", async () => {
    await assert.rejects(
      collectPages({ url: BASE, collection: "volumes", fetchPage: () => Promise.resolve({}) }),
      /has no "volumes" list/,
    );
  });
});

Deno.test("nextPageUrl() overlays the href's query on our URL", () => {
  assert.equal(
    nextPageUrl(
      "https://c/v3/p/snapshots/detail?status=available&limit=5",
      "http://internal:8776/v3/p/snapshots/detail?limit=5&marker=m1",
    ),
    "https://c/v3/p/snapshots/detail?status=available&limit=5&marker=m1",
  );
});
