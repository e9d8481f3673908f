/**
 * Builds the Engine a command runs (clouds.yaml, authenticated client, executor).
 * PLACEHOLDER written by the daemon work (issue 5) so `daemon` compiles; the lead replaces the
 * body with the real wiring (issue 4).
 */
import { SnapsentryError } from "../errors.ts";
import type { Engine } from "../exec/types.ts";
import type { CommandContext } from "./program.ts";

/** Marker the daemon's subprocess tests look for to know the wiring is not there yet. */
export const ENGINE_PLACEHOLDER = true;

export function engineFromContext(_ctx: CommandContext): Promise<Engine> {
  return Promise.reject(
    new SnapsentryError("Cannot build the snapshot engine: not available yet in this build", {
      code: "engine_not_available",
    }),
  );
}
