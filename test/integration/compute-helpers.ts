import { abortReason, type Clock } from "../../src/core/clock.js";
import {
  type ClustersEmulatorExports,
  type Emulator,
  type EmulatorOptions,
  type JobsEmulatorExports,
  startEmulator,
} from "../../src/emulator/index.js";
import { type ClientOptions, Databricks } from "../../src/index.js";

export interface Workspace {
  emu: Emulator;
  db: Databricks;
  jobs: JobsEmulatorExports;
  clusters: ClustersEmulatorExports;
}

/**
 * An emulator on a manual clock and a client whose waits move that clock: a wait of minutes of
 * virtual time takes milliseconds, and every run is deterministic. Notebooks follow their scripts
 * (no local mode), so unscripted ones take the scripted default.
 */
export async function startWorkspace(
  options: EmulatorOptions = {},
  client: Partial<ClientOptions> = {},
): Promise<Workspace> {
  const emu = await startEmulator({ manualClock: true, python: false, ...options });
  const clock: Clock = {
    now: () => emu.clock.now(),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw abortReason(signal);
      emu.clock.advance(ms);
    },
  };
  const db = new Databricks({
    host: emu.url,
    token: emu.token,
    env: {},
    clock,
    random: () => 0.5,
    ...client,
  });
  return {
    emu,
    db,
    jobs: emu.context.service<JobsEmulatorExports>("jobs")!,
    clusters: emu.context.service<ClustersEmulatorExports>("clusters")!,
  };
}

export const b64 = (text: string) => Buffer.from(text).toString("base64");
export const unb64 = (text: string | null | undefined) => Buffer.from(text ?? "", "base64").toString("utf8");

export const CLUSTER = {
  spark_version: "15.4.x-cpu-ml-scala2.12",
  node_type_id: "i3.xlarge",
  num_workers: 1,
};

/** Imports a Python notebook (folders created first). */
export async function notebook(db: Databricks, path: string, source = "print('hello')"): Promise<void> {
  await db.workspace.mkdirs({ path: path.slice(0, path.lastIndexOf("/")) || "/" });
  await db.workspace.import({
    path,
    content: b64(source),
    format: "SOURCE",
    language: "PYTHON",
    overwrite: true,
  });
}
