/**
 * Build stamp. `scripts/build.ts` rewrites this file (then restores it) when it bundles or
 * compiles, so a release binary or image knows its version, commit and build date (the container
 * build passes them in; see the Dockerfile). From source the commit reads "dev".
 */
export const BUILD_INFO = {
  version: "0.1.0",
  commit: "dev",
  buildDate: "unknown",
} as const;
