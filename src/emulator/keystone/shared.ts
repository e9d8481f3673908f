/**
 * What the Keystone apps share: the Hono context type, body and error helpers, the list links
 * and the token guards of the default policy.
 */

import type { Context } from "hono";
import {
  type Authenticated,
  type HonoEnv,
  type ServiceContext,
  validateToken,
} from "../context.ts";
import { keystoneError, UNAUTHENTICATED_MESSAGE } from "../wire.ts";

export type C = Context<HonoEnv>;

// deno-lint-ignore no-explicit-any
export type Json = any;

export async function readJson(c: C): Promise<Json | undefined> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

export function forbidden(action: string): Response {
  return keystoneError(
    403,
    `You are not authorized to perform the requested action: ${action}.`,
  );
}

export function unauthorized(): Response {
  return keystoneError(401, UNAUTHENTICATED_MESSAGE);
}

export function listLinks(c: C): { self: string; previous: null; next: null } {
  return { self: c.req.url, previous: null, next: null };
}

/** The token checks of a service context: any valid token, or one with the admin role. */
export function guards(ctx: ServiceContext): {
  guard: (c: C) => Authenticated | Response;
  adminOnly: (c: C, action: string) => Authenticated | Response;
} {
  const { state } = ctx;
  const guard = (c: C): Authenticated | Response => {
    const auth = validateToken(state, c.req.header("X-Auth-Token"));
    if (!auth) return unauthorized();
    return auth;
  };
  const adminOnly = (c: C, action: string): Authenticated | Response => {
    const auth = guard(c);
    if (auth instanceof Response) return auth;
    if (!auth.isAdmin) return forbidden(action);
    return auth;
  };
  return { guard, adminOnly };
}
