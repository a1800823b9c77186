export type {
  ApplyOptions,
  ApplyResult,
  CallLimits,
  LifecycleSpec,
  Plan,
  PlanAction,
  PlannedStep,
} from "./lifecycle.js";
export { Lifecycle, LifecycleSpecSchema, parseLifecycleSpec } from "./lifecycle.js";
export type { BatchScoreOptions, DeployOptions } from "./model-version.js";
export { ModelVersion } from "./model-version.js";
export type { Language, NotebookRunOptions, NotebookSource } from "./notebook.js";
export { Notebook } from "./notebook.js";
export type { LifecycleStep, OnStep, StepEvent } from "./progress.js";
export { StepFailedError } from "./progress.js";
export { RegisteredModel } from "./registered-model.js";
export type { PromotionMetric, RetrainOptions, RetrainResult } from "./retrain.js";
export { RETRAIN_PARAMETER } from "./retrain.js";
export type { InferenceTableOptions, PredictOptions, RolloutStepOptions, Rows } from "./serving-endpoint.js";
export { ServingEndpoint } from "./serving-endpoint.js";
export type { RegisterModelOptions, RunOrigin } from "./training-run.js";
export { TrainingRun } from "./training-run.js";
export type { TypedPredictOptions, VersionSignature } from "./typed-predict.js";
export { TypedEndpoint, TypedModelVersion } from "./typed-predict.js";
export { pickWarehouse } from "./warehouse.js";
