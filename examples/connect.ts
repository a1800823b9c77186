import { Databricks } from "brickml";

export interface Connection {
  db: Databricks;
  /** True when talking to the embedded emulator rather than a real workspace. */
  emulated: boolean;
  /** True when notebooks run for real: a real workspace, or the emulator in local mode. */
  executes: boolean;
  /** How the emulator runs notebooks (its local mode), when emulated. */
  localMode?: { python: string | undefined; reason: string };
  close(): Promise<void>;
}

/**
 * A real workspace when DATABRICKS_HOST is set (credentials from the usual variables or
 * ~/.databrickscfg); otherwise an emulated workspace started in this process.
 */
export async function connect(): Promise<Connection> {
  if (process.env.DATABRICKS_HOST) {
    return { db: new Databricks(), emulated: false, executes: true, close: async () => {} };
  }
  const { startEmulator } = await import("brickml/emulator");
  const emu = await startEmulator();
  return {
    db: new Databricks({ host: emu.url, token: emu.token }),
    emulated: true,
    executes: emu.localMode.python !== undefined,
    localMode: emu.localMode,
    close: () => emu.close(),
  };
}

/** Runs an example's `main` when the file is executed directly (`npx tsx examples/<file>.ts`). */
export async function runIfMain(
  url: string,
  main: (db: Databricks, log: (line: string) => void, options: { executes: boolean }) => Promise<unknown>,
): Promise<void> {
  if (url !== `file://${process.argv[1]}`) return;
  const conn = await connect();
  try {
    console.log(await main(conn.db, console.log, { executes: conn.executes }));
  } finally {
    await conn.close();
  }
}

/** A small cluster for examples: the ML runtime on one worker. */
export const exampleCluster = {
  spark_version: "15.4.x-cpu-ml-scala2.12",
  node_type_id: "i3.xlarge",
  num_workers: 1,
};

/** Rows shaped like the churn model's features. */
export const exampleRows = [
  { tenure_months: 2, monthly_charges: 89.5, support_calls: 4 },
  { tenure_months: 48, monthly_charges: 35.0, support_calls: 0 },
  { tenure_months: 12, monthly_charges: 70.2, support_calls: 2 },
];
