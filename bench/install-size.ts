// Disk: what `npm install brickml` costs a library user, against `npm install` of the official SDK.
// brickml is packed (`npm pack`) and its tarball installed into an empty project; the official SDK
// is installed by name into another, the same way (from the local npm cache where it can be).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuild, ROOT } from "./build.js";
import { type BenchResult, isMain, report, round, saveResults } from "./lib.js";

const OFFICIAL = "@databricks/sdk-experimental@0.17.0";

/** Bytes of every file under `dir`, and the files found that are compiled native code. */
function walk(dir: string): { bytes: number; native: string[] } {
  let bytes = 0;
  const native: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = walk(path);
      bytes += sub.bytes;
      native.push(...sub.native);
    } else if (entry.isFile()) {
      bytes += statSync(path).size;
      if (entry.name.endsWith(".node")) native.push(path);
    }
  }
  return { bytes, native };
}

/** Installs `spec` into a new empty project: size, package count, duration and native files. */
function install(spec: string) {
  const dir = mkdtempSync(join(tmpdir(), "brickml-install-"));
  try {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "t", version: "1.0.0", private: true }));
    const started = performance.now();
    const out = execFileSync(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--json", spec],
      { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    const seconds = (performance.now() - started) / 1000;
    const added = (JSON.parse(out) as { added?: number }).added ?? 0;
    const { bytes, native } = walk(join(dir, "node_modules"));
    return { mib: bytes / 2 ** 20, packages: added, seconds, native: native.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  ensureBuild();
  const packDir = mkdtempSync(join(tmpdir(), "brickml-pack-"));
  try {
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--pack-destination", packDir], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    ) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number }>;
    const tarball = join(packDir, packed[0]!.filename);
    if (!existsSync(tarball)) throw new Error(`npm pack wrote no ${tarball}`);
    const mine = install(tarball);
    const official = install(OFFICIAL);
    const rows = [
      { install: "brickml (packed tarball)", ...mine },
      { install: OFFICIAL, ...official },
    ].map((r) => ({
      install: r.install,
      "installed MiB": round(r.mib, 1),
      packages: r.packages,
      "install s": round(r.seconds, 1),
      "native .node files": r.native,
    }));
    return {
      name: "install-size",
      rows,
      ratios: {
        "installed size brickml / official SDK": round(mine.mib / official.mib),
        "packages brickml / official SDK": round(mine.packages / official.packages),
        "native files brickml": mine.native,
        "tarball packed MB": round(packed[0]!.size / 1e6),
        "tarball unpacked MB": round(packed[0]!.unpackedSize / 1e6),
      },
      targets: {
        "installed size brickml / official SDK": "<= 1",
        "native files brickml": "<= 0",
        "tarball packed MB": "<= 1",
      },
      notes: [
        "each installed into an empty project with npm install --prefer-offline (no lifecycle scripts are skipped)",
        "installed MiB: every file under node_modules; packages: as npm reports them added",
      ],
    };
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
