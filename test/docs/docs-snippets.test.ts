import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scriptedChurnNotebook } from "../../examples/churn-notebook.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { docSnippets, type Snippet } from "./snippets.js";

/**
 * Every TypeScript block of README.md and docs/*.md, type-checked as a user's module against the
 * built package (`import "brickml"` resolves through package.json's exports to dist/), in one
 * program. Blocks marked `<!-- snippet: run -->` also run against the emulator.
 */
const root = resolve(import.meta.dirname, "../..");
const snippets = docSnippets(root);
const checked = snippets.filter((s) => s.mode !== "partial");
const runnable = snippets.filter((s) => s.mode === "run");
const where = (s: Snippet) => `${s.file}:${s.line}`;
const fileName = (s: Snippet) => `${s.file.replace(/[/.]/g, "_")}_${s.line}.ts`;

/**
 * Names the fragments use without defining them, as a reader has them in scope from the text
 * around a block. A block's own declarations shadow these.
 */
const PRELUDE = `
declare const db: import("brickml").Databricks;
declare const se: import("brickml").Databricks["servingEndpoints"];
declare const emu: import("brickml/emulator").Emulator;
declare const job_id: number;
declare const run_id: string;
declare const cluster_id: string;
declare const warehouse_id: string;
declare const table: import("brickml").ArrowTable;
declare const signal: AbortSignal;
`;

let dir: string;
const diagnostics = new Map<string, string[]>();

beforeAll(() => {
  if (!existsSync(join(root, "dist/index.d.ts"))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm test does).");
  }
  dir = mkdtempSync(join(tmpdir(), "brickml-snippets-"));
  // A consumer project whose node_modules/brickml is this package.
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules/brickml"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  // The notebook the docs upload, scripted so that it needs no tables whether or not local mode is on.
  mkdirSync(join(dir, "notebooks"));
  writeFileSync(join(dir, "notebooks/train.py"), scriptedChurnNotebook().content);
  const files = checked.map((s) => {
    const path = join(dir, fileName(s));
    writeFileSync(path, `${s.code}\nexport {};\n`);
    return path;
  });
  writeFileSync(join(dir, "prelude.d.ts"), PRELUDE);
  const program = ts.createProgram([join(dir, "prelude.d.ts"), ...files], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [join(root, "node_modules/@types")],
  });
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    const key = d.file ? d.file.fileName : "(global)";
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
    diagnostics.set(key, [...(diagnostics.get(key) ?? []), `line +${line}: ${message}`]);
  }
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("docs snippets", () => {
  it("finds the TypeScript blocks of the README and docs/", () => {
    expect(snippets.filter((s) => s.file === "README.md").length).toBeGreaterThan(0);
    expect(checked.length).toBeGreaterThan(20);
  });

  it("type-checks with nothing outside the blocks failing", () => {
    expect(diagnostics.get("(global)") ?? []).toEqual([]);
  });

  it.each(checked.map((s) => [where(s), s] as const))("%s type-checks against the built package", (_, s) => {
    const errors = (diagnostics.get(join(dir, fileName(s))) ?? []).map((e) =>
      e.replace(/^line \+(\d+)/, (_m, n) => `${s.file}:${s.line + Number(n)}`),
    );
    expect(errors).toEqual([]);
  });
});

describe.runIf(runnable.length > 0)("runnable docs snippets", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000 });
  });
  afterAll(() => emu?.close());

  it.each(runnable.map((s) => [where(s), s] as const))("%s runs against the emulator", async (_, s) => {
    const path = join(dir, fileName(s).replace(/\.ts$/, ".mjs"));
    const js = ts.transpileModule(`${s.code}\nexport {};\n`, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(path, js);
    const { code, output } = await runNode(path, {
      DATABRICKS_HOST: emu.url,
      DATABRICKS_TOKEN: emu.token,
      HOME: dir, // no ~/.databrickscfg of the machine running the tests
    });
    expect(code, `${where(s)} failed:\n${output}`).toBe(0);
  });
});

function runNode(
  path: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [path], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, output }));
  });
}
