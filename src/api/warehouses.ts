import { z } from "zod";
import { OperationFailedError } from "../core/errors.js";
import { encodePath, type RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { openEnum, parseLenient, pathSegment, validate } from "../core/validation.js";
import type { PollSchedule, Waiter, WaitOptions } from "../core/wait.js";

const BASE = "/api/2.0/sql/warehouses";
const DEFAULT_WAIT_MS = 20 * 60_000;
/** Warehouses start in seconds (serverless) to minutes: a first look after 2 s, then up to every 10 s. */
const WAREHOUSE_SCHEDULE: PollSchedule = { minDelayMs: 2000, maxDelayMs: 10_000, growth: 1.3, jitter: 0.1 };

export const WAREHOUSE_STATES = [
  "STARTING",
  "RUNNING",
  "STOPPING",
  "STOPPED",
  "DELETING",
  "DELETED",
] as const;

const warehouseIdRequest = z.looseObject({
  id: pathSegment.refine((s) => !s.includes("/"), "must not contain '/'"),
});
const listWarehousesRequest = z.looseObject({
  page_size: z.number().int().positive().optional(),
  page_token: z.string().optional(),
  run_as_user_id: z.number().int().optional(),
});

export const warehouseInfo = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  state: openEnum(WAREHOUSE_STATES).optional(),
  cluster_size: z.string().optional(),
  min_num_clusters: z.number().optional(),
  max_num_clusters: z.number().optional(),
  num_clusters: z.number().optional(),
  num_active_sessions: z.number().optional(),
  auto_stop_mins: z.number().optional(),
  creator_name: z.string().optional(),
  enable_photon: z.boolean().optional(),
  enable_serverless_compute: z.boolean().optional(),
  warehouse_type: z.string().optional(),
  spot_instance_policy: z.string().optional(),
  jdbc_url: z.string().optional(),
  odbc_params: z
    .looseObject({
      hostname: z.string().optional(),
      path: z.string().optional(),
      protocol: z.string().optional(),
      port: z.number().optional(),
    })
    .optional(),
  health: z
    .looseObject({
      status: z.string().optional(),
      summary: z.string().optional(),
      message: z.string().optional(),
      details: z.string().optional(),
    })
    .optional(),
  tags: z.looseObject({}).optional(),
  channel: z.looseObject({}).optional(),
});

export type WarehouseIdRequest = z.input<typeof warehouseIdRequest>;
export type ListWarehousesRequest = z.input<typeof listWarehousesRequest>;
export type WarehouseInfo = z.output<typeof warehouseInfo>;

/** SQL warehouses: read, list, start and stop. */
export class WarehousesAPI extends Service {
  async get(req: WarehouseIdRequest, options?: RequestOptions): Promise<WarehouseInfo> {
    const { id } = validate(warehouseIdRequest, req, "warehouses.get request");
    return parseLenient(
      warehouseInfo,
      await this.request<unknown>(
        { method: "GET", path: encodePath`/api/2.0/sql/warehouses/${id}` },
        options,
      ),
    );
  }

  list(req: ListWarehousesRequest = {}, options?: RequestOptions): Paginated<WarehouseInfo> {
    const query = validate(listWarehousesRequest, req, "warehouses.list request");
    return tokenPaginated<WarehouseInfo>(
      (page_token) =>
        this.request(
          { method: "GET", path: BASE, query: { ...query, ...(page_token ? { page_token } : {}) } },
          options,
        ),
      "warehouses",
    );
  }

  /** Starts a stopped warehouse; returns once the request is accepted (see `startAndWait`). */
  async start(req: WarehouseIdRequest, options?: RequestOptions): Promise<void> {
    const { id } = validate(warehouseIdRequest, req, "warehouses.start request");
    await this.request(
      { method: "POST", path: encodePath`/api/2.0/sql/warehouses/${id}/start`, idempotent: true },
      options,
    );
  }

  async stop(req: WarehouseIdRequest, options?: RequestOptions): Promise<void> {
    const { id } = validate(warehouseIdRequest, req, "warehouses.stop request");
    await this.request(
      { method: "POST", path: encodePath`/api/2.0/sql/warehouses/${id}/stop`, idempotent: true },
      options,
    );
  }

  async startAndWait(
    req: WarehouseIdRequest,
    waitOptions?: WaitOptions<WarehouseInfo>,
    requestOptions?: RequestOptions,
  ): Promise<WarehouseInfo> {
    const call = this.call(requestOptions, waitOptions);
    await this.start(req, call);
    return this.waitUntilWarehouseRunning(req, waitOptions, call);
  }

  async stopAndWait(
    req: WarehouseIdRequest,
    waitOptions?: WaitOptions<WarehouseInfo>,
    requestOptions?: RequestOptions,
  ): Promise<WarehouseInfo> {
    const call = this.call(requestOptions, waitOptions);
    await this.stop(req, call);
    return this.waitUntilWarehouseStopped(req, waitOptions, call);
  }

  /** Waits for RUNNING; STOPPED, DELETING or DELETED on the way end the wait with OperationFailedError. */
  waitUntilWarehouseRunning(
    req: WarehouseIdRequest,
    waitOptions: WaitOptions<WarehouseInfo> = {},
    requestOptions?: RequestOptions,
  ): Promise<WarehouseInfo> {
    return this.waitForState(req, "RUNNING", ["STOPPED", "DELETING", "DELETED"], waitOptions, requestOptions);
  }

  waitUntilWarehouseStopped(
    req: WarehouseIdRequest,
    waitOptions: WaitOptions<WarehouseInfo> = {},
    requestOptions?: RequestOptions,
  ): Promise<WarehouseInfo> {
    return this.waitForState(req, "STOPPED", ["DELETING", "DELETED"], waitOptions, requestOptions);
  }

  private waitForState(
    req: WarehouseIdRequest,
    target: string,
    failures: string[],
    waitOptions: WaitOptions<WarehouseInfo>,
    requestOptions: RequestOptions | undefined,
  ): Promise<WarehouseInfo> {
    const { id } = validate(warehouseIdRequest, req, "warehouses wait request");
    const call = this.call(requestOptions, waitOptions);
    const waiter: Waiter<WarehouseInfo, WarehouseInfo> = {
      what: `warehouse ${id} to be ${target}`,
      poll: (signal) => this.get({ id }, { ...call, signal }),
      state: (w) => w.state ?? "UNKNOWN",
      message: (w) => w.health?.summary ?? w.health?.message,
      url: () => `${this.ctx.host}/sql/warehouses/${encodeURIComponent(id)}`,
      outcome: (w) => {
        if (w.state === target) return { done: w };
        if (w.state && failures.includes(w.state)) {
          const why = w.health?.summary ?? w.health?.message;
          return {
            failed: new OperationFailedError(
              `Warehouse ${id} is ${w.state} instead of ${target}${why ? `: ${why}` : ""}`,
              w.state,
              { id, health: w.health },
            ),
          };
        }
        return undefined;
      },
    };
    return this.wait(waiter, waitOptions, DEFAULT_WAIT_MS, call, WAREHOUSE_SCHEDULE);
  }
}
