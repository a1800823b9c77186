import {
  type Attempt,
  current,
  type Outcome,
  type RunRecord,
  type TaskRecord,
  type Termination,
} from "./run-model.js";

/** How tasks and runs end: the results, messages and termination details the real service reports. */

export function timedOut(seconds: number): Outcome {
  const message = `Timed out after ${seconds} seconds.`;
  return {
    life: "TERMINATED",
    result: "TIMEDOUT",
    message,
    termination: { code: "RUN_EXECUTION_ERROR", type: "CLIENT_ERROR", message },
    userCancelledOrTimedOut: true,
    error: message,
  };
}

export function canceled(): Outcome {
  const message = "Run cancelled by user.";
  return {
    life: "TERMINATED",
    result: "CANCELED",
    message,
    termination: { code: "USER_CANCELED", type: "SUCCESS", message },
    userCancelledOrTimedOut: true,
  };
}

/** A task that could not start or run (missing notebook, cluster that did not come up). */
export function internalError(message: string, code: string, type: string): Outcome {
  return {
    life: "INTERNAL_ERROR",
    result: "FAILED",
    message,
    termination: { code, type, message },
    error: message,
  };
}

const WORKLOAD_FAILED = "Workload failed, see run output for details";

/** The notebook raised an error. */
export function workloadFailed(error: string, errorTrace?: string): Outcome {
  return {
    life: "TERMINATED",
    result: "FAILED",
    message: WORKLOAD_FAILED,
    termination: { code: "RUN_EXECUTION_ERROR", type: "CLIENT_ERROR", message: WORKLOAD_FAILED },
    error,
    ...(errorTrace !== undefined ? { errorTrace } : {}),
  };
}

export function succeeded(exitValue?: string): Outcome {
  return {
    life: "TERMINATED",
    result: "SUCCESS",
    message: "",
    termination: { code: "SUCCESS", type: "SUCCESS", message: "" },
    ...(exitValue !== undefined ? { exitValue } : {}),
  };
}

const passed = (r: string) =>
  r === "SUCCESS" || r === "SUCCESS_WITH_FAILURES" || r === "EXCLUDED" || r === "DISABLED";

/** Whether a task whose dependencies all ended may run, by its `run_if`; else how it is skipped. */
export function dependencyVerdict(
  run: RunRecord,
  task: TaskRecord,
): "RUN" | "UPSTREAM_FAILED" | "UPSTREAM_CANCELED" | "EXCLUDED" {
  const results = task.depends_on.map((key) => {
    const dep = run.tasks.find((t) => t.task_key === key);
    return dep ? (current(dep).result_state ?? "FAILED") : "SUCCESS";
  });
  const failed = results.filter((r) => !passed(r));
  const condition = String(task.spec.run_if ?? "ALL_SUCCESS");
  const met: Record<string, boolean> = {
    ALL_SUCCESS: failed.length === 0,
    ALL_DONE: true,
    NONE_FAILED: failed.every((r) => r.startsWith("UPSTREAM_")),
    AT_LEAST_ONE_SUCCESS: results.some(passed),
    AT_LEAST_ONE_FAILED: failed.length > 0,
    ALL_FAILED: failed.length === results.length,
  };
  if (met[condition] ?? met.ALL_SUCCESS) return "RUN";
  if (condition !== "ALL_SUCCESS") return "EXCLUDED";
  return failed.every((r) => r === "CANCELED" || r === "UPSTREAM_CANCELED")
    ? "UPSTREAM_CANCELED"
    : "UPSTREAM_FAILED";
}

/** What a skipped task shows: its upstream failed or was canceled, or its run_if did not hold. */
export function skippedTask(result: string, at: number): Partial<Attempt> {
  const message =
    result === "UPSTREAM_FAILED"
      ? "Upstream task(s) failed."
      : result === "UPSTREAM_CANCELED"
        ? "Upstream task(s) were canceled."
        : "The run_if condition of the task was not met.";
  return {
    life: "SKIPPED",
    since: at,
    start_time: at,
    end_time: at,
    result_state: result,
    state_message: message,
    termination: { code: "SKIPPED", type: "SUCCESS", message },
  };
}

export interface RunResult {
  life: RunRecord["life"];
  result_state: string;
  state_message: string;
  termination: Termination;
  user_cancelled_or_timedout: boolean;
}

/** The result of a run whose tasks all ended: a stop decides it, else the first failure explains it. */
export function runResult(run: RunRecord): RunResult {
  if (run.stop) {
    const outcome = run.stop.result === "CANCELED" ? canceled() : timedOut(run.timeout_seconds);
    return {
      life: "TERMINATED",
      result_state: run.stop.result,
      state_message: outcome.message,
      termination: outcome.termination,
      user_cancelled_or_timedout: true,
    };
  }
  const ok = (result_state: string): RunResult => ({
    life: "TERMINATED",
    result_state,
    state_message: "",
    termination: { code: result_state, type: "SUCCESS", message: "" },
    user_cancelled_or_timedout: false,
  });
  const bad = run.tasks
    .map((task) => ({ task, a: current(task) }))
    .filter(({ a }) => !["SUCCESS", "EXCLUDED", "DISABLED"].includes(String(a.result_state)));
  if (bad.length === 0) return ok("SUCCESS");
  if (leavesSucceeded(run)) return ok("SUCCESS_WITH_FAILURES");
  const causes = bad.filter(({ a }) => !String(a.result_state).startsWith("UPSTREAM_"));
  const first = [...(causes.length ? causes : bad)].sort(
    (x, y) => (x.a.end_time ?? 0) - (y.a.end_time ?? 0),
  )[0]!;
  const skipped = bad.length > causes.length;
  const message = `Task ${first.task.task_key} failed with message: ${first.a.state_message.replace(/\.$/, "")}.${
    skipped ? " This caused all downstream tasks to get skipped." : ""
  }`;
  const internal = first.a.life === "INTERNAL_ERROR";
  return {
    life: internal ? "INTERNAL_ERROR" : "TERMINATED",
    result_state:
      first.a.result_state === "TIMEDOUT" || first.a.result_state === "CANCELED"
        ? first.a.result_state
        : "FAILED",
    state_message: message,
    termination: {
      code: internal ? (first.a.termination?.code ?? "INTERNAL_ERROR") : "RUN_EXECUTION_ERROR",
      type: internal ? (first.a.termination?.type ?? "INTERNAL_ERROR") : "CLIENT_ERROR",
      message,
    },
    user_cancelled_or_timedout: first.a.user_cancelled_or_timedout,
  };
}

/** Some tasks failed, but every task nothing depends on succeeded. */
function leavesSucceeded(run: RunRecord): boolean {
  const upstream = new Set(run.tasks.flatMap((t) => t.depends_on));
  const leaves = run.tasks.filter((t) => !upstream.has(t.task_key) && !t.left_out);
  return leaves.length > 0 && leaves.every((t) => current(t).result_state === "SUCCESS");
}
