import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLUSTER, notebook, startWorkspace } from "./compute-helpers.js";

describe("compute state in the data file", () => {
  const dir = mkdtempSync(join(tmpdir(), "brickml-compute-data-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps clusters, notebooks and a run in progress across a restart", async () => {
    const dataFile = join(dir, "workspace.json");
    const first = await startWorkspace({ dataFile });
    await notebook(
      first.db,
      "/Shared/persist/nb",
      '# brickml-emulator: {"durationMs": 600000, "exitValue": "kept"}',
    );
    const cluster = await first.db.clusters.createAndWait({ ...CLUSTER, cluster_name: "kept" });
    const { run_id } = await first.db.jobs.submit({
      tasks: [
        {
          task_key: "t",
          notebook_task: { notebook_path: "/Shared/persist/nb" },
          existing_cluster_id: cluster.cluster_id!,
        },
      ],
    });
    first.emu.clock.advance(60_000);
    expect((await first.db.jobs.getRun({ run_id })).state?.life_cycle_state).toBe("RUNNING");
    await first.emu.close();

    const second = await startWorkspace({ dataFile, token: first.emu.token });
    try {
      const run = await second.db.jobs.waitUntilRunTerminated({ run_id });
      const output = await second.db.jobs.getRunOutput({ run_id: run.tasks![0]!.run_id! });
      expect(output.notebook_output?.result).toBe("kept");
      expect((await second.db.clusters.get({ cluster_id: cluster.cluster_id! })).cluster_name).toBe("kept");
    } finally {
      await second.emu.close();
    }
  });
});
