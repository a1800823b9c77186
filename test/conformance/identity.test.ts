import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks, requestIdOf } from "../../src/index.js";

/** One token, one user: the official SDK's `currentUser.me()` and every service name the same one. */
describe("official SDK: who am I", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  let db: Databricks;

  beforeAll(async () => {
    emu = await startEmulator();
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
  });
  afterAll(() => emu.close());

  it("currentUser.me answers in SCIM's shape, and brickml reads the same user", async () => {
    const me = await w.currentUser.me();
    expect(me.userName).toMatch(/@/);
    expect(me.id).toMatch(/^\d+$/);
    expect(me.active).toBe(true);
    expect(me.emails?.[0]?.value).toBe(me.userName);
    expect(me.schemas).toContain("urn:ietf:params:scim:schemas:core:2.0:User");
    const ours = await db.currentUser.me();
    expect(ours.userName).toBe(me.userName);
    expect(ours.id).toBe(me.id);
    expect(requestIdOf(ours)).toMatch(/^emu-/);
  });

  it("every service reports that user as the creator", async () => {
    const { userName } = await w.currentUser.me();
    const cluster = await w.clusters.create({
      cluster_name: "who",
      spark_version: "15.4.x-scala2.12",
      node_type_id: "i3.xlarge",
      num_workers: 0,
    });
    expect((await w.clusters.get({ cluster_id: cluster.cluster_id! })).creator_user_name).toBe(userName);
    const job = await w.jobs.create({ name: "who" });
    expect((await w.jobs.get({ job_id: job.job_id! })).creator_user_name).toBe(userName);
    const { experiment_id } = await w.experiments.createExperiment({ name: "/Shared/who" });
    const { run } = await w.experiments.createRun({ experiment_id });
    expect(run?.info?.user_id).toBe(userName);
    const endpoint = await w.servingEndpoints.create({
      name: "who",
      config: {
        name: "who",
        served_entities: [
          { external_model: { name: "gpt", provider: "openai", task: "llm/v1/chat" } } as never,
        ],
      },
    });
    expect(endpoint.creator).toBe(userName);
    const perms = await w.servingEndpoints.getPermissions({ serving_endpoint_id: String(endpoint.id) });
    expect(perms.access_control_list?.map((a) => a.user_name)).toContain(userName);
  });
});
