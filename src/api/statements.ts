import {
  BrickmlError,
  isAbortError,
  isTimeoutError,
  isWaitTimeout,
  OperationFailedError,
} from "../core/errors.js";
import { encodePath, type RequestOptions } from "../core/http.js";
import { Service } from "../core/service.js";
import { parseLenient, validate } from "../core/validation.js";
import type { PollSchedule, Waiter, WaitOptions } from "../core/wait.js";
import {
  type ExecuteStatementRequest,
  executeStatementRequest,
  type ResultChunkRequest,
  type ResultData,
  resultChunkRequest,
  resultData,
  type StatementIdRequest,
  type StatementResponse,
  statementIdRequest,
  statementResponse,
} from "./statements-schemas.js";

export * from "./statements-schemas.js";

const BASE = "/api/2.0/sql/statements";
const DEFAULT_WAIT_MS = 20 * 60_000;
/** Most statements end in seconds, and execution already held the request up to `wait_timeout`. */
const STATEMENT_SCHEDULE: PollSchedule = { minDelayMs: 250, maxDelayMs: 5000, growth: 1.5, jitter: 0.3 };
const FAILED_STATES = new Set(["FAILED", "CANCELED", "CLOSED"]);

/**
 * SQL Statement Execution API 2.0: run SQL on a SQL warehouse over REST. A statement that fails
 * to execute is answered with HTTP 200 and `status.state = FAILED`; the waiting forms here turn
 * that (and CANCELED, CLOSED) into an `OperationFailedError`.
 */
export class StatementExecutionAPI extends Service {
  /** Submits a statement. Depending on `wait_timeout` the answer may still be PENDING or RUNNING. */
  async executeStatement(req: ExecuteStatementRequest, options?: RequestOptions): Promise<StatementResponse> {
    const body = validate(executeStatementRequest, req, "statements.executeStatement request");
    const res = await this.request<unknown>({ method: "POST", path: BASE, body }, options);
    return parseLenient(statementResponse, res);
  }

  /** Status, manifest and first result chunk of a statement. */
  async getStatement(req: StatementIdRequest, options?: RequestOptions): Promise<StatementResponse> {
    const { statement_id } = validate(statementIdRequest, req, "statements.getStatement request");
    const res = await this.request<unknown>(
      { method: "GET", path: encodePath`/api/2.0/sql/statements/${statement_id}` },
      options,
    );
    return parseLenient(statementResponse, res);
  }

  /** One chunk of a SUCCEEDED statement's result (inline rows or external links). */
  async getStatementResultChunkN(req: ResultChunkRequest, options?: RequestOptions): Promise<ResultData> {
    const { statement_id, chunk_index } = validate(
      resultChunkRequest,
      req,
      "statements.getStatementResultChunkN request",
    );
    const res = await this.request<unknown>(
      {
        method: "GET",
        path: encodePath`/api/2.0/sql/statements/${statement_id}/result/chunks/${chunk_index}`,
      },
      options,
    );
    return parseLenient(resultData, res);
  }

  /** Asks the warehouse to cancel; cancellation is asynchronous and may lose a race with completion. */
  async cancelExecution(req: StatementIdRequest, options?: RequestOptions): Promise<void> {
    const { statement_id } = validate(statementIdRequest, req, "statements.cancelExecution request");
    await this.request(
      { method: "POST", path: encodePath`/api/2.0/sql/statements/${statement_id}/cancel`, idempotent: true },
      options,
    );
  }

  /**
   * Polls a statement until it SUCCEEDED (resolves with the response holding manifest and first
   * chunk) or ends otherwise (rejects with `OperationFailedError` carrying `error_code`, message
   * and `sql_state`). Default timeout 20 minutes.
   */
  waitUntilStatementSucceeded(
    req: StatementIdRequest,
    waitOptions: WaitOptions<StatementResponse> = {},
    requestOptions?: RequestOptions,
  ): Promise<StatementResponse> {
    const { statement_id } = validate(
      statementIdRequest,
      req,
      "statements.waitUntilStatementSucceeded request",
    );
    const call = this.call(requestOptions, waitOptions);
    const waiter: Waiter<StatementResponse, StatementResponse> = {
      what: `statement ${statement_id} to succeed`,
      poll: (signal) => this.getStatement({ statement_id }, { ...call, signal }),
      state: (s) => s.status?.state ?? "UNKNOWN",
      message: (s) => s.status?.error?.message,
      outcome: (s) => {
        const failure = statementFailure(s);
        if (failure) return { failed: failure };
        return s.status?.state === "SUCCEEDED" ? { done: s } : undefined;
      },
    };
    return this.wait(waiter, waitOptions, DEFAULT_WAIT_MS, call, STATEMENT_SCHEDULE);
  }

  /**
   * Executes a statement and waits for it to succeed. If the caller aborts (signal) or the wait
   * times out, the statement is cancelled on the warehouse before the error is rethrown. When a
   * signal or a deadline is given and `wait_timeout` is not, the statement is submitted with `"0s"` so that its
   * id is known at once and an abort can always cancel it.
   */
  async executeAndWait(
    req: ExecuteStatementRequest,
    waitOptions: WaitOptions<StatementResponse> = {},
    requestOptions?: RequestOptions,
  ): Promise<StatementResponse> {
    const call = this.call(requestOptions, waitOptions);
    // With a signal or a deadline, the id must be known at once so the statement can be cancelled.
    const stoppable = call.signal !== undefined || call.deadline !== undefined;
    const body = stoppable && req.wait_timeout === undefined ? { ...req, wait_timeout: "0s" } : req;
    const first = await this.executeStatement(body, call);
    const failure = statementFailure(first);
    if (failure) throw failure;
    if (first.status?.state === "SUCCEEDED") return first;
    const statement_id = first.statement_id;
    if (!statement_id) {
      throw new BrickmlError(
        `The statement is ${first.status?.state ?? "in no state"} but has no statement_id to poll`,
      );
    }
    try {
      return await this.waitUntilStatementSucceeded({ statement_id }, waitOptions, call);
    } catch (error) {
      if (isAbortError(error) || isWaitTimeout(error) || isTimeoutError(error)) {
        // Stopping to poll does not stop a statement; cancel it so it does not run on unobserved.
        await this.cancelExecution({ statement_id }, { maxRetries: 2, timeout: 10_000 }).catch(
          () => undefined,
        );
      }
      throw error;
    }
  }
}

/** The error a terminal non-success statement state stands for, or undefined. */
export function statementFailure(s: StatementResponse): OperationFailedError | undefined {
  const state = s.status?.state;
  if (!state || !FAILED_STATES.has(state)) return undefined;
  const error = s.status?.error;
  const detail =
    state === "CLOSED"
      ? "its results are no longer available"
      : error?.message
        ? `${error.error_code ? `${error.error_code}: ` : ""}${error.message}`
        : "no error message";
  return new OperationFailedError(`Statement ${s.statement_id ?? "(no id)"} ${state}: ${detail}`, state, {
    statement_id: s.statement_id,
    error_code: error?.error_code,
    error_message: error?.message,
    sql_state: s.status?.sql_state,
  });
}
