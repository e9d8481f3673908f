/**
 * The backend the contract suite runs against, and the fixtures each case needs.
 *
 * - Default: the emulated cloud, in process (no network, a ManualClock that skips waits).
 * - `SNAPSENTRY_CONTRACT_CLOUD=<profile>` with `OS_CLIENT_CONFIG_FILE=<clouds.yaml>`: a real
 *   cloud. The member profile is the one named; the others are derived from its name
 *   (`real-member` → `real-appcred`, `real-admin`, `real-quota`; any other name `x` → `x-appcred`,
 *   `x-admin`, `x-quota`) or set with `SNAPSENTRY_CONTRACT_APPCRED_CLOUD`, `…_ADMIN_CLOUD`,
 *   `…_QUOTA_CLOUD`. A case whose profile is not in the clouds.yaml is skipped with a printed
 *   reason.
 *
 * Every case calls `contractTarget()` for its own backend (a fresh emulator, or the shared real
 * cloud) and `Fixtures` for resources named `contract-<random>-…`, which `cleanup()` deletes again
 * (snapshots first, then attachments, then volumes), also when the case failed.
 */
import { parse as parseYaml } from "yaml";
import { type Clock, ManualClock, systemClock } from "../../src/clock.ts";
import { createEmulator, type Emulator } from "../../src/emulator/mod.ts";
import { OpenStackHttpError } from "../../src/errors.ts";
import { type Cloud, type FetchLike, openCloud, type Volume } from "../../src/openstack/mod.ts";

export type Role = "member" | "appcred" | "admin" | "quota";
export const ROLES: readonly Role[] = ["member", "appcred", "admin", "quota"];

export interface Target {
  readonly kind: "emulator" | "real";
  /** Profile per role; undefined when not configured. */
  readonly profiles: Readonly<Record<Role, string | undefined>>;
  readonly clock: Clock;
  readonly fetch: FetchLike;
  /** Environment a CLI run gets (OS_CLIENT_CONFIG_FILE). */
  readonly env: Record<string, string>;
  readonly readTextFile: (path: string) => Promise<string>;
  /** The emulator, for the emulator backend. */
  readonly emulator?: Emulator;
  /** Opens the cloud of a role (throws if the role is not configured). */
  open(role: Role): Promise<Cloud>;
  /**
   * Makes sure the quota role's project has a small snapshot quota; returns it, or undefined when
   * the project has none (unlimited) and none can be set.
   */
  smallSnapshotQuota(): Promise<number | undefined>;
  /** Polls: real time on a real cloud, simulated time on the emulator. */
  sleep(ms: number): Promise<void>;
}

// ---- selection ---------------------------------------------------------------------------------

const env = Deno.env.toObject();
const realCloud = env.SNAPSENTRY_CONTRACT_CLOUD || undefined;

export const BACKEND: "emulator" | "real" = realCloud ? "real" : "emulator";

function derived(member: string, role: Exclude<Role, "member">): string {
  const override = env[`SNAPSENTRY_CONTRACT_${role.toUpperCase()}_CLOUD`];
  if (override) return override;
  return member.endsWith("-member")
    ? `${member.slice(0, -"-member".length)}-${role}`
    : `${member}-${role}`;
}

async function realProfiles(): Promise<Record<Role, string | undefined>> {
  const file = env.OS_CLIENT_CONFIG_FILE;
  if (!file) {
    throw new Error(
      `Cannot run the contract suite against "${realCloud}": OS_CLIENT_CONFIG_FILE is not set (point it at the clouds.yaml that defines the profile)`,
    );
  }
  const doc = parseYaml(await Deno.readTextFile(file)) as { clouds?: Record<string, unknown> };
  const defined = new Set(Object.keys(doc?.clouds ?? {}));
  const member = realCloud!;
  if (!defined.has(member)) {
    throw new Error(
      `Cannot run the contract suite against "${member}": ${file} defines ${
        [...defined].join(", ") || "no clouds"
      }`,
    );
  }
  const pick = (name: string) => defined.has(name) ? name : undefined;
  return {
    member,
    appcred: pick(derived(member, "appcred")),
    admin: pick(derived(member, "admin")),
    quota: pick(derived(member, "quota")),
  };
}

const EMULATOR_PROFILES: Record<Role, string> = {
  member: "emulator",
  appcred: "emulator-appcred",
  admin: "emulator-admin",
  quota: "emulator-quota",
};

/** Profiles known when the test files are loaded (for skip decisions). */
export const PROFILES: Readonly<Record<Role, string | undefined>> = BACKEND === "real"
  ? await realProfiles()
  : EMULATOR_PROFILES;

/**
 * Options for `Deno.test`: ignored, with the reason printed once, when a role the case needs has
 * no profile on this backend.
 */
export function needs(...roles: Role[]): { ignore: boolean } {
  const missing = roles.filter((r) => PROFILES[r] === undefined);
  if (missing.length > 0) {
    const names = missing.map((r) =>
      r === "member" ? realCloud : derived(realCloud ?? "emulator", r as Exclude<Role, "member">)
    );
    // deno-lint-ignore no-console
    console.warn(
      `contract: skipping a case: profile ${names.join(", ")} (${
        missing.join(", ")
      }) is not in ${env.OS_CLIENT_CONFIG_FILE}`,
    );
  }
  return { ignore: missing.length > 0 };
}

/** The quota project of the emulator, like the real stack's `quota` project (snapshots 3). */
export const EMULATED_SNAPSHOT_QUOTA = 3;

function emulatorTarget(): Target {
  const clock = new ManualClock(systemClock.now(), { autoAdvance: true });
  // Same timings as the real stack's fake driver, on the simulated clock.
  const emulator = createEmulator({
    clock,
    snapshotDelayMs: 1000,
    deleteDelayMs: 500,
    volumeDelayMs: 1000,
  });
  const quotaProject = emulator.addProject({ name: "quota", description: "Quota project" });
  const quotaPassword = "emulator-quota-password";
  emulator.addUser({
    name: "quota",
    password: quotaPassword,
    defaultProjectId: quotaProject.id,
    roles: [{ projectId: quotaProject.id, role: "member" }],
  });
  const configs: Record<string, unknown> = { ...emulator.cloudConfigs() };
  configs["emulator-quota"] = {
    auth_type: "password",
    auth: {
      auth_url: `${emulator.baseUrl}/identity/v3`,
      username: "quota",
      password: quotaPassword,
      project_name: "quota",
      user_domain_name: "Default",
      project_domain_name: "Default",
    },
    region_name: "RegionOne",
    interface: "public",
    identity_api_version: 3,
  };
  const path = "/emulated/clouds.yaml";
  const files: Record<string, string> = { [path]: JSON.stringify({ clouds: configs }) };
  const readTextFile = (p: string) =>
    files[p] === undefined
      ? Promise.reject(new Deno.errors.NotFound(`No such file: ${p}`))
      : Promise.resolve(files[p]!);
  const targetEnv = { OS_CLIENT_CONFIG_FILE: path };
  return {
    kind: "emulator",
    profiles: EMULATOR_PROFILES,
    clock,
    fetch: emulator.fetch,
    env: targetEnv,
    readTextFile,
    emulator,
    open: (role) =>
      openCloud({
        cloudName: EMULATOR_PROFILES[role],
        env: targetEnv,
        readTextFile,
        cwd: "/emulated",
        fetch: emulator.fetch,
        clock,
      }),
    smallSnapshotQuota: () => {
      emulator.setQuota(quotaProject.id, { snapshots: EMULATED_SNAPSHOT_QUOTA });
      return Promise.resolve(EMULATED_SNAPSHOT_QUOTA);
    },
    sleep: (ms) => clock.sleep(ms),
  };
}

function realTarget(): Target {
  const targetEnv: Record<string, string> = { OS_CLIENT_CONFIG_FILE: env.OS_CLIENT_CONFIG_FILE! };
  if (env.HOME) targetEnv.HOME = env.HOME;
  const readTextFile = (p: string) => Deno.readTextFile(p);
  const open = (role: Role) => {
    const name = PROFILES[role];
    if (!name) throw new Error(`Cannot open the ${role} profile: it is not configured`);
    return openCloud({ cloudName: name, env: targetEnv, readTextFile, clock: systemClock });
  };
  return {
    kind: "real",
    profiles: PROFILES,
    clock: systemClock,
    fetch: (input, init) => fetch(input, init),
    env: targetEnv,
    readTextFile,
    open,
    smallSnapshotQuota: async () => {
      const cloud = await open("quota");
      try {
        const q = await (await cloud.blockStorage()).getQuotaSet();
        return q.snapshots.limit >= 0 && q.snapshots.limit <= 20 ? q.snapshots.limit : undefined;
      } finally {
        cloud.close();
      }
    },
    sleep: (ms) => systemClock.sleep(ms),
  };
}

/** The backend for one case: a fresh emulator, or the configured real cloud. */
export function contractTarget(): Target {
  return BACKEND === "real" ? realTarget() : emulatorTarget();
}

// ---- fixtures ----------------------------------------------------------------------------------

/** `contract-<8 hex>`: the prefix of every resource a case creates. */
export function runPrefix(): string {
  return `contract-${crypto.randomUUID().slice(0, 8)}`;
}

interface Tracked {
  cloud: Cloud;
  volumes: string[];
  snapshots: string[];
  attachments: string[];
  /** Volumes made from the case's snapshots (restores): deleted before the snapshots. */
  restored: string[];
}

/** A volume a case transferred to another project, to be given back before cleanup. */
interface Transferred {
  from: Cloud;
  to: Cloud;
  volumeId: string;
}

/** Creates volumes, attachments and snapshots for one case and deletes them all in `cleanup()`. */
export class Fixtures {
  readonly prefix = runPrefix();
  #target: Target;
  #tracked = new Map<Cloud, Tracked>();
  #transferred: Transferred[] = [];
  #opened: Cloud[] = [];
  #counter = 0;

  constructor(target: Target) {
    this.#target = target;
  }

  /** Opens a role's cloud; closed by `cleanup()`. */
  async open(role: Role): Promise<Cloud> {
    const cloud = await this.#target.open(role);
    this.#opened.push(cloud);
    return cloud;
  }

  /** The target's current time. */
  now(): Temporal.Instant {
    return this.#target.clock.now();
  }

  /** A unique name under this case's prefix. */
  name(what: string): string {
    return `${this.prefix}-${what}-${++this.#counter}`;
  }

  #track(cloud: Cloud): Tracked {
    let t = this.#tracked.get(cloud);
    if (!t) {
      this.#tracked.set(
        cloud,
        t = { cloud, volumes: [], snapshots: [], attachments: [], restored: [] },
      );
    }
    return t;
  }

  async #call(
    cloud: Cloud,
    method: string,
    path: string,
    options: { json?: unknown; mv?: string; expected?: number[] } = {},
  ): Promise<unknown> {
    const bs = await cloud.blockStorage();
    const r = await cloud.session.request({
      method,
      url: `${bs.endpoint}${path}`,
      ...(options.json !== undefined ? { json: options.json } : {}),
      headers: { "OpenStack-API-Version": `volume ${options.mv ?? bs.microversion}` },
      expected: options.expected ?? [200, 202],
      idempotent: method !== "POST",
      kind: `${method} contract-fixture`,
    });
    return r.body;
  }

  /** Creates volumes (1 GiB) through the API and waits until all are available. */
  async createVolumes(
    cloud: Cloud,
    count: number,
    options: { name?: string; metadata?: Record<string, string> } = {},
  ): Promise<Volume[]> {
    const t = this.#track(cloud);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const body = await this.#call(cloud, "POST", "/volumes", {
        json: {
          volume: {
            size: 1,
            name: this.name(options.name ?? "vol"),
            ...(options.metadata ? { metadata: options.metadata } : {}),
          },
        },
        expected: [202],
      }) as { volume: { id: string } };
      t.volumes.push(body.volume.id);
      ids.push(body.volume.id);
    }
    const bs = await cloud.blockStorage();
    return await Promise.all(ids.map((id) =>
      this.waitFor(`volume ${id} available`, async () => {
        const v = await bs.getVolume(id);
        if (v.status === "error") throw new Error(`Volume ${id} went to error`);
        return v.status === "available" ? v : undefined;
      })
    ));
  }

  async createVolume(
    cloud: Cloud,
    options: { name?: string; metadata?: Record<string, string> } = {},
  ): Promise<Volume> {
    return (await this.createVolumes(cloud, 1, options))[0]!;
  }

  /**
   * Attaches a volume to a made-up server without Nova, as the recipe does: an attachment with no
   * connector at 3.27, then `os-complete` at 3.44. Returns the server id.
   */
  async attach(cloud: Cloud, volumeId: string): Promise<string> {
    const serverId = crypto.randomUUID();
    const body = await this.#call(cloud, "POST", "/attachments", {
      json: { attachment: { volume_uuid: volumeId, instance_uuid: serverId } },
      mv: "3.27",
      expected: [200],
    }) as { attachment: { id: string } };
    this.#track(cloud).attachments.push(body.attachment.id);
    await this.#call(cloud, "POST", `/attachments/${body.attachment.id}/action`, {
      json: { "os-complete": {} },
      mv: "3.44",
      expected: [204],
    });
    const bs = await cloud.blockStorage();
    await this.waitFor(`volume ${volumeId} in-use`, async () => {
      const v = await bs.getVolume(volumeId);
      return v.status === "in-use" ? v : undefined;
    });
    return serverId;
  }

  /** Deletes a volume made by `createVolume` and waits until it is gone. */
  async deleteVolume(cloud: Cloud, id: string): Promise<void> {
    await this.#call(cloud, "DELETE", `/volumes/${id}`, { expected: [202] });
    await this.waitGone(cloud, "volume", id);
  }

  /** Records a volume the case restored from its snapshots (deleted before the snapshots). */
  trackRestored(cloud: Cloud, id: string): void {
    this.#track(cloud).restored.push(id);
  }

  /**
   * Transfers a volume of `from` to the project of `to` without its snapshots (3.55), as an
   * operator would: the volume is gone from `from`'s project while its snapshots stay there.
   * Cleanup gives it back first, since Cinder can delete neither the snapshots nor the volume
   * while they are apart.
   */
  async transferAway(from: Cloud, to: Cloud, volumeId: string): Promise<void> {
    await this.#transfer(from, to, volumeId);
    this.#transferred.push({ from, to, volumeId });
  }

  async #transfer(from: Cloud, to: Cloud, volumeId: string): Promise<void> {
    const offer = await this.#call(from, "POST", "/volume-transfers", {
      json: { transfer: { volume_id: volumeId, name: this.name("transfer"), no_snapshots: true } },
      mv: "3.55",
      expected: [202],
    }) as { transfer: { id: string; auth_key: string } };
    await this.#call(to, "POST", `/volume-transfers/${offer.transfer.id}/accept`, {
      json: { accept: { auth_key: offer.transfer.auth_key } },
      mv: "3.55",
      expected: [202],
    });
    const bs = await to.blockStorage();
    await this.waitFor(`volume ${volumeId} available in the other project`, async () => {
      const v = await bs.getVolume(volumeId);
      return v.status === "available" ? v : undefined;
    });
  }

  /** Records a snapshot made by the case (or by the CLI) for cleanup. */
  trackSnapshot(cloud: Cloud, id: string): void {
    this.#track(cloud).snapshots.push(id);
  }

  /** Creates a snapshot with the client and waits until it is available. */
  async snapshot(
    cloud: Cloud,
    volumeId: string,
    metadata: Record<string, string> = {},
  ): Promise<string> {
    const bs = await cloud.blockStorage();
    const s = await bs.createSnapshot({ volumeId, name: this.name("snap"), metadata });
    this.trackSnapshot(cloud, s.id);
    await this.waitSnapshot(cloud, s.id, "available");
    return s.id;
  }

  async waitSnapshot(cloud: Cloud, id: string, status: string): Promise<void> {
    const bs = await cloud.blockStorage();
    await this.waitFor(`snapshot ${id} ${status}`, async () => {
      const s = await bs.getSnapshot(id);
      if (s.status === "error") throw new Error(`Snapshot ${id} went to error`);
      return s.status === status ? s : undefined;
    });
  }

  /** Waits until a GET of the resource answers 404. */
  async waitGone(cloud: Cloud, kind: "volume" | "snapshot", id: string): Promise<void> {
    const bs = await cloud.blockStorage();
    await this.waitFor(`${kind} ${id} gone`, async () => {
      try {
        await (kind === "volume" ? bs.getVolume(id) : bs.getSnapshot(id));
        return undefined;
      } catch (error) {
        if (error instanceof OpenStackHttpError && error.status === 404) return true;
        throw error;
      }
    });
  }

  /** Polls `check` every 250 ms (of the target's clock) for up to 60 s. */
  async waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = this.#target.clock.now().epochMilliseconds + 60_000;
    while (true) {
      const v = await check();
      if (v !== undefined) return v;
      if (this.#target.clock.now().epochMilliseconds > deadline) {
        throw new Error(`Timed out waiting for ${what}`);
      }
      await this.#target.sleep(250);
    }
  }

  /**
   * Deletes what the case made: every snapshot of its volumes (whoever created it) and the ones
   * tracked, then attachments, then volumes. Throws when something could not be deleted.
   */
  async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const x of this.#transferred.splice(0)) {
      await attempt(() => this.#transfer(x.to, x.from, x.volumeId));
    }
    for (const t of this.#tracked.values()) {
      const bs = await t.cloud.blockStorage();
      for (const id of t.restored) {
        await attempt(async () => {
          await this.waitFor(`restored volume ${id} settled`, async () => {
            try {
              const v = await bs.getVolume(id);
              return v.status === "creating" ? undefined : v;
            } catch (error) {
              if (error instanceof OpenStackHttpError && error.status === 404) return true;
              throw error;
            }
          });
          await this.#call(t.cloud, "DELETE", `/volumes/${id}`, { expected: [202, 404] });
          await this.waitGone(t.cloud, "volume", id);
        });
      }
      const snapIds = new Set(t.snapshots);
      for (const volumeId of t.volumes) {
        await attempt(async () => {
          for (const s of await bs.listSnapshots({ volumeId })) snapIds.add(s.id);
        });
      }
      for (const id of snapIds) {
        await attempt(async () => {
          await this.waitFor(`snapshot ${id} settled`, async () => {
            try {
              const s = await bs.getSnapshot(id);
              return s.status === "creating" ? undefined : s;
            } catch (error) {
              if (error instanceof OpenStackHttpError && error.status === 404) return true;
              throw error;
            }
          });
          await bs.deleteSnapshot(id).catch((error) => {
            // Already deleting (400) is fine; the wait below decides.
            if (!(error instanceof OpenStackHttpError && error.status === 400)) throw error;
          });
          await this.waitGone(t.cloud, "snapshot", id);
        });
      }
      for (const id of t.attachments) {
        await attempt(() =>
          this.#call(t.cloud, "DELETE", `/attachments/${id}`, {
            mv: "3.44",
            expected: [200, 204, 404],
          })
        );
      }
      for (const id of t.volumes) {
        await attempt(async () => {
          const state = await this.waitFor(`volume ${id} deletable`, async () => {
            try {
              const v = await bs.getVolume(id);
              return ["creating", "attaching", "detaching", "reserved"].includes(v.status)
                ? undefined
                : v.status;
            } catch (error) {
              if (error instanceof OpenStackHttpError && error.status === 404) return "gone";
              throw error;
            }
          });
          if (state === "gone" || state === "deleting") return;
          await this.#call(t.cloud, "DELETE", `/volumes/${id}`, { expected: [202, 404] });
        });
      }
    }
    for (const c of this.#opened) c.close();
    if (errors.length > 0) {
      throw new AggregateError(errors, `Cannot clean up ${errors.length} contract resource(s)`);
    }
  }
}

/** Runs a case body with fixtures that are cleaned up afterwards, also on failure. */
export async function withFixtures(
  body: (fx: Fixtures, target: Target) => Promise<void>,
): Promise<void> {
  const target = contractTarget();
  const fx = new Fixtures(target);
  try {
    await body(fx, target);
  } catch (error) {
    // A cleanup failure must not hide the case's own failure.
    await fx.cleanup().catch(() => {});
    throw error;
  }
  await fx.cleanup();
}
