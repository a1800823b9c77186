import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import type { SqlEmulatorExports } from "../../src/emulator/services/sql.js";
import type { EmulatorService } from "../../src/emulator/types.js";
import { Databricks } from "../../src/index.js";
import { cli } from "../cli-helpers.js";
import { startEmulatorWith } from "./serving-helpers.js";

/** Every model version is READY and scores `x + 10·y`. */
const registry: EmulatorService<Record<string, never>, unknown> = {
  name: "registry",
  init: () => ({}),
  routes: () => {},
  exports: () => ({
    getModelVersion: () => ({ status: "READY" }),
    resolveAlias: () => undefined,
    readModelFile: () => Buffer.from(JSON.stringify({ intercept: 0, weights: { x: 1, y: 10 } })),
  }),
};

/** Rows like the ones the endpoint scores; `shift` moves x. */
const rows = (n: number, shift = 0) =>
  Array.from({ length: n }, (_, i) => ({ x: (i % 10) + shift, color: ["red", "green", "blue"][i % 3]! }));

describe("brickml monitor", () => {
  let emu: Emulator;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulatorWith({ timeScale: 5000 }, registry);
    dir = mkdtempSync(join(tmpdir(), "brickml-monitor-"));
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const entity = { entity_name: "main.ml.model", entity_version: "1", workload_size: "Small" };
    await db.servingEndpoints.createAndWait({
      name: "watched",
      config: { served_entities: [entity] },
      ai_gateway: { inference_table_config: { catalog_name: "main", schema_name: "ml", enabled: true } },
    });
    await db.servingEndpoints.createAndWait({ name: "unwatched", config: { served_entities: [entity] } });
    await db.endpoint("watched").predict(rows(300), { batchSize: 100 });
  });
  afterAll(() => emu.close());

  it("prints a chart per feature and exits 0 when the baseline looks like the recent requests", async () => {
    const file = join(dir, "same.json");
    writeFileSync(file, JSON.stringify(rows(600)));
    const res = await cli(emu, ["monitor", "watched", "--baseline", file]);
    expect(res.err).toBe("");
    expect(res.code).toBe(0);
    expect(res.out.split("\n")[0]).toBe("watched: no drift (baseline 600 rows, recent 300 rows)");
    expect(res.out).toContain("x (numeric) stable");
    expect(res.out).toContain("color (categorical) stable");
    expect(res.out).toMatch(/red\s+█+\s+33\.3%\s+█+\s+33\.3%/);
  });

  it("exits 1 on drift and writes a self-contained HTML page", async () => {
    const csv = join(dir, "shifted.csv");
    writeFileSync(
      csv,
      `x,color\n${rows(400, 50)
        .map((r) => `${r.x},${r.color}`)
        .join("\n")}\n`,
    );
    const html = join(dir, "report.html");
    const res = await cli(emu, ["monitor", "watched", "--baseline", csv, "--html", html]);
    expect(res.code).toBe(1);
    expect(res.out).toContain("watched: DRIFT in 1 of 2 features");
    expect(res.out).toContain("x (numeric) DRIFTED");
    expect(res.out).toContain(`Wrote ${html}`);
    const page = readFileSync(html, "utf8");
    expect(page.match(/<svg /g)).toHaveLength(2);
    expect(page).not.toMatch(/<script|<link|\ssrc=|\shref=/i);
  });

  it("reads a baseline table on the given warehouse and prints JSON", async () => {
    emu.context.service<SqlEmulatorExports>("sql")!.registerTable(
      "main.ml.train",
      [
        { name: "x", type: "DOUBLE" },
        { name: "color", type: "STRING" },
      ],
      rows(200).map((r) => ({ ...r, color: "red" })),
    );
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const warehouse = (await db.warehouses.list().firstPage()).items[0]!.id!;
    const res = await cli(emu, [
      "monitor",
      "watched",
      "--baseline",
      "main.ml.train",
      "--warehouse",
      warehouse,
      "--json",
    ]);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.out);
    expect(report.features.map((f: { name: string; drifted: boolean }) => [f.name, f.drifted])).toEqual([
      ["x", false],
      ["color", true],
    ]);
    expect(report.recentRows).toBe(300);
  });

  it("limits the window and explains what it cannot do", async () => {
    const file = join(dir, "same.json");
    const limited = await cli(emu, ["monitor", "watched", "--baseline", file, "--limit", "1", "--json"]);
    expect(JSON.parse(limited.out).recentRows).toBe(100);
    const future = await cli(emu, [
      "monitor",
      "watched",
      "--baseline",
      file,
      "--since",
      "2999-01-01T00:00:00Z",
    ]);
    expect(future.code).toBe(1);
    expect(future.err).toContain("watched has no captured requests since 2999-01-01T00:00:00Z");
    const unwatched = await cli(emu, ["monitor", "unwatched", "--baseline", file]);
    expect(unwatched.code).toBe(1);
    expect(unwatched.err).toContain("does not capture requests");
    for (const args of [
      ["monitor", "watched"],
      ["monitor", "watched", "--baseline", "not-a-table"],
      ["monitor", "watched", "--baseline", join(dir, "missing.csv")],
      ["monitor", "watched", "--baseline", file, "--limit", "0"],
      ["monitor", "watched", "--baseline", file, "--since", "soon"],
    ]) {
      const res = await cli(emu, args);
      expect([args.join(" "), res.code]).toEqual([args.join(" "), 2]);
    }
    const help = await cli(emu, ["monitor", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Exit codes: 0 no drift, 1 drift");
  });
});
