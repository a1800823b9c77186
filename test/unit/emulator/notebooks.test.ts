import { describe, expect, it } from "vitest";
import { fromJupyter, toJupyter, toSourceFile } from "../../../src/emulator/compute/notebook-formats.js";
import { checkBehaviour, declaredBehaviour, mlflowParams } from "../../../src/emulator/notebooks.js";

describe("notebook behaviour lines", () => {
  it("reads the first line after the notebook header, in any comment style", () => {
    expect(
      declaredBehaviour('# Databricks notebook source\n\n# brickml-emulator: {"exitValue": "x"}\nprint(1)'),
    ).toEqual({
      exitValue: "x",
    });
    expect(declaredBehaviour('-- brickml-emulator: {"durationMs": 5}\nSELECT 1')).toEqual({ durationMs: 5 });
    expect(declaredBehaviour('// brickml-emulator: {"result": "FAILED"}')).toEqual({ result: "FAILED" });
    expect(declaredBehaviour('print(1)\n# brickml-emulator: {"exitValue": "x"}')).toBeUndefined();
  });

  it("names what is wrong with a bad declaration", () => {
    expect(() => declaredBehaviour("# brickml-emulator: {oops}")).toThrow(/not valid JSON/);
    expect(() => checkBehaviour({ durationMs: -1 })).toThrow(/durationMs/);
    expect(() => checkBehaviour({ failTimes: 1.5 })).toThrow(/failTimes/);
    expect(() => checkBehaviour([])).toThrow(/JSON object/);
  });

  it("lets run parameters override MLflow params of the same name", () => {
    expect(mlflowParams({ params: { a: "1", b: "2" } }, { a: "9", c: "3" })).toEqual({ a: "9", b: "2" });
    expect(mlflowParams({}, { a: "9" })).toBeUndefined();
  });
});

describe("notebook formats", () => {
  it("round-trips SOURCE cells through Jupyter, markdown included", () => {
    const source = "# MAGIC %md\n# MAGIC # Title\n\n# COMMAND ----------\n\nx = 1\nprint(x)";
    const ipynb = JSON.parse(toJupyter("PYTHON", source, "nb"));
    expect(ipynb.cells.map((c: any) => c.cell_type)).toEqual(["markdown", "code"]);
    expect(ipynb.cells[0].source.join("")).toBe("# Title");
    expect(fromJupyter(JSON.stringify(ipynb))).toEqual({ language: "PYTHON", source });
  });

  it("uses each language's comment for headers and separators", () => {
    expect(toSourceFile("SQL", "SELECT 1")).toBe("-- Databricks notebook source\nSELECT 1");
    const scala = fromJupyter(
      JSON.stringify({
        cells: [{ source: "val a = 1" }, { source: "a" }],
        metadata: { language_info: { name: "scala" } },
      }),
    );
    expect(scala).toEqual({ language: "SCALA", source: "val a = 1\n\n// COMMAND ----------\n\na" });
    expect(() => fromJupyter("{}")).toThrow();
  });
});
