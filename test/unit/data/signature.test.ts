import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMlmodel } from "../../../src/api/mlmodel.js";
import { type ModelSignature, parseSignature, type SchemaSpec } from "../../../src/api/mlmodel-signature.js";
import { paramIssues, rowIssues } from "../../../src/data/signature-check.js";
import { signatureTypeScript, typeNameOf } from "../../../src/data/signature-typescript.js";

const fixture = (name: string): ModelSignature => {
  const text = readFileSync(new URL(`../../fixtures/mlmodel/${name}`, import.meta.url), "utf8");
  return parseSignature(parseMlmodel(text).signature!, name);
};
const columns = (json: unknown[]): SchemaSpec =>
  parseSignature({ inputs: JSON.stringify(json) }, "m").inputs!;

describe("real MLmodel signatures", () => {
  it("MLflow 1.30 scikit-learn: named columns without required flags are all required", () => {
    const sig = fixture("diabetes-sklearn.MLmodel");
    expect(sig.inputs?.kind).toBe("columns");
    const cols = sig.inputs?.kind === "columns" ? sig.inputs.columns : [];
    expect(
      cols.map((c) => `${c.name}:${c.value.kind === "scalar" ? c.value.type : "?"}:${c.required}`),
    ).toEqual([
      "Pregnancies:integer:true",
      "PlasmaGlucose:integer:true",
      "DiastolicBloodPressure:integer:true",
      "TricepsThickness:integer:true",
      "SerumInsulin:integer:true",
      "BMI:double:true",
      "DiabetesPedigree:double:true",
      "Age:integer:true",
    ]);
    expect(sig.outputs).toEqual({
      kind: "columns",
      columns: [{ name: undefined, value: { kind: "scalar", type: "boolean" }, required: true }],
    });
    expect(sig.params).toEqual([]);

    const row = {
      Pregnancies: 0,
      PlasmaGlucose: 171,
      DiastolicBloodPressure: 80,
      TricepsThickness: 34,
      SerumInsulin: 23,
      BMI: 43.5,
      DiabetesPedigree: 1.2,
      Age: 21,
    };
    expect(rowIssues(sig.inputs!, [row])).toEqual([]);
    expect(rowIssues(sig.inputs!, [row, { ...row, Age: 21.5, BMI: "43" }])).toEqual([
      { path: "rows[1].BMI", message: "expected double, got a string" },
      { path: "rows[1].Age", message: "expected integer, got number 21.5" },
    ]);
  });

  it("a Databricks pyfunc with a tensor signature: each row is a slice of shape (4,)", () => {
    const sig = fixture("tensor-pyfunc.MLmodel");
    expect(sig.inputs).toEqual({
      kind: "tensors",
      tensors: [{ name: undefined, dtype: "float64", shape: [-1, 4] }],
    });
    expect(
      rowIssues(sig.inputs!, [
        [5.1, 3.5, 1.4, 0.2],
        [6.2, 3.4, 5.4, 2.3],
      ]),
    ).toEqual([]);
    expect(rowIssues(sig.inputs!, [[5.1, 3.5, 1.4], [6.2, "3.4", 5.4, 2.3], { a: 1 }])).toEqual([
      {
        path: "rows[0]",
        message: "expected a tensor slice of shape (4,) (float64): 4 values along this axis, got 3",
      },
      { path: "rows[1][1]", message: "expected float64, got a string" },
      { path: "rows[2]", message: "expected a tensor slice of shape (4,) (float64), got an object" },
    ]);
  });

  it("a LangChain model: an array of objects with required properties", () => {
    const sig = fixture("langchain-chat.MLmodel");
    const ok = { messages: [{ role: "user", content: "What is MLflow?" }] };
    expect(rowIssues(sig.inputs!, [ok])).toEqual([]);
    expect(
      rowIssues(sig.inputs!, [{ messages: [{ role: "user", contnet: "hi" }] }, { messages: "hi" }]),
    ).toEqual([
      {
        path: "rows[0].messages[0].contnet",
        message: 'unknown property (did you mean "content"?); the model takes content, role',
      },
      { path: "rows[0].messages[0].content", message: "missing required property (string)" },
      { path: "rows[1].messages", message: "expected array<object{content, role}>, got a string" },
    ]);
  });

  it("a transformers model: one unnamed string column and typed params (comments and folded strings in the YAML)", () => {
    const sig = fixture("transformers-peft-params.MLmodel");
    expect(sig.params.map((p) => [p.name, p.value, p.default])).toEqual([
      ["max_new_tokens", { kind: "scalar", type: "long" }, 256],
      ["repetition_penalty", { kind: "scalar", type: "double" }, 1.15],
      ["return_full_text", { kind: "scalar", type: "boolean" }, false],
    ]);
    expect(rowIssues(sig.inputs!, [["SELECT venue FROM t"]])).toEqual([]);
    expect(rowIssues(sig.inputs!, [{ prompt: "x" }])).toEqual([
      {
        path: "rows[0]",
        message: "the model's input columns have no names; send each row as an array of values",
      },
    ]);
    expect(paramIssues(sig.params, { max_new_tokens: 64, return_full_text: true })).toEqual([]);
    expect(
      paramIssues(sig.params, { max_new_tokens: 6.5, max_new_tokns: 3, return_full_text: "no" }),
    ).toEqual([
      { path: "params.max_new_tokens", message: "expected long, got number 6.5" },
      {
        path: "params.max_new_tokns",
        message:
          'unknown param (did you mean "max_new_tokens"?); the model takes max_new_tokens, repetition_penalty, return_full_text',
      },
      { path: "params.return_full_text", message: "expected boolean, got a string" },
    ]);
  });
});

describe("column checks", () => {
  const schema = columns([
    { type: "long", name: "id", required: true },
    { type: "integer", name: "count" },
    { type: "float", name: "score", required: false },
    { type: "string", name: "plan", optional: true },
    { type: "boolean", name: "active", required: false },
    { type: "binary", name: "blob", required: false },
    { type: "datetime", name: "at", required: false },
    { type: "map", values: { type: "double" }, name: "extra", required: false },
    { type: "sparkml_vector", name: "vec", required: false },
  ]);

  it("accepts every type in its JSON form, and optional columns left out or null", () => {
    const row = {
      id: 9_007_199_254_740_991,
      count: -2_147_483_648,
      score: 0.5,
      plan: "pro",
      active: false,
      blob: "aGVsbG8=",
      at: new Date(0),
      extra: { a: 1 },
      vec: { anything: true },
    };
    expect(
      rowIssues(schema, [
        row,
        { id: 1, count: 0 },
        { id: 1, count: 0, score: null, at: "2024-05-17T23:15:28Z" },
      ]),
    ).toEqual([]);
  });

  it("names each wrong value: range, NaN, base64, dates, booleans, maps", () => {
    const issues = rowIssues(schema, [
      {
        id: 2 ** 53,
        count: 2 ** 31,
        score: Number.NaN,
        plan: 3,
        active: "yes",
        blob: "not base64!",
        at: "yesterday",
        extra: { a: "1" },
      },
    ]);
    expect(issues).toEqual([
      {
        path: "rows[0].id",
        message: "9007199254740992 is beyond ±(2^53 − 1), which JSON numbers cannot carry exactly",
      },
      { path: "rows[0].count", message: "2147483648 is out of range for integer (32-bit)" },
      { path: "rows[0].score", message: "NaN cannot be sent as JSON" },
      { path: "rows[0].plan", message: "expected string, got number 3" },
      { path: "rows[0].active", message: "expected boolean, got a string" },
      { path: "rows[0].blob", message: "expected binary as a base64 string, got a string" },
      { path: "rows[0].at", message: "expected datetime (a Date or an ISO 8601 string), got a string" },
      { path: "rows[0].extra.a", message: "expected double, got a string" },
    ]);
  });

  it("reports missing required columns (`optional: true` of MLflow < 2.10 is not required)", () => {
    expect(rowIssues(schema, [{ plan: null }])).toEqual([
      { path: "rows[0].id", message: "missing required column (long)" },
      { path: "rows[0].count", message: "missing required column (integer)" },
    ]);
  });

  it("takes array rows positionally and says the column order when the length is wrong", () => {
    const two = columns([
      { type: "double", name: "x" },
      { type: "string", name: "y" },
    ]);
    expect(rowIssues(two, [[1, "a"]])).toEqual([]);
    expect(rowIssues(two, [[1, 2], [1], "x"])).toEqual([
      { path: "rows[0][1] (y)", message: "expected string, got number 2" },
      { path: "rows[1]", message: "has 1 values; the model takes 2 columns in this order: x, y" },
      { path: "rows[2]", message: "must be a record of columns or an array of values, got a string" },
    ]);
  });

  it("never echoes string values (rows may hold personal data)", () => {
    const issues = rowIssues(columns([{ type: "double", name: "x" }]), [{ x: "jane.doe@example.com" }]);
    expect(JSON.stringify(issues)).not.toContain("jane");
  });
});

describe("tensor checks", () => {
  const tensors = (json: unknown[]) => columns(json.map((t) => ({ type: "tensor", ...(t as object) })));

  it("checks integer dtypes' ranges, bool and string dtypes, and nested shapes", () => {
    const img = tensors([{ "tensor-spec": { dtype: "uint8", shape: [-1, 2, -1] } }]);
    expect(rowIssues(img, [[[0, 255, 7], [1]]])).toEqual([]);
    expect(rowIssues(img, [[[0, 256]], [[1], [true]]])).toEqual([
      {
        path: "rows[0]",
        message: "expected a tensor slice of shape (2, -1) (uint8): 2 values along this axis, got 1",
      },
      { path: "rows[1][1][0]", message: "expected uint8, got boolean true" },
    ]);
    expect(rowIssues(tensors([{ "tensor-spec": { dtype: "bool", shape: [-1] } }]), [true, 1])).toEqual([
      { path: "rows[1]", message: "expected bool, got number 1" },
    ]);
    expect(rowIssues(tensors([{ "tensor-spec": { dtype: "<U0", shape: [-1] } }]), ["a", 1])).toEqual([
      { path: "rows[1]", message: "expected <U0 (a string), got number 1" },
    ]);
    expect(rowIssues(tensors([{ "tensor-spec": { dtype: "int8", shape: [-1] } }]), [-129])).toEqual([
      { path: "rows[0]", message: "-129 is out of range for int8" },
    ]);
  });

  it("takes several named tensors as records and a fixed batch dimension as a row count", () => {
    const two = tensors([
      { name: "ids", "tensor-spec": { dtype: "int64", shape: [-1, 3] } },
      { name: "mask", "tensor-spec": { dtype: "int64", shape: [-1, 3] } },
    ]);
    expect(rowIssues(two, [{ ids: [1, 2, 3], mask: [1, 1, 0] }])).toEqual([]);
    expect(rowIssues(two, [{ ids: [1, 2, 3], msk: [1, 1, 0] }, [1, 2, 3]])).toEqual([
      { path: "rows[0].msk", message: 'unknown tensor (did you mean "mask"?); the model takes ids, mask' },
      { path: "rows[0].mask", message: "missing input tensor (int64, shape (-1, 3))" },
      { path: "rows[1]", message: "must be a record of the input tensors (ids, mask), got an array of 3" },
    ]);
    const fixed = tensors([{ name: "x", "tensor-spec": { dtype: "float32", shape: [2, 1] } }]);
    expect(rowIssues(fixed, [[1]])).toEqual([
      { path: "rows", message: "the model takes exactly 2 rows (its input tensor has shape (2, 1)), got 1" },
    ]);
    expect(rowIssues(fixed, [{ x: [1] }, [2]])).toEqual([]);
  });
});

describe("unreadable signatures", () => {
  it("names the part and the model", () => {
    expect(() => parseSignature({ inputs: "[{" }, "main.ml.m version 2")).toThrow(
      "The signature inputs of main.ml.m version 2 are not JSON",
    );
    expect(() => parseSignature({ inputs: '[{"type": "tensor"}]' }, "m")).toThrow(
      /signature inputs of m cannot be read/,
    );
    expect(() => parseSignature({ inputs: '{"type": "double"}' }, "m")).toThrow(/expected a JSON list/);
    expect(parseSignature({ inputs: '[{"type": "double"}]', params: "null" }, "m").params).toEqual([]);
  });
});

describe("TypeScript types from a signature", () => {
  it("renders columns, tensors, nested types, params, and quotes names that are not identifiers", () => {
    const sig = parseSignature(
      {
        inputs: JSON.stringify([
          { type: "double", name: "sepal length (cm)" },
          { type: "long", name: "id", required: false },
          { type: "datetime", name: "at" },
          { type: "array", items: { type: "string" }, name: "tags" },
        ]),
        outputs: JSON.stringify([{ type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1, 3] } }]),
        params: JSON.stringify([{ name: "top_k", type: "integer", default: [1, 2], shape: [-1] }]),
      },
      "m",
    );
    expect(
      signatureTypeScript(
        "Iris",
        [{ label: "main.ml.iris v3", suffix: "V3", signature: sig }],
        "brickml types main.ml.iris/3",
      ),
    ).toBe(
      [
        "// Generated by `brickml types main.ml.iris/3` from the MLflow model signature of",
        "//   main.ml.iris v3",
        "// Regenerate after each new model version and review the diff; do not edit by hand.",
        "",
        "/** One input row. */",
        "export interface IrisInput {",
        "  /** double */",
        '  "sepal length (cm)": number;',
        "  /** long */",
        "  id?: number | null;",
        "  /** datetime */",
        "  at: string | Date;",
        "  tags: string[];",
        "}",
        "",
        "/** One prediction. */",
        "export type IrisOutput = number[];",
        "",
        "/** Inference parameters; the model applies its defaults to those left out. */",
        "export interface IrisParams {",
        "  /** integer[], default [1,2] */",
        "  top_k?: number[] | null;",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("types two differing served signatures as the intersection of inputs and the union of outputs", () => {
    const a = parseSignature(
      { inputs: '[{"type": "double", "name": "x"}]', outputs: '[{"type": "double"}]' },
      "a",
    );
    const b = parseSignature(
      { inputs: '[{"type": "double", "name": "y"}]', outputs: '[{"type": "string"}]' },
      "b",
    );
    const text = signatureTypeScript(
      "Churn",
      [
        { label: "main.ml.churn v1 (served as churn-1)", suffix: "V1", signature: a },
        { label: "main.ml.churn v2 (served as churn-2)", suffix: "V2", signature: b },
      ],
      "brickml types churn",
    );
    expect(text).toContain("export type ChurnInput = ChurnInputV1 & ChurnInputV2;");
    expect(text).toContain("export type ChurnOutput = ChurnOutputV1 | ChurnOutputV2;");
    expect(text).toContain("export interface ChurnInputV2 {\n  /** double */\n  y: number;\n}");
    expect(text).toContain("export type ChurnOutputV2 = string;");
  });

  it("types tensors as nested arrays per row, several tensors as a record", () => {
    const sig = parseSignature(
      {
        inputs: JSON.stringify([
          { type: "tensor", name: "image", "tensor-spec": { dtype: "float32", shape: [-1, 28, 28] } },
          { type: "tensor", name: "label", "tensor-spec": { dtype: "bool", shape: [-1] } },
        ]),
        outputs: JSON.stringify([{ type: "tensor", "tensor-spec": { dtype: "object", shape: [-1] } }]),
      },
      "m",
    );
    const text = signatureTypeScript(
      "Digits",
      [{ label: "m", suffix: "", signature: sig }],
      "brickml types m",
    );
    expect(text).toContain(
      "export interface DigitsInput {\n  /** float32, shape (-1, 28, 28) */\n  image: number[][];\n  /** bool, shape (-1) */\n  label: boolean;\n}",
    );
    expect(text).toContain("export type DigitsOutput = unknown;");
  });

  it("derives type names from model and endpoint names", () => {
    expect(typeNameOf("main.ml.churn")).toBe("Churn");
    expect(typeNameOf("churn-canary_example")).toBe("ChurnCanaryExample");
    expect(typeNameOf("main.ml.2024_model")).toBe("Model2024Model");
  });
});
