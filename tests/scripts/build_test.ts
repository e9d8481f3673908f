/** scripts/build.ts's stamp: the image and release builds know their version and commit. */
import assert from "node:assert/strict";
import { resolveStamp, stampSource } from "../../scripts/build.ts";

const SOURCE = await Deno.readTextFile(new URL("../../src/build_info.ts", import.meta.url));
const noGit = () => Promise.resolve(undefined);

Deno.test("stampSource() rewrites version, commit and build date of build_info.ts", () => {
  const out = stampSource(SOURCE, {
    version: "0.2.0",
    commit: "0123456789ab",
    buildDate: "2026-03-01T00:00:00Z",
  });
  assert.match(out, /version: "0\.2\.0"/);
  assert.match(out, /commit: "0123456789ab"/);
  assert.match(out, /buildDate: "2026-03-01T00:00:00Z"/);
  assert.equal(out.replace(/"[^"]*"/g, '""'), SOURCE.replace(/"[^"]*"/g, '""'), "nothing else");
});

Deno.test("resolveStamp(): the container build's variables win, without any .git", async () => {
  const s = await resolveStamp(
    {
      SNAPSENTRY_VERSION: "v0.2.0",
      SNAPSENTRY_COMMIT: "abc123def456",
      SOURCE_DATE_EPOCH: "1767225600",
    },
    { git: noGit, denoJsonVersion: "0.1.0" },
  );
  assert.deepEqual(s, {
    version: "0.2.0",
    commit: "abc123def456",
    buildDate: "2026-01-01T00:00:00Z",
  });
});

Deno.test("resolveStamp(): git when there is one, -dirty for local changes; else unknown", async () => {
  const git = (dirty: boolean) => (...args: string[]) =>
    Promise.resolve(args[0] === "rev-parse" ? "f00dfeedbeef" : dirty ? " M src/x.ts" : "");
  const now = new Date("2026-02-02T02:02:02.345Z");
  assert.deepEqual(await resolveStamp({}, { git: git(false), denoJsonVersion: "0.1.0", now }), {
    version: "0.1.0",
    commit: "f00dfeedbeef",
    buildDate: "2026-02-02T02:02:02Z",
  });
  assert.equal((await resolveStamp({}, { git: git(true), now })).commit, "f00dfeedbeef-dirty");
  assert.equal((await resolveStamp({}, { git: noGit, now })).commit, "unknown");
  assert.equal(
    (await resolveStamp({ SNAPSENTRY_VERSION: "0.3.0-rc.1" }, { git: noGit })).version,
    "0.3.0-rc.1",
  );
});
