import type { Databricks } from "../client.js";
import { isNotFound, ValidationError } from "../core/errors.js";
import type { TabularInput } from "../data/dataframe.js";
import { type DriftOptions, type DriftReport, driftReport } from "../data/drift.js";
import { type InferenceQueryOptions, quoteName } from "../data/inference-table.js";
import type { ApplyResult, LifecycleSpec } from "./lifecycle.js";
import type { ModelVersion } from "./model-version.js";
import { type OnStep, step } from "./progress.js";
import { RegisteredModel } from "./registered-model.js";
import { ServingEndpoint } from "./serving-endpoint.js";
import { pickWarehouse } from "./warehouse.js";

/** An MLflow metric that decides between the retrained version and the champion. */
export interface PromotionMetric {
  /** Metric key as the training run logged it, e.g. `roc_auc`. */
  name: string;
  /** Whether a larger value is better (default true); the new version must beat the champion strictly. */
  higherIsBetter?: boolean;
}

export interface RetrainOptions extends InferenceQueryOptions {
  /** Training data: an Arrow Table, records, columns, or a table name `catalog.schema.table`. */
  baseline: TabularInput | string;
  /** Share of traffic the retrained version gets while it is judged (default 10). */
  canaryPercent?: number;
  /** Promote only when the new run's metric beats the champion run's; without one, promote. */
  metric?: PromotionMetric;
  /** Notebook parameters of the retraining run, over the spec's own. */
  parameters?: Record<string, string>;
  /** Thresholds and features of the drift report. */
  drift?: DriftOptions;
  /** Warehouse for the SQL reads (default: the first RUNNING one, started if none runs). */
  warehouse_id?: string;
  onProgress?: OnStep;
}

export interface RetrainResult {
  /** Baseline against the endpoint's recent inference data. */
  report: DriftReport;
  retrained: boolean;
  decision: "promoted" | "rolled_back" | "not_needed";
  /** The retrained version (served alone when promoted; registered but not served when rolled back). */
  version?: ModelVersion;
  /** The version the alias pointed at before. */
  champion?: ModelVersion;
  /** The metric values compared, when a metric was given. */
  metric?: { name: string; candidate?: number; champion?: number };
  /** Why the decision was taken, in words. */
  reason: string;
}

/** The parameter that makes a retraining a new run (the life cycle's fingerprint includes parameters). */
export const RETRAIN_PARAMETER = "brickml_retrained_at";

/**
 * Drift report, then — when `decide(report)` says so — retrain with the same spec, register the
 * new version, canary it, and promote it (moving the alias) or roll the endpoint back.
 */
export async function retrainIf(
  db: Databricks,
  spec: LifecycleSpec,
  apply: (spec: LifecycleSpec, onProgress: OnStep | undefined) => Promise<ApplyResult>,
  decide: (report: DriftReport) => boolean | Promise<boolean>,
  options: RetrainOptions,
): Promise<RetrainResult> {
  const canaryPercent = options.canaryPercent ?? 10;
  if (!(Number.isInteger(canaryPercent) && canaryPercent > 0 && canaryPercent < 100)) {
    throw new ValidationError("retrainIf options", [
      { path: "canaryPercent", message: "must be a whole number between 1 and 99" },
    ]);
  }
  const onStep = options.onProgress;
  const endpoint = new ServingEndpoint(db, spec.endpoint.name);
  const report = await step(onStep, "drift", spec.endpoint.name, async () => {
    const warehouse_id = options.warehouse_id ?? (await pickWarehouse(db));
    const [baseline, recent] = await Promise.all([
      typeof options.baseline === "string"
        ? db.statements.query(`SELECT * FROM ${quoteName(options.baseline)}`, {
            warehouse_id,
            format: "arrow",
          })
        : options.baseline,
      endpoint.inferenceTable({ warehouse_id, since: options.since, limit: options.limit }),
    ]);
    return driftReport(baseline, recent, options.drift);
  });
  if (!(await decide(report))) {
    return { report, retrained: false, decision: "not_needed", reason: "the decision function saw no need" };
  }

  const alias = spec.model.alias ?? "champion";
  const champion = await aliasedVersion(db, spec.model.name, alias);
  const retrained = await apply(
    {
      ...spec,
      parameters: {
        ...spec.parameters,
        ...options.parameters,
        [RETRAIN_PARAMETER]: new Date(db.ctx.clock.now()).toISOString(),
      },
      traffic: { ...spec.traffic, canaryPercent },
    },
    onStep,
  );
  const version = retrained.version;
  const base = { report, retrained: true, version, ...(champion ? { champion } : {}) };
  const verdict = await judge(db, options.metric, version, champion);
  if (verdict.promote) {
    await step(onStep, "promote", spec.endpoint.name, (progress) =>
      endpoint.promote(version.entityName, { waitOptions: { onProgress: progress } }),
    );
    await step(onStep, "alias", `${spec.model.name}@${alias}`, () => version.setAlias(alias));
    return { ...base, decision: "promoted", ...verdict.detail };
  }
  await step(onStep, "rollback", spec.endpoint.name, (progress) =>
    endpoint.rollback({ waitOptions: { onProgress: progress } }),
  );
  return { ...base, decision: "rolled_back", ...verdict.detail };
}

async function judge(
  db: Databricks,
  metric: PromotionMetric | undefined,
  candidate: ModelVersion,
  champion: ModelVersion | undefined,
): Promise<{ promote: boolean; detail: Pick<RetrainResult, "metric" | "reason"> }> {
  if (!metric)
    return { promote: true, detail: { reason: "no metric to compare: promoted after the canary served" } };
  const candidateValue = await metricOf(db, candidate.runId, metric.name);
  const championValue = champion ? await metricOf(db, champion.runId, metric.name) : undefined;
  const values = {
    name: metric.name,
    ...(candidateValue !== undefined ? { candidate: candidateValue } : {}),
    ...(championValue !== undefined ? { champion: championValue } : {}),
  };
  if (candidateValue === undefined) {
    return {
      promote: false,
      detail: { metric: values, reason: `the retrained run logged no ${metric.name}: rolled back` },
    };
  }
  if (championValue === undefined) {
    return {
      promote: true,
      detail: { metric: values, reason: `no champion ${metric.name} to compare with: promoted` },
    };
  }
  const higher = metric.higherIsBetter ?? true;
  const better = higher ? candidateValue > championValue : candidateValue < championValue;
  const relation = better ? (higher ? ">" : "<") : higher ? "≤" : "≥";
  return {
    promote: better,
    detail: {
      metric: values,
      reason: `${metric.name} ${candidateValue} ${relation} champion's ${championValue}: ${better ? "promoted" : "rolled back"}`,
    },
  };
}

/** The latest value of an MLflow metric of a run, or undefined. */
async function metricOf(
  db: Databricks,
  runId: string | undefined,
  name: string,
): Promise<number | undefined> {
  if (!runId) return undefined;
  const { run } = await db.runs.get({ run_id: runId });
  return run.data?.metrics?.find((m) => m.key === name)?.value ?? undefined;
}

async function aliasedVersion(
  db: Databricks,
  model: string,
  alias: string,
): Promise<ModelVersion | undefined> {
  try {
    return await new RegisteredModel(db, model).alias(alias);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
