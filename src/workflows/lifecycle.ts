import type { Databricks } from "../client.js";
import { traceStep } from "../core/telemetry.js";
import type { DriftReport } from "../data/drift.js";
import { applySteps } from "./lifecycle/apply.js";
import { Budget, type CallLimits } from "./lifecycle/budget.js";
import { observe } from "./lifecycle/observe.js";
import { type Plan, planSteps, toPlan } from "./lifecycle/plan.js";
import { type LifecycleSpec, parseLifecycleSpec } from "./lifecycle/spec.js";
import type { ModelVersion } from "./model-version.js";
import type { OnStep } from "./progress.js";
import { type RetrainOptions, type RetrainResult, retrainIf } from "./retrain.js";
import type { ServingEndpoint } from "./serving-endpoint.js";
import type { TrainingRun } from "./training-run.js";

export type { CallLimits } from "./lifecycle/budget.js";
export type { Plan, PlanAction, PlannedStep } from "./lifecycle/plan.js";
export { type LifecycleSpec, LifecycleSpecSchema, parseLifecycleSpec } from "./lifecycle/spec.js";

export interface ApplyOptions extends CallLimits {
  onProgress?: OnStep;
}

export interface ApplyResult {
  /** The steps as applied, each with the action it took. */
  plan: Plan;
  run: TrainingRun;
  version: ModelVersion;
  endpoint: ServingEndpoint;
}

/**
 * Drives notebook → run → model version → alias → endpoint from one spec. `plan()` and `apply()`
 * read the workspace the same way and decide with the same function, so the steps `plan()` shows
 * are the steps `apply()` takes. Every step is keyed so that re-running it finds its own earlier
 * work: the training run by the spec's fingerprint (its name and submit token), the model
 * version by the MLflow run (its registration id), the endpoint by comparing every setting.
 */
export class Lifecycle {
  readonly spec: LifecycleSpec;

  /** Checks the spec (ValidationError naming each bad field) before anything is sent. */
  constructor(
    private readonly db: Databricks,
    spec: LifecycleSpec,
  ) {
    this.spec = parseLifecycleSpec(spec);
  }

  /** What `apply()` would do, read from the workspace's current state. Changes nothing. */
  async plan(limits: CallLimits = {}): Promise<Plan> {
    const budget = new Budget(this.db.ctx.clock, limits);
    return toPlan(planSteps(this.spec, await observe(this.db, this.spec, budget)));
  }

  /**
   * Makes the workspace match the spec: plans, then runs each step's action, reporting progress.
   * A numeric `deadline` is fixed when the call starts and bounds every request and wait inside.
   */
  async apply(options: ApplyOptions = {}): Promise<ApplyResult> {
    return traceStep("lifecycle", this.ids, () => this.applyNow(options));
  }

  private get ids() {
    return { "brickml.model.name": this.spec.model.name, "brickml.endpoint.name": this.spec.endpoint.name };
  }

  private async applyNow(options: ApplyOptions): Promise<ApplyResult> {
    const budget = new Budget(this.db.ctx.clock, options);
    const observed = await observe(this.db, this.spec, budget);
    const { steps, ...result } = await applySteps(this.db, this.spec, observed, budget, options.onProgress);
    return { plan: toPlan(steps), ...result };
  }

  /**
   * Watches the endpoint and retrains when needed: compares `baseline` (the training data) with the
   * endpoint's recent inference data; when `decide(report)` is true, runs training again (this spec
   * with `parameters` and a retrain timestamp, so it is a new run), registers the new version,
   * canaries it with `canaryPercent` % of the traffic, then promotes it — moving the alias — when it
   * beats the champion on `metric` (or when no metric is given), and rolls the endpoint back
   * otherwise.
   */
  async retrainIf(
    decide: (report: DriftReport) => boolean | Promise<boolean>,
    options: RetrainOptions,
  ): Promise<RetrainResult> {
    return traceStep("retrain", this.ids, () =>
      retrainIf(
        this.db,
        this.spec,
        (spec, onProgress) => new Lifecycle(this.db, spec).apply(onProgress ? { onProgress } : {}),
        decide,
        options,
      ),
    );
  }
}
