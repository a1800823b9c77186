import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normalizeHost, resolveConfig } from "../../../src/core/config.js";
import { ConfigError, Databricks, isBrickmlError } from "../../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "brickml-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function configFile(text: string): string {
  const file = join(dir, `cfg-${n++}`);
  writeFileSync(file, text);
  return file;
}

const FILE = configFile(`
; a comment
[DEFAULT]
host = https://default.cloud.databricks.com
token = dapi-default

[prod]
host = https://prod.cloud.databricks.com/
client_id = sp-prod
client_secret = sp-secret

[partial]
token = dapi-partial
`);

/** The thrown ConfigError (fails the test when nothing is thrown). */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration precedence", () => {
  it("takes options over environment over the profile", () => {
    const env = {
      DATABRICKS_HOST: "https://env.cloud.databricks.com",
      DATABRICKS_CONFIG_FILE: FILE,
      DATABRICKS_CONFIG_PROFILE: "partial",
    };
    const fromOptions = resolveConfig({ host: "https://opt.cloud.databricks.com", env });
    expect(fromOptions.host).toBe("https://opt.cloud.databricks.com");
    expect(fromOptions.sources.host).toBe("options");
    // The named profile still fills what neither options nor env set.
    expect(fromOptions.token).toBe("dapi-partial");
    expect(fromOptions.sources.token).toBe(`profile partial in ${FILE}`);

    const fromEnv = resolveConfig({ env });
    expect(fromEnv.host).toBe("https://env.cloud.databricks.com");
    expect(fromEnv.sources.host).toBe("env DATABRICKS_HOST");

    const fromFile = resolveConfig({
      env: { DATABRICKS_CONFIG_FILE: FILE, DATABRICKS_CONFIG_PROFILE: "prod" },
    });
    expect(fromFile.host).toBe("https://prod.cloud.databricks.com");
    expect(fromFile.authType).toBe("oauth-m2m");
    expect(fromFile.clientId).toBe("sp-prod");
  });

  it("an explicit option beats the environment for every attribute", () => {
    const c = resolveConfig({
      host: "https://a.cloud.databricks.com",
      token: "opt-token",
      workspaceId: "1",
      env: { DATABRICKS_HOST: "https://b", DATABRICKS_TOKEN: "env-token", DATABRICKS_WORKSPACE_ID: "2" },
    });
    expect([c.host, c.token, c.workspaceId]).toEqual(["https://a.cloud.databricks.com", "opt-token", "1"]);
  });

  it("uses the DEFAULT profile when nothing is given and no profile is named", () => {
    const c = resolveConfig({ env: { DATABRICKS_CONFIG_FILE: FILE } });
    expect(c.host).toBe("https://default.cloud.databricks.com");
    expect(c.token).toBe("dapi-default");
    expect(c.authType).toBe("pat");
    expect(c.profile).toBe("DEFAULT");
  });

  it("reads ~/.databrickscfg from the home directory by default", () => {
    const home = mkdtempSync(join(dir, "home-"));
    writeFileSync(join(home, ".databrickscfg"), "[DEFAULT]\nhost = home.cloud.databricks.com\ntoken = t\n");
    const c = resolveConfig({ env: { HOME: home } });
    expect(c.host).toBe("https://home.cloud.databricks.com");
    expect(c.configFile).toBe(join(home, ".databrickscfg"));
  });

  it("follows [__settings__] default_profile", () => {
    const file = configFile(
      "[__settings__]\ndefault_profile = team\n\n[DEFAULT]\nhost = https://d\ntoken = d\n\n[team]\nhost = https://team.example.com\ntoken = t\n",
    );
    const c = resolveConfig({ env: { DATABRICKS_CONFIG_FILE: file } });
    expect(c.host).toBe("https://team.example.com");
    expect(c.profile).toBe("team");
    // A named profile wins over default_profile.
    expect(resolveConfig({ profile: "DEFAULT", env: { DATABRICKS_CONFIG_FILE: file } }).host).toBe(
      "https://d",
    );
  });

  it("skips the file when a host or credentials are given explicitly and no profile is named", () => {
    const withToken = resolveConfig({
      host: "https://x.example.com",
      token: "t",
      env: { DATABRICKS_CONFIG_FILE: FILE },
    });
    expect(withToken.profile).toBeUndefined();
    // Only a host: the DEFAULT profile's token is not borrowed, and the error says why.
    const err = configError(() =>
      resolveConfig({ env: { DATABRICKS_HOST: "https://x.example.com", DATABRICKS_CONFIG_FILE: FILE } }),
    );
    expect(err.message).toContain(
      "No credentials configured for https://x.example.com (host from env DATABRICKS_HOST)",
    );
    expect(err.message).toContain(`${FILE} was not read because host (from env DATABRICKS_HOST) was set`);
    expect(err.message).toContain("DATABRICKS_CONFIG_PROFILE");
    // Naming the profile reads it even with an explicit host.
    const named = resolveConfig({
      env: {
        DATABRICKS_HOST: "https://x.example.com",
        DATABRICKS_CONFIG_FILE: FILE,
        DATABRICKS_CONFIG_PROFILE: "DEFAULT",
      },
    });
    expect(named.host).toBe("https://x.example.com");
    expect(named.token).toBe("dapi-default");
  });

  it("ignores a missing config file when no profile is named", () => {
    const c = resolveConfig({
      host: "h.example.com",
      token: "t",
      env: { DATABRICKS_CONFIG_FILE: join(dir, "nope") },
    });
    expect(c.host).toBe("https://h.example.com");
  });
});

describe("configuration errors say what was found where and how to fix it", () => {
  const missing = join(dir, "missing.cfg");

  it("no host", () => {
    const err = configError(() => new Databricks({ token: "t", env: { DATABRICKS_CONFIG_FILE: missing } }));
    expect(err.message).toContain("No Databricks host configured");
    expect(err.message).toContain("DATABRICKS_HOST");
    expect(err.message).toContain(missing);
    expect(err.message).toContain("token (from options) was set");
    expect(isBrickmlError(err)).toBe(true);
    expect(err.code).toBe("CONFIG");
  });

  it("no host when the file has no DEFAULT profile", () => {
    const err = configError(() =>
      resolveConfig({ env: { DATABRICKS_CONFIG_FILE: configFile("[other]\nhost=x\n") } }),
    );
    expect(err.message).toContain("has no DEFAULT profile");
  });

  it("no credentials", () => {
    const err = configError(
      () => new Databricks({ host: "https://h.example.com", env: { DATABRICKS_CONFIG_FILE: missing } }),
    );
    expect(err.message).toMatch(
      /No credentials configured for https:\/\/h\.example\.com \(host from options\)/,
    );
    expect(err.message).toContain("DATABRICKS_TOKEN");
    expect(err.message).toContain("DATABRICKS_CLIENT_ID");
  });

  it("two kinds of credentials, naming where each came from but not their values", () => {
    const err = configError(() =>
      resolveConfig({
        host: "https://h.example.com",
        token: "dapi-visible-nowhere",
        env: { DATABRICKS_CLIENT_ID: "sp", DATABRICKS_CLIENT_SECRET: "secret-visible-nowhere" },
      }),
    );
    expect(err.message).toContain("More than one kind of credentials");
    expect(err.message).toContain("pat (token from options)");
    expect(err.message).toContain("client id from env DATABRICKS_CLIENT_ID");
    expect(err.message).toContain("DATABRICKS_AUTH_TYPE");
    expect(err.message).not.toContain("visible-nowhere");
    // Choosing one with authType resolves the conflict.
    const chosen = resolveConfig({
      host: "https://h.example.com",
      token: "t",
      authType: "pat",
      env: { DATABRICKS_CLIENT_ID: "sp", DATABRICKS_CLIENT_SECRET: "s" },
    });
    expect(chosen.authType).toBe("pat");
  });

  it("a token and a token provider also conflict", () => {
    const err = configError(() =>
      resolveConfig({ host: "https://h", token: "t", tokenProvider: async () => "x", env: {} }),
    );
    expect(err.message).toContain("custom (tokenProvider from options)");
  });

  it("unknown profile lists the profiles found", () => {
    const err = configError(() =>
      resolveConfig({ profile: "staging", env: { DATABRICKS_CONFIG_FILE: FILE } }),
    );
    expect(err.message).toContain(`Profile "staging" (from options) is not in ${FILE}`);
    expect(err.message).toContain("Profiles found: DEFAULT, prod, partial");
  });

  it("a default_profile that does not exist", () => {
    const file = configFile("[__settings__]\ndefault_profile = gone\n[DEFAULT]\nhost=x\ntoken=y\n");
    const err = configError(() => resolveConfig({ env: { DATABRICKS_CONFIG_FILE: file } }));
    expect(err.message).toContain('Profile "gone" (default_profile in [__settings__])');
  });

  it("a named profile with a missing or unreadable file", () => {
    const err = configError(() =>
      resolveConfig({ env: { DATABRICKS_CONFIG_PROFILE: "prod", DATABRICKS_CONFIG_FILE: missing } }),
    );
    expect(err.message).toContain(`Profile "prod" (from env DATABRICKS_CONFIG_PROFILE)`);
    expect(err.message).toContain(`${missing} does not exist`);
    expect(err.message).toContain("DATABRICKS_CONFIG_FILE");

    const unreadable = configFile("[prod]\nhost=x\n");
    chmodSync(unreadable, 0o000);
    // root reads anything; the "cannot be read" branch is then not reachable.
    if (process.getuid?.() !== 0) {
      const err2 = configError(() => resolveConfig({ profile: "prod", configFile: unreadable, env: {} }));
      expect(err2.message).toContain("cannot be read");
    }
    // A directory is unreadable as a file for every user.
    const err3 = configError(() => resolveConfig({ profile: "prod", configFile: dir, env: {} }));
    expect(err3.message).toContain(`${dir} cannot be read`);
  });

  it("an unknown authType", () => {
    const err = configError(
      () => new Databricks({ host: "https://h", token: "t", env: { DATABRICKS_AUTH_TYPE: "kerberos" } }),
    );
    expect(err.message).toContain('Unknown auth type "kerberos" (from env DATABRICKS_AUTH_TYPE)');
    expect(err.message).toContain("pat, oauth-m2m, custom");
  });

  it("an authType whose credentials are missing", () => {
    const err = configError(
      () => new Databricks({ host: "https://h", authType: "pat", clientId: "x", env: {} }),
    );
    expect(err.message).toContain("no token");
    const err2 = configError(() => new Databricks({ host: "https://h", clientId: "sp", env: {} }));
    expect(err2.message).toContain("client id (from options)");
    expect(err2.message).toContain("no client secret");
  });

  it("a host that is not a URL", () => {
    const err = configError(() => resolveConfig({ host: "https://exa mple", token: "t", env: {} }));
    expect(err.message).toContain("(from options) is not a valid URL");
  });
});

describe("host normalisation", () => {
  it.each([
    ["adb-1.2.azuredatabricks.net", "https://adb-1.2.azuredatabricks.net"],
    ["https://x.cloud.databricks.com/", "https://x.cloud.databricks.com"],
    ["https://x.cloud.databricks.com:443", "https://x.cloud.databricks.com"],
    ["https://x.cloud.databricks.com:8443/", "https://x.cloud.databricks.com:8443"],
    ["  HTTPS://X.Cloud.Databricks.com//  ", "https://x.cloud.databricks.com"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["https://gw.example.com/prefix/", "https://gw.example.com/prefix"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });
});

describe("plain http", () => {
  it("is refused for hosts other than loopback", () => {
    const err = configError(() => resolveConfig({ host: "http://ws.example.com", token: "t", env: {} }));
    expect(err.message).toContain("plain http://");
    expect(err.message).toContain("allowInsecureHttp");
  });

  it.each(["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "http://127.1.2.3"])(
    "is allowed for loopback %s",
    (host) => {
      expect(resolveConfig({ host, token: "t", env: {} }).host).toBe(host);
    },
  );

  it("is allowed elsewhere with allowInsecureHttp", () => {
    const c = resolveConfig({ host: "http://ws.internal", token: "t", allowInsecureHttp: true, env: {} });
    expect(c.host).toBe("http://ws.internal");
  });

  it("does not treat look-alike names as loopback", () => {
    for (const host of ["http://localhost.evil.com", "http://127.0.0.1.nip.io"]) {
      expect(() => resolveConfig({ host, token: "t", env: {} })).toThrow(ConfigError);
    }
  });
});
