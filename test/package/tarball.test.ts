// What `npm pack` ships: small, no source maps, zod once (as a dependency, not bundled), and no
// emulator-only or Arrow-only package installed for library users.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

interface Packed {
  size: number;
  files: Array<{ path: string; size: number }>;
}
let packed: Packed;

beforeAll(() => {
  if (!existsSync(join(root, "dist/index.d.cts")))
    throw new Error("dist/ is missing: run `npm run build` first.");
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  packed = (JSON.parse(out) as Packed[])[0]!;
}, 60_000);

describe("the published package", () => {
  it("packs to at most 1 MB, with no source maps", () => {
    expect(packed.size).toBeLessThanOrEqual(1_000_000);
    expect(packed.files.map((f) => f.path).filter((p) => p.endsWith(".map"))).toEqual([]);
  });

  it("loads zod from its dependency instead of carrying a second copy", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(pkg.dependencies.zod).toBeDefined();
    for (const file of ["dist/index.js", "dist/index.cjs", "dist/emulator/index.cjs"]) {
      const code = readFileSync(join(root, file), "utf8");
      // zod's own source defines its error map and `$ZodType`; a bundled copy would carry them.
      expect(code, file).not.toMatch(/\$ZodType\b|function \$constructor/);
    }
    expect(readFileSync(join(root, "dist/index.cjs"), "utf8")).toMatch(/require\("zod"\)/);
  });

  it("installs neither the emulator's SQL engine nor apache-arrow for library users", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    for (const name of ["@duckdb/node-api", "apache-arrow", "@databricks/sql"]) {
      expect(pkg.dependencies[name], name).toBeUndefined();
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
    }
  });
});
