import { BrickmlError, isAbortError } from "../core/errors.js";
import { traceStep } from "../core/telemetry.js";
import type { ProgressEvent } from "../core/wait.js";

/** The steps of the life cycle, as reported to `onProgress`. */
export type LifecycleStep =
  | "upload"
  | "train"
  | "register"
  | "alias"
  | "deploy"
  | "query"
  | "canary"
  | "promote"
  | "rollback"
  | "score"
  | "drift"
  | "access";

export interface StepEvent {
  step: LifecycleStep;
  status: "started" | "progress" | "done" | "skipped";
  /** What the step acts on: a notebook path, a run id, `catalog.schema.model/3`, an endpoint. */
  resource: string;
  /** The resource's state, for `progress` events (e.g. `RUNNING`, `READY`). */
  state?: string | undefined;
  message?: string | undefined;
  /** The resource's page in the workspace UI, when known. */
  url?: string | undefined;
  elapsedMs: number;
}

export type OnStep = (event: StepEvent) => void;

/** A life-cycle step failed; `cause` is the underlying (usually server) error. */
export class StepFailedError extends BrickmlError {
  override readonly code: string = "STEP_FAILED";
  constructor(
    readonly step: LifecycleStep,
    readonly resource: string,
    cause: unknown,
  ) {
    super(`Step "${step}" failed for ${resource}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** Runs one step: reports start, progress and end, and names the step and resource on failure. */
export async function step<T>(
  onStep: OnStep | undefined,
  name: LifecycleStep,
  resource: string,
  work: (progress: (e: ProgressEvent) => void) => Promise<T>,
  now: () => number = Date.now,
): Promise<T> {
  const start = now();
  onStep?.({ step: name, status: "started", resource, elapsedMs: 0 });
  try {
    const result = await traceStep(name, { "brickml.resource": resource }, () =>
      work((e) =>
        onStep?.({
          step: name,
          status: "progress",
          resource,
          state: e.state,
          message: e.message,
          url: e.url,
          elapsedMs: now() - start,
        }),
      ),
    );
    onStep?.({ step: name, status: "done", resource, elapsedMs: now() - start });
    return result;
  } catch (error) {
    // Cancellation stays what it is; everything else says which step and resource failed.
    if (error instanceof StepFailedError || isAbortError(error)) throw error;
    throw new StepFailedError(name, resource, error);
  }
}
