import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const DIST = join(ROOT, "dist");

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Runs a script in a fresh Node.js process and returns its stdout (throws with stderr on failure). */
function node(args: string[], script: string): string {
  const res = spawnSync(process.execPath, [...args, "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  if (res.status !== 0) throw new Error(`node exited with ${res.status}: ${res.stderr}`);
  return res.stdout;
}

// An ESM resolve hook that makes the optional packages unloadable: importing brickml must still
// work, and only the functions that need them may fail.
const BLOCK_ESM = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  if (/^(apache-arrow|@databricks\\\\/sql)(\\\\/|$)/.test(specifier)) throw new Error("blocked " + specifier);
  return next(specifier, context);
}\`));
`)}`;

// The same for CommonJS require (the emulator resolves @duckdb/node-api with require).
const BLOCK_CJS = `data:text/javascript,${encodeURIComponent(`
import Module from "node:module";
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@duckdb/node-api") throw Object.assign(new Error("Cannot find module '@duckdb/node-api'"), { code: "MODULE_NOT_FOUND" });
  return resolve.call(this, request, ...rest);
};
`)}`;

describe("optional dependencies are loaded only when used", () => {
  beforeAll(() => {
    const built = join(DIST, "index.js");
    if (!existsSync(built) || statSync(built).mtimeMs < newest(join(ROOT, "src"))) {
      execFileSync("npx", ["tsup"], { cwd: ROOT, stdio: "ignore" });
    }
  }, 120_000);

  it("importing brickml (ESM) loads neither apache-arrow nor @databricks/sql", () => {
    const out = node(
      ["--import", BLOCK_ESM],
      `
      const b = await import(${JSON.stringify(join(DIST, "index.js"))});
      const payload = b.toDataframeSplit([{ a: 1 }]);
      let arrowError = "";
      try { await b.toArrowTable([{ a: 1 }]); } catch (e) { arrowError = e.message; }
      console.log(JSON.stringify({ ok: typeof b.Databricks, payload, arrowError }));
      `,
    );
    const result = JSON.parse(out);
    expect(result.ok).toBe("function");
    expect(result.payload).toEqual({ dataframe_split: { columns: ["a"], data: [[1]] } });
    // The hook works: the first function that needs Arrow is the first to load it, and says how
    // to install the optional package.
    expect(result.arrowError).toContain("blocked apache-arrow");
    expect(result.arrowError).toContain("npm install apache-arrow");
  });

  it("requiring brickml (CommonJS) loads none of apache-arrow, @databricks/sql, @opentelemetry/api", () => {
    const out = node(
      [],
      `
      import { createRequire } from "node:module";
      const require = createRequire(${JSON.stringify(join(ROOT, "package.json"))});
      const b = require(${JSON.stringify(join(DIST, "index.cjs"))});
      const db = new b.Databricks({ host: "https://example.cloud.databricks.com", token: "t", env: {} });
      void db.statements; void db.warehouses;
      console.log(JSON.stringify(Object.keys(require.cache)));
      `,
    );
    const loaded: string[] = JSON.parse(out);
    expect(loaded.some((p) => p.includes(join("dist", "index.cjs")))).toBe(true);
    expect(
      loaded.filter((p) => /apache-arrow|@databricks[\\/]sql|@duckdb[\\/]node-api|@opentelemetry/.test(p)),
    ).toEqual([]);
  });

  // A call and a wait against the emulator, then which OpenTelemetry modules Node has loaded.
  const CALL_AND_WAIT = `
      import { createRequire } from "node:module";
      const require = createRequire(${JSON.stringify(join(ROOT, "package.json"))});
      const otel = () => Object.keys(require.cache).filter((p) => /@opentelemetry/.test(p)).length;
      const b = await import(${JSON.stringify(join(DIST, "index.js"))});
      const { startEmulator } = await import(${JSON.stringify(join(DIST, "emulator", "index.js"))});
      const afterImport = otel();
      const emu = await startEmulator({ timeScale: 5000 });
      const db = new b.Databricks({ host: emu.url, token: emu.token, env: {} });
      const cluster = await db.clusters.createAndWait(
        { cluster_name: "otel", spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 0 },
      );
      await emu.close();
      console.log(JSON.stringify({ afterImport, afterCalls: otel(), state: cluster.state }));
  `;

  it("@opentelemetry/api is not loaded by import, only by the first call, when it is installed", () => {
    const result = JSON.parse(node([], CALL_AND_WAIT));
    expect(result.afterImport).toBe(0);
    expect(result.afterCalls).toBeGreaterThan(0);
    expect(result.state).toBe("RUNNING");
  });

  it("without @opentelemetry/api, calls and waits work and nothing is traced", () => {
    const block = `data:text/javascript,${encodeURIComponent(`
import Module from "node:module";
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request.startsWith("@opentelemetry/")) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: "MODULE_NOT_FOUND" });
  return resolve.call(this, request, ...rest);
};
`)}`;
    const result = JSON.parse(node(["--import", block], CALL_AND_WAIT));
    expect(result).toEqual({ afterImport: 0, afterCalls: 0, state: "RUNNING" });
  });

  it("the emulator starts without @duckdb/node-api and its SQL routes say what is missing", () => {
    const out = node(
      ["--import", BLOCK_CJS],
      `
      const { startEmulator } = await import(${JSON.stringify(join(DIST, "emulator", "index.js"))});
      const emu = await startEmulator();
      const headers = { Authorization: "Bearer " + emu.token, "Content-Type": "application/json" };
      const list = await fetch(emu.url + "/api/2.0/sql/warehouses", { headers });
      const warehouses = (await list.json()).warehouses;
      const res = await fetch(emu.url + "/api/2.0/sql/statements", {
        method: "POST", headers, body: JSON.stringify({ statement: "SELECT 1", warehouse_id: warehouses[0].id }),
      });
      console.log(JSON.stringify({ list: list.status, status: res.status, body: await res.json() }));
      await emu.close();
      `,
    );
    const result = JSON.parse(out);
    expect(result.list).toBe(200);
    expect(result.status).toBe(501);
    expect(result.body.error_code).toBe("NOT_IMPLEMENTED");
    expect(result.body.message).toContain("npm install --save-dev @duckdb/node-api");
  });
});
