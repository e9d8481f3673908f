/**
 * The emulated OpenStack cloud (Keystone v3, Cinder v3, Glance metadefs) used by the demo, the
 * tests and the benchmarks. It models OpenStack, not snapsentry: it imports nothing from
 * `src/core/` or `src/openstack/`, only the shared clock.
 */

export {
  type AddSnapshotOptions,
  type AddVolumeOptions,
  type CloudConfig,
  createEmulator,
  Emulator,
  type EmulatorOptions,
  type EmulatorSeed,
  requestKind,
  type RequestLogEntry,
  type RequestStats,
  type SampleResult,
  type SeedSampleOptions,
} from "./emulator.ts";
export { type Fault, type FaultRule, Faults, type FiredFault } from "./faults.ts";
export type {
  AccessRule,
  AppCredRec,
  AttachmentRec,
  ProjectRec,
  QuotaLimits,
  SnapshotRec,
  UserRec,
  VolumeRec,
} from "./state.ts";
export { parseMetadataFilter } from "./wire.ts";
