import type { JobRun } from "./jobs-schemas.js";

const TERMINAL_LIFE_CYCLE = new Set(["TERMINATED", "SKIPPED", "INTERNAL_ERROR"]);

/** A job run's (or task run's) status, whichever of the legacy `state` and the newer `status` it carries. */
export interface JobRunStatusSummary {
  /** `PENDING`, `RUNNING`, `TERMINATED`, … (`state.life_cycle_state`, else `status.state`). */
  lifeCycle: string | undefined;
  /** `SUCCESS`, `FAILED`, … (`state.result_state`, else `status.termination_details.code`). */
  result: string | undefined;
  message: string | undefined;
  terminal: boolean;
  /** Ended with SUCCESS. */
  succeeded: boolean;
}

/** Reads a run's status: the one place that knows both shapes the Jobs API answers with. */
export function runStatus(run: Pick<JobRun, "state" | "status">): JobRunStatusSummary {
  const lifeCycle = run.state?.life_cycle_state ?? run.status?.state ?? undefined;
  const result = run.state?.result_state ?? run.status?.termination_details?.code ?? undefined;
  const message = run.state?.state_message || run.status?.termination_details?.message || undefined;
  const legacy = run.state?.life_cycle_state;
  const terminal = legacy ? TERMINAL_LIFE_CYCLE.has(legacy) : run.status?.state === "TERMINATED";
  return { lifeCycle, result, message, terminal, succeeded: terminal && result === "SUCCESS" };
}
