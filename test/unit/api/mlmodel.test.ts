import { describe, expect, it } from "vitest";
import { parseMlmodel, parseYaml, signatureProblem } from "../../../src/api/mlmodel.js";

// An MLmodel as MLflow's PyYAML writes it: long quoted schema strings fold over several lines.
const SKLEARN_MLMODEL = `artifact_path: model
databricks_runtime: 15.4.x-cpu-ml-scala2.12
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.11
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.4.2
mlflow_version: 2.19.0
model_size_bytes: 1043
model_uuid: 6c0b6f5a3a7a4d3f9f0b2d1f4d2b9a10
run_id: 0f7d9b1e2c3a4b5c8d9e0f1a2b3c4d5e
saved_input_example_info:
  artifact_path: input_example.json
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "fixed acidity", "required": true}, {"type":
    "double", "name": "volatile acidity", "required": true}, {"type": "string", "name":
    "it''s quoted", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
utc_time_created: '2025-01-10 09:12:33.123456'
`;

describe("MLmodel reader", () => {
  it("reads flavors, run id and a signature folded over several lines", () => {
    const m = parseMlmodel(SKLEARN_MLMODEL);
    expect(m.flavors).toEqual(["python_function", "sklearn"]);
    expect(m.run_id).toBe("0f7d9b1e2c3a4b5c8d9e0f1a2b3c4d5e");
    expect(m.artifact_path).toBe("model");
    expect(JSON.parse(m.signature!.inputs!).map((c: { name: string }) => c.name)).toEqual([
      "fixed acidity",
      "volatile acidity",
      "it's quoted",
    ]);
    expect(JSON.parse(m.signature!.outputs!)[0].type).toBe("tensor");
    expect(m.signature!.params).toBeUndefined();
    expect(signatureProblem(m)).toBeUndefined();
  });

  it("names what is missing from the signature", () => {
    const noSig = SKLEARN_MLMODEL.replace(/^signature:[\s\S]*?(?=^utc_time_created)/m, "");
    expect(signatureProblem(parseMlmodel(noSig))).toBe("its MLmodel has no signature");
    const inputsOnly = SKLEARN_MLMODEL.replace(/ {2}outputs: .*\n/, "  outputs: null\n");
    expect(signatureProblem(parseMlmodel(inputsOnly))).toBe("its signature declares no outputs");
    const emptyInputs = "signature:\n  inputs: '[]'\n  outputs: '[{\"type\": \"long\"}]'\n";
    expect(signatureProblem(parseMlmodel(emptyInputs))).toBe("its signature declares no inputs");
    expect(signatureProblem(parseMlmodel("signature:\n  inputs: not json\n  outputs: x\n"))).toBe(
      "its signature inputs are not a JSON schema",
    );
    expect(signatureProblem(parseMlmodel(""))).toBe("its MLmodel has no signature");
  });

  it("parses block sequences, double quotes, block scalars and comments", () => {
    expect(
      parseYaml(
        [
          "# comment",
          "metadata:",
          "  tags:",
          "  - a",
          "  - 'b c'",
          "resources:",
          "  databricks:",
          "  - serving_endpoint:",
          "      name: e1",
          "    other: y",
          'quoted: "line\\twith \\"escapes\\""',
          "block: |",
          "  first",
          "  second",
          "empty:",
        ].join("\n"),
      ),
    ).toEqual({
      metadata: { tags: ["a", "b c"] },
      resources: { databricks: [{ serving_endpoint: { name: "e1" }, other: "y" }] },
      quoted: 'line\twith "escapes"',
      block: "first\nsecond\n",
      empty: null,
    });
  });
});
