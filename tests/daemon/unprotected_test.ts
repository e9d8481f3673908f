/**
 * The daemon's unprotected volumes: listed by the probe at most every --unprotected-refresh
 * (never per scrape, never while a run is going), exported as `snapsentry_unprotected_volumes`,
 * shown on the status page with the list, and counted in /status.
 */
import assert from "node:assert/strict";
import { resolveDaemonOptions } from "../../src/daemon/mod.ts";
import { UsageError } from "../../src/errors.ts";
import type { Volume } from "../../src/openstack/mod.ts";
import { appHarness } from "./harness.ts";

function vol(id: string, name: string, metadata: Record<string, string> = {}): Volume {
  return {
    id,
    name,
    status: "available",
    size: 4,
    metadata,
    attachments: [],
    multiattach: false,
    bootable: false,
    volumeType: null,
    availabilityZone: null,
    createdAt: Temporal.Instant.from("2026-01-01T00:00:00Z"),
    projectId: null,
  };
}

const PROTECTED = { "x-snapsentry-managed": "true", "x-snapsentry-express-enabled": "true" };

Deno.test("the probe lists every volume at most once per --unprotected-refresh; scrapes never", async () => {
  const h = appHarness({ unprotectedRefreshSeconds: 600 });
  h.engine.allVolumes = [
    vol("v-ok", "ok", PROTECTED),
    vol("v-bare", "bare<script>"),
    vol("v-2", "two"),
  ];
  const before = await (await h.app.request("/metrics")).text();
  assert.doesNotMatch(
    before,
    /snapsentry_unprotected_volumes/,
    "no gauge before the first listing",
  );

  await h.probe();
  assert.equal(h.engine.unprotectedCalls, 1);
  for (let i = 0; i < 5; i++) {
    await h.app.request("/metrics");
    await h.app.request("/");
    await h.app.request("/status");
  }
  h.clock.advance({ seconds: 30 });
  await h.probe();
  assert.equal(
    h.engine.unprotectedCalls,
    1,
    "no second listing within 10 minutes, none per scrape",
  );

  const metrics = await (await h.app.request("/metrics")).text();
  assert.match(metrics, /^# TYPE snapsentry_unprotected_volumes gauge$/m);
  assert.match(metrics, /^snapsentry_unprotected_volumes 2$/m);
  const status = await (await h.app.request("/status")).json();
  assert.equal(status.unprotected.count, 2);
  assert.equal(status.unprotected.total_gigabytes, 8);
  const page = await (await h.app.request("/")).text();
  assert.match(page, /<h2>Unprotected volumes<\/h2>/);
  assert.match(page, /data-unprotected="2"/);
  assert.match(page, /data-volume="v-bare"/);
  assert.match(page, /bare&lt;script&gt;/, "names are escaped");
  assert.doesNotMatch(page, /data-volume="v-ok"/);

  // After the interval the next probe lists again and the gauge follows.
  h.engine.allVolumes = [vol("v-ok", "ok", PROTECTED)];
  h.clock.advance({ minutes: 10 });
  await h.probe();
  assert.equal(h.engine.unprotectedCalls, 2);
  assert.match(
    await (await h.app.request("/metrics")).text(),
    /^snapsentry_unprotected_volumes 0$/m,
  );
});

Deno.test("a failed listing is logged and not retried before the interval; 0 turns it off", async () => {
  const h = appHarness({ unprotectedRefreshSeconds: 600 });
  h.engine.unprotectedError = new Error("boom");
  await h.probe();
  await h.probe();
  assert.equal(h.engine.unprotectedCalls, 1);
  assert.equal(h.logger.entries.filter((e) => e.event === "unprotected_listing_failed").length, 1);
  assert.equal((await (await h.app.request("/status")).json()).unprotected, null);

  const off = appHarness({ unprotectedRefreshSeconds: 0 });
  await off.probe();
  assert.equal(off.engine.unprotectedCalls, 0);
  assert.doesNotMatch(await (await off.app.request("/metrics")).text(), /unprotected/);
  assert.match(await (await off.app.request("/")).text(), /Not listed yet/);
});

Deno.test("--unprotected-refresh below a minute is refused, defaults to an hour", () => {
  assert.equal(resolveDaemonOptions({}).unprotectedRefreshSeconds, 3600);
  assert.throws(() => resolveDaemonOptions({ unprotectedRefreshSeconds: 30 }), UsageError);
  assert.equal(resolveDaemonOptions({ unprotectedRefreshSeconds: 0 }).unprotectedRefreshSeconds, 0);
});
