import assert from "node:assert/strict";
import { emulatedCli } from "../helpers/cli.ts";

Deno.test("no password, application credential secret or token reaches logs, stderr or --json at debug level", async () => {
  const e = emulatedCli();
  const { volumes } = e.emulator.seedSample(e.emulator.seed.demoProjectId, {});
  const tokens: string[] = [];
  const fetchSpy: typeof fetch = async (input, init) => {
    const res = await e.emulator.fetch(input, init);
    const t = res.headers.get("x-subject-token");
    if (t) tokens.push(t);
    return res;
  };
  const outputs: string[] = [];
  for (const cloud of ["emulator", "emulator-appcred", "emulator-admin"]) {
    for (
      const argv of [
        ["doctor", "--json"],
        ["subscribe", "daily", "--volume-id", volumes[0]!.id, "--start-time", "01:00", "--json"],
        ["create-snapshots", "--json"],
        ["expire-snapshots", "--json"],
        ["status", "--json"],
      ]
    ) {
      const r = await e.run(["--cloud", cloud, "--log-level", "debug", ...argv], {
        fetch: fetchSpy,
        env: {
          OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml",
          SNAPSENTRY_WEBHOOK_PASSWORD: "webhook-pass-123",
        },
      });
      assert.ok(r.code === 0 || r.code === 1, `${cloud} ${argv[0]} exit ${r.code}: ${r.stderr}`);
      outputs.push(r.stdout, r.stderr, JSON.stringify(r.logs));
    }
  }
  const all = outputs.join("\n");
  assert.ok(all.includes("http_request"), "debug logs were written");
  const secrets = [
    e.emulator.seed.demoPassword,
    e.emulator.seed.adminPassword,
    e.emulator.seed.appCredSecret,
    "webhook-pass-123",
    ...tokens,
  ];
  assert.ok(tokens.length >= 3, "tokens were issued");
  for (const s of secrets) {
    assert.ok(s.length >= 8, "secret long enough to search for");
    assert.ok(!all.includes(s), `a secret leaked: ${s.slice(0, 3)}…`);
  }
});

Deno.test("a clouds.yaml holding the secret that others can read is warned about; doctor shows it", async () => {
  const e = emulatedCli();
  const dir = await Deno.makeTempDir();
  const path = `${dir}/clouds.yaml`;
  try {
    await Deno.writeTextFile(path, e.emulator.cloudsYaml());
    const run = (ownGid: number | null) =>
      e.run(["--cloud", "emulator", "doctor", "--json"], {
        env: { OS_CLIENT_CONFIG_FILE: path },
        readTextFile: (p) => Deno.readTextFile(p),
        fileAccess: {
          stat: async (p) => {
            const st = await Deno.stat(p);
            return { mode: st.mode, gid: st.gid };
          },
          ownGid: () => ownGid,
        },
      });
    const gid = (await Deno.stat(path)).gid;
    const cases: [number, number | null, RegExp | null][] = [
      [0o644, gid, /readable by everyone \(mode 0644\); run chmod 600 /],
      [0o640, gid === null ? null : gid + 1, /readable by group \d+ \(mode 0640\)/],
      [0o640, gid, null], // the file's group is the process's own
      [0o600, gid, null],
    ];
    for (const [mode, ownGid, expected] of cases) {
      await Deno.chmod(path, mode);
      const r = await run(ownGid);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      const logged = r.logs.filter((l) => l.event === "config_warning").map((l) => l.warning);
      if (expected) {
        assert.equal(report.warnings.length, 1, mode.toString(8));
        assert.match(report.warnings[0], expected);
        assert.ok(report.warnings[0].includes(path));
        assert.deepEqual(logged, report.warnings);
      } else {
        assert.deepEqual(report.warnings, [], mode.toString(8));
        assert.deepEqual(logged, []);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
