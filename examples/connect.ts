import { Databricks } from "../src/index.js";

export interface Connection {
  db: Databricks;
  /** True when talking to the embedded emulator rather than a real workspace. */
  emulated: boolean;
  close(): Promise<void>;
}

/**
 * A real workspace when DATABRICKS_HOST is set (credentials from the usual variables or
 * ~/.databrickscfg); otherwise an emulated workspace started in this process.
 */
export async function connect(): Promise<Connection> {
  if (process.env.DATABRICKS_HOST) {
    return { db: new Databricks(), emulated: false, close: async () => {} };
  }
  const { startEmulator } = await import("../src/emulator/index.js");
  const emu = await startEmulator();
  return {
    db: new Databricks({ host: emu.url, token: emu.token }),
    emulated: true,
    close: () => emu.close(),
  };
}

/** Runs an example's `main` when the file is executed directly (`npx tsx examples/<file>.ts`). */
export async function runIfMain(url: string, main: (db: Databricks) => Promise<unknown>): Promise<void> {
  if (url !== `file://${process.argv[1]}`) return;
  const conn = await connect();
  try {
    console.log(await main(conn.db));
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
