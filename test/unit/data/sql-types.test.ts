import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { decodeRows, decodeValue, tableFromSqlRows, typeNameOf } from "../../../src/data/sql-types.js";
import { isValidationError } from "../../../src/index.js";

const col = (name: string, type_name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type_name,
  ...extra,
});

describe("SQL result types", () => {
  it("types JSON_ARRAY strings by the manifest schema", () => {
    const columns = [
      col("b", "BOOLEAN"),
      col("i", "INT"),
      col("l", "LONG"),
      col("d", "DOUBLE"),
      col("dec", "DECIMAL", { type_text: "DECIMAL(10,2)" }),
      col("s", "STRING"),
      col("ts", "TIMESTAMP"),
      col("day", "DATE"),
      col("bin", "BINARY"),
      col("arr", "ARRAY", { type_text: "ARRAY<INT>" }),
      col("st", "STRUCT"),
    ];
    const rows = decodeRows(
      columns,
      [
        [
          "true",
          "42",
          "-7",
          "1.5",
          "12.34",
          "hi",
          "2024-01-01T00:00:00.000Z",
          "2024-02-29",
          "AQID",
          "[1,2]",
          '{"a":1}',
        ],
        [null, null, null, "NaN", null, null, null, null, null, null, "not json"],
      ],
      0,
    );
    expect(rows[0]).toEqual({
      b: true,
      i: 42,
      l: -7,
      d: 1.5,
      dec: 12.34,
      s: "hi",
      ts: "2024-01-01T00:00:00.000Z",
      day: "2024-02-29",
      bin: Buffer.from([1, 2, 3]),
      arr: [1, 2],
      st: { a: 1 },
    });
    expect(rows[1]!.d).toBeNaN();
    expect(rows[1]!.st).toBe("not json");
    expect(rows[1]!.b).toBeNull();
  });

  it("never returns a wrong number for LONG beyond 2^53 or a wide DECIMAL", () => {
    const l = col("id", "LONG");
    let err: any;
    try {
      decodeRows([col("x", "INT"), l], [["1", "9007199254740993"]], 100);
    } catch (e) {
      err = e;
    }
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("id[100]");
    expect(decodeValue("9007199254740993", l, 0, "string")).toBe("9007199254740993");
    expect(decodeValue("9007199254740993", l, 0, "bigint")).toBe(9007199254740993n);
    expect(decodeValue("5", l, 0, "bigint")).toBe(5n);
    const dec = col("d", "DECIMAL");
    expect(() => decodeValue("1234567890.1234567", dec, 0)).toThrow(/more digits/);
    expect(decodeValue("1234567890.1234567", dec, 0, "string")).toBe("1234567890.1234567");
    expect(decodeValue("0.000100", dec, 0)).toBe(0.0001);
  });

  it("maps SQL type spellings to type names", () => {
    expect(typeNameOf("BIGINT")).toBe("LONG");
    expect(typeNameOf("decimal(10,2)")).toBe("DECIMAL");
    expect(typeNameOf("ARRAY<STRING>")).toBe("ARRAY");
    expect(typeNameOf("integer")).toBe("INT");
    expect(typeNameOf("whatever")).toBeUndefined();
  });

  it("builds Arrow tables with Databricks' Arrow types from strings or typed values", () => {
    const columns = [
      col("l", "LONG"),
      col("d", "DOUBLE"),
      col("dec", "DECIMAL", { type_precision: 20, type_scale: 3 }),
      col("ts", "TIMESTAMP"),
      col("day", "DATE"),
      col("b", "BOOLEAN"),
      col("s", "STRING"),
      col("bin", "BINARY"),
    ];
    const t = tableFromSqlRows(arrow, columns, [
      [
        "9007199254740993",
        "2.5",
        "-12345678901234.567",
        "2024-01-01T01:02:03.456789Z",
        "2024-02-29",
        "true",
        "x",
        "AQID",
      ],
      [3n, 1, 0.5, Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 2), 0, null, Buffer.from([9])],
      [null, null, null, null, null, null, null, null],
    ]);
    expect(t.schema.fields.map((f) => String(f.type))).toEqual([
      "Int64",
      "Float64",
      "Decimal[20e+3]",
      "Timestamp<MICROSECOND, Etc/UTC>",
      "Date32<DAY>",
      "Bool",
      "Utf8",
      "Binary",
    ]);
    expect(t.getChild("l")!.get(0)).toBe(9007199254740993n);
    expect(arrow.util.bigNumToString(t.getChild("dec")!.get(0))).toBe("-12345678901234567");
    expect(arrow.util.bigNumToString(t.getChild("dec")!.get(1))).toBe("500");
    expect(t.getChild("ts")!.data[0]!.values[0]).toBe(1704070923456789n);
    expect(t.getChild("day")!.get(1)).toBe(Date.UTC(2020, 0, 2));
    expect(t.getChild("b")!.get(1)).toBe(false);
    expect(t.getChild("bin")!.get(0)).toEqual(new Uint8Array([1, 2, 3]));
    expect(t.getChild("s")!.get(2)).toBeNull();
    expect(() =>
      tableFromSqlRows(arrow, [col("d", "DECIMAL", { type_text: "DECIMAL(4,1)" })], [["1.25"]]),
    ).toThrow(/not a valid/);
  });
});
