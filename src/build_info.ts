/**
 * Build stamp. `scripts/build.ts` rewrites this file (then restores it) when it bundles or
 * compiles, so a release binary knows its commit and build date. From source it reads "dev".
 */
export const BUILD_INFO = {
  version: "0.1.0",
  commit: "dev",
  buildDate: "unknown",
} as const;
