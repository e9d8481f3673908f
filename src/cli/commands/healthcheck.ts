/**
 * `healthcheck`: exits 0 when the local daemon's `/healthz` answers 200, 1 otherwise. It is the
 * container image's `HEALTHCHECK` (distroless has no curl) and works for plain Docker users; it
 * needs no cloud and sends no credentials.
 */
import type { Command } from "commander";
import { SnapsentryError, UsageError } from "../../errors.ts";
import { type CommandContext, withExamples } from "../command.ts";
import { durationFlag } from "../flags.ts";
import { USER_AGENT } from "../cloud.ts";

export const DEFAULT_HEALTHCHECK_URL = "http://127.0.0.1:8080/healthz";

/** Checks `url`; resolves with the status line, throws SnapsentryError("unhealthy") otherwise. */
export async function checkHealth(
  fetchFn: typeof fetch,
  url: string,
  timeoutMs: number,
): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(
      `Cannot check "${url}": expected an http(s) URL such as ${DEFAULT_HEALTHCHECK_URL}`,
    );
  }
  // Never send userinfo from the URL anywhere but where it points; print the URL without it.
  const shown = `${parsed.origin}${parsed.pathname}`;
  let response: Response;
  try {
    response = await fetchFn(parsed, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { "User-Agent": USER_AGENT, Accept: "application/json" },
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new SnapsentryError(
      `Cannot reach the daemon at "${shown}": ${
        timedOut ? `no answer within ${timeoutMs} ms` : (error as Error)?.message ?? String(error)
      }`,
      { code: "unhealthy", hint: "is the daemon running, and listening on that address?" },
    );
  }
  const body = (await response.text()).slice(0, 200).replace(/\s+/g, " ").trim();
  if (response.status !== 200) {
    throw new SnapsentryError(
      `Cannot confirm the daemon's health at "${shown}": it answered ${response.status}${
        body ? ` ${body}` : ""
      }`,
      { code: "unhealthy" },
    );
  }
  return `OK ${shown}: ${response.status}${body ? ` ${body}` : ""}`;
}

export function registerHealthcheck(program: Command, ctx: CommandContext): void {
  const cmd = program.command("healthcheck")
    .description("Exit 0 when the local daemon's /healthz answers 200 (for Docker's HEALTHCHECK)")
    .option("--url <url>", "the health endpoint", DEFAULT_HEALTHCHECK_URL)
    .option("--max-time <duration>", "give up after this long, e.g. 3s", "5s")
    .action(async (flags: { url: string; maxTime: string }) => {
      const timeoutMs = durationFlag("--max-time", flags.maxTime, { minMs: 100 });
      ctx.out(await checkHealth(ctx.deps.fetch, flags.url, timeoutMs));
    });
  withExamples(
    cmd,
    "snapsentry healthcheck",
    "snapsentry healthcheck --url http://127.0.0.1:9090/healthz --max-time 2s",
  );
}
