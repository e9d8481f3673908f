/** What the emulated services share: configuration, state, per-request directives and token checks. */

import type { AppCredRec, CloudState, TokenRec } from "./state.ts";

export interface ServiceContext {
  state: CloudState;
  /** The configured base URL (catalog and clouds.yaml point here). */
  baseUrl(): string;
  tokenLifetimeMs: number;
  /** [major, minor] */
  maxMicroversion: [number, number];
  maxLimit: number;
  snapshotDelayMs: number;
  deleteDelayMs: number;
  volumeDelayMs: number;
  region: string;
}

/** Per-request instructions set by fault rules, read by the service handlers. */
export interface Directives {
  /** New snapshots stay in `creating`. */
  snapshotStuck?: boolean;
  /** New snapshots turn to `error` instead of `available`. */
  snapshotError?: boolean;
  /** Snapshots deleted by this request end in `error_deleting` instead of disappearing. */
  deleteError?: boolean;
}

/** Hono bindings of every emulated service. */
export interface RequestEnv {
  /** Origin (plus base path) as the client addressed it; links are built from it. */
  root: string;
  directives: Directives;
}

export type HonoEnv = { Bindings: RequestEnv };

export interface Authenticated {
  token: TokenRec;
  roleNames: string[];
  appCred: AppCredRec | null;
  isAdmin: boolean;
}

/**
 * Validates a token id: known, not expired, its user enabled and its application credential (if
 * any) still present and unexpired. Returns undefined when Keystone would reject it.
 */
export function validateToken(
  state: CloudState,
  tokenId: string | undefined | null,
): Authenticated | undefined {
  if (!tokenId) return undefined;
  const token = state.tokens.get(tokenId);
  if (!token) return undefined;
  const now = state.nowMs();
  if (token.expiresAt <= now) return undefined;
  const user = state.users.get(token.userId);
  if (!user || !user.enabled) return undefined;
  let appCred: AppCredRec | null = null;
  if (token.appCredId) {
    appCred = state.appCreds.get(token.appCredId) ?? null;
    if (!appCred || (appCred.expiresAt !== null && appCred.expiresAt <= now)) return undefined;
  }
  const roleNames = token.roleIds.map((id) => state.roles.get(id)?.name).filter((n): n is string =>
    n !== undefined
  );
  return { token, roleNames, appCred, isAdmin: roleNames.includes("admin") };
}
