import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import type { Command } from "../../src/cli/command.js";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { main } from "../../src/cli/main.js";
import { loadSnapshot } from "../../src/emulator/persistence.js";
import { Databricks } from "../../src/index.js";
import { rejection } from "../helpers.js";

const ROOT = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "brickml-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in this process with captured output. */
async function run(...args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: "", err: "" };
  out.on("data", (c) => (chunks.out += c));
  err.on("data", (c) => (chunks.err += c));
  const code = await main(args, { stdout: out, stderr: err, env: {} }, COMMANDS);
  return { code, stdout: chunks.out, stderr: chunks.err };
}

/** Starts `brickml …` as its own process (through tsx, from the sources). */
function spawnCli(...args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["--import", "tsx", "src/cli/index.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env },
  });
}

function readUntil(child: ChildProcessWithoutNullStreams, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    let errors = "";
    child.stderr.on("data", (c) => (errors += c));
    child.stdout.on("data", (c) => {
      text += c;
      if (text.includes(marker)) resolve(text);
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code} before "${marker}": ${text}${errors}`)));
  });
}

function exit(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string }> {
  let stdout = "";
  child.stdout.on("data", (c) => (stdout += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout })));
}

describe("brickml (in process)", () => {
  it("lists the commands on --help", async () => {
    const res = await run("--help");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Usage: brickml <command> [options]");
    expect(res.stdout).toMatch(/emulator\s+Start a local Databricks workspace emulator/);
  });

  it("without a command prints the usage and exits 2", async () => {
    const res = await run();
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("Usage: brickml <command>");
  });

  it("prints the version", async () => {
    expect((await run("--version")).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("prints a command's options on <command> --help", async () => {
    const res = await run("emulator", "--help");
    expect(res.code).toBe(0);
    for (const option of [
      "--port",
      "--token",
      "--time-scale",
      "--idle-time-scale",
      "--idle-floor-seconds",
      "--faults",
      "--data",
      "--seed",
    ]) {
      expect(res.stdout).toContain(option);
    }
  });

  it.each([
    [["emulator", "--port", "abc"], "--port must be an integer from 0 to 65535"],
    [["emulator", "--port", "70000"], "--port must be an integer"],
    [["emulator", "--time-scale", "0"], "--time-scale must be a number above 0"],
    [["emulator", "--idle-time-scale", "0"], "--idle-time-scale must be a number above 0"],
    [["emulator", "--idle-floor-seconds=-1"], "--idle-floor-seconds must be a number"],
    [["emulator", "--faults", "1.5"], "--faults must be a number from 0 to 1"],
    [["emulator", "--seed", "x"], "--seed must be an integer"],
    [["emulator", "--fault-kinds", "429,teapot", "--faults", "0.1"], "unknown kind teapot"],
    [["emulator", "--fault-kinds", "429"], "--fault-kinds needs --faults"],
    [["emulator", "--bogus"], "Unknown option '--bogus'"],
    [["emulator", "extra"], "Unexpected argument 'extra'"],
  ])("%j is a usage error (exit 2)", async (args, message) => {
    const res = await run(...args);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
    expect(res.stderr).toContain("brickml emulator --help");
  });
});

describe("commands of more than one word", () => {
  const calls: string[][] = [];
  const fake = (name: string): Command => ({
    name,
    summary: `the ${name} command`,
    usage: "",
    run: async (args) => {
      calls.push([name, ...args]);
      return 0;
    },
  });
  const commands = [fake("runs"), fake("runs wait"), fake("endpoints status")];
  const io = () => ({ stdout: new PassThrough(), stderr: new PassThrough(), env: {} });

  it("dispatch to the longest matching name, passing the rest", async () => {
    expect(await main(["runs", "wait", "123", "--timeout", "60"], io(), commands)).toBe(0);
    expect(await main(["runs", "list"], io(), commands)).toBe(0);
    expect(await main(["endpoints", "status", "churn"], io(), commands)).toBe(0);
    expect(calls).toEqual([
      ["runs wait", "123", "--timeout", "60"],
      ["runs", "list"],
      ["endpoints status", "churn"],
    ]);
    expect(await main(["endpoints", "delete"], io(), commands)).toBe(2);
  });
});

describe("brickml emulator (a real process)", () => {
  it("starts, prints URL, token and an export line, serves requests, and stops on SIGTERM", async () => {
    const data = join(dir, "state.json");
    const child = spawnCli("emulator", "--port", "0", "--token", "cli-token", "--data", data, "--seed", "5");
    const banner = await readUntil(child, "Press Ctrl+C to stop.");
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
    expect(url).toBeDefined();
    expect(banner).toContain("token: cli-token");
    expect(banner).toContain(`export DATABRICKS_HOST=${url} DATABRICKS_TOKEN=cli-token`);

    const db = new Databricks({ host: url!, token: "cli-token", env: {} });
    const err = await rejection(db.request({ method: "GET", path: "/api/2.0/none" }));
    expect(err.errorCode).toBe("ENDPOINT_NOT_FOUND"); // authenticated, answered by the emulator

    const done = exit(child);
    child.kill("SIGTERM");
    const { code, stdout } = await done;
    expect(code).toBe(0);
    expect(stdout).toContain("Stopped (SIGTERM).");
    expect(loadSnapshot(data)?.version).toBe(1);
  });

  it("stops on SIGINT too", async () => {
    const child = spawnCli("emulator", "--port", "0");
    const banner = await readUntil(child, "Press Ctrl+C to stop.");
    expect(banner).toMatch(/token: dapi-emulator-[0-9a-f]+/);
    const done = exit(child);
    child.kill("SIGINT");
    expect((await done).code).toBe(0);
  });

  it("an unknown command exits with code 2", async () => {
    const child = spawnCli("deploy-everything");
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    const { code } = await exit(child);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "deploy-everything"');
  });
});
