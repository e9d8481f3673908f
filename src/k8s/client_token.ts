/**
 * The bearer token of a Kubernetes configuration, kept fresh. A projected service-account token
 * (the in-cluster default since Kubernetes 1.21) is rotated by the kubelet about every hour and
 * the old one stops working; client-go re-reads the file every minute. This source does the same
 * and also re-reads at once on a 401, so a rotated token costs one failed request at most.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { registerSecret } from "../redact.ts";
import type { KubeConfig } from "./client_config.ts";

/** How long a token read from a file is used before the file is read again (client-go's value). */
export const TOKEN_REREAD_MS = 60_000;

export interface KubeTokenSourceOptions {
  /** Reads the token file (default `Deno.readTextFile`). */
  readTextFile?: (path: string) => Promise<string>;
  /** Milliseconds since the epoch (default `Date.now`); tests pass a fake. */
  now?: () => number;
  rereadMs?: number;
}

/** The token to send; re-read from `config.tokenFile` when that is set. */
export class KubeTokenSource {
  readonly #config: KubeConfig;
  readonly #read: (path: string) => Promise<string>;
  readonly #now: () => number;
  readonly #rereadMs: number;
  #token: string | undefined;
  #readAt: number;
  #pending: Promise<string | undefined> | undefined;

  constructor(config: KubeConfig, options: KubeTokenSourceOptions = {}) {
    this.#config = config;
    this.#read = options.readTextFile ?? ((p) => Deno.readTextFile(p));
    this.#now = options.now ?? (() => Date.now());
    this.#rereadMs = options.rereadMs ?? TOKEN_REREAD_MS;
    this.#token = config.token;
    this.#readAt = this.#now();
  }

  /** The current token (re-read when the cached one is older than a minute). */
  async token(): Promise<string | undefined> {
    if (this.#config.tokenFile && this.#now() - this.#readAt >= this.#rereadMs) {
      await this.#reread();
    }
    return this.#token;
  }

  /** Reads the file again now; true when it holds a different token than before. */
  async refresh(): Promise<boolean> {
    if (!this.#config.tokenFile) return false;
    const before = this.#token;
    await this.#reread();
    return this.#token !== before;
  }

  #reread(): Promise<string | undefined> {
    // One read at a time: concurrent requests share it.
    this.#pending ??= (async () => {
      const path = this.#config.tokenFile!;
      try {
        const token = (await this.#read(path)).trim();
        if (token === "") {
          throw new ConfigError(
            `Cannot use the token in "${path}" (${this.#config.source}): the file is empty`,
          );
        }
        registerSecret(token);
        this.#token = token;
        return token;
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        throw new ConfigError(
          `Cannot read the token file "${path}" (${this.#config.source}): ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error, hint: "check that the service-account token is still mounted" },
        );
      } finally {
        this.#readAt = this.#now();
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }
}
