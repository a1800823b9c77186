import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { STARTER_WAREHOUSE_ID } from "../../src/emulator/services/warehouses.js";

describe("official SDK against the emulated SQL warehouse", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  beforeAll(async () => {
    // The official waiter polls every second or more; at 60× the starter warehouse's 10-minute
    // auto-stop is 10 real seconds away, so a poll never finds it stopped again.
    emu = await startEmulator({ timeScale: 60 });
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
  });
  afterAll(() => emu.close());

  it("lists, starts (and waits), gets and stops warehouses", async () => {
    const ids: string[] = [];
    for await (const wh of w.warehouses.list({})) ids.push(wh.id!);
    expect(ids).toContain(STARTER_WAREHOUSE_ID);
    const waiter = await w.warehouses.start({ id: STARTER_WAREHOUSE_ID });
    const running = await waiter.wait();
    expect(running.state).toBe("RUNNING");
    const got = await w.warehouses.get({ id: STARTER_WAREHOUSE_ID });
    expect(got.odbc_params?.path).toContain(STARTER_WAREHOUSE_ID);
    await w.warehouses.stop({ id: STARTER_WAREHOUSE_ID });
    expect(["STOPPING", "STOPPED"]).toContain((await w.warehouses.get({ id: STARTER_WAREHOUSE_ID })).state);
  });

  it("executes statements, polls, reads chunks and cancels", async () => {
    const res = await w.statementExecution.executeStatement({
      statement: "SELECT 1 AS a UNION ALL SELECT 2",
      warehouse_id: STARTER_WAREHOUSE_ID,
      wait_timeout: "30s",
    });
    expect(res.status?.state).toBe("SUCCEEDED");
    expect(res.manifest?.schema?.columns?.[0]?.type_name).toBe("INT");
    expect(res.result?.data_array).toEqual([["1"], ["2"]]);
    const again = await w.statementExecution.getStatement({ statement_id: res.statement_id! });
    expect(again.status?.state).toBe("SUCCEEDED");
    const chunk = await w.statementExecution.getStatementResultChunkN({
      statement_id: res.statement_id!,
      chunk_index: 0,
    });
    expect(chunk.data_array).toEqual([["1"], ["2"]]);

    const slow = await w.statementExecution.executeStatement({
      statement: '-- brickml-emulator: {"durationMs": 3600000}\nSELECT 1',
      warehouse_id: STARTER_WAREHOUSE_ID,
      wait_timeout: "0s",
    });
    expect(["PENDING", "RUNNING"]).toContain(slow.status?.state);
    await w.statementExecution.cancelExecution({ statement_id: slow.statement_id! });
    expect(
      (await w.statementExecution.getStatement({ statement_id: slow.statement_id! })).status?.state,
    ).toBe("CANCELED");

    const failed = await w.statementExecution.executeStatement({
      statement: "SELECT * FROM main.x.missing",
      warehouse_id: STARTER_WAREHOUSE_ID,
    });
    expect(failed.status?.state).toBe("FAILED");
    expect(failed.status?.error?.message).toContain("TABLE_OR_VIEW_NOT_FOUND");
  });
});
