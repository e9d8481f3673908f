import assert from "node:assert/strict";
import { adminWorld, TAG, taggedProject } from "./harness.ts";

Deno.test("admin list-subscribed-projects", async (t) => {
  await t.step("prints the tagged projects as a table (Go columns)", async () => {
    const w = adminWorld();
    const a = taggedProject(w, "alpha", { tags: ["prod"] });
    const b = taggedProject(w, "beta team");
    w.os.addProject({ name: "untagged", tags: ["other"] });
    const r = await w.run(["admin", "list-subscribed-projects"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^PROJECT ID\s+PROJECT NAME\s+DOMAIN ID\s+TAGS$/);
    assert.equal(lines.length, 3);
    const rowA = lines.find((l) => l.startsWith(a.id))!;
    assert.match(rowA, new RegExp(`^${a.id}\\s+alpha\\s+default\\s+${TAG}, prod$`));
    assert.ok(lines.some((l) => l.startsWith(b.id) && l.includes("beta team")));
    assert.ok(!r.stdout.includes("untagged"));
  });

  await t.step("--json lists id, name, domain and tags; --tag selects another tag", async () => {
    const w = adminWorld();
    const a = taggedProject(w, "alpha");
    w.os.addProject({ name: "gamma", tags: ["custom"] });
    const r = await w.run(["admin", "list-subscribed-projects", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      { id: a.id, name: "alpha", domain_id: "default", enabled: true, tags: [TAG] },
    ]);
    const custom = await w.run(["admin", "list-subscribed-projects", "--tag", "custom", "--json"]);
    assert.deepEqual(JSON.parse(custom.stdout).map((p: { name: string }) => p.name), ["gamma"]);
  });

  await t.step("says so when no project is tagged", async () => {
    const w = adminWorld();
    const r = await w.run(["admin", "list-subscribed-projects"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `No project is tagged "${TAG}"\n`);
  });

  await t.step("a member credential gets a clear 403 message and exit 1", async () => {
    const w = adminWorld();
    taggedProject(w, "alpha");
    const r = await w.run(["admin", "list-subscribed-projects"], { cloud: "emulator" });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /Cannot list projects tagged "snapsentry-enabled" in cloud "emulator": the command needs a credential allowed to list projects \(admin, or a reader with system scope\)/,
    );
  });

  await t.step("--help shows an example", async () => {
    const w = adminWorld();
    const r = await w.run(["admin", "list-subscribed-projects", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Example/);
    assert.match(r.stdout, /--tag <tag>/);
  });
});
