import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { rejection } from "../helpers.js";

// The official SDK authenticates against the emulator the way it does against a workspace.
describe("official SDK authentication against the emulator", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ oauthClients: { "sp-app": "sp:secret" } });
  });
  afterAll(() => emu.close());

  // Any API call shows whether authentication passed: 401 if not, an API answer otherwise
  // (404 while no clusters service is registered, 400 "does not exist" once it is).
  const probe = (w: WorkspaceClient) => rejection(w.clusters.get({ cluster_id: "no-such-cluster" }));
  const expectApiAnswer = (err: any) => expect([400, 404], String(err)).toContain(err.statusCode);

  it("with a personal access token", async () => {
    const ok = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    expectApiAnswer(await probe(ok));
    const bad = new WorkspaceClient({ host: emu.url, token: "wrong", authType: "pat" });
    const err = await probe(bad);
    expect(err.statusCode).toBe(401);
    expect(err.errorCode).toBe("UNAUTHENTICATED");
  });

  it("with OAuth machine-to-machine: discovery, token, then the call", async () => {
    const ok = new WorkspaceClient({
      host: emu.url,
      clientId: "sp-app",
      clientSecret: "sp:secret",
      authType: "oauth-m2m",
    });
    expectApiAnswer(await probe(ok));
    const bad = new WorkspaceClient({
      host: emu.url,
      clientId: "sp-app",
      clientSecret: "nope",
      authType: "oauth-m2m",
    });
    const err = await probe(bad);
    expect([400, 404]).not.toContain(err.statusCode); // stopped at the token endpoint
    expect(String(err.message)).not.toContain("nope");
  });
});
