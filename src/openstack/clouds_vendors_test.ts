/**
 * clouds.yaml as openstacksdk reads it beyond the basics: the site config directories, built-in
 * vendor profiles, `{region_name}` in auth_url, region choice, and the limits on what a
 * configuration file may be (size, alias bombs, nesting, a garbage auth_url).
 */
import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import {
  builtInProfile,
  builtInProfileNames,
  type CloudsFiles,
  configDirectories,
  loadCloudConfig,
  MAX_CONFIG_FILE_BYTES,
  resolveCloudConfig,
  type ResolveOptions,
} from "./clouds_yaml.ts";

const CLOUDS = "/home/ann/.config/openstack/clouds.yaml";
const PUBLIC = "/etc/openstack/clouds-public.yaml";
const AUTH = "    auth: {username: ann, password: pw-12345, user_domain_name: Default, " +
  "project_name: ops, project_domain_name: Default}\n";

function resolve(text: string, extra: Partial<ResolveOptions> & { pub?: string } = {}) {
  const files: CloudsFiles = { clouds: { path: CLOUDS, text } };
  if (extra.pub) files.publicClouds = { path: PUBLIC, text: extra.pub };
  const opts: ResolveOptions = { files, env: extra.env ?? {} };
  if (extra.cloud) opts.cloud = extra.cloud;
  if (extra.region) opts.region = extra.region;
  return resolveCloudConfig(opts);
}

function configError(fn: () => unknown, pattern: RegExp, code?: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.match(e.message, pattern);
    if (code) assert.equal(e.code, code);
    return true;
  });
}

Deno.test("configDirectories() follows openstacksdk's search path", async (t) => {
  await t.step(
    "Linux: cwd, user dir, then $XDG_CONFIG_DIRS/openstack or /etc/xdg, then /etc",
    () => {
      assert.deepEqual(
        configDirectories({ env: {}, homeDir: "/home/ann", cwd: "/w", os: "linux" }),
        [
          "/w",
          "/home/ann/.config/openstack",
          "/etc/xdg/openstack",
          "/etc/openstack",
        ],
      );
      assert.deepEqual(
        configDirectories({
          env: { XDG_CONFIG_HOME: "/cfg", XDG_CONFIG_DIRS: "/opt/xdg:/usr/local/etc/xdg/" },
          homeDir: "/home/ann/",
          cwd: "/w",
          os: "linux",
        }),
        [
          "/w",
          "/cfg/openstack",
          "/home/ann/.config/openstack",
          "/opt/xdg/openstack",
          "/usr/local/etc/xdg/openstack",
          "/etc/openstack",
        ],
      );
    },
  );
  await t.step("a blank XDG_CONFIG_DIRS means /etc/xdg, as platformdirs reads it", () => {
    const dirs = configDirectories({ env: { XDG_CONFIG_DIRS: " " }, cwd: "/w", os: "linux" });
    assert.deepEqual(dirs, ["/w", "/etc/xdg/openstack", "/etc/openstack"]);
  });
  await t.step("macOS: ~/Library/Application Support/openstack before ~/.config", () => {
    assert.deepEqual(
      configDirectories({ env: {}, homeDir: "/Users/ann", cwd: "/w", os: "darwin" }),
      [
        "/w",
        "/Users/ann/Library/Application Support/openstack",
        "/Users/ann/.config/openstack",
        "/Library/Application Support/openstack",
        "/etc/openstack",
      ],
    );
  });
  await t.step("inside a snap, $SNAP_REAL_HOME/.config/openstack", () => {
    const dirs = configDirectories({
      env: { SNAP_REAL_HOME: "/home/ann" },
      homeDir: "/home/ann/snap/osc/12",
      cwd: "/w",
      os: "linux",
    });
    assert.deepEqual(dirs.slice(1, 3), [
      "/home/ann/snap/osc/12/.config/openstack",
      "/home/ann/.config/openstack",
    ]);
  });
  await t.step("loadCloudConfig() finds a clouds.yaml in /etc/xdg/openstack", async () => {
    const files: Record<string, string> = {
      "/etc/xdg/openstack/clouds.yaml": `clouds:\n  site:\n    auth_url: https://k.example/v3\n${
        AUTH.replace("    auth:", "    auth:")
      }`,
    };
    const c = await loadCloudConfig({
      env: {},
      cwd: "/nowhere",
      readTextFile: (p) =>
        files[p] === undefined
          ? Promise.reject(new Deno.errors.NotFound(p))
          : Promise.resolve(files[p]!),
    });
    assert.equal(c.name, "site");
    assert.equal(c.source, "/etc/xdg/openstack/clouds.yaml");
  });
});

Deno.test("built-in vendor profiles", async (t) => {
  await t.step("the data names its source for every profile", () => {
    const names = builtInProfileNames();
    for (const n of ["ovh", "vexxhost", "citycloud", "otc", "binero"]) assert.ok(names.includes(n));
    for (const n of names) assert.match(builtInProfile(n)!.source, /vendors\/.+ at [0-9a-f]{12}/);
  });
  await t.step("profile: ovh brings the auth URL, domains and regions", () => {
    const c = resolve(`clouds:\n  ovh:\n    profile: ovh\n${AUTH}`);
    assert.equal(c.auth.authUrl, "https://auth.cloud.ovh.net/");
    assert.equal(c.regionName, "BHS");
    assert.equal(c.regionSource, "profile");
    assert.deepEqual(c.profile?.name, "ovh");
    assert.match(c.profile!.source, /^built in, from openstacksdk .*ovh\.json at 4ae03c0ab44e/);
    const gra = resolve(`clouds:\n  ovh:\n    profile: ovh\n${AUTH}`, { region: "GRA7" });
    assert.equal(gra.regionName, "GRA7");
    assert.equal(gra.regionSource, "requested");
  });
  await t.step("a region not in the profile's list is refused, listing them", () => {
    configError(
      () => resolve(`clouds:\n  ovh:\n    profile: ovh\n${AUTH}`, { region: "gra7" }),
      /Cannot use region "gra7" with cloud "ovh" \(.*clouds\.yaml\): valid regions are "BHS", .*"GRA7"/,
      "region_not_found",
    );
  });
  await t.step("the cloud's own region_name wins over the profile's regions", () => {
    const c = resolve(`clouds:\n  ovh:\n    profile: ovh\n    region_name: GRA11\n${AUTH}`);
    assert.equal(c.regionName, "GRA11");
    assert.equal(c.regionSource, "region_name");
    assert.deepEqual(c.knownRegions, ["GRA11"]);
  });
  await t.step("{region_name} in auth_url is expanded (citycloud, otc)", () => {
    const city = resolve(`clouds:\n  c:\n    profile: citycloud\n${AUTH}`, { region: "Kna1" });
    assert.equal(city.auth.authUrl, "https://Kna1.citycloud.com:5000/v3/");
    const otc = resolve(`clouds:\n  c:\n    profile: otc\n${AUTH}`);
    assert.equal(otc.auth.authUrl, "https://iam.eu-de.otc.t-systems.com/v3");
  });
  await t.step("{region_name} without any region is a configuration error", () => {
    configError(
      () =>
        resolve(
          `clouds:\n  c:\n    auth_url: "https://{region_name}.example.com/v3"\n${AUTH}`,
        ),
      /Cannot use auth_url "https:\/\/\{region_name\}\.example\.com\/v3" of cloud "c" .*needs a region/,
    );
  });
  await t.step("{region_name} in block_storage_endpoint_override is expanded too", () => {
    const c = resolve(
      `clouds:\n  c:\n    auth_url: https://k.example/v3\n    region_name: R1\n` +
        `    block_storage_endpoint_override: "https://{region_name}.bs.example/v3/%(project_id)s"\n${AUTH}`,
    );
    assert.equal(c.blockStorage.endpointOverride, "https://R1.bs.example/v3/%(project_id)s");
  });
  await t.step("vexxhost keeps its auth_type; the cloud's own keys win", () => {
    const c = resolve(
      `clouds:\n  v:\n    profile: vexxhost\n    region_name: sjc1\n${AUTH}`,
    );
    assert.equal(c.auth.type, "password");
    assert.equal(c.auth.authUrl, "https://auth.vexxhost.net/v3");
    assert.equal(c.regionName, "sjc1");
  });
  await t.step("clouds-public.yaml wins over a built-in profile of the same name", () => {
    const c = resolve(`clouds:\n  o:\n    profile: ovh\n${AUTH}`, {
      pub: "public-clouds:\n  ovh:\n    auth: {auth_url: 'https://mirror.example/v3'}\n",
    });
    assert.equal(c.auth.authUrl, "https://mirror.example/v3");
    assert.equal(c.profile?.source, PUBLIC);
  });
  await t.step("a shut-down profile is refused with openstacksdk's reason", () => {
    configError(
      () => resolve(`clouds:\n  b:\n    profile: betacloud\n${AUTH}`),
      /Cannot use profile "betacloud" of cloud "b" .*no longer exists: betacloud\.de has ceased business/,
      "profile_shutdown",
    );
  });
  await t.step("a deprecated profile resolves with a warning", () => {
    const c = resolve(`clouds:\n  f:\n    profile: fuga\n${AUTH}`);
    assert.deepEqual(c.warnings, [
      'profile "fuga" of cloud "f" is deprecated: the API Endpoint is no longer responsive',
    ]);
  });
  await t.step("a remote profile is refused: configuration never comes from the network", () => {
    configError(
      () => resolve(`clouds:\n  r:\n    profile: https://vendor.example\n${AUTH}`),
      /Cannot use profile "https:\/\/vendor\.example" of cloud "r" .*does not fetch remote profiles/,
      "remote_profile",
    );
  });
  await t.step("an unknown profile lists the built-in ones", () => {
    configError(
      () => resolve(`clouds:\n  r:\n    profile: nope\n${AUTH}`),
      /Cannot find profile "nope" .*built-in ones are "auro", .*"vexxhost"/,
    );
  });
  await t.step("every active built-in profile resolves with a user's auth", () => {
    for (const name of builtInProfileNames()) {
      const p = builtInProfile(name)!;
      const text = `clouds:\n  x:\n    profile: ${name}\n${AUTH}` +
        (p.settings.auth ? "" : "    auth_url: https://k.example/v3\n");
      if (p.status === "shutdown") {
        configError(() => resolve(text), /no longer exists/);
      } else if (name === "otc-swiss") {
        // openstacksdk ships this auth_url without a scheme; the cloud must set its own.
        configError(() => resolve(text), /auth_url "iam-pub\..*" .*not an http\(s\) URL/);
      } else {
        const c = resolve(text);
        assert.match(c.auth.authUrl, /^https:\/\/[^{}]+$/, name);
      }
    }
  });
});

Deno.test("configuration files are bounded", async (t) => {
  await t.step("a file over 1 MiB is refused at once, naming the file and its size", () => {
    const big = `clouds:\n  a:\n    auth_url: https://k.example/v3\n${AUTH}# ${
      "x".repeat(MAX_CONFIG_FILE_BYTES)
    }\n`;
    const t0 = performance.now();
    configError(
      () => resolve(big),
      /Cannot read \/home\/ann\/\.config\/openstack\/clouds\.yaml: it is 1\.0 MiB, over the 1 MiB limit/,
      "config_file_too_large",
    );
    assert.ok(performance.now() - t0 < 1000, "refused before parsing");
    // Multi-byte text counts in bytes: 400,000 "é" are 800,000 bytes, under the limit.
    const accents = `clouds:\n  a:\n    auth_url: https://k.example/v3\n${AUTH}# ${
      "é".repeat(400_000)
    }\n`;
    assert.equal(resolve(accents).name, "a");
  });
  await t.step("an alias bomb names the file", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [n, p] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"]]) {
      lines.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(",")}]`);
    }
    configError(
      () => resolve(lines.join("\n") + "\n"),
      /Cannot parse \/home\/ann\/\.config\/openstack\/clouds\.yaml: its YAML aliases expand too many times/,
      "config_alias_bomb",
    );
  });
  await t.step("deep nesting gets its own message, not a syntax error", () => {
    configError(
      () => resolve(`clouds: ${"[".repeat(5000)}${"]".repeat(5000)}\n`),
      /Cannot parse .*clouds\.yaml: YAML nested more than 64 levels deep/,
      "config_too_deep",
    );
    configError(
      () => resolve(`clouds: ${"[".repeat(100)}${"]".repeat(100)}\n`),
      /nested more than 64 levels deep/,
    );
  });
  await t.step("a cacert over 1 MiB is refused, naming it", async () => {
    const files: Record<string, string> = {
      "/c/clouds.yaml":
        `clouds:\n  a:\n    auth_url: https://k.example/v3\n    cacert: /c/ca.pem\n${AUTH}`,
      "/c/ca.pem": "-".repeat(MAX_CONFIG_FILE_BYTES + 1),
    };
    await assert.rejects(
      loadCloudConfig({
        env: { OS_CLIENT_CONFIG_FILE: "/c/clouds.yaml" },
        cwd: "/nowhere",
        readTextFile: (p) =>
          files[p] === undefined
            ? Promise.reject(new Deno.errors.NotFound(p))
            : Promise.resolve(files[p]!),
      }),
      /Cannot read \/c\/ca\.pem: it is 1\.0 MiB, over the 1 MiB limit for a cacert file/,
    );
  });
});

Deno.test("a garbage auth_url is a configuration error naming file, cloud and key", async (t) => {
  for (
    const url of ["not a url", "keystone.example.com:5000/v3", "ftp://k.example/v3", "https://"]
  ) {
    await t.step(url, () => {
      configError(
        () => resolve(`clouds:\n  prod:\n    auth_url: "${url}"\n${AUTH}`),
        new RegExp(
          `Cannot use auth_url "${
            url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
          }" of cloud "prod" in /home/ann/\\.config/openstack/clouds\\.yaml: it is not an http\\(s\\) URL`,
        ),
        "invalid_auth_url",
      );
    });
  }
});
