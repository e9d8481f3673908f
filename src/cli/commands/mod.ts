/** Every command, in help order. Each file registers one command (or group) on the program. */
import type { RegisterCommand } from "../program.ts";
import { registerDaemon } from "./daemon.ts";
import { registerVersion } from "./version.ts";

export const COMMANDS: RegisterCommand[] = [
  registerDaemon,
  registerVersion,
];
