// Emulator durability: drive writes into `brickml emulator --data FILE`, SIGKILL it mid-write,
// restart it on the same file, and check that every acknowledged write is there.
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname } from "node:path";
import { loadSnapshot } from "../../src/emulator/persistence.js";
import { type EmulatorProcess, type SpawnOptions, spawnEmulator } from "../emulator-process.js";

export interface DurabilityOptions extends SpawnOptions {
  dataFile: string;
  /** Kill/restart cycles. */
  cycles: number;
  /** Concurrent writers. */
  writers: number;
  /** Each cycle runs writes for a random time in this range (ms) before the kill. */
  killAfterMs: [number, number];
}

export interface DurabilityReport {
  cycles: number;
  /** Writes that got a 2xx before the kill (creates + updates). */
  acknowledged: number;
  /** Acknowledged creates of each kind (experiments, runs, models, endpoints). */
  created: Record<keyof Acks, number>;
  /** Writes sent but unanswered when the process died (either outcome is fine). */
  unanswered: number;
  /** Acknowledged writes not found after a restart: must be empty. */
  lost: string[];
  /** Anything else inconsistent (a file that does not load, duplicates, …): must be empty. */
  problems: string[];
  /** Kills that landed during a save (they leave a temporary file next to the data file). */
  killsDuringSave: number;
  /** Temporary files still there after the final restart and stop: must be 0. */
  leftoverTempFiles: number;
}

/** What the emulator acknowledged, by kind; each must be there, unchanged, after every restart. */
interface Acks {
  /** Experiment name → the tag value last acknowledged (undefined: created, not tagged yet). */
  experiments: Map<string, string | undefined>;
  /** MLflow run id → its experiment and the metric values acknowledged, in order. */
  runs: Map<string, { experiment_id: string; values: number[] }>;
  /** Unity Catalog model full name → its id, and the id of each acknowledged version by number. */
  models: Map<string, { id: string; versions: Map<string, string> }>;
  /** Serving endpoint name → its id. */
  endpoints: Map<string, string>;
}

async function call(emu: EmulatorProcess, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${emu.token}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const mlflow = (emu: EmulatorProcess, path: string, body: unknown) =>
  call(emu, "POST", `/api/2.0/mlflow/${path}`, body);

/** Every active experiment the emulator lists, by name. */
async function experiments(emu: EmulatorProcess): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  let page_token: string | undefined;
  do {
    const page = await mlflow(emu, "experiments/search", { max_results: 3000, page_token });
    for (const e of page.experiments ?? []) {
      if (out.has(e.name)) throw new Error(`experiment name ${e.name} listed twice`);
      out.set(e.name, e);
    }
    page_token = page.next_page_token;
  } while (page_token);
  return out;
}

/** An id handed out twice by acknowledged creates: a collision, the bug this test exists for. */
function claim(ids: Map<string, string>, id: string, owner: string, problems: string[]): void {
  const other = ids.get(id);
  if (other !== undefined && other !== owner) problems.push(`id ${id} given to both ${other} and ${owner}`);
  ids.set(id, owner);
}

/**
 * One writer's next write, cycling through the kinds: an experiment and its tag; a run and a
 * metric point in the writer's experiment; a registered model and a version; a serving endpoint.
 */
async function write(
  emu: EmulatorProcess,
  acks: Acks,
  ids: Map<string, string>,
  problems: string[],
  prefix: string,
  i: number,
  home: { experiment_id?: string },
): Promise<number> {
  const name = `${prefix}-${i}`;
  switch (i % 4) {
    case 0: {
      const exp = `/Shared/durability/${name}`;
      const { experiment_id } = await mlflow(emu, "experiments/create", { name: exp });
      acks.experiments.set(exp, undefined);
      claim(ids, `experiment:${experiment_id}`, exp, problems);
      home.experiment_id ??= experiment_id;
      await mlflow(emu, "experiments/set-experiment-tag", { experiment_id, key: "k", value: `v${i}` });
      acks.experiments.set(exp, `v${i}`);
      return 2;
    }
    case 1: {
      if (!home.experiment_id) return 0;
      const { run } = await mlflow(emu, "runs/create", { experiment_id: home.experiment_id, start_time: i });
      const run_id: string = run.info.run_id;
      claim(ids, `run:${run_id}`, name, problems);
      const ack = { experiment_id: home.experiment_id, values: [] as number[] };
      acks.runs.set(run_id, ack);
      for (const step of [0, 1]) {
        await mlflow(emu, "runs/log-metric", { run_id, key: "loss", value: i + step, timestamp: i, step });
        ack.values.push(i + step);
      }
      return 3;
    }
    case 2: {
      const model = `m_${name.replace(/\W/g, "_")}`;
      const created = await call(emu, "POST", "/api/2.1/unity-catalog/models", {
        catalog_name: "main",
        schema_name: "durability",
        name: model,
      });
      claim(ids, `model:${created.id}`, created.full_name, problems);
      const ack = { id: created.id as string, versions: new Map<string, string>() };
      acks.models.set(created.full_name, ack);
      const { model_version } = await mlflow(emu, "unity-catalog/model-versions/create", {
        name: created.full_name,
        source: `dbfs:/durability/${name}`,
      });
      claim(
        ids,
        `version:${model_version.id ?? `${created.full_name}/${model_version.version}`}`,
        name,
        problems,
      );
      ack.versions.set(String(model_version.version), String(model_version.id ?? ""));
      return 2;
    }
    default: {
      const created = await call(emu, "POST", "/api/2.0/serving-endpoints", {
        name,
        config: {
          served_entities: [
            { name: "chat", external_model: { name: "gpt", provider: "openai", task: "llm/v1/chat" } },
          ],
        },
      });
      claim(ids, `endpoint:${created.id}`, name, problems);
      acks.endpoints.set(name, created.id);
      return 1;
    }
  }
}

/** Checks every acknowledged write against the restarted emulator. */
async function verify(emu: EmulatorProcess, acks: Acks, report: DurabilityReport): Promise<void> {
  const found = await experiments(emu);
  for (const [name, tag] of acks.experiments) {
    const e = found.get(name);
    if (!e) report.lost.push(name);
    else if (tag !== undefined && e.tags?.find((t: any) => t.key === "k")?.value !== tag)
      report.lost.push(`${name} tag k=${tag}`);
  }
  const experimentIds = [...found.values()].map((e) => e.experiment_id);
  if (new Set(experimentIds).size !== experimentIds.length)
    report.problems.push("two experiments share an id");
  for (const [run_id, ack] of acks.runs) {
    const got = await call(emu, "GET", `/api/2.0/mlflow/runs/get?run_id=${run_id}`).catch(() => undefined);
    if (!got) {
      report.lost.push(`run ${run_id}`);
      continue;
    }
    if (got.run.info.experiment_id !== ack.experiment_id) report.lost.push(`run ${run_id} experiment`);
    const history = await call(
      emu,
      "GET",
      `/api/2.0/mlflow/metrics/get-history?run_id=${run_id}&metric_key=loss`,
    );
    const values: number[] = (history.metrics ?? []).map((m: any) => m.value);
    // Every acknowledged point, in order; one more may be there (sent, applied, unanswered at the kill).
    const kept = values.slice(0, ack.values.length);
    if (JSON.stringify(kept) !== JSON.stringify(ack.values) || values.length > ack.values.length + 1) {
      report.lost.push(
        `run ${run_id} metrics ${JSON.stringify(ack.values)}, found ${JSON.stringify(values)}`,
      );
    }
  }
  for (const [full, ack] of acks.models) {
    const got = await call(emu, "GET", `/api/2.1/unity-catalog/models/${full}`).catch(() => undefined);
    if (got?.id !== ack.id) {
      report.lost.push(`model ${full}`);
      continue;
    }
    for (const [n, id] of ack.versions) {
      const v = await call(emu, "GET", `/api/2.1/unity-catalog/models/${full}/versions/${n}`).catch(
        () => undefined,
      );
      if (!v || (id && v.id !== id)) report.lost.push(`model version ${full}/${n}`);
    }
  }
  for (const [name, id] of acks.endpoints) {
    const got = await call(emu, "GET", `/api/2.0/serving-endpoints/${name}`).catch(() => undefined);
    if (got?.id !== id) report.lost.push(`endpoint ${name}`);
  }
}

export async function killAndRestart(options: DurabilityOptions): Promise<DurabilityReport> {
  const acks: Acks = { experiments: new Map(), runs: new Map(), models: new Map(), endpoints: new Map() };
  // Every id an acknowledged create returned, with what it was given to.
  const ids = new Map<string, string>();
  const report: DurabilityReport = {
    cycles: 0,
    acknowledged: 0,
    created: { experiments: 0, runs: 0, models: 0, endpoints: 0 },
    unanswered: 0,
    lost: [],
    problems: [],
    killsDuringSave: 0,
    leftoverTempFiles: 0,
  };
  const tempFiles = () => {
    const dir = dirname(options.dataFile);
    if (!existsSync(dir)) return 0;
    const prefix = `${basename(options.dataFile)}.`;
    return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith(".tmp")).length;
  };
  const spawn = () => spawnEmulator(["--data", options.dataFile, "--no-python"], options);

  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const emu = await spawn();
    let dead = false;
    const writer = async (w: number) => {
      const home: { experiment_id?: string } = {};
      for (let i = 0; !dead; i++) {
        try {
          report.acknowledged += await write(emu, acks, ids, report.problems, `c${cycle}-w${w}`, i, home);
        } catch (e) {
          if (!dead) report.problems.push(`a write failed while the emulator was up (cycle ${cycle}): ${e}`);
          report.unanswered++;
          return;
        }
      }
    };
    const writing = Array.from({ length: options.writers }, (_, w) => writer(w));
    const [lo, hi] = options.killAfterMs;
    await new Promise((r) => setTimeout(r, lo + Math.random() * (hi - lo)));
    // Mark the kill first: writes failing from here on are the kill's doing.
    dead = true;
    await emu.stop("SIGKILL");
    await Promise.all(writing);
    report.cycles++;
    report.killsDuringSave += tempFiles();
  }

  // One last restart on the same file: everything acknowledged must be there, exactly once.
  try {
    loadSnapshot(options.dataFile);
  } catch (e) {
    report.problems.push(`the data file does not load: ${(e as Error).message}`);
  }
  const emu = await spawn();
  try {
    await verify(emu, acks, report);
    // New writes after all the kills work and get fresh ids.
    const fresh = { experiment_id: undefined as string | undefined };
    for (let i = 0; i < 4; i++) {
      report.acknowledged += await write(emu, acks, ids, report.problems, "after", i, fresh);
    }
  } catch (e) {
    report.problems.push((e as Error).message);
  } finally {
    await emu.stop();
  }
  report.leftoverTempFiles = tempFiles();
  for (const kind of Object.keys(acks) as Array<keyof Acks>) report.created[kind] = acks[kind].size;
  return report;
}
