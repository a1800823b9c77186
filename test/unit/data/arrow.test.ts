import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { joinPredictions, predictionsToArrow, toArrowTable } from "../../../src/data/arrow.js";
import { dataframeSplitBatches } from "../../../src/data/dataframe.js";
import { isValidationError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";

describe("Arrow tables from records and predictions", () => {
  it("infers column types from plain values", async () => {
    const t = await toArrowTable([
      { n: 1.5, i: 2n ** 60n, b: true, s: "x", d: new Date(Date.UTC(2024, 0, 2)), l: [1, 2], o: { k: "v" } },
      { n: null, i: null, b: false, s: null, d: null, l: null, o: null },
    ]);
    const types = Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      n: "Float64",
      i: "Int64",
      b: "Bool",
      s: "Utf8",
      d: "Timestamp<MILLISECOND, UTC>",
      l: "List<Float64>",
      o: "Struct<{k:Utf8}>",
    });
    expect(t.getChild("i")!.get(0)).toBe(2n ** 60n);
    expect(t.getChild("n")!.get(1)).toBeNull();
    expect(t.getChild("d")!.get(0)).toBe(Date.UTC(2024, 0, 2));
    const same = new arrow.Table({ a: arrow.vectorFromArray([1]) });
    expect(await toArrowTable(same)).toBe(same);
  });

  it("rejects a column mixing types, naming the column and row", async () => {
    const err = await rejection(toArrowTable([{ a: 1 }, { a: "two" }]));
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("a[1]");
    const big = await rejection(toArrowTable({ a: [1, 2n ** 60n] }));
    expect(isValidationError(big)).toBe(true);
  });

  it("joins predictions to the input: scalars, objects as a Struct column, in input order", async () => {
    const input = new arrow.Table({ x: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()) });
    const predictions: number[] = [];
    for (const batch of dataframeSplitBatches(input, { batchSize: 2 })) {
      predictions.push(...batch.dataframe_split.data.map((row) => (row[0] as number) * 10));
    }
    const joined = await joinPredictions(input, predictions);
    expect(joined.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["x:Int32", "prediction:Float64"]);
    expect([...joined.getChild("prediction")!]).toEqual([10, 20, 30]);

    const objects = await joinPredictions(
      [{ id: "a" }, { id: "b" }],
      [
        { label: 1, p: 0.9 },
        { label: 0, p: 0.2 },
      ],
      {
        column: "out",
      },
    );
    expect(String(objects.schema.fields[1]!.type)).toBe("Struct<{label:Float64, p:Float64}>");
    expect(objects.get(1)!.toJSON()).toEqual({ id: "b", out: expect.anything() });
    expect(objects.getChild("out")!.get(1)!.toJSON()).toEqual({ label: 0, p: 0.2 });
  });

  it("refuses a prediction count that does not match and a column name that is taken", async () => {
    const input = [{ prediction: 1 }];
    expect(isValidationError(await rejection(joinPredictions(input, [1, 2], { column: "p" })))).toBe(true);
    expect(isValidationError(await rejection(joinPredictions(input, [1])))).toBe(true);
    const t = await predictionsToArrow(["a", null]);
    expect(t.numRows).toBe(2);
    expect(String(t.schema.fields[0]!.type)).toBe("Utf8");
  });
});
