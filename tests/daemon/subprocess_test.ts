/**
 * `snapsentry daemon` as a real process against the emulated cloud served on loopback:
 * SIGTERM during a run (exit 0, the run completed) and a port in use (non-zero, clear message).
 * The fake-engine variants below (fixtures/fake_daemon.ts) cover the same signal handling with
 * a run the test releases itself.
 */
import assert from "node:assert/strict";
import { createEmulator } from "../../src/emulator/mod.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
/** Collects a child's stderr JSON log lines and lets a test wait for one. */
class LogWatch {
  lines: string[] = [];
  events: Record<string, unknown>[] = [];
  #waiters: {
    pred: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];
  #closed = false;
  #closeWaiters: (() => void)[] = [];
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      let buf = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          this.#line(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      }
      if (buf) this.#line(buf);
      this.#closed = true;
      for (const w of this.#closeWaiters) w();
    })();
  }

  #line(line: string) {
    this.lines.push(line);
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    this.events.push(e);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pred(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** Resolves with the first event matching; rejects if the process's stderr closes first. */
  waitFor(event: string, pred: (e: Record<string, unknown>) => boolean = () => true) {
    const match = (e: Record<string, unknown>) => e.event === event && pred(e);
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      this.#waiters.push({ pred: match, resolve });
      const onClose = () =>
        reject(new Error(`process ended before "${event}"; stderr:\n${this.lines.join("\n")}`));
      if (this.#closed) onClose();
      else this.#closeWaiters.push(onClose);
    });
  }
}

async function cloudFixture() {
  const emulator = createEmulator();
  const served = emulator.serve({ port: 0 });
  const projectId = emulator.seed.demoProjectId;
  emulator.addVolume(projectId, {
    name: "db-data",
    metadata: {
      "x-snapsentry-managed": "true",
      "x-snapsentry-express-enabled": "true",
      "x-snapsentry-express-interval-hours": "6",
      "x-snapsentry-express-retention-days": "1",
      "x-snapsentry-express-timezone": "UTC",
    },
  });
  // Every Cinder call takes a little real time, so a run is still going when SIGTERM arrives.
  emulator.faults.add({
    path: "/volume/**",
    times: Infinity,
    fault: { type: "latency", ms: 0, realMs: 400 },
  });
  const dir = await Deno.makeTempDir({ prefix: "snapsentry-daemon-" });
  const cloudsYaml = `${dir}/clouds.yaml`;
  await Deno.writeTextFile(cloudsYaml, emulator.cloudsYaml({ baseUrl: served.url }));
  return {
    emulator,
    env: { OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: "emulator", NO_COLOR: "1" },
    async close() {
      await served.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function spawnDaemon(args: string[], env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-env", MAIN, "daemon", ...args],
    env,
    cwd: ROOT.pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test({
  name: "daemon subprocess: SIGTERM during a run lets it finish, then exits 0",
  async fn() {
    const cloud = await cloudFixture();
    const child = spawnDaemon(
      ["--bind-address", "127.0.0.1:0", "--run-at-start", "--shutdown-timeout", "120"],
      cloud.env,
    );
    const logs = new LogWatch(child.stderr);
    try {
      const started = await logs.waitFor("daemon_started");
      const url = String(started.url);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      await logs.waitFor("job_started", (e) => e.job === "create");
      // The endpoint answers while the run is going.
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^snapsentry_up 1$/m);
      child.kill("SIGTERM");
      const status = await child.status;
      await logs.done;
      assert.equal(status.code, 0, logs.lines.join("\n"));
      const finished = logs.events.find((e) => e.event === "job_finished" && e.job === "create");
      assert.ok(finished, `the create run completed; stderr:\n${logs.lines.join("\n")}`);
      assert.equal(finished.result, "ok");
      assert.equal(
        finished.created,
        1,
        "the run did its work: one snapshot for the express policy",
      );
      const order = logs.events.map((e) => e.event);
      assert.ok(order.indexOf("shutdown_started") < order.indexOf("shutdown_complete"));
      assert.ok(
        order.lastIndexOf("job_finished") < order.indexOf("shutdown_complete"),
        "the run finished before the daemon exited",
      );
      await child.stdout.cancel();
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await cloud.close();
    }
  },
});

Deno.test({
  name: "daemon subprocess: a port in use exits non-zero with a clear message",
  async fn() {
    const cloud = await cloudFixture();
    const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (blocker.addr as Deno.NetAddr).port;
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-read",
          "--allow-env",
          MAIN,
          "daemon",
          "--bind-address",
          `127.0.0.1:${port}`,
        ],
        env: cloud.env,
        cwd: ROOT.pathname,
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.notEqual(out.code, 0);
      assert.match(
        stderr,
        new RegExp(
          `Cannot listen on 127\\.0\\.0\\.1:${port}: address already in use; pass --bind-address HOST:PORT`,
        ),
      );
    } finally {
      blocker.close();
      await cloud.close();
    }
  },
});

// The same lifecycle with a fake engine (tests/daemon/fixtures/fake_daemon.ts), so the real
// signal handling is covered before the engine wiring exists.
const FIXTURE = new URL("fixtures/fake_daemon.ts", import.meta.url).pathname;

function spawnFixture(bind: string) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", FIXTURE, bind],
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

Deno.test("daemon process (fake engine): SIGTERM during a run waits for it, then exits 0", async () => {
  const child = spawnFixture("127.0.0.1:0");
  const logs = new LogWatch(child.stderr);
  const writer = child.stdin.getWriter();
  try {
    const started = await logs.waitFor("daemon_started");
    await logs.waitFor("job_started", (e) => e.job === "create");
    assert.equal((await fetch(`${started.url}/healthz`)).status, 200);
    child.kill("SIGTERM");
    await logs.waitFor("shutdown_started");
    // The server still answers during the drain, and says it is stopping.
    const health = await fetch(`${started.url}/healthz`);
    assert.equal(health.status, 503);
    await health.body?.cancel();
    await writer.write(new TextEncoder().encode("release\n"));
    const status = await child.status;
    await logs.done;
    assert.equal(status.code, 0, logs.lines.join("\n"));
    const exit = logs.events.find((e) => e.event === "fixture_exit");
    assert.equal(exit?.completed, 1, "the run in flight completed");
    const order = logs.events.map((e) => e.event);
    assert.ok(order.indexOf("job_finished") < order.indexOf("shutdown_complete"));
  } finally {
    await writer.close().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }
});

Deno.test("daemon process (fake engine): a second SIGTERM exits at once with 143", async () => {
  const child = spawnFixture("127.0.0.1:0");
  const logs = new LogWatch(child.stderr);
  try {
    await logs.waitFor("job_started", (e) => e.job === "create");
    child.kill("SIGTERM");
    await logs.waitFor("shutdown_started");
    child.kill("SIGTERM");
    const status = await child.status;
    await logs.done;
    assert.equal(status.code, 143);
    assert.ok(logs.events.some((e) => e.event === "shutdown_forced"));
    assert.equal(logs.events.find((e) => e.event === "fixture_exit")?.completed, 0);
  } finally {
    await child.stdin.close().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }
});

Deno.test("daemon process (fake engine): a port in use exits 1 with a clear message", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (blocker.addr as Deno.NetAddr).port;
  try {
    const child = spawnFixture(`127.0.0.1:${port}`);
    await child.stdin.close();
    const logs = new LogWatch(child.stderr);
    const status = await child.status;
    await logs.done;
    assert.equal(status.code, 1);
    assert.ok(
      logs.lines.includes(
        `error: Cannot listen on 127.0.0.1:${port}: address already in use; pass --bind-address HOST:PORT`,
      ),
      logs.lines.join("\n"),
    );
    assert.equal(logs.events.some((e) => e.event === "job_started"), false, "nothing ran");
  } finally {
    blocker.close();
  }
});
