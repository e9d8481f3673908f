/**
 * Alerts never hold a run: with a webhook receiver that accepts the connection and never
 * answers, a one-shot run reports on time and the command exits after the bounded
 * `--webhook-wait`, with the undelivered alert logged as abandoned.
 */
import assert from "node:assert/strict";
import { emulatedCli } from "../helpers/cli.ts";

Deno.test("a hung webhook receiver: the run reports on time, the command waits at most --webhook-wait", async () => {
  let hits = 0;
  const never = Promise.withResolvers<Response>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    hits++;
    return never.promise; // accepted, never answered
  });
  const hook = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/hook`;
  try {
    const e = emulatedCli();
    e.emulator.setQuota(e.emulator.seed.demoProjectId, { snapshots: 0 });
    e.emulator.addVolume(e.emulator.seed.demoProjectId, {
      name: "v",
      metadata: { "x-snapsentry-managed": "true", "x-snapsentry-daily-enabled": "true" },
    });
    const started = e.clock.now();
    const r = await e.run(
      ["--webhook-url", hook, "create-snapshots", "--json", "--webhook-wait", "20s"],
      {
        // Cinder calls go to the emulator; the webhook goes to the loopback receiver.
        fetch: (input, init) => {
          const url = input instanceof Request ? input.url : String(input);
          return url.startsWith(hook) ? fetch(input, init) : e.emulator.fetch(input, init);
        },
      },
    );
    assert.equal(r.code, 1, "the quota made the create fail");
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.result, "partial");
    const elapsedMs = e.clock.now().epochMilliseconds - started.epochMilliseconds;
    const runMs = summary.duration_ms as number;
    // The run's own time holds no delivery attempt (each may take 30 s, four of them).
    assert.ok(runMs < 30_000, `the run took ${runMs} ms`);
    assert.ok(elapsedMs <= runMs + 20_000 + 1000, `ran ${runMs} ms, exited after ${elapsedMs} ms`);
    assert.ok(hits >= 1, "the alert was sent to the receiver");
    assert.equal(r.logs.filter((l) => l.event === "webhook_abandoned").length, 1);
  } finally {
    never.resolve(new Response("late"));
    await server.shutdown();
  }
});

Deno.test("a webhook password over plain HTTP to another host is warned about, once", async () => {
  const sent: string[] = [];
  const e = emulatedCli();
  const fetchVia = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith("http://alerts.example")) {
      sent.push(url);
      return Promise.resolve(new Response("ok"));
    }
    return e.emulator.fetch(input, init);
  };
  const env = {
    OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml",
    SNAPSENTRY_WEBHOOK_PASSWORD: "hook-secret-123",
  };
  for (
    const [url, warned] of [
      ["http://alerts.example/hook", true],
      ["https://alerts.example/hook", false],
      ["http://127.0.0.1:9/hook", false],
    ] as const
  ) {
    const r = await e.run(
      ["--webhook-url", url, "--webhook-username", "u", "expire-snapshots", "--json"],
      { fetch: fetchVia, env },
    );
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.logs.filter((l) => l.event === "webhook_credentials_in_cleartext");
    assert.equal(warnings.length, warned ? 1 : 0, url);
    assert.equal(JSON.stringify(r.logs).includes("hook-secret-123"), false);
  }
});

Deno.test("--webhook-password on the command line is warned about; the variable is not", async () => {
  const e = emulatedCli();
  const flag = await e.run([
    "--webhook-url",
    "https://alerts.example/hook",
    "--webhook-password",
    "cmdline-secret-9",
    "expire-snapshots",
  ], { fetch: e.emulator.fetch });
  assert.equal(flag.code, 0, flag.stderr);
  const warned = flag.logs.filter((l) => l.event === "secret_on_command_line");
  assert.equal(warned.length, 1);
  assert.equal(warned[0]!.option, "--webhook-password");
  assert.equal(JSON.stringify(flag.logs).includes("cmdline-secret-9"), false);
  const env = await e.run(["--webhook-url", "https://alerts.example/hook", "expire-snapshots"], {
    env: {
      OS_CLIENT_CONFIG_FILE: "/virtual/clouds.yaml",
      SNAPSENTRY_WEBHOOK_PASSWORD: "env-secret-9",
    },
  });
  assert.equal(env.code, 0, env.stderr);
  assert.equal(env.logs.filter((l) => l.event === "secret_on_command_line").length, 0);
});
