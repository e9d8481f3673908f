/**
 * The emulated OpenStack cloud (Keystone v3, Cinder v3, Glance metadefs) used by the demo, the
 * tests and the benchmarks. It models OpenStack, not snapsentry: it imports nothing from
 * `src/core/` or `src/openstack/`, only the shared clock.
 *
 * ```ts ignore
 * const emulator = createEmulator({ clock });          // seeded: projects admin + demo
 * emulator.seedSample(emulator.seed.demoProjectId);     // VMs, shared and spare volumes
 * emulator.faults.add({ kind: "POST snapshots", fault: { type: "status", status: 503 } });
 * const res = await emulator.fetch(`${emulator.baseUrl}/volume/v3/`); // in-process
 * const { url, shutdown } = emulator.serve({ port: 0 });             // or on loopback
 * ```
 *
 * Services live under one base URL: Keystone at `<base>/identity/v3`, Cinder at
 * `<base>/volume/v3/{project_id}` (version documents at `<base>/volume/` and `<base>/volume/v3/`),
 * Glance metadefs at `<base>/image/v2/metadefs/`.
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
export {
  KubernetesEmulator,
  type KubernetesEmulatorOptions,
  matchesSelector,
  parseLabelSelector,
  validateLabels,
  validateQualifiedName,
} from "./kubernetes.ts";
export type {
  AccessRule,
  AppCredRec,
  AttachmentRec,
  ProjectRec,
  QuotaLimits,
  SnapshotRec,
  TransferRec,
  UserRec,
  VolumeRec,
} from "./state.ts";
export { parseMetadataFilter } from "./wire.ts";
