/**
 * Opens the status page in headless Chromium and checks what a person would see. Chromium comes
 * from Debian's `chromium` package (CI installs it and exports SNAPSENTRY_CHROMIUM).
 *
 * Where it is missing: under CI (`CI=true`) the test fails, so CI can never pass without having
 * looked at the page; on a developer's machine it is reported as ignored, with a line saying how
 * to run it, so the README's test command works on a machine that has only Node.js.
 * SNAPSENTRY_SKIP_BROWSER=1 skips it on purpose anywhere.
 */
import assert from "node:assert/strict";
import { settle } from "./fake_engine.ts";
import { appHarness, sampleVolumes } from "./harness.ts";

const SKIP_ON_PURPOSE = Deno.env.get("SNAPSENTRY_SKIP_BROWSER") === "1";
const IN_CI = Deno.env.get("CI") === "true";

function findChromium(): string | null {
  const candidates = [
    Deno.env.get("SNAPSENTRY_CHROMIUM"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
  ].filter((c): c is string => !!c);
  for (const c of candidates) {
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch { /* try the next one */ }
  }
  return null;
}

const SKIP = SKIP_ON_PURPOSE || (!IN_CI && findChromium() === null);
if (SKIP && !SKIP_ON_PURPOSE) {
  // deno-lint-ignore no-console
  console.error(
    "browser test ignored: no Chromium here (apt-get install chromium, or set SNAPSENTRY_CHROMIUM); " +
      "CI installs it and never skips",
  );
}

async function chromium(args: string[], userDataDir: string): Promise<string> {
  const bin = findChromium();
  if (bin === null) {
    throw new Error(
      "Cannot find Chromium: install Debian's chromium package (apt-get install chromium) or set " +
        "SNAPSENTRY_CHROMIUM; set SNAPSENTRY_SKIP_BROWSER=1 to skip browser tests on purpose",
    );
  }
  const out = await new Deno.Command(bin, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--hide-scrollbars",
      `--user-data-dir=${userDataDir}`,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`chromium exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "the status page in headless Chromium shows jobs, volumes and a timeline",
  ignore: SKIP,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const h = appHarness();
    h.scheduler.start({ runAtStart: true });
    await settle();
    // After the start-up runs: each run's report carries the fake cloud's (empty) view, and the
    // newest observation wins, so the sample goes in last.
    sampleVolumes(h.history);
    h.health.success();
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, h.app.fetch);
    const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/`;
    const profile = await Deno.makeTempDir({ prefix: "snapsentry-chromium-" });
    const shotDir = Deno.env.get("SNAPSENTRY_SCREENSHOT_DIR") ?? profile;
    const shot = `${shotDir}/status-page.png`;
    try {
      const dom = await chromium(["--dump-dom", url], `${profile}/a`);
      // What a person reads: the title, both jobs with schedules, each volume, verdicts.
      assert.match(dom, /<h1>snapsentry daemon<\/h1>/);
      assert.match(dom, /Create snapshots/);
      assert.match(dom, /Expire snapshots/);
      assert.match(dom, /<code>\*\/10 \* \* \* \*<\/code>/);
      assert.match(
        dom,
        /<tr class="volume-row" data-volume-id="3f2a9c1e-0000-4000-8000-000000000001">/,
      );
      assert.match(dom, /<strong>db-data<\/strong>/);
      assert.match(dom, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, "shown as text, not run");
      assert.doesNotMatch(dom, /<script/);
      assert.match(dom, /<span class="badge late">LATE<\/span>/);
      assert.match(dom, /<span class="badge ok">ready<\/span>/);
      // The timeline: one SVG per volume, with created, expired and failed marks and date labels.
      const svgs = dom.match(/<svg class="timeline"[\s\S]*?<\/svg>/g) ?? [];
      assert.equal(svgs.length, 2);
      // 13 creates the sample run reported, plus s-daily, which only the observation shows.
      assert.equal((svgs[0]!.match(/class="mark-created"/g) ?? []).length, 14);
      assert.equal((svgs[0]!.match(/class="mark-failed"/g) ?? []).length, 1);
      assert.equal((svgs[0]!.match(/class="mark-expired"/g) ?? []).length, 10);
      assert.match(svgs[0]!, />01-0\d<\/text>/, "axis dates");
      assert.equal((svgs[1]!.match(/class="mark-failed"/g) ?? []).length, 1);
      assert.match(dom, /class="legend"/);

      await chromium([`--screenshot=${shot}`, "--window-size=1280,1000", url], `${profile}/b`);
      const png = await Deno.readFile(shot);
      assert.deepEqual([...png.slice(0, 4)], [0x89, 0x50, 0x4e, 0x47], "a PNG screenshot");
      assert.ok(png.length > 10_000, "the screenshot is not blank");
    } finally {
      await server.shutdown();
      h.scheduler.stop();
      await h.scheduler.drain();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
