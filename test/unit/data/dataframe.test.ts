import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { UTF8_WINDOW_ROWS } from "../../../src/data/arrow-cells.js";
import { dataframeSplitBatches, rowCount, toDataframeSplit } from "../../../src/data/dataframe.js";
import { isValidationError } from "../../../src/index.js";

function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("dataframe_split batches", () => {
  it("splits records into batches of at most batchSize rows, union of keys as columns", () => {
    const records = [{ a: 1, b: "x" }, { a: 2 }, { b: "z", c: true }, { a: 4, b: "w", c: false }, { a: 5 }];
    const batches = [...dataframeSplitBatches(records, { batchSize: 2 })];
    expect(batches.map((b) => b.dataframe_split.data.length)).toEqual([2, 2, 1]);
    expect(batches[0]!.dataframe_split.columns).toEqual(["a", "b", "c"]);
    expect(batches.flatMap((b) => b.dataframe_split.data)).toEqual([
      [1, "x", null],
      [2, null, null],
      [null, "z", true],
      [4, "w", false],
      [5, null, null],
    ]);
  });

  it("reads columns of equal length and picks columns in the requested order", () => {
    const out = toDataframeSplit(
      { x: [1, 2], y: new Float64Array([0.5, 1.5]), z: ["a", "b"] },
      { columns: ["z", "x"] },
    );
    expect(out).toEqual({
      dataframe_split: {
        columns: ["z", "x"],
        data: [
          ["a", 1],
          ["b", 2],
        ],
      },
    });
    expect(rowCount({ x: [1, 2, 3] })).toBe(3);
    const err = thrown(() => toDataframeSplit({ x: [1, 2], y: [1] }));
    expect(isValidationError(err)).toBe(true);
    expect(err.message).toContain("y");
  });

  it("checks options and shape before producing anything", () => {
    expect(isValidationError(thrown(() => dataframeSplitBatches([{ a: 1 }], { batchSize: 0 })))).toBe(true);
    expect(isValidationError(thrown(() => dataframeSplitBatches([{ a: 1 }], { columns: ["nope"] })))).toBe(
      true,
    );
    expect(isValidationError(thrown(() => dataframeSplitBatches([1 as any])))).toBe(true);
    expect(isValidationError(thrown(() => dataframeSplitBatches("rows" as any)))).toBe(true);
  });

  it("maps plain values faithfully: Date → ISO, bigint, NaN → null, bytes → base64", () => {
    const d = new Date(Date.UTC(2024, 1, 29, 12, 30, 0, 5));
    const out = toDataframeSplit([
      { d, n: 10n, f: Number.NaN, b: new Uint8Array([1, 2, 3]), nested: { x: [1n, 2] } },
    ]);
    expect(out.dataframe_split.data[0]).toEqual([
      "2024-02-29T12:30:00.005Z",
      10,
      null,
      "AQID",
      { x: [1, 2] },
    ]);
  });

  it("never sends a wrong number: int64 beyond 2^53 throws naming column and row, or goes as a string", () => {
    const big = 2n ** 53n + 1n;
    const rows = [{ id: 1n }, { id: 2n }, { id: big }];
    const err = thrown(() => [...dataframeSplitBatches(rows, { batchSize: 2 })]);
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("id[2]");
    expect(err.message).toContain("9007199254740993");
    const ok = toDataframeSplit(rows, { int64: "string" });
    expect(ok.dataframe_split.data).toEqual([[1], [2], ["9007199254740993"]]);
    expect(isValidationError(thrown(() => toDataframeSplit([{ x: Number.POSITIVE_INFINITY }])))).toBe(true);
  });
});

describe("Arrow tables to dataframe_split", () => {
  const ts = (unit: arrow.TimestampMicrosecond | arrow.TimestampNanosecond, values: bigint[]) =>
    arrow.makeVector({
      type: unit as arrow.TimestampMicrosecond,
      data: new BigInt64Array(values),
      length: values.length,
    });

  it("maps every common type: ints, floats, bools, strings, timestamps, dates, decimals, nulls", () => {
    const table = new arrow.Table({
      i8: arrow.vectorFromArray([1, null, -3], new arrow.Int8()),
      i32: arrow.vectorFromArray([100000, 2, null], new arrow.Int32()),
      u16: arrow.vectorFromArray([65535, 0, 1], new arrow.Uint16()),
      i64: arrow.vectorFromArray([1n, null, -(2n ** 53n - 1n)], new arrow.Int64()),
      f32: arrow.vectorFromArray([0.5, Number.NaN, null], new arrow.Float32()),
      f64: arrow.vectorFromArray([1.25, 0, 1e300], new arrow.Float64()),
      bool: arrow.vectorFromArray([true, false, null], new arrow.Bool()),
      str: arrow.vectorFromArray(["a", null, "ü"], new arrow.Utf8()),
      dict: arrow.vectorFromArray(["red", "blue", "red"]),
      tsms: arrow.vectorFromArray(
        [Date.UTC(2024, 0, 1, 1, 2, 3, 456), null, 0],
        new arrow.TimestampMillisecond("UTC"),
      ),
      tsus: ts(new arrow.TimestampMicrosecond(), [1704070923456789n, -1n, 0n]),
      tsns: ts(new arrow.TimestampNanosecond("Europe/Paris"), [1704070923456789123n, 1n, 0n]),
      day: arrow.vectorFromArray([new Date(Date.UTC(2024, 1, 29)), null, new Date(0)], new arrow.DateDay()),
      dec: arrow.makeVector(
        arrow.makeData({
          type: new arrow.Decimal(2, 10, 128),
          length: 3,
          data: new Uint32Array([12345, 0, 0, 0, 0xfffffffe, 0xffffffff, 0xffffffff, 0xffffffff, 5, 0, 0, 0]),
        }),
      ),
      nul: arrow.vectorFromArray([null, null, null], new arrow.Null()),
    });
    const out = toDataframeSplit(table);
    expect(out.dataframe_split.columns).toEqual(table.schema.fields.map((f) => f.name));
    expect(out.dataframe_split.data).toEqual([
      [
        1,
        100000,
        65535,
        1,
        0.5,
        1.25,
        true,
        "a",
        "red",
        "2024-01-01T01:02:03.456Z",
        "2024-01-01T01:02:03.456789",
        "2024-01-01T01:02:03.456789123Z",
        "2024-02-29",
        123.45,
        null,
      ],
      [
        null,
        2,
        0,
        null,
        null,
        0,
        false,
        null,
        "blue",
        null,
        "1969-12-31T23:59:59.999999",
        "1970-01-01T00:00:00.000000001Z",
        null,
        -0.02,
        null,
      ],
      [
        -3,
        null,
        1,
        -(2 ** 53 - 1),
        null,
        1e300,
        null,
        "ü",
        "red",
        "1970-01-01T00:00:00.000Z",
        "1970-01-01T00:00:00.000000",
        "1970-01-01T00:00:00.000000000Z",
        "1970-01-01",
        0.05,
        null,
      ],
    ]);
    // JSON round trip keeps every value.
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it("handles nested lists and structs, binary as base64, and int64 overflow inside them", () => {
    const table = new arrow.Table({
      list: arrow.vectorFromArray(
        [[1, 2], null, []],
        new arrow.List(new arrow.Field("item", new arrow.Int32(), true)),
      ),
      st: arrow.vectorFromArray(
        [{ x: 1, y: "a" }, null, { x: null, y: "c" }],
        new arrow.Struct([
          new arrow.Field("x", new arrow.Float64(), true),
          new arrow.Field("y", new arrow.Utf8(), true),
        ]),
      ),
      bin: arrow.vectorFromArray([new Uint8Array([255]), null, new Uint8Array([])], new arrow.Binary()),
    });
    expect(toDataframeSplit(table).dataframe_split.data).toEqual([
      [[1, 2], { x: 1, y: "a" }, "/w=="],
      [null, null, null],
      [[], { x: null, y: "c" }, ""],
    ]);
    const bigList = new arrow.Table({
      ids: arrow.vectorFromArray(
        [[1n], [2n ** 60n]],
        new arrow.List(new arrow.Field("item", new arrow.Int64(), true)),
      ),
    });
    const err = thrown(() => toDataframeSplit(bigList));
    expect(err.issues[0].path).toBe("ids[1]");
    expect(toDataframeSplit(bigList, { int64: "string" }).dataframe_split.data[1]).toEqual([
      ["1152921504606846976"],
    ]);
  });

  it("walks record batches and slices without losing or repeating rows", () => {
    const part = (from: number) =>
      new arrow.Table({
        n: arrow.vectorFromArray([from, from + 1, null, from + 3], new arrow.Int32()),
        s: arrow.vectorFromArray([`r${from}`, null, `r${from + 2}`, `r${from + 3}`], new arrow.Utf8()),
        b: arrow.vectorFromArray([true, false, null, from % 8 === 0], new arrow.Bool()),
        t: arrow.vectorFromArray([from * 1000 - 1, null, 0, -1], new arrow.TimestampMillisecond("UTC")),
      });
    const table = part(0).concat(part(4), part(8)).slice(1, 11);
    expect(table.batches.length).toBe(3);
    const batches = [...dataframeSplitBatches(table, { batchSize: 3 })];
    expect(batches.map((b) => b.dataframe_split.data.length)).toEqual([3, 3, 3, 1]);
    const rows = batches.flatMap((b) => b.dataframe_split.data);
    expect(rows.map((r) => r.slice(0, 2))).toEqual([
      [1, null],
      [null, "r2"],
      [3, "r3"],
      [4, "r4"],
      [5, null],
      [null, "r6"],
      [7, "r7"],
      [8, "r8"],
      [9, null],
      [null, "r10"],
    ]);
    expect(rows.map((r) => r[2])).toEqual([false, null, true, true, false, null, false, true, false, null]);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    expect(rows.map((r) => r[3])).toEqual([null, 0, -1, 3999, null, 0, -1, 7999, null, 0].map(iso));
  });

  it("reads long string columns window by window, ASCII or not, with nulls across window edges", () => {
    const n = 3 * UTF8_WINDOW_ROWS + 17;
    // The second window holds a non-ASCII string, so it decodes cell by cell; the others at once.
    const values = Array.from({ length: n }, (_, i) =>
      i % 7 === 3 ? null : i === UTF8_WINDOW_ROWS + 5 ? "héllo ✓" : `value-${i}`,
    );
    const table = new arrow.Table({ s: arrow.vectorFromArray(values, new arrow.Utf8()) }).slice(3);
    const cells = [...dataframeSplitBatches(table, { batchSize: 1000 })].flatMap((b) =>
      b.dataframe_split.data.map((r) => r[0]),
    );
    expect(cells).toEqual(values.slice(3));
  });

  it("names the column and row of an int64 that does not fit, and refuses types without a JSON form", () => {
    const table = new arrow.Table({ id: arrow.vectorFromArray([1n, 2n ** 62n], new arrow.Int64()) });
    const err = thrown(() => toDataframeSplit(table));
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("id[1]");
    expect(toDataframeSplit(table, { int64: "string" }).dataframe_split.data).toEqual([
      [1],
      ["4611686018427387904"],
    ]);
    const dur = new arrow.Table({
      d: arrow.makeVector({
        type: new arrow.DurationMillisecond(),
        data: new BigInt64Array([1n]),
        length: 1,
      }),
    });
    expect(isValidationError(thrown(() => toDataframeSplit(dur)))).toBe(true);
  });
});
