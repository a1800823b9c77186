import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * A CommonJS project on TypeScript's default resolution for `module: commonjs` (node10), which
 * ignores package.json exports: it must still find the types of "brickml" and "brickml/emulator".
 */
const root = resolve(import.meta.dirname, "../..");
const CONSUMER = `
import { Databricks, isNotFound } from "brickml";
import { startEmulator, type Emulator } from "brickml/emulator";

async function main(): Promise<void> {
  const emu: Emulator = await startEmulator();
  const db = new Databricks({ host: emu.url, token: emu.token });
  const versions = await db.clusters.sparkVersions();
  console.log(versions.versions?.length ?? 0, isNotFound(new Error("x")));
  await emu.close();
}
main();
`;

let dir: string;
beforeAll(() => {
  if (!existsSync(join(root, "dist/index.d.cts")))
    throw new Error("dist/ is missing: run `npm run build` first.");
  dir = mkdtempSync(join(tmpdir(), "brickml-node10-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules/brickml"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "commonjs" }));
  writeFileSync(join(dir, "index.ts"), CONSUMER);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a CommonJS consumer with node10 module resolution", () => {
  it("type-checks imports of brickml and brickml/emulator, compiles and runs", () => {
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ["node"],
      typeRoots: [join(root, "node_modules/@types")],
      outDir: join(dir, "out"),
    };
    const program = ts.createProgram([join(dir, "index.ts")], options);
    const result = program.emit();
    const errors = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics].map((d) =>
      ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    );
    expect(errors).toEqual([]);
    const emulatorTypes = program.getSourceFiles().find((f) => f.fileName.includes("dist/emulator/"));
    expect(emulatorTypes?.fileName).toMatch(/dist\/emulator\/index\.d\.cts$/);
    expect(readFileSync(join(dir, "out/index.js"), "utf8")).toContain('require("brickml/emulator")');
    const out = execFileSync(process.execPath, [join(dir, "out/index.js")], { cwd: dir, encoding: "utf8" });
    expect(out.trim()).toMatch(/^[1-9]\d* false$/);
  });
});
