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

interface Ack {
  name: string;
  /** The tag value last acknowledged for this experiment. */
  tag?: string;
}

async function call(emu: EmulatorProcess, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${emu.url}/api/2.0/mlflow/${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${emu.token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Every active experiment the emulator lists, by name. */
async function experiments(emu: EmulatorProcess): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  let page_token: string | undefined;
  do {
    const page = await call(emu, "experiments/search", { max_results: 3000, page_token });
    for (const e of page.experiments ?? []) {
      if (out.has(e.name)) throw new Error(`experiment name ${e.name} listed twice`);
      out.set(e.name, e);
    }
    page_token = page.next_page_token;
  } while (page_token);
  return out;
}

export async function killAndRestart(options: DurabilityOptions): Promise<DurabilityReport> {
  const acks = new Map<string, Ack>();
  const report: DurabilityReport = {
    cycles: 0,
    acknowledged: 0,
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
      for (let i = 0; !dead; i++) {
        const name = `/Shared/durability/c${cycle}-w${w}-${i}`;
        try {
          const { experiment_id } = await call(emu, "experiments/create", { name });
          acks.set(name, { name });
          report.acknowledged++;
          const value = `v${i}`;
          await call(emu, "experiments/set-experiment-tag", { experiment_id, key: "k", value });
          acks.get(name)!.tag = value;
          report.acknowledged++;
        } catch {
          if (!dead) report.problems.push(`a write failed while the emulator was up (cycle ${cycle})`);
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
    const found = await experiments(emu);
    for (const ack of acks.values()) {
      const e = found.get(ack.name);
      if (!e) report.lost.push(ack.name);
      else if (ack.tag !== undefined && e.tags?.find((t: any) => t.key === "k")?.value !== ack.tag)
        report.lost.push(`${ack.name} tag k=${ack.tag}`);
    }
    const ids = [...found.values()].map((e) => e.experiment_id);
    if (new Set(ids).size !== ids.length) report.problems.push("two experiments share an id");
    // A new write after all the kills works and gets a fresh id.
    const { experiment_id } = await call(emu, "experiments/create", { name: "/Shared/durability/after" });
    if (ids.includes(experiment_id)) report.problems.push(`a new experiment reused id ${experiment_id}`);
  } catch (e) {
    report.problems.push((e as Error).message);
  } finally {
    await emu.stop();
  }
  report.leftoverTempFiles = tempFiles();
  return report;
}
