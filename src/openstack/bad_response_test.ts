/**
 * Malformed server answers are checked at the wire boundary (issue 13): each becomes a
 * BadResponseError (code `bad_response`, exit 1) naming the call, the field and the request id,
 * never a raw `TypeError` (`catalog.map is not a function`, `Invalid URL`) or a `RangeError` (a
 * bad `expires_at`, which exited 2 like a usage error).
 */
import assert from "node:assert/strict";
import { exitCodeFor, requestIdOf, SnapsentryError } from "../errors.ts";
import {
  AUTH_URL,
  fixture,
  json,
  PROJECT_ID,
  standardCloud,
  SteppingClock,
  tokenResponse,
} from "./_testing.ts";
import { defineCloudConfig, openCloud } from "./mod.ts";
import { BadResponseError } from "./wire_check.ts";

const CONFIG = () =>
  defineCloudConfig({
    name: "prod",
    auth: {
      type: "password",
      authUrl: AUTH_URL,
      username: "admin",
      userDomainName: "Default",
      password: "Tr0ub4dor&3-long",
      projectId: PROJECT_ID,
    },
  });

/** A cloud whose token answer is edited by `edit`. */
function cloudWithToken(edit: (token: Record<string, unknown>) => void) {
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now());
  cloud.on("POST", /^\/v3\/auth\/tokens$/, async () => {
    const res = tokenResponse("tok-bad-1", clock.now().add({ hours: 1 }).toString());
    const body = await res.json();
    edit(body.token);
    return json(body, 201, {
      "X-Subject-Token": "tok-bad-1",
      "x-openstack-request-id": "req-token-1",
    });
  });
  return { clock, cloud };
}

function isBad(pattern: RegExp, requestId: string) {
  return (e: unknown) => {
    assert.ok(e instanceof BadResponseError, `${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.equal(e.code, "bad_response");
    assert.equal(exitCodeFor(e), 1);
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(`(request id ${requestId})`), e.message);
    assert.match(e.hint ?? "", /request id/);
    // The run summary's error and the failed outcomes carry it as request_id too.
    assert.equal(requestIdOf(e), requestId);
    assert.equal(requestIdOf(new Error("wrapped", { cause: e })), requestId);
    return true;
  };
}

Deno.test("malformed Keystone answers are bad_response", async (t) => {
  for (
    const [name, edit, pattern] of [
      [
        "a catalog that is not a list",
        (tok: Record<string, unknown>) => (tok.catalog = { volumev3: "http://x" }),
        /POST http:\/\/23\.253\.248\.171:5000\/v3\/auth\/tokens: token\.catalog is an object, expected a list/,
      ],
      [
        "an expires_at that is not a time (was a RangeError, exit 2)",
        (tok: Record<string, unknown>) => (tok.expires_at = "tomorrow"),
        /token\.expires_at is string "tomorrow", expected an ISO 8601 time/,
      ],
      [
        "an endpoint without a URL",
        (tok: Record<string, unknown>) => {
          const catalog = tok.catalog as { endpoints: Record<string, unknown>[] }[];
          delete catalog[2]!.endpoints[0]!.url;
        },
        /token\.catalog\[2\]\.endpoints\[0\]\.url is missing, expected a string/,
      ],
      [
        "a project without an id",
        (tok: Record<string, unknown>) => ((tok.project as Record<string, unknown>).id = 42),
        /token\.project\.id is number 42, expected a string/,
      ],
    ] as const
  ) {
    await t.step(name, async () => {
      const { clock, cloud } = cloudWithToken(edit);
      const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });
      await assert.rejects(os.blockStorage(), isBad(pattern, "req-token-1"));
    });
  }

  await t.step("a catalog URL that is not a URL (was TypeError: Invalid URL)", async () => {
    const { clock, cloud } = cloudWithToken((tok) => {
      const catalog = tok.catalog as { type: string; endpoints: { url: string }[] }[];
      for (const ep of catalog.find((s) => s.type === "volumev3")!.endpoints) ep.url = "cinder!";
    });
    const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });
    await assert.rejects(
      os.blockStorage(),
      isBad(
        /the catalog's volumev3 public endpoint "cinder!" is not an http\(s\) URL/,
        "req-token-1",
      ),
    );
  });

  await t.step("a file: URL in the catalog is refused too", async () => {
    const { clock, cloud } = cloudWithToken((tok) => {
      const catalog = tok.catalog as { type: string; endpoints: { url: string }[] }[];
      for (const ep of catalog.find((s) => s.type === "volumev3")!.endpoints) {
        ep.url = "file:///etc/openstack";
      }
    });
    const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });
    await assert.rejects(os.blockStorage(), isBad(/is not an http\(s\) URL/, "req-token-1"));
  });
});

Deno.test("malformed Cinder answers are bad_response", async (t) => {
  const open = async (route: (cloud: ReturnType<typeof standardCloud>) => void) => {
    const clock = new SteppingClock();
    const cloud = standardCloud(() => clock.now());
    route(cloud);
    const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });
    return await os.blockStorage();
  };
  const rid = { "x-openstack-request-id": "req-cinder-1" };

  await t.step("a volume with a created_at that is not a time", async () => {
    const bs = await open((c) =>
      c.on("GET", /\/volumes\/detail$/, () => {
        const body = fixture("cinder/volumes-list-detailed-response.json");
        body.volumes[0].created_at = "last tuesday";
        return json(body, 200, rid);
      })
    );
    await assert.rejects(
      bs.listVolumes(),
      isBad(
        /GET .*\/volumes\/detail\?limit=1000: volumes\[0\]\.created_at is string "last tuesday"/,
        "req-cinder-1",
      ),
    );
  });

  await t.step("a page whose list is not a list", async () => {
    const bs = await open((c) =>
      c.on("GET", /\/snapshots\/detail$/, () => json({ snapshots: "none" }, 200, rid))
    );
    await assert.rejects(
      bs.listSnapshots(),
      isBad(/snapshots is string "none", expected a list/, "req-cinder-1"),
    );
  });

  await t.step("a create answer without the snapshot", async () => {
    const bs = await open((c) => c.on("POST", /\/snapshots$/, () => json({ ok: 1 }, 202, rid)));
    await assert.rejects(
      bs.createSnapshot({ volumeId: "v", name: "n", metadata: {} }),
      isBad(/POST .*\/snapshots: snapshot is missing, expected an object/, "req-cinder-1"),
    );
  });

  await t.step("metadata that is not a map", async () => {
    const bs = await open((c) =>
      c.on("GET", /\/snapshots\/s1$/, () => {
        const snap = fixture("cinder/snapshots-list-detailed-response.json").snapshots[0];
        snap.metadata = { nested: { not: "a string" } };
        return json({ snapshot: snap }, 200, rid);
      })
    );
    await assert.rejects(
      bs.getSnapshot("s1"),
      isBad(/snapshot\.metadata\.nested is an object, expected a string/, "req-cinder-1"),
    );
  });

  await t.step("a quota set whose usage has no numbers", async () => {
    const bs = await open((c) =>
      c.on(
        "GET",
        /\/os-quota-sets\//,
        () =>
          json({ quota_set: { id: PROJECT_ID, snapshots: { limit: "ten", in_use: 0 } } }, 200, rid),
      )
    );
    await assert.rejects(
      bs.getQuotaSet(),
      isBad(/quota_set\.snapshots\.limit is string "ten", expected a number/, "req-cinder-1"),
    );
  });

  await t.step("a body that is not JSON at all", async () => {
    const bs = await open((c) =>
      c.on(
        "GET",
        /\/volumes\/v1$/,
        () => new Response("<html>proxy error</html>", { status: 200, headers: rid }),
      )
    );
    await assert.rejects(
      bs.getVolume("v1"),
      isBad(/the body is null, expected a JSON object/, "req-cinder-1"),
    );
  });
});

Deno.test("a malformed version document is bad_response", async (t) => {
  for (
    const [name, doc, pattern] of [
      ["versions that is not a list", { versions: "v3" }, /versions is string "v3"/],
      [
        "a version that is not MAJOR.MINOR (was a RangeError, exit 2)",
        { versions: [{ id: "v3.0", status: "CURRENT", version: "latest", min_version: "3.0" }] },
        /Cannot parse microversion "latest"/,
      ],
    ] as const
  ) {
    await t.step(name, async () => {
      const clock = new SteppingClock();
      const cloud = standardCloud(() => clock.now());
      cloud.on("GET", /^\/v3\/?$/, () => json(doc, 200, { "x-openstack-request-id": "req-v" }));
      const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });
      await assert.rejects(os.blockStorage(), isBad(pattern, "req-v"));
    });
  }
});

Deno.test("malformed identity answers are bad_response", async () => {
  const clock = new SteppingClock();
  const cloud = standardCloud(() => clock.now());
  cloud.on(
    "GET",
    /^\/v3\/projects$/,
    () =>
      json({ projects: [{ name: "no id" }], links: { next: null } }, 200, {
        "x-openstack-request-id": "req-k",
      }),
  );
  const os = await openCloud({ config: CONFIG(), fetch: cloud.fetch, clock });
  await assert.rejects(
    os.identity.listProjects({ tags: ["snapsentry"] }),
    (e: unknown) =>
      e instanceof SnapsentryError && e.code === "bad_response" &&
      /projects\[0\]\.id is missing, expected a string \(request id req-k\)/.test(e.message),
  );
});
