import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";

/** The official Databricks JavaScript SDK against the emulated Workspace API. */
describe("official SDK against the workspace service", () => {
  let emu: Emulator;
  let w: WorkspaceClient;

  beforeAll(async () => {
    emu = await startEmulator();
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
  });
  afterAll(() => emu.close());

  it("imports, reads the status of, lists and exports workspace objects", async () => {
    await w.workspace.mkdirs({ path: "/Shared/sdk-ws" });
    await w.workspace.import({
      path: "/Shared/sdk-ws/nb",
      format: "SOURCE",
      language: "SQL",
      content: Buffer.from("SELECT 1").toString("base64"),
      overwrite: true,
    });
    const status = await w.workspace.getStatus({ path: "/Shared/sdk-ws/nb" });
    expect(status).toMatchObject({ object_type: "NOTEBOOK", language: "SQL" });
    const listed: string[] = [];
    for await (const o of w.workspace.list({ path: "/Shared/sdk-ws" })) listed.push(o.path!);
    expect(listed).toEqual(["/Shared/sdk-ws/nb"]);
    const empty: unknown[] = [];
    await w.workspace.mkdirs({ path: "/Shared/sdk-ws/empty" });
    for await (const o of w.workspace.list({ path: "/Shared/sdk-ws/empty" })) empty.push(o);
    expect(empty).toEqual([]);
    const exported = await w.workspace.export({ path: "/Shared/sdk-ws/nb", format: "SOURCE" });
    expect(Buffer.from(exported.content!, "base64").toString()).toBe(
      "-- Databricks notebook source\nSELECT 1",
    );
  });

  it("sees the real error for a missing path", async () => {
    await expect(w.workspace.getStatus({ path: "/Shared/none" })).rejects.toMatchObject({
      errorCode: "RESOURCE_DOES_NOT_EXIST",
      message: "Path (/Shared/none) doesn't exist.",
    });
  });
});
