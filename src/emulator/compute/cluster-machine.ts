import { EMULATOR_USER } from "../ids.js";
import type { EmulatorContext } from "../types.js";
import { nodeType } from "./cluster-catalog.js";

/**
 * The cluster state machine. Every change is planned at a virtual time and applied when the clock
 * passes it, so a cluster read at any moment shows what a real one would, whatever the polling rate.
 * Allowed moves: PENDING→RUNNING|ERROR|TERMINATING, RUNNING→RESIZING|RESTARTING|TERMINATING,
 * RESIZING|RESTARTING→RUNNING|TERMINATING, TERMINATING→TERMINATED, TERMINATED→PENDING (start).
 */

/** Realistic durations in virtual ms; the emulator clock makes them short in wall time. */
export const CLUSTER_TIMING = {
  startMs: 4 * 60_000,
  restartMs: 2 * 60_000,
  resizeMs: 60_000,
  terminateMs: 30_000,
  failMs: 2 * 60_000,
};

export type ClusterState =
  | "PENDING"
  | "RUNNING"
  | "RESTARTING"
  | "RESIZING"
  | "TERMINATING"
  | "TERMINATED"
  | "ERROR";

export interface ClusterEventRecord {
  cluster_id: string;
  timestamp: number;
  type: string;
  details: Record<string, unknown>;
}

interface PlannedChange {
  at: number;
  state: ClusterState;
  message: string;
  event?: { type: string; details: Record<string, unknown> };
  reason?: Record<string, unknown>;
}

export interface ClusterRecord {
  /** What `clusters/get` answers. */
  details: Record<string, any>;
  plan: PlannedChange[];
  events: ClusterEventRecord[];
  idempotency_token?: string;
  /** Job tasks using the cluster; an idle cluster auto-terminates, a busy one does not. */
  busy: number;
  last_activity: number;
}

/** A start that fails, scripted by a test: the next cluster to start ends in this state. */
export interface ScriptedStartFailure {
  state: "ERROR" | "TERMINATED";
  message: string;
  code: string;
}

export interface ClustersState {
  clusters: Record<string, ClusterRecord>;
  tokens: Record<string, string>;
  failures: ScriptedStartFailure[];
}

/** Fields the service computes; everything else in `details` is the cluster definition. */
export const COMPUTED_FIELDS = new Set([
  "cluster_id",
  "state",
  "state_message",
  "start_time",
  "terminated_time",
  "last_restarted_time",
  "last_state_loss_time",
  "last_activity_time",
  "termination_reason",
  "creator_user_name",
  "cluster_source",
  "default_tags",
  "driver",
  "executors",
  "spark_context_id",
  "jdbc_port",
  "cluster_memory_mb",
  "cluster_cores",
  "pinned_by_user_name",
  "spec",
]);

const WORDS = ["oak", "fern", "reef", "moss", "dune", "glen", "tarn", "vale", "cove", "kelp", "pine", "sage"];

export function newClusterId(ctx: EmulatorContext, taken: Record<string, unknown>): string {
  const d = new Date(ctx.clock.now());
  const two = (n: number) => String(n).padStart(2, "0");
  for (;;) {
    const word = WORDS[Math.floor(ctx.random() * WORDS.length)]!;
    const id = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}-${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(
      d.getUTCSeconds(),
    )}-${word}${Math.floor(100 + ctx.random() * 900)}`;
    if (!taken[id]) return id;
  }
}

function workers(details: Record<string, any>): number {
  return details.autoscale?.min_workers ?? details.num_workers ?? 0;
}

export function record(
  rec: ClusterRecord,
  at: number,
  type: string,
  details: Record<string, unknown> = {},
): void {
  rec.events.push({ cluster_id: rec.details.cluster_id, timestamp: at, type, details });
}

/** PENDING now, then RUNNING (or the scripted failure) after the start delay. */
export function beginStart(
  state: ClustersState,
  rec: ClusterRecord,
  at: number,
  eventType: "CREATING" | "STARTING",
): void {
  const d = rec.details;
  d.state = "PENDING";
  d.state_message = "Finding instances for new nodes, acquiring more instances if necessary";
  d.start_time = eventType === "CREATING" ? at : (d.start_time ?? at);
  delete d.terminated_time;
  delete d.termination_reason;
  record(rec, at, eventType, { user: EMULATOR_USER });
  const failure = state.failures.shift();
  if (failure) {
    rec.plan = [
      {
        at: at + CLUSTER_TIMING.failMs,
        state: failure.state,
        message: failure.message,
        reason: { code: failure.code, type: "CLOUD_FAILURE", parameters: {} },
      },
    ];
    return;
  }
  const target = workers(d);
  rec.plan = [
    {
      at: at + CLUSTER_TIMING.startMs,
      state: "RUNNING",
      message: "",
      event: { type: "RUNNING", details: { current_num_workers: target, target_num_workers: target } },
    },
  ];
}

/** TERMINATING now, TERMINATED shortly after; a no-op for a cluster already stopping or stopped. */
export function beginTerminate(
  rec: ClusterRecord,
  at: number,
  reason: Record<string, unknown>,
  message: string,
): void {
  const state = rec.details.state as ClusterState;
  if (state === "TERMINATING" || state === "TERMINATED") return;
  at = Math.max(at, lastChange(rec));
  rec.details.state = "TERMINATING";
  rec.details.state_message = "Terminating the Spark cluster";
  record(rec, at, "TERMINATING", { reason });
  rec.plan = [{ at: at + CLUSTER_TIMING.terminateMs, state: "TERMINATED", message, reason }];
}

/** A move that ends RUNNING again (restart, resize) after `ms`. */
export function beginTransition(
  rec: ClusterRecord,
  at: number,
  state: "RESTARTING" | "RESIZING",
  ms: number,
  event: { type: string; details: Record<string, unknown> },
  done: { type: string; details: Record<string, unknown> },
): void {
  rec.details.state = state;
  rec.details.state_message =
    state === "RESTARTING" ? "Restarting the Spark cluster" : "Resizing the cluster";
  record(rec, at, event.type, event.details);
  rec.plan = [{ at: at + ms, state: "RUNNING", message: "", event: done }];
}

function lastChange(rec: ClusterRecord): number {
  return rec.events.at(-1)?.timestamp ?? 0;
}

function apply(
  rec: ClusterRecord,
  change: PlannedChange,
  ctx: EmulatorContext,
  tokens: Record<string, string>,
): void {
  const d = rec.details;
  const previous = d.state;
  d.state = change.state;
  d.state_message = change.message;
  if (change.event) record(rec, change.at, change.event.type, change.event.details);
  if (change.state === "RUNNING") {
    rec.last_activity = change.at;
    if (previous === "RESTARTING") d.last_restarted_time = change.at;
    if (previous !== "RESIZING") {
      // A fresh Spark context; ids stay below 2^53 so JavaScript clients read them exactly.
      d.spark_context_id = Math.floor(ctx.random() * 9e15);
    }
    placeNodes(rec, change.at, ctx);
  }
  if (change.state === "TERMINATED" || change.state === "ERROR") {
    d.terminated_time = change.at;
    if (change.reason) d.termination_reason = change.reason;
    delete d.driver;
    delete d.executors;
    delete d.spark_context_id;
    delete d.cluster_memory_mb;
    delete d.cluster_cores;
    // A token names a cluster only until it terminates.
    if (rec.idempotency_token && tokens[rec.idempotency_token] === d.cluster_id)
      delete tokens[rec.idempotency_token];
    delete rec.idempotency_token;
  }
}

function placeNodes(rec: ClusterRecord, at: number, ctx: EmulatorContext): void {
  const d = rec.details;
  const hex = () =>
    Math.floor(ctx.random() * 2 ** 48)
      .toString(16)
      .padStart(12, "0");
  const nodeInfo = (i: number) => ({
    node_id: `${hex()}${hex()}`.slice(0, 32),
    instance_id: `i-${hex()}`,
    start_timestamp: at,
    private_ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    host_private_ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 2}`,
  });
  const n = Math.min(workers(d), 20);
  const driverType = nodeType(d.driver_node_type_id ?? d.node_type_id);
  const workerType = nodeType(d.node_type_id);
  d.driver = nodeInfo(0);
  d.executors = Array.from({ length: n }, (_, i) => nodeInfo(i + 1));
  d.cluster_memory_mb = driverType.memory_mb + n * workerType.memory_mb;
  d.cluster_cores = driverType.num_cores + n * workerType.num_cores;
  d.jdbc_port = 10000;
}

/** Applies every planned change due by `now`, then auto-terminates an idle cluster. */
export function advance(rec: ClusterRecord, now: number, ctx: EmulatorContext, state: ClustersState): void {
  for (;;) {
    const next = rec.plan[0];
    if (next && next.at <= now) {
      rec.plan.shift();
      apply(rec, next, ctx, state.tokens);
      continue;
    }
    const d = rec.details;
    const minutes = Number(d.autotermination_minutes ?? 0);
    if (!next && d.state === "RUNNING" && minutes > 0 && rec.busy === 0 && d.cluster_source !== "JOB") {
      const idleEnd = rec.last_activity + ctx.clock.idle(minutes * 60_000);
      if (idleEnd <= now) {
        beginTerminate(
          rec,
          idleEnd,
          { code: "INACTIVITY", type: "SUCCESS", parameters: { inactivity_duration_min: String(minutes) } },
          `Inactive cluster terminated (inactive for ${minutes} minutes).`,
        );
        continue;
      }
    }
    return;
  }
}

/**
 * When a cluster a job task needs is (or will be) RUNNING, starting it first if it is stopped, as
 * the Jobs service does; or when and why it fails to come up.
 */
export function readiness(
  state: ClustersState,
  rec: ClusterRecord,
  at: number,
): { readyAt: number } | { failAt: number; message: string } {
  const s = rec.details.state as ClusterState;
  if (s === "RUNNING" || s === "RESIZING") return { readyAt: at };
  if (s === "TERMINATED") beginStart(state, rec, Math.max(at, rec.details.terminated_time ?? at), "STARTING");
  else if (s === "TERMINATING") {
    const stopped = rec.plan.find((c) => c.state === "TERMINATED");
    const from = stopped?.at ?? at;
    const target = workers(rec.details);
    rec.plan.push({
      at: from,
      state: "PENDING",
      message: "Finding instances for new nodes, acquiring more instances if necessary",
      event: { type: "STARTING", details: { user: EMULATOR_USER } },
    });
    rec.plan.push({
      at: from + CLUSTER_TIMING.startMs,
      state: "RUNNING",
      message: "",
      event: { type: "RUNNING", details: { current_num_workers: target, target_num_workers: target } },
    });
  } else if (s === "ERROR") {
    return { failAt: at, message: String(rec.details.state_message || "The cluster is in ERROR state.") };
  }
  for (const change of rec.plan) {
    if (change.state === "RUNNING") return { readyAt: Math.max(at, change.at) };
    if (change.state === "ERROR" || (change.state === "TERMINATED" && s !== "TERMINATING")) {
      return { failAt: Math.max(at, change.at), message: change.message };
    }
  }
  return { failAt: at, message: `The cluster is ${s} and is not starting.` };
}
