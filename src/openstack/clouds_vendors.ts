/**
 * openstacksdk's built-in vendor profiles (`profile: ovh`, `vexxhost`, `citycloud`, …): their
 * public settings ship as data in `clouds_vendors.json`, with the openstacksdk file and commit each
 * came from. A profile of the same name in clouds-public.yaml wins, as in openstacksdk's
 * `_expand_vendor_profile`. Remote profiles (`profile: https://…`, which openstacksdk fetches
 * from `/.well-known/openstack/api`) are refused: snapsentry reads its configuration from files
 * only, never from the network.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { type Ctx, type Dict, isDict, normaliseKeys, quoteList } from "./_clouds_shared.ts";
import VENDORS from "./clouds_vendors.json" with { type: "json" };

/** A built-in vendor profile. */
export interface VendorProfile {
  name: string;
  /** The settings merged under the cloud (the cloud's own keys win). */
  settings: Dict;
  /** openstacksdk's status: a `shutdown` profile is refused, a `deprecated` one warns. */
  status: "active" | "deprecated" | "shutdown";
  message?: string;
  /** The openstacksdk file and commit it was copied from. */
  source: string;
}

const PROFILES = VENDORS.profiles as Record<string, Dict>;

/** Names of the built-in profiles, sorted. */
export function builtInProfileNames(): string[] {
  return Object.keys(PROFILES).sort();
}

/** The built-in profile `name`, or undefined. */
export function builtInProfile(name: string): VendorProfile | undefined {
  const raw = Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
  if (!isDict(raw)) return undefined;
  const { status, message, source, ...settings } = raw;
  const profile: VendorProfile = {
    name,
    settings: structuredClone(settings),
    status: status === "shutdown" || status === "deprecated" ? status : "active",
    source: String(source ?? "openstacksdk"),
  };
  if (typeof message === "string" && message !== "") profile.message = message;
  return profile;
}

/** Refuses a remote profile (a URL) with what to do instead. */
function refuseRemoteProfile(profileName: string, ctx: Ctx): void {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(profileName)) return;
  throw new ConfigError(
    `Cannot use profile "${profileName}" of cloud "${ctx.cloud}" (${ctx.where}): snapsentry does not fetch remote profiles`,
    {
      code: "remote_profile",
      hint:
        "copy the settings it serves (auth_url, regions) into the cloud or into clouds-public.yaml",
    },
  );
}

/** A profile ready to merge under a cloud. */
export interface ResolvedProfile {
  settings: Dict;
  info: { name: string; source: string };
  /** Set for a deprecated built-in profile. */
  warning?: string;
}

/**
 * Finds `profileName` in clouds-public.yaml (`profiles`, read from `publicPath`), then among the
 * built-in profiles. Throws ConfigError for a remote, unknown or shut-down profile.
 */
export function resolveProfile(
  profileName: string,
  options: { profiles: Dict; publicPath: string | undefined; ctx: Ctx },
): ResolvedProfile {
  const { profiles, publicPath, ctx } = options;
  refuseRemoteProfile(profileName, ctx);
  const fromFile = Object.hasOwn(profiles, profileName) ? profiles[profileName] : undefined;
  if (isDict(fromFile)) {
    return {
      settings: normaliseKeys(fromFile) as Dict,
      info: { name: profileName, source: publicPath ?? "clouds-public.yaml" },
    };
  }
  const builtIn = builtInProfile(profileName);
  if (!builtIn) {
    const fileNames = Object.keys(profiles);
    throw new ConfigError(
      `Cannot find profile "${profileName}" of cloud "${ctx.cloud}" (${ctx.where}) in ${
        publicPath ?? "clouds-public.yaml (not found)"
      } or the built-in vendor profiles: ${
        fileNames.length ? `defined profiles are ${quoteList(fileNames)}; ` : ""
      }built-in ones are ${quoteList(builtInProfileNames())}`,
      { code: "profile_not_found" },
    );
  }
  const about = builtIn.message ? `: ${builtIn.message}` : "";
  if (builtIn.status === "shutdown") {
    throw new ConfigError(
      `Cannot use profile "${profileName}" of cloud "${ctx.cloud}" (${ctx.where}): it refers to a cloud that no longer exists${about}`,
      { code: "profile_shutdown", hint: "remove `profile:` and write the cloud's own auth_url" },
    );
  }
  const out: ResolvedProfile = {
    settings: normaliseKeys(builtIn.settings) as Dict,
    info: { name: profileName, source: `built in, from openstacksdk ${builtIn.source}` },
  };
  if (builtIn.status === "deprecated") {
    out.warning = `profile "${profileName}" of cloud "${ctx.cloud}" is deprecated${about}`;
  }
  return out;
}
