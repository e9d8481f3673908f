import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { clearSecretsForTesting, redactText } from "../redact.ts";
import {
  candidatePaths,
  type CloudsFiles,
  defineCloudConfig,
  loadCloudConfig,
  resolveCloudConfig,
  type ResolveOptions,
} from "./clouds_yaml.ts";

const CLOUDS = "/home/ann/.config/openstack/clouds.yaml";
const SECURE = "/home/ann/.config/openstack/secure.yaml";
const PUBLIC = "/etc/openstack/clouds-public.yaml";

function resolve(
  text: string,
  extra: Partial<ResolveOptions> & { secure?: string; pub?: string } = {},
) {
  const files: CloudsFiles = { clouds: { path: CLOUDS, text } };
  if (extra.secure) files.secure = { path: SECURE, text: extra.secure };
  if (extra.pub) files.publicClouds = { path: PUBLIC, text: extra.pub };
  const opts: ResolveOptions = { files, env: extra.env ?? {} };
  if (extra.cloud) opts.cloud = extra.cloud;
  if (extra.region) opts.region = extra.region;
  return resolveCloudConfig(opts);
}

function throwsConfig(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

const PROD = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.example.com:5000/v3
      username: ann
      password: s3cr3t-pass
      user_domain_name: Default
      project_name: ops
      project_domain_name: Default
    region_name: RegionOne
`;

Deno.test("candidatePaths()", async (t) => {
  await t.step("puts OS_CLIENT_CONFIG_FILE and OS_CLIENT_SECURE_FILE in front", () => {
    const p = candidatePaths({
      env: { OS_CLIENT_CONFIG_FILE: "/x/my.yaml", OS_CLIENT_SECURE_FILE: "/x/sec.yaml" },
      homeDir: "/home/ann",
      cwd: "/work",
    });
    assert.equal(p.clouds[0], "/x/my.yaml");
    assert.equal(p.secure[0], "/x/sec.yaml");
    assert.deepEqual(p.clouds.slice(1, 4), [
      "/work/clouds.yaml",
      "/work/clouds.yml",
      "/work/clouds.json",
    ]);
    assert.ok(
      p.clouds.indexOf("/home/ann/.config/openstack/clouds.yaml") <
        p.clouds.indexOf("/etc/openstack/clouds.yaml"),
    );
    assert.equal(p.publicClouds[0], "/work/clouds-public.yaml");
  });
});

Deno.test("resolveCloudConfig() basics", async (t) => {
  await t.step("reads a password cloud with project scope", () => {
    const c = resolve(PROD, { cloud: "prod" });
    assert.equal(c.name, "prod");
    assert.equal(c.source, CLOUDS);
    assert.deepEqual(c.auth, {
      type: "password",
      authUrl: "https://keystone.example.com:5000/v3",
      password: "s3cr3t-pass",
      username: "ann",
      userDomainName: "Default",
      projectName: "ops",
      projectDomainName: "Default",
    });
    assert.equal(c.regionName, "RegionOne");
    assert.equal(c.interface, "public");
    assert.deepEqual(c.blockStorage, { serviceType: "block-storage" });
  });

  await t.step("registers every secret it reads", () => {
    clearSecretsForTesting();
    resolve(PROD + `  other:\n    auth:\n      password: other-secret-x\n`, { cloud: "prod" });
    assert.equal(redactText("a s3cr3t-pass b other-secret-x"), "a [REDACTED] b [REDACTED]");
  });

  await t.step("chooses OS_CLOUD when no name is given", () => {
    const two = PROD +
      `  dev:\n    auth: {auth_url: "http://dev:5000/v3", user_id: u1, password: pw-dev-1, project_id: p1}\n`;
    assert.equal(resolve(two, { env: { OS_CLOUD: "dev" } }).name, "dev");
    assert.equal(resolve(two, { cloud: "prod", env: { OS_CLOUD: "dev" } }).name, "prod");
  });

  await t.step("chooses the only cloud when nothing names one", () => {
    assert.equal(resolve(PROD).name, "prod");
  });

  await t.step("keeps hyphens in cloud names and normalises keys inside", () => {
    const c = resolve(
      "clouds:\n  my-cloud:\n    auth: {auth-url: 'http://k/v3', user_id: u, password: pw-1234, project-id: p}\n    region-name: R1\n",
      { cloud: "my-cloud" },
    );
    assert.equal(c.name, "my-cloud");
    assert.equal(c.auth.authUrl, "http://k/v3");
    assert.equal(c.regionName, "R1");
  });

  await t.step("asks for a name when several clouds exist", () => {
    const two = PROD +
      `  dev:\n    auth: {auth_url: "http://dev:5000/v3", user_id: u1, password: pw-dev-1, project_id: p1}\n`;
    throwsConfig(
      () => resolve(two),
      /Cannot choose a cloud in .*clouds\.yaml: it defines "prod", "dev"/,
    );
  });

  await t.step("names the clouds that exist for an unknown cloud", () => {
    throwsConfig(
      () => resolve(PROD, { cloud: "staging" }),
      /^Cannot find cloud "staging" in \/home\/ann\/\.config\/openstack\/clouds\.yaml: defined clouds are "prod"$/,
    );
  });

  await t.step("reports a YAML syntax error with its line", () => {
    throwsConfig(
      () => resolve("clouds:\n  prod: [\n  other: 1\n"),
      /^Cannot parse \/home\/ann\/\.config\/openstack\/clouds\.yaml: YAML syntax error at line 3, column 3/,
    );
  });

  await t.step("refuses a top level that is not a mapping", () => {
    throwsConfig(() => resolve("- a\n- b\n"), /expected a mapping at the top/);
  });

  await t.step("lists where it looked when no clouds.yaml exists", () => {
    throwsConfig(
      () =>
        resolveCloudConfig({
          files: { searched: ["/w/clouds.yaml", "/etc/openstack/clouds.yaml"] },
          env: {},
        }),
      /^Cannot find clouds\.yaml: looked in \/w\/clouds\.yaml, \/etc\/openstack\/clouds\.yaml/,
    );
  });
});

Deno.test("resolveCloudConfig() merges secure.yaml and profiles", async (t) => {
  await t.step("secure.yaml is deep-merged over clouds.yaml", () => {
    const clouds = PROD.replace("      password: s3cr3t-pass\n", "");
    const c = resolve(clouds, {
      cloud: "prod",
      secure:
        "clouds:\n  prod:\n    auth:\n      password: from-secure-1\n    region_name: RegionTwo\n",
    });
    assert.equal(c.auth.type === "password" && c.auth.password, "from-secure-1");
    assert.equal(c.auth.type === "password" && c.auth.username, "ann");
    assert.equal(c.regionName, "RegionTwo");
    assert.equal(c.source, `${CLOUDS} + ${SECURE}`);
  });

  await t.step("profile: pulls defaults from clouds-public.yaml; the cloud wins", () => {
    const c = resolve(
      "clouds:\n  v:\n    profile: vendor\n    region_name: R2\n    auth: {user_id: u, password: pw-1234, project_id: p}\n",
      {
        pub:
          "public-clouds:\n  vendor:\n    auth:\n      auth_url: https://id.vendor.example/v3\n    region_name: R1\n    interface: internal\n",
      },
    );
    assert.equal(c.auth.authUrl, "https://id.vendor.example/v3");
    assert.equal(c.regionName, "R2");
    assert.equal(c.interface, "internal");
  });

  await t.step("an unknown profile is an error naming the profiles", () => {
    throwsConfig(
      () =>
        resolve(
          "clouds:\n  v:\n    profile: nope\n    auth: {user_id: u, password: pw-1234, project_id: p}\n",
          {
            pub: "public-clouds:\n  vendor: {}\n",
          },
        ),
      /Cannot find profile "nope" of cloud "v" .* defined profiles are "vendor"/,
    );
  });
});

Deno.test("resolveCloudConfig() builds a cloud from OS_* variables", async (t) => {
  const env = {
    OS_AUTH_URL: "http://k:5000/v3",
    OS_USERNAME: "bob",
    OS_PASSWORD: "env-pass-123",
    OS_USER_DOMAIN_NAME: "Default",
    OS_PROJECT_NAME: "demo",
    OS_PROJECT_DOMAIN_ID: "default",
    OS_REGION_NAME: "RegionX",
    OS_INTERFACE: "internal",
    OS_VOLUME_API_VERSION: "3.50",
  };
  await t.step("named envvars, chosen when OS_CLOUD is unset", () => {
    const c = resolveCloudConfig({ files: {}, env });
    assert.equal(c.name, "envvars");
    assert.equal(c.source, "environment (OS_* variables)");
    assert.equal(c.auth.type, "password");
    assert.equal(c.auth.type === "password" && c.auth.projectDomainId, "default");
    assert.equal(c.regionName, "RegionX");
    assert.equal(c.interface, "internal");
    assert.equal(c.blockStorage.apiVersion, "3.50");
  });
  await t.step("OS_CLOUD_NAME renames it", () => {
    assert.equal(
      resolveCloudConfig({ files: {}, env: { ...env, OS_CLOUD_NAME: "mine" } }).name,
      "mine",
    );
  });
  await t.step("selectors alone make no cloud", () => {
    throwsConfig(
      () => resolveCloudConfig({ files: {}, env: { OS_CLOUD: "x", OS_REGION_NAME: "R" } }),
      /Cannot find cloud "x": no clouds\.yaml found/,
    );
  });
  await t.step("OS_CLOUD still picks a file cloud over envvars", () => {
    const c = resolve(PROD, { env: { ...env, OS_CLOUD: "prod" } });
    assert.equal(c.name, "prod");
    // OS_REGION_NAME belongs to the envvars cloud; a named cloud keeps its region_name.
    assert.equal(c.regionName, "RegionOne");
  });
});

Deno.test("resolveCloudConfig() auth types", async (t) => {
  const base = (auth: string, authType?: string) =>
    `clouds:\n  c:\n${
      authType ? `    auth_type: ${authType}\n` : ""
    }    auth:\n      auth_url: http://k/v3\n${auth}`;

  await t.step("v3password is password", () => {
    const c = resolve(
      base("      user_id: u1\n      password: pw-1234\n      project_id: p1\n", "v3password"),
    );
    assert.equal(c.auth.type, "password");
  });

  await t.step("application credential by id", () => {
    const c = resolve(base(
      "      application_credential_id: ac1\n      application_credential_secret: ac-secret-1\n",
      "v3applicationcredential",
    ));
    assert.deepEqual(c.auth, {
      type: "v3applicationcredential",
      authUrl: "http://k/v3",
      secret: "ac-secret-1",
      id: "ac1",
    });
  });

  await t.step("application credential by name + user", () => {
    const c = resolve(base(
      "      application_credential_name: snap\n      application_credential_secret: ac-secret-1\n      username: ann\n      user_domain_name: Default\n",
      "v3applicationcredential",
    ));
    assert.equal(c.auth.type === "v3applicationcredential" && c.auth.name, "snap");
    assert.equal(c.auth.type === "v3applicationcredential" && c.auth.username, "ann");
  });

  await t.step("application credential by name without a user names the missing field", () => {
    throwsConfig(
      () =>
        resolve(base(
          "      application_credential_name: snap\n      application_credential_secret: ac-secret-1\n",
          "v3applicationcredential",
        )),
      /Cannot use cloud "c" from .*: auth_type "v3applicationcredential" needs auth\.user_id \(or username\) to find application credential "snap"/,
    );
  });

  await t.step("token and v3token", () => {
    for (const type of ["token", "v3token"]) {
      const c = resolve(base("      token: tok-abcdef\n      project_id: p1\n", type));
      assert.deepEqual(c.auth, {
        type: "token",
        authUrl: "http://k/v3",
        token: "tok-abcdef",
        projectId: "p1",
      });
    }
  });

  await t.step("an unsupported auth_type lists the supported ones", () => {
    throwsConfig(
      () => resolve(base("      token: x\n", "v3oidcpassword")),
      /auth_type "v3oidcpassword" .*supports "password", "v3password"/,
    );
  });

  for (
    const [name, auth, type, field] of [
      [
        "password",
        "      username: u\n      user_domain_name: D\n      project_id: p\n",
        "password",
        "password",
      ],
      ["user", "      password: pw-1234\n      project_id: p\n", "password", "username"],
      [
        "user domain",
        "      username: u\n      password: pw-1234\n      project_id: p\n",
        "password",
        "user_domain_name",
      ],
      [
        "project domain",
        "      user_id: u\n      password: pw-1234\n      project_name: p\n",
        "password",
        "project_domain_name",
      ],
      ["scope", "      user_id: u\n      password: pw-1234\n", "password", "project_id"],
      [
        "secret",
        "      application_credential_id: a\n",
        "v3applicationcredential",
        "application_credential_secret",
      ],
      ["token", "      project_id: p\n", "token", "token"],
    ] as const
  ) {
    await t.step(`a missing ${name} names auth.${field} and the auth_type`, () => {
      throwsConfig(
        () => resolve(base(auth, type)),
        new RegExp(`auth_type "${type}" needs auth\\.${field}`),
      );
    });
  }

  await t.step("a missing auth_url is named", () => {
    throwsConfig(
      () => resolve("clouds:\n  c:\n    auth: {user_id: u, password: pw-1234, project_id: p}\n"),
      /needs auth\.auth_url/,
    );
  });

  await t.step("domain_name fills user and project domains when project-scoped", () => {
    const c = resolve(
      base(
        "      username: u\n      password: pw-1234\n      project_name: p\n      domain_name: Corp\n",
      ),
    );
    assert.equal(c.auth.type === "password" && c.auth.userDomainName, "Corp");
    assert.equal(c.auth.type === "password" && c.auth.projectDomainName, "Corp");
    assert.equal(c.auth.type === "password" && c.auth.domainName, undefined);
  });

  await t.step("domain_id alone is a domain scope", () => {
    const c = resolve(base("      user_id: u\n      password: pw-1234\n      domain_id: d1\n"));
    assert.equal(c.auth.type === "password" && c.auth.domainId, "d1");
  });

  await t.step("auth keys at the top level and tenant_name are moved into auth", () => {
    const c = resolve(
      "clouds:\n  c:\n    auth_url: http://k/v3\n    user_id: u\n    password: pw-1234\n    tenant_name: legacy\n    project_domain_id: default\n",
    );
    assert.equal(c.auth.type === "password" && c.auth.projectName, "legacy");
  });
});

Deno.test("resolveCloudConfig() endpoints, regions, TLS and timeouts", async (t) => {
  const cloud = (extra: string) =>
    `clouds:\n  c:\n    auth: {auth_url: "http://k/v3", user_id: u, password: pw-1234, project_id: p}\n${extra}`;

  await t.step("endpoint_type publicURL and interface", () => {
    assert.equal(resolve(cloud("    endpoint_type: internalURL\n")).interface, "internal");
    assert.equal(resolve(cloud("    interface: admin\n")).interface, "admin");
    throwsConfig(
      () => resolve(cloud("    interface: private\n")),
      /Cannot use interface "private" .*expected "public", "internal" or "admin"/,
    );
  });

  await t.step("block-storage keys are looked up in alias order", () => {
    const c = resolve(cloud(
      "    volume_endpoint_override: http://vol/v3/%(project_id)s\n    volumev3_endpoint_override: http://v3/v3/$(project_id)s\n    volume_api_version: '3.60'\n    volume_interface: internal\n    volumev2_region_name: R9\n    block_storage_service_type: volumev3\n",
    ));
    assert.deepEqual(c.blockStorage, {
      serviceType: "volumev3",
      interface: "internal",
      regionName: "R9",
      endpointOverride: "http://v3/v3/$(project_id)s",
      apiVersion: "3.60",
    });
    const b = resolve(
      cloud(
        "    block_storage_endpoint_override: http://bs/v3\n    volumev3_endpoint_override: http://v3/v3\n",
      ),
    );
    assert.equal(b.blockStorage.endpointOverride, "http://bs/v3");
  });

  await t.step("api versions: 3 negotiates, 3.50 keeps its zero, 2 is refused", () => {
    assert.equal(resolve(cloud("    volume_api_version: 3\n")).blockStorage.apiVersion, undefined);
    assert.equal(
      resolve(cloud("    volume_api_version: 3.50\n")).blockStorage.apiVersion,
      "3.50".replace(".50", ".50"),
    );
    assert.equal(
      resolve(cloud("    block_storage_api_version: 3.5\n")).blockStorage.apiVersion,
      "3.5",
    );
    throwsConfig(
      () => resolve(cloud("    volume_api_version: 2\n")),
      /Cannot use volume_api_version "2" .*v3 API/,
    );
  });

  await t.step("regions: list with values; first is the default; unknown is refused", () => {
    const text = cloud(
      "    regions:\n      - RegionOne\n      - name: RegionTwo\n        values:\n          interface: internal\n",
    );
    assert.equal(resolve(text).regionName, "RegionOne");
    const two = resolve(text, { region: "RegionTwo" });
    assert.equal(two.regionName, "RegionTwo");
    assert.equal(two.interface, "internal");
    throwsConfig(
      () => resolve(text, { region: "Nope" }),
      /Cannot use region "Nope" .*valid regions are "RegionOne", "RegionTwo"/,
    );
  });

  await t.step("cacert, cert and key are kept as paths", () => {
    const c = resolve(
      cloud("    cacert: /etc/ca.pem\n    cert: /etc/c.pem\n    key: /etc/k.pem\n"),
    );
    assert.deepEqual(c.tls, {
      caCertFile: "/etc/ca.pem",
      certFile: "/etc/c.pem",
      keyFile: "/etc/k.pem",
    });
  });

  await t.step("verify: false and insecure: true are refused, naming the alternative", () => {
    for (const v of ["    verify: false\n", "    insecure: true\n", "    verify: 'False'\n"]) {
      throwsConfig(() => resolve(cloud(v)), /Deno cannot turn certificate checks off/);
      try {
        resolve(cloud(v));
      } catch (e) {
        assert.match(
          (e as ConfigError).hint ?? "",
          /cacert: \/path\/to\/ca\.pem.*DENO_TLS_CA_STORE.*--unsafely-ignore-certificate-errors/,
        );
      }
    }
    assert.equal(
      resolve(cloud("    verify: true\n    insecure: false\n")).tls.caCertFile,
      undefined,
    );
  });

  await t.step("api_timeout becomes milliseconds; nonsense is refused", () => {
    assert.equal(resolve(cloud("    api_timeout: 12.5\n")).apiTimeoutMs, 12_500);
    throwsConfig(() => resolve(cloud("    api_timeout: soon\n")), /Cannot use api_timeout "soon"/);
  });
});

Deno.test("loadCloudConfig()", async (t) => {
  const files: Record<string, string> = {
    "/home/ann/.config/openstack/clouds.yaml": PROD.replace(
      "region_name: RegionOne",
      "region_name: RegionOne\n    cacert: ~/ca.pem",
    ),
    "/etc/openstack/secure.yaml": "clouds:\n  prod:\n    auth:\n      password: from-etc-secure\n",
    "/home/ann/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  };
  const read = (map: Record<string, string>) => (path: string) => {
    if (path === "/forbidden/clouds.yaml") {
      return Promise.reject(new Deno.errors.PermissionDenied("permission denied"));
    }
    const text = map[path];
    return text === undefined
      ? Promise.reject(new Deno.errors.NotFound(path))
      : Promise.resolve(text);
  };

  await t.step("finds the files in the search path and reads the CA file", async () => {
    const c = await loadCloudConfig({
      env: {},
      readTextFile: read(files),
      homeDir: "/home/ann",
      cwd: "/work",
    });
    assert.equal(c.auth.type === "password" && c.auth.password, "from-etc-secure");
    assert.deepEqual(c.tls.caCerts, [files["/home/ann/ca.pem"]]);
  });

  await t.step("OS_CLIENT_CONFIG_FILE wins", async () => {
    const c = await loadCloudConfig({
      env: { OS_CLIENT_CONFIG_FILE: "/x/c.yaml" },
      // The home clouds.yaml exists too; the variable's file is found first.
      readTextFile: read({
        "/home/ann/.config/openstack/clouds.yaml":
          files["/home/ann/.config/openstack/clouds.yaml"]!,
        "/x/c.yaml":
          "clouds:\n  only:\n    auth: {auth_url: 'http://k/v3', token: tok-12345, project_id: p}\n",
      }),
      homeDir: "/home/ann",
      cwd: "/work",
    });
    assert.equal(c.name, "only");
  });

  await t.step("an unreadable file is named", async () => {
    await assert.rejects(
      loadCloudConfig({
        env: { OS_CLIENT_CONFIG_FILE: "/forbidden/clouds.yaml" },
        readTextFile: read(files),
        cwd: "/work",
      }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^Cannot read \/forbidden\/clouds\.yaml: permission denied/.test(e.message),
    );
  });

  await t.step("a missing cacert file is named with its cloud", async () => {
    await assert.rejects(
      loadCloudConfig({
        env: {},
        readTextFile: read({ ...files, "/home/ann/ca.pem": undefined as unknown as string }),
        homeDir: "/home/ann",
        cwd: "/work",
      }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /Cannot read cacert file \/home\/ann\/ca\.pem of cloud "prod".*no such file/.test(
          e.message,
        ),
    );
  });

  await t.step("no file anywhere lists the places it looked", async () => {
    await assert.rejects(
      loadCloudConfig({ env: {}, readTextFile: read({}), homeDir: "/home/ann", cwd: "/work" }),
      (e: unknown) =>
        e instanceof ConfigError && e.message.includes("/work/clouds.yaml") &&
        e.message.includes("/home/ann/.config/openstack/clouds.yaml") &&
        e.message.includes("/etc/openstack/clouds.yaml"),
    );
  });
});

Deno.test("defineCloudConfig() fills defaults", () => {
  const c = defineCloudConfig({
    name: "emulator",
    auth: {
      type: "password",
      authUrl: "http://emu/identity/v3",
      userId: "u",
      password: "emu-pass-1",
      projectId: "p",
    },
  });
  assert.equal(c.interface, "public");
  assert.deepEqual(c.blockStorage, { serviceType: "block-storage" });
  assert.equal(redactText("emu-pass-1"), "[REDACTED]");
});
