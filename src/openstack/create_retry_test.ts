/**
 * A snapshot create refused with 429 (or 503 with Retry-After) was never processed, so it is
 * repeated after Retry-After, within the transport's retry policy (issue 16, item 4). Every
 * other failure of a create stays final: 5xx, a timeout, a dropped connection.
 */
import assert from "node:assert/strict";
import { OpenStackHttpError, RetryExhaustedError, TransportError } from "../errors.ts";
import { MemoryLogger } from "../log.ts";
import { FakeCloud, fixture, json, PROJECT_ID, SteppingClock } from "./_testing.ts";
import { CinderClient } from "./cinder.ts";
import { type FetchLike, HttpTransport } from "./http.ts";

const EP = `http://cinder.test:8776/v3/${PROJECT_ID}`;

function client(answers: (() => Response | Promise<Response>)[], fetch?: FetchLike) {
  const cloud = new FakeCloud();
  let i = 0;
  cloud.on("POST", /\/snapshots$/, () => {
    const next = answers[i++];
    return next ? next() : json(fixture("cinder/snapshot-create-response.json"), 202);
  });
  const clock = new SteppingClock();
  const transport = new HttpTransport({
    fetch: fetch ?? cloud.fetch,
    clock,
    logger: new MemoryLogger(),
    random: () => 0,
  });
  const cinder = new CinderClient({
    session: { request: (req) => transport.request(req) },
    endpoint: EP,
    projectId: PROJECT_ID,
    microversion: "3.70",
  });
  const create = () => cinder.createSnapshot({ volumeId: "v1", name: "n", metadata: {} });
  return { cloud, clock, create, posts: () => cloud.count("POST", /\/snapshots$/) };
}

const overLimit = (status: number, headers: Record<string, string> = {}) => () =>
  json({ overLimit: { code: status, message: "Too many requests." } }, status, headers);

Deno.test("createSnapshot() repeats a refused create after Retry-After", async (t) => {
  await t.step("429 with Retry-After: 7 waits 7 s, then creates", async () => {
    const { clock, create, posts } = client([overLimit(429, { "Retry-After": "7" })]);
    const s = await create();
    assert.equal(s.id, fixture("cinder/snapshot-create-response.json").snapshot.id);
    assert.equal(posts(), 2);
    assert.deepEqual(clock.sleeps, [7000]);
  });

  await t.step("429 without Retry-After backs off", async () => {
    const { clock, create, posts } = client([overLimit(429), overLimit(429)]);
    await create();
    assert.equal(posts(), 3);
    assert.deepEqual(clock.sleeps, [250, 500]);
  });

  await t.step("503 with Retry-After is a refusal too", async () => {
    const { clock, create, posts } = client([overLimit(503, { "Retry-After": "3" })]);
    await create();
    assert.equal(posts(), 2);
    assert.deepEqual(clock.sleeps, [3000]);
  });

  await t.step("bounded by the retry policy (5 retries, Retry-After capped at 30 s)", async () => {
    const refusals = Array.from({ length: 10 }, () => overLimit(429, { "Retry-After": "600" }));
    const { clock, create, posts } = client(refusals);
    await assert.rejects(create(), (e: unknown) => {
      assert.ok(e instanceof RetryExhaustedError, String(e));
      assert.ok(e.cause instanceof OpenStackHttpError && e.cause.status === 429);
      return true;
    });
    assert.equal(posts(), 6);
    assert.deepEqual(clock.sleeps, [30_000, 30_000, 30_000, 30_000, 30_000]);
  });
});

Deno.test("createSnapshot() never repeats a create that may have happened", async (t) => {
  for (const status of [500, 502, 503, 504]) {
    await t.step(`${status} without Retry-After is final`, async () => {
      const { clock, create, posts } = client([overLimit(status)]);
      await assert.rejects(
        create(),
        (e: unknown) => e instanceof OpenStackHttpError && e.status === status,
      );
      assert.equal(posts(), 1);
      assert.deepEqual(clock.sleeps, []);
    });
  }

  await t.step("a 503 with Retry-After but Cinder's own fault body is final", async () => {
    const { create, posts } = client([
      () => json({ computeFault: { message: "boom" } }, 503, { "Retry-After": "1" }),
    ]);
    await assert.rejects(create(), OpenStackHttpError);
    assert.equal(posts(), 1);
  });

  await t.step("a 500 with Retry-After is still final (only 503 means refused)", async () => {
    const { create, posts } = client([overLimit(500, { "Retry-After": "1" })]);
    await assert.rejects(create(), OpenStackHttpError);
    assert.equal(posts(), 1);
  });

  await t.step("a dropped connection is final", async () => {
    let calls = 0;
    const { create, clock } = client([], () => {
      calls++;
      return Promise.reject(new TypeError("connection reset"));
    });
    await assert.rejects(create(), TransportError);
    assert.equal(calls, 1);
    assert.deepEqual(clock.sleeps, []);
  });

  await t.step("413 (quota, Retry-After: 0) is final", async () => {
    const { create, posts } = client([
      () => json(fixture("cinder/fault-413-snapshot-limit.json"), 413, { "Retry-After": "0" }),
    ]);
    await assert.rejects(create(), OpenStackHttpError);
    assert.equal(posts(), 1);
  });
});
