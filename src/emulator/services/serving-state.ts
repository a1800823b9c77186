import { notFound } from "../errors.js";
import type { EmulatorContext } from "../types.js";
import type { RequestEvent } from "./serving-metrics.js";

/** State of the serving emulator: plain JSON, persisted with the data file. */

/** A served entity with scale-to-zero on scales to zero after this long without requests. */
export const SCALE_TO_ZERO_MS = 30 * 60_000;

export type Loose = Record<string, unknown>;

export interface EntityRecord {
  /** The served entity as requested, with its (default) name. */
  spec: Loose;
  name: string;
  /** Joins inference records to the entity. */
  id: string;
  creation_timestamp: number;
  build_start: number;
  ready_at: number;
  status: "CREATING" | "READY" | "FAILED" | "ABORTED";
  failure?: string;
}

export interface ConfigRecord {
  config_version: number;
  start_time: number;
  /** When the whole config serves, at the earliest. */
  apply_at: number;
  entities: EntityRecord[];
  routes: Array<{ served_entity_name: string; traffic_percentage: number }>;
  auto_capture_config?: Loose;
  /** Given as the deprecated `served_models`; reported in that form too. */
  legacy: boolean;
  failed?: boolean;
}

export interface EndpointRecord {
  id: string;
  name: string;
  creator: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  /** Create-time fields echoed back (description, route_optimized, budget_policy_id, …). */
  extras: Loose;
  tags: Array<{ key: string; value?: string }>;
  ai_gateway?: Loose;
  rate_limits?: unknown[];
  config?: ConfigRecord;
  pending?: ConfigRecord;
  config_update: "NOT_UPDATING" | "IN_PROGRESS" | "UPDATE_FAILED" | "UPDATE_CANCELED";
  last_version: number;
  /** Smooth weighted round-robin weights: a deterministic, evenly interleaved traffic split. */
  wrr: Record<string, number>;
  events: RequestEvent[];
  /** When each served entity last got a request (scale-to-zero counts idle time from it). */
  last_request?: Record<string, number>;
  server_logs: Record<string, string[]>;
}

export interface InferenceRecord {
  databricks_request_id: string;
  client_request_id?: string;
  request_time: number;
  status_code: number;
  execution_time_ms: number;
  served_entity_id: string;
  endpoint_name: string;
  request: string;
  response: string;
  table_full_name?: string;
}

export interface BuildFailure {
  entity_name: string;
  version?: string;
  message: string;
}

export interface ServingState {
  endpoints: Record<string, EndpointRecord>;
  inference: InferenceRecord[];
  build_failures: BuildFailure[];
}

export interface ServingEmulatorExports {
  /** Captured inference records (when the endpoint's AI gateway inference table is enabled). */
  inferenceRecords(endpointName?: string): InferenceRecord[];
  /** Makes builds of this entity (and version, when given) fail with `message` until cleared. */
  failBuild(entityName: string, version: string | number | undefined, message: string): void;
  clearBuildFailures(): void;
}

/** The registry slice's exports this service reads (see the cross-service contracts). */
export interface RegistryExports {
  getModelVersion(fullName: string, version: number): { status: string } | undefined;
  readModelFile(fullName: string, version: number, relPath: string): Buffer | undefined;
}

export const NAME = /^[A-Za-z0-9_-]+$/;

export function state(ctx: EmulatorContext): ServingState {
  return ctx.state<ServingState>("serving");
}

export function endpointOr404(ctx: EmulatorContext, name: string): EndpointRecord {
  const ep = state(ctx).endpoints[name];
  if (!ep) throw notFound(`Endpoint with name '${name}' does not exist.`);
  return ep;
}

export function hex(ctx: EmulatorContext, length: number): string {
  let out = "";
  while (out.length < length) out += Math.floor(ctx.random() * 16).toString(16);
  return out;
}
