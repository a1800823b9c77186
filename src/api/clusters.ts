import { randomUUID } from "node:crypto";
import { InvalidStateError, OperationFailedError, WaitTimeoutError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, validate } from "../core/validation.js";
import type { PollSchedule, Waiter, WaitOptions } from "../core/wait.js";
import {
  type ClusterDetails,
  ClusterDetailsSchema,
  type ClusterEvent,
  type ClusterEventsRequest,
  ClusterEventsRequestSchema,
  ClusterEventsResponseSchema,
  type ClusterIdRequest,
  ClusterIdRequestSchema,
  type CreateClusterRequest,
  CreateClusterRequestSchema,
  type CreateClusterResponse,
  CreateClusterResponseSchema,
  type EditClusterRequest,
  EditClusterRequestSchema,
  type ListClustersRequest,
  ListClustersRequestSchema,
  ListClustersResponseSchema,
  type ListNodeTypesResponse,
  ListNodeTypesResponseSchema,
  type ResizeClusterRequest,
  ResizeClusterRequestSchema,
  type RestartClusterRequest,
  RestartClusterRequestSchema,
  type SparkVersionsResponse,
  SparkVersionsResponseSchema,
} from "./clusters-schemas.js";

export * from "./clusters-schemas.js";

const BASE = "/api/2.1/clusters";
/** Default limit of every cluster wait; pass `{ timeout }` to change it. */
const DEFAULT_WAIT_MS = 20 * 60_000;
/** Clusters start and stop in minutes: a first look after 5 s, then up to every 15 s. */
const CLUSTER_SCHEDULE: PollSchedule = { minDelayMs: 5000, maxDelayMs: 15_000, growth: 1.25, jitter: 0.1 };

export type ClusterWaitOptions = WaitOptions<ClusterDetails>;

/**
 * Clusters API 2.1: all-purpose compute. Starting, restarting, resizing and terminating take minutes;
 * each has a `…AndWait` form that polls until the cluster settles and reports progress.
 */
export class ClustersAPI extends Service {
  /** Creates a cluster (PENDING at first). Sends an idempotency token so a retried call creates one cluster. */
  async create(req: CreateClusterRequest, options?: RequestOptions): Promise<CreateClusterResponse> {
    const body = validate(CreateClusterRequestSchema, req, "clusters.create request");
    const res = await this.request(
      {
        method: "POST",
        path: `${BASE}/create`,
        body: { ...body, idempotency_token: body.idempotency_token ?? randomUUID() },
        idempotent: true,
      },
      options,
    );
    return parseLenient(CreateClusterResponseSchema, res);
  }

  /** Creates a cluster and waits until it is RUNNING. */
  async createAndWait(
    req: CreateClusterRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const call = this.call(options, wait);
    const { cluster_id } = await this.create(req, call);
    return this.waitUntilClusterRunning({ cluster_id }, wait, call);
  }

  /** Replaces the definition of a RUNNING (it restarts) or TERMINATED cluster. */
  async edit(req: EditClusterRequest, options?: RequestOptions): Promise<void> {
    const body = validate(EditClusterRequestSchema, req, "clusters.edit request");
    await this.request({ method: "POST", path: `${BASE}/edit`, body, idempotent: true }, options);
  }

  /**
   * Edits a cluster; a RUNNING cluster restarts with the new definition and this waits until it runs
   * again. A TERMINATED cluster stays terminated, so its details are returned right away.
   */
  async editAndWait(
    req: EditClusterRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const call = this.call(options, wait);
    await this.edit(req, call);
    const cluster = await this.get({ cluster_id: req.cluster_id }, call);
    if (cluster.state === "TERMINATED") return cluster;
    return this.waitUntilClusterRunning({ cluster_id: req.cluster_id }, wait, call);
  }

  /** Starts a TERMINATED cluster. */
  async start(req: ClusterIdRequest, options?: RequestOptions): Promise<void> {
    const body = validate(ClusterIdRequestSchema, req, "clusters.start request");
    await this.request({ method: "POST", path: `${BASE}/start`, body, idempotent: true }, options);
  }

  async startAndWait(
    req: ClusterIdRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const call = this.call(options, wait);
    await this.start(req, call);
    return this.waitUntilClusterRunning(req, wait, call);
  }

  /** Restarts a RUNNING cluster. */
  async restart(req: RestartClusterRequest, options?: RequestOptions): Promise<void> {
    const body = validate(RestartClusterRequestSchema, req, "clusters.restart request");
    await this.request({ method: "POST", path: `${BASE}/restart`, body, idempotent: true }, options);
  }

  async restartAndWait(
    req: RestartClusterRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const call = this.call(options, wait);
    await this.restart(req, call);
    return this.waitUntilClusterRunning({ cluster_id: req.cluster_id }, wait, call);
  }

  /** Changes the number of workers (or the autoscale range) of a RUNNING cluster. */
  async resize(req: ResizeClusterRequest, options?: RequestOptions): Promise<void> {
    const body = validate(ResizeClusterRequestSchema, req, "clusters.resize request");
    await this.request({ method: "POST", path: `${BASE}/resize`, body, idempotent: true }, options);
  }

  async resizeAndWait(
    req: ResizeClusterRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const call = this.call(options, wait);
    await this.resize(req, call);
    return this.waitUntilClusterRunning({ cluster_id: req.cluster_id }, wait, call);
  }

  /** Terminates a cluster; it keeps its definition and can be started again. */
  async delete(req: ClusterIdRequest, options?: RequestOptions): Promise<void> {
    const body = validate(ClusterIdRequestSchema, req, "clusters.delete request");
    await this.request({ method: "POST", path: `${BASE}/delete`, body, idempotent: true }, options);
  }

  async deleteAndWait(
    req: ClusterIdRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const call = this.call(options, wait);
    await this.delete(req, call);
    return this.waitUntilClusterTerminated(req, wait, call);
  }

  /** Terminates the cluster if needed and removes it for good. */
  async permanentDelete(req: ClusterIdRequest, options?: RequestOptions): Promise<void> {
    const body = validate(ClusterIdRequestSchema, req, "clusters.permanentDelete request");
    await this.request({ method: "POST", path: `${BASE}/permanent-delete`, body, idempotent: true }, options);
  }

  async get(req: ClusterIdRequest, options?: RequestOptions): Promise<ClusterDetails> {
    const query = validate(ClusterIdRequestSchema, req, "clusters.get request");
    const res = await this.request({ method: "GET", path: `${BASE}/get`, query }, options);
    return parseLenient(ClusterDetailsSchema, res);
  }

  /** Pinned, active and recently terminated clusters, page by page. */
  list(req: ListClustersRequest = {}, options?: RequestOptions): Paginated<ClusterDetails> {
    const query = validate(ListClustersRequestSchema, req, "clusters.list request");
    return tokenPaginated<ClusterDetails>(async (pageToken) => {
      const res = await this.request(
        {
          method: "GET",
          path: `${BASE}/list`,
          query: { ...query, page_token: pageToken ?? query.page_token },
        },
        options,
      );
      return parseLenient(ListClustersResponseSchema, res);
    }, "clusters");
  }

  /**
   * Events of a cluster, newest first unless `order: "ASC"`. Pages with `next_page_token` when the
   * server sends one, else by re-posting its `next_page` body.
   */
  events(req: ClusterEventsRequest, options?: RequestOptions): Paginated<ClusterEvent> {
    const body = validate(ClusterEventsRequestSchema, req, "clusters.events request");
    return new Paginated<ClusterEvent>(async (cursor) => {
      const pageBody =
        typeof cursor !== "string"
          ? body
          : cursor.startsWith(NEXT_PAGE)
            ? JSON.parse(cursor.slice(NEXT_PAGE.length))
            : { ...body, page_token: cursor };
      const res = parseLenient(
        ClusterEventsResponseSchema,
        await this.request(
          { method: "POST", path: `${BASE}/events`, body: pageBody, idempotent: true },
          options,
        ),
      );
      const items = res.events ?? [];
      const next = res.next_page_token
        ? res.next_page_token
        : res.next_page && items.length > 0
          ? NEXT_PAGE + JSON.stringify(res.next_page)
          : undefined;
      return { items, next, raw: res };
    });
  }

  /** Databricks Runtime versions (`key` goes into `spark_version`). */
  async sparkVersions(options?: RequestOptions): Promise<SparkVersionsResponse> {
    const res = await this.request({ method: "GET", path: `${BASE}/spark-versions` }, options);
    return parseLenient(SparkVersionsResponseSchema, res);
  }

  /** Node types available in the workspace (`node_type_id` goes into a cluster definition). */
  async listNodeTypes(options?: RequestOptions): Promise<ListNodeTypesResponse> {
    const res = await this.request({ method: "GET", path: `${BASE}/list-node-types` }, options);
    return parseLenient(ListNodeTypesResponseSchema, res);
  }

  /** Keeps the cluster in the list beyond 30 days after termination (admins only). */
  async pin(req: ClusterIdRequest, options?: RequestOptions): Promise<void> {
    const body = validate(ClusterIdRequestSchema, req, "clusters.pin request");
    await this.request({ method: "POST", path: `${BASE}/pin`, body, idempotent: true }, options);
  }

  async unpin(req: ClusterIdRequest, options?: RequestOptions): Promise<void> {
    const body = validate(ClusterIdRequestSchema, req, "clusters.unpin request");
    await this.request({ method: "POST", path: `${BASE}/unpin`, body, idempotent: true }, options);
  }

  /** Waits until the cluster is RUNNING; rejects on ERROR or TERMINATED with the server's state message. */
  waitUntilClusterRunning(
    req: ClusterIdRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const { cluster_id } = validate(ClusterIdRequestSchema, req, "clusters.waitUntilClusterRunning request");
    const call = this.call(options, wait);
    return this.wait(this.waiter(cluster_id, "RUNNING", call), wait, DEFAULT_WAIT_MS, call, CLUSTER_SCHEDULE);
  }

  /** Waits until the cluster is TERMINATED; rejects on ERROR. */
  waitUntilClusterTerminated(
    req: ClusterIdRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const { cluster_id } = validate(
      ClusterIdRequestSchema,
      req,
      "clusters.waitUntilClusterTerminated request",
    );
    const call = this.call(options, wait);
    return this.wait(
      this.waiter(cluster_id, "TERMINATED", call),
      wait,
      DEFAULT_WAIT_MS,
      call,
      CLUSTER_SCHEDULE,
    );
  }

  /**
   * Makes sure a cluster is RUNNING: starts it when TERMINATED, waits while it is starting, restarting,
   * resizing or terminating, and fails with OperationFailedError on ERROR. One `timeout` covers all of it.
   */
  async ensureRunning(
    req: ClusterIdRequest,
    wait: ClusterWaitOptions = {},
    options?: RequestOptions,
  ): Promise<ClusterDetails> {
    const { cluster_id } = validate(ClusterIdRequestSchema, req, "clusters.ensureRunning request");
    const clock = this.ctx.clock;
    const started = clock.now();
    const deadline = started + (wait.timeout ?? DEFAULT_WAIT_MS);
    const call = this.call(options, wait);
    const remaining = (last: ClusterDetails): ClusterWaitOptions => {
      const left = deadline - clock.now();
      if (left <= 0) {
        throw new WaitTimeoutError(
          `Timed out waiting for cluster ${cluster_id} to be RUNNING; last state: ${last.state ?? "unknown"}`,
          last,
          0,
          clock.now() - started,
        );
      }
      return { ...wait, timeout: left };
    };
    // A few rounds: the state can change between reading it and acting on it.
    for (let round = 0; round < 5; round++) {
      const cluster = await this.get({ cluster_id }, call);
      switch (cluster.state) {
        case "RUNNING":
          return cluster;
        case "PENDING":
        case "RESTARTING":
        case "RESIZING":
          return this.waitUntilClusterRunning({ cluster_id }, remaining(cluster), call);
        case "TERMINATING":
          await this.waitUntilClusterTerminated({ cluster_id }, remaining(cluster), call);
          continue;
        case "TERMINATED":
          try {
            await this.start({ cluster_id }, call);
          } catch (error) {
            if (error instanceof InvalidStateError) continue;
            throw error;
          }
          return this.waitUntilClusterRunning({ cluster_id }, remaining(cluster), call);
        default:
          throw clusterFailed(cluster_id, cluster, "RUNNING", this.uiUrl(cluster_id));
      }
    }
    throw new OperationFailedError(
      `Cluster ${cluster_id} kept changing state while being started; try again`,
      "UNKNOWN",
      { cluster_id, url: this.uiUrl(cluster_id) },
    );
  }

  /** The cluster's page in the workspace UI. */
  uiUrl(clusterId: string): string {
    return `${this.ctx.host}/#setting/clusters/${encodeURIComponent(clusterId)}/configuration`;
  }

  private waiter(
    clusterId: string,
    target: "RUNNING" | "TERMINATED",
    options: RequestOptions | undefined,
  ): Waiter<ClusterDetails, ClusterDetails> {
    const url = this.uiUrl(clusterId);
    return {
      what: `cluster ${clusterId} to be ${target}`,
      poll: (signal) =>
        this.get({ cluster_id: clusterId }, { ...options, signal: signal ?? options?.signal }),
      state: (c) => c.state ?? "UNKNOWN",
      outcome: (c) => {
        if (c.state === target) return { done: c };
        if (c.state === "ERROR" || (target === "RUNNING" && c.state === "TERMINATED")) {
          return { failed: clusterFailed(clusterId, c, target, url) };
        }
        return undefined;
      },
      message: (c) => c.state_message || undefined,
      url: () => url,
    };
  }
}

const NEXT_PAGE = "next_page:";

function clusterFailed(
  clusterId: string,
  cluster: ClusterDetails,
  target: string,
  url: string,
): OperationFailedError {
  const reason = cluster.termination_reason?.code
    ? ` (termination reason ${cluster.termination_reason.code})`
    : "";
  const message = cluster.state_message ? `: ${cluster.state_message}` : "";
  return new OperationFailedError(
    `Cluster ${clusterId} is ${cluster.state ?? "UNKNOWN"} instead of ${target}${message}${reason}. See ${url}`,
    cluster.state,
    {
      cluster_id: clusterId,
      state_message: cluster.state_message,
      termination_reason: cluster.termination_reason,
      url,
      cluster,
    },
  );
}
