import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { findUnprotected, type PlanVolume } from "./mod.ts";

function vol(id: string, metadata: Record<string, string>, servers: string[] = []): PlanVolume {
  return {
    id,
    name: `n-${id}`,
    status: servers.length ? "in-use" : "available",
    size: 5,
    metadata,
    attachments: servers.map((serverId) => ({ serverId })),
  };
}

const ON = { "x-snapsentry-managed": "true", "x-snapsentry-express-enabled": "true" };

Deno.test("findUnprotected() lists every volume no enabled, valid policy protects", () => {
  const report = findUnprotected([
    vol("1-protected", ON, ["s1"]),
    vol("2-plain", { owner: "ops" }, ["s1", "s2", "s1"]),
    vol("3-not-managed", { "x-snapsentry-daily-enabled": "true" }),
    vol("4-managed-false", { ...ON, "x-snapsentry-managed": "True" }),
    vol("5-disabled", { ...ON, "x-snapsentry-express-enabled": "false" }),
    vol("6-invalid", { ...ON, "x-snapsentry-express-interval-hours": "5" }),
    vol("7-managed-only", { "x-snapsentry-managed": "true" }),
    vol("8-one-of-two", { ...ON, "x-snapsentry-daily-enabled": "true" }),
    vol("9-restored", {
      "x-snapsentry-restored-from-volume": "1-protected",
      "x-snapsentry-restored-from-snapshot": "snap-1",
    }),
  ]);
  assertEquals(report.volumes.map((v) => [v.volumeId, v.reason]), [
    ["2-plain", "No policy"],
    [
      "3-not-managed",
      'Policy keys, but x-snapsentry-managed is missing (only "true" is processed)',
    ],
    [
      "4-managed-false",
      'Policy keys, but x-snapsentry-managed is "True" (only "true" is processed)',
    ],
    ["5-disabled", "Every policy is disabled (express)"],
    [
      "6-invalid",
      'Invalid policy: Cannot parse x-snapsentry-express-interval-hours "5" on volume 6-invalid: expected 6, 8 or 12 (hours; 0 or empty means 6)',
    ],
    ["7-managed-only", "Subscribed (x-snapsentry-managed=true) but no policy is enabled"],
    ["9-restored", "No policy (restored from snapshot snap-1)"],
  ]);
  // Volume 8 has an enabled, valid express policy (and an invalid daily one): it is protected.
  assertEquals(report.volumes[0]!.serverIds, ["s1", "s2"]);
  assertEquals([report.total, report.totalGigabytes], [7, 35]);
});
