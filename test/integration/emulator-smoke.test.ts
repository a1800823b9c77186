import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks, isUnauthenticated } from "../../src/index.js";
import { rejection } from "../helpers.js";

describe("emulator foundation", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());

  it("rejects a wrong token with the real 401 body", async () => {
    const db = new Databricks({ host: emu.url, token: "wrong", env: {} });
    const err = await rejection(db.request({ method: "GET", path: "/api/2.1/clusters/list" }));
    expect(isUnauthenticated(err)).toBe(true);
    expect(err.message).toContain("does not have valid authentication");
    const err2 = await rejection(db.request({ method: "POST", path: "/oidc/v1/token" }));
    expect(err2.statusCode).toBe(401);
  });

  it("answers unknown paths with ENDPOINT_NOT_FOUND", async () => {
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const err = await rejection(db.request({ method: "GET", path: "/api/2.0/nope" }));
    expect(err.errorCode).toBe("ENDPOINT_NOT_FOUND");
    expect(isUnauthenticated(err)).toBe(false);
  });

  it("issues OAuth tokens to configured clients", async () => {
    const e2 = await startEmulator({ oauthClients: { sp: "s3cret" } });
    try {
      const db = new Databricks({ host: e2.url, clientId: "sp", clientSecret: "s3cret", env: {} });
      const err = await rejection(db.request({ method: "GET", path: "/api/2.0/nope" }));
      expect(err.errorCode).toBe("ENDPOINT_NOT_FOUND");
      const bad = new Databricks({ host: e2.url, clientId: "sp", clientSecret: "wrong", env: {} });
      const err2 = await rejection(bad.request({ method: "GET", path: "/api/2.0/nope" }));
      expect(isUnauthenticated(err2)).toBe(true);
      expect(String(err2.message)).not.toContain("wrong");
    } finally {
      await e2.close();
    }
  });
});
