import { randomHex } from "../ids.js";
import type { NotebookModel } from "../notebooks.js";
import type { EmulatorContext } from "../types.js";

const MLFLOW_VERSION = "2.14.1";
const PYTHON_VERSION = "3.11.9";

/**
 * The files of a logged model, relative to the run's artifact root (`<artifactPath>/MLmodel`,
 * `coefficients.json`, `requirements.txt`, `python_env.yaml`), and the `mlflow.log-model.history` entry for the run.
 */
export function mlmodelFiles(
  ctx: EmulatorContext,
  model: NotebookModel,
  runId: string,
  time: number,
): { files: Record<string, string>; history: Record<string, unknown> } {
  const dir = (model.artifactPath ?? "model").replace(/^\/+|\/+$/g, "");
  const uuid = randomHex(ctx, 32);
  const created = new Date(time).toISOString().replace("T", " ").replace("Z", "000");
  const features = Object.keys(model.coefficients?.weights ?? {});
  const inputs = (features.length ? features : ["x"]).map((name) => ({
    type: "double",
    name,
    required: true,
  }));
  const outputs = [{ type: "double", required: true }];
  const lines = [
    `artifact_path: ${dir}`,
    "flavors:",
    "  python_function:",
    ...(model.coefficients ? ["    data: coefficients.json"] : []),
    "    env:",
    "      virtualenv: python_env.yaml",
    "    loader_module: brickml_emulator.linear_model",
    `    python_version: ${PYTHON_VERSION}`,
    `mlflow_version: ${MLFLOW_VERSION}`,
    `model_uuid: ${uuid}`,
    `run_id: ${runId}`,
    ...(model.signature === false
      ? []
      : [
          "signature:",
          `  inputs: '${JSON.stringify(inputs).replace(/'/g, "''")}'`,
          `  outputs: '${JSON.stringify(outputs)}'`,
          "  params: null",
        ]),
    `utc_time_created: '${created}'`,
    "",
  ];
  const files: Record<string, string> = {
    [`${dir}/MLmodel`]: lines.join("\n"),
    [`${dir}/requirements.txt`]: `mlflow==${MLFLOW_VERSION}\n`,
    [`${dir}/python_env.yaml`]: `python: ${PYTHON_VERSION}\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n`,
  };
  if (model.coefficients) {
    files[`${dir}/coefficients.json`] = `${JSON.stringify(
      { link: "identity", ...model.coefficients },
      null,
      2,
    )}\n`;
  }
  const history = {
    run_id: runId,
    artifact_path: dir,
    utc_time_created: created,
    flavors: { python_function: { loader_module: "brickml_emulator.linear_model" } },
    model_uuid: uuid,
    mlflow_version: MLFLOW_VERSION,
  };
  return { files, history };
}
