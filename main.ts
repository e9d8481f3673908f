/**
 * snapsentry entry point: builds the real dependencies, runs the CLI and exits with its code.
 * Nothing else happens here.
 */
import { systemClock } from "./src/clock.ts";
import { type CliDeps, runCli } from "./src/cli/mod.ts";
import { createLogger } from "./src/log.ts";

const encoder = new TextEncoder();
const controller = new AbortController();

/**
 * The effective group id from /proc (Linux), which the binary's --allow-read covers; Deno.gid()
 * would need --allow-sys. Null elsewhere.
 */
function effectiveGid(): number | null {
  try {
    const m = /^Gid:\s+\d+\s+(\d+)/m.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function realDeps(): CliDeps {
  return {
    env: Deno.env.toObject(),
    writeOut: (t) => {
      Deno.stdout.writeSync(encoder.encode(t));
    },
    writeErr: (t) => {
      Deno.stderr.writeSync(encoder.encode(t));
    },
    makeLogger: ({ level, format }) => createLogger({ level, format }),
    clock: systemClock,
    fetch: globalThis.fetch.bind(globalThis),
    readTextFile: (p) => Deno.readTextFile(p),
    fileAccess: {
      stat: async (p) => {
        const st = await Deno.stat(p);
        return { mode: st.mode, gid: st.gid };
      },
      ownGid: effectiveGid,
    },
    cwd: Deno.cwd(),
    homeDir: Deno.env.get("HOME"),
    hostTimezone: Temporal.Now.timeZoneId(),
    signal: controller.signal,
    onSignal(handler) {
      const int = () => handler("SIGINT");
      const term = () => handler("SIGTERM");
      Deno.addSignalListener("SIGINT", int);
      Deno.addSignalListener("SIGTERM", term);
      return () => {
        Deno.removeSignalListener("SIGINT", int);
        Deno.removeSignalListener("SIGTERM", term);
      };
    },
  };
}

if (import.meta.main) {
  const code = await runCli(Deno.args, realDeps());
  Deno.exit(code);
}
