// The CLI fails fast on a workspace it cannot reach, and speaks in flags: every message a user
// can act on names --host, --profile, --timeout or --port, never a library option.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";
import { cliWithEnv } from "../cli-helpers.js";

const CLOSED = "http://127.0.0.1:1";
/** The limit the CLI promises for a host that never answers. */
const FAST_MS = 15_000;

async function timedCli(vars: Record<string, string>, args: string[]) {
  const started = performance.now();
  const res = await cliWithEnv(vars, args);
  return { ...res, ms: performance.now() - started };
}

describe("brickml against a workspace it cannot reach", () => {
  let dir: string;
  let specFile: string;
  let silent: Server;
  const sockets: Socket[] = [];
  let silentUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "brickml-cli-fail-"));
    writeFileSync(join(dir, "train.py"), "# Databricks notebook source\n");
    specFile = join(dir, "spec.json");
    writeFileSync(
      specFile,
      JSON.stringify({
        notebook: { path: "/Shared/ff/train", source: "train.py" },
        cluster: { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 },
        model: { name: "main.ff.model" },
        endpoint: { name: "ff" },
      }),
    );
    // Accepts connections and never answers.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it.each([
    ["runs wait 7", ["runs", "wait", "7"]],
    ["deploy --plan", () => ["deploy", specFile, "--plan"]],
  ])("a closed port fails `%s` with exit 4 within 15 s, naming the host and its source", async (_n, args) => {
    const res = await timedCli(
      { DATABRICKS_HOST: CLOSED, DATABRICKS_TOKEN: "t" },
      typeof args === "function" ? args() : args,
    );
    expect(res.code, res.err).toBe(4);
    expect(res.ms).toBeLessThan(FAST_MS);
    expect(res.err).toContain(`cannot reach the workspace at ${CLOSED} (host from env DATABRICKS_HOST)`);
    expect(res.err).toContain("connection refused");
    expect(res.err).toContain("--host");
  });

  it("names --host when the host came from the flag", async () => {
    const res = await timedCli({ DATABRICKS_TOKEN: "t" }, ["runs", "wait", "7", "--host", CLOSED]);
    expect(res.code).toBe(4);
    expect(res.err).toContain("(host from --host)");
  });

  it("a host name that does not resolve fails with exit 4", async () => {
    const res = await timedCli(
      { DATABRICKS_HOST: "https://no-such-workspace.invalid", DATABRICKS_TOKEN: "t" },
      ["endpoints", "status", "x"],
    );
    expect(res.code, res.err).toBe(4);
    expect(res.ms).toBeLessThan(FAST_MS);
    expect(res.err).toContain("https://no-such-workspace.invalid");
  });

  it("a host that accepts connections but never answers fails with exit 4 within 15 s", async () => {
    const res = await timedCli({ DATABRICKS_HOST: silentUrl, DATABRICKS_TOKEN: "t" }, ["runs", "wait", "7"]);
    expect(res.code, res.err).toBe(4);
    expect(res.ms).toBeLessThan(FAST_MS);
    expect(res.err).toContain(`cannot reach the workspace at ${silentUrl}`);
    expect(res.err).toContain("no answer");
  }, 20_000);

  it("without a host, the advice names --host and --profile, not library options", async () => {
    const res = await timedCli({}, ["runs", "wait", "7"]);
    expect(res.code).toBe(4);
    expect(res.err).toContain("Pass --host, set DATABRICKS_HOST");
    expect(res.err).not.toMatch(/\{ (host|profile|token)/);
    const profile = await timedCli({}, ["runs", "wait", "7", "--profile", "prod"]);
    expect(profile.code).toBe(4);
    expect(profile.err).toContain('Profile "prod" (from --profile)');
  });
});

describe("brickml against a workspace that answers", () => {
  let emu: Emulator;
  const env = () => ({ DATABRICKS_HOST: emu.url, DATABRICKS_TOKEN: emu.token });
  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
  });
  afterAll(() => emu.close());

  it("a host written without a scheme that serves plain http: exit 4 saying to write http://", async () => {
    const bare = emu.url.replace(/^http:\/\//, "");
    const res = await timedCli({ DATABRICKS_HOST: bare, DATABRICKS_TOKEN: emu.token }, ["runs", "wait", "7"]);
    expect(res.code, res.err).toBe(4);
    expect(res.ms).toBeLessThan(FAST_MS);
    expect(res.err).toContain("given without a scheme");
    expect(res.err).toContain(`write http://${bare}`);
  });

  it("a wrong token: exit 4 naming the host and where the token came from", async () => {
    const res = await timedCli({ DATABRICKS_HOST: emu.url, DATABRICKS_TOKEN: "wrong" }, [
      "runs",
      "wait",
      "7",
    ]);
    expect(res.code).toBe(4);
    expect(res.err).toContain(`the workspace at ${emu.url} (host from env DATABRICKS_HOST)`);
    expect(res.err).toContain("the token from env DATABRICKS_TOKEN");
    expect(res.err).not.toContain("wrong");
  });

  it("transient errors from a host that answered are retried as usual", async () => {
    // This seed answers the first request with a 503, resets the second connection, then serves.
    emu.faults.set({ rate: 0.8, kinds: ["503", "reset-before"], seed: 2 });
    try {
      const res = await timedCli(env(), ["endpoints", "status", "nope"]);
      expect(res.code, res.err).toBe(5);
      expect(emu.faults.counts()).toMatchObject({ "503": 1, "reset-before": 1 });
    } finally {
      emu.faults.clear();
    }
  });

  it("a run or endpoint that does not exist: exit 5 and its own message", async () => {
    const run = await timedCli(env(), ["runs", "wait", "99999"]);
    expect(run.code).toBe(5);
    expect(run.err).toContain(`run 99999 does not exist in ${emu.url}`);
    const endpoint = await timedCli(env(), ["endpoints", "status", "nope"]);
    expect(endpoint.code).toBe(5);
    expect(endpoint.err).toContain("serving endpoint nope does not exist");
  });

  it("a wait that runs out of time advises --timeout (exit 3)", async () => {
    emu.context
      .service<JobsEmulatorExports>("jobs")!
      .scriptNotebook("/Shared/ff/slow", { durationMs: 60_000 });
    const submitted = await fetch(`${emu.url}/api/2.2/jobs/runs/submit`, {
      method: "POST",
      headers: { Authorization: `Bearer ${emu.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        tasks: [
          {
            task_key: "t",
            notebook_task: { notebook_path: "/Shared/ff/slow" },
            new_cluster: { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 },
          },
        ],
      }),
    });
    const runId = String(((await submitted.json()) as { run_id: number }).run_id);
    const res = await timedCli(env(), ["runs", "wait", runId, "--timeout", "1", "--json"]);
    expect(res.code).toBe(3);
    expect(res.err).toContain(`run ${runId} is still`);
    expect(res.err).toContain("--timeout");
    expect(res.err).not.toContain("{ timeout }");
  });
});

describe("brickml usage mistakes", () => {
  it("an unknown command gets a did-you-mean suggestion", async () => {
    const res = await cliWithEnv({}, ["deplyo", "spec.yaml"]);
    expect(res.code).toBe(2);
    expect(res.err).toContain('unknown command "deplyo spec.yaml". Did you mean `brickml deploy`?');
    const two = await cliWithEnv({}, ["runs", "wiat", "7"]);
    expect(two.err).toContain("Did you mean `brickml runs wait`?");
    const none = await cliWithEnv({}, ["frobnicate"]);
    expect(none.err).not.toContain("Did you mean");
  });

  it("`runs wait abc` names the run id, not an option that does not exist", async () => {
    const res = await cliWithEnv({}, ["runs", "wait", "abc"]);
    expect(res.code).toBe(2);
    expect(res.err).toContain('the run id must be a positive integer, got "abc"');
    expect(res.err).not.toContain("--run-id");
  });

  it("a busy port suggests --port 0", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = String((busy.address() as { port: number }).port);
    try {
      const res = await cliWithEnv({}, ["emulator", "--port", port]);
      expect(res.code).toBe(1);
      expect(res.err).toContain(`port ${port} is already in use`);
      expect(res.err).toContain("--port 0");
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
