/** Every command, in help order. Each file registers one command (or group) on the program. */
import type { RegisterCommand } from "../command.ts";
import { registerAdmin } from "./admin.ts";
import { registerCompletion } from "./completion.ts";
import { registerDaemon } from "./daemon.ts";
import { registerDemo } from "./demo.ts";
import { registerEmulator } from "./emulator.ts";
import { registerDoctor } from "./doctor.ts";
import { registerHealthcheck } from "./healthcheck.ts";
import { registerHold } from "./hold.ts";
import { registerPlan } from "./plan.ts";
import { registerRestore } from "./restore.ts";
import { registerRun } from "./run.ts";
import { registerSnapshot } from "./snapshot.ts";
import { registerSnapshots } from "./snapshots.ts";
import { registerStatus } from "./status.ts";
import { registerSubscribe } from "./subscribe.ts";
import { registerVersion } from "./version.ts";

export const COMMANDS: RegisterCommand[] = [
  registerRun,
  registerSubscribe,
  registerSnapshot,
  registerSnapshots,
  registerRestore,
  registerHold,
  registerStatus,
  registerPlan,
  registerDaemon,
  registerDoctor,
  registerHealthcheck,
  registerAdmin,
  registerEmulator,
  registerDemo,
  registerVersion,
  registerCompletion,
];
