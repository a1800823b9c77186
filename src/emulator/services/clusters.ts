import { recordOwner, requirePermission } from "../access/object-acls.js";
import { NODE_TYPES, SPARK_VERSIONS } from "../compute/cluster-catalog.js";
import {
  advance,
  beginStart,
  beginTerminate,
  beginTransition,
  CLUSTER_TIMING,
  type ClusterRecord,
  type ClustersState,
  COMPUTED_FIELDS,
  newClusterId,
  readiness,
  record,
} from "../compute/cluster-machine.js";
import { many, offsetOf, one, page } from "../compute/params.js";
import { type ApiFault, invalidParameter, invalidState, requireFields } from "../errors.js";
import { EMULATOR_USER } from "../ids.js";
import type { EmuRequest, EmuResponse, Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";

/** What the Jobs service (and tests) may ask of the clusters of the emulated workspace. */
export interface ClustersEmulatorExports {
  exists(clusterId: string): boolean;
  /** Creates a job cluster at virtual time `at` (cluster_source JOB); it starts like any other. */
  createJobCluster(spec: Record<string, unknown>, at: number, name: string): string;
  /**
   * A job task needs the cluster from `at`: when it is (or will be) RUNNING — a stopped cluster is
   * started — or when and why it fails to come up. Marks the cluster busy until `release`.
   */
  acquire(
    clusterId: string,
    at: number,
  ): { readyAt: number } | { failAt: number; message: string } | undefined;
  /** A task stopped using the cluster at `at`. */
  release(clusterId: string, at: number): void;
  /** Terminates a job cluster whose work is done. */
  terminate(clusterId: string, at: number, code: string): void;
  sparkContextId(clusterId: string): number | undefined;
  /** Makes the next cluster start (create, start, job cluster) end in ERROR or TERMINATED. */
  failNextStart(failure?: { state?: "ERROR" | "TERMINATED"; message?: string; code?: string }): void;
  /** Puts a cluster with a known id into the workspace, RUNNING (tests and examples). */
  addCluster(definition: Record<string, unknown> & { cluster_id: string }): void;
}

const PAGE_SIZE = 100;
const EVENTS_LIMIT = 50;
const THIRTY_DAYS = 30 * 24 * 3600_000;

function clusters(ctx: EmulatorContext): ClustersState {
  return ctx.state<ClustersState>("clusters");
}

/** The real service answers a missing cluster with 400, not 404. */
function find(ctx: EmulatorContext, id: unknown): ClusterRecord {
  const rec = typeof id === "string" ? clusters(ctx).clusters[id] : undefined;
  if (!rec) throw invalidParameter(`Cluster ${String(id ?? "")} does not exist`);
  return rec;
}

/** "RUNNING" → "Running", as the service words states in messages. */
function titleCase(state: string): string {
  return state.charAt(0) + state.slice(1).toLowerCase();
}

function unexpectedState(rec: ClusterRecord): ApiFault {
  return invalidState(
    `Cluster ${rec.details.cluster_id} is in unexpected state ${titleCase(rec.details.state)}.`,
  );
}

/** The cluster definition in a request: everything but ids and request-only fields. */
function definitionOf(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === null || v === undefined || COMPUTED_FIELDS.has(k)) continue;
    if (k === "idempotency_token" || k === "clone_from") continue;
    out[k] = v;
  }
  return out;
}

function checkDefinition(body: Record<string, unknown>): void {
  requireFields(body, "spark_version");
  if (!body.node_type_id && !body.instance_pool_id && !body.policy_id) {
    throw invalidParameter("Missing required field: node_type_id (or instance_pool_id)");
  }
  const n = body.num_workers;
  if (n != null && !(Number.isInteger(n) && (n as number) >= 0)) {
    throw invalidParameter(`num_workers must be a non-negative integer, got ${JSON.stringify(n)}`);
  }
  const scale = body.autoscale as { min_workers?: number; max_workers?: number } | undefined;
  if (scale && !(Number(scale.max_workers) > Number(scale.min_workers ?? 0))) {
    throw invalidParameter("autoscale.max_workers must be greater than autoscale.min_workers");
  }
}

function newCluster(
  ctx: EmulatorContext,
  definition: Record<string, unknown>,
  source: "API" | "JOB",
  at: number,
  id?: string,
): ClusterRecord {
  const state = clusters(ctx);
  const cluster_id = id ?? newClusterId(ctx, state.clusters);
  const name = String(definition.cluster_name ?? "");
  const rec: ClusterRecord = {
    details: {
      cluster_id,
      ...definition,
      driver_node_type_id: definition.driver_node_type_id ?? definition.node_type_id,
      creator_user_name: EMULATOR_USER,
      cluster_source: source,
      default_tags: {
        Vendor: "Databricks",
        Creator: EMULATOR_USER,
        ClusterName: name,
        ClusterId: cluster_id,
      },
      spec: { ...definition },
    },
    plan: [],
    events: [],
    busy: 0,
    last_activity: at,
  };
  state.clusters[cluster_id] = rec;
  return rec;
}

function create(req: EmuRequest): EmuResponse {
  const body = (req.body ?? {}) as Record<string, unknown>;
  checkDefinition(body);
  const state = clusters(req.ctx);
  const token = typeof body.idempotency_token === "string" ? body.idempotency_token : undefined;
  if (token && token.length > 64) throw invalidParameter("idempotency_token must be at most 64 characters");
  // Same token while that cluster is not terminated: the same cluster, not a new one.
  const known = token ? state.tokens[token] : undefined;
  if (known && state.clusters[known]) return { body: { cluster_id: known } };
  const now = req.ctx.clock.now();
  const rec = newCluster(req.ctx, definitionOf(body), "API", now);
  if (token) {
    rec.idempotency_token = token;
    state.tokens[token] = rec.details.cluster_id;
  }
  recordOwner(req, "clusters", rec.details.cluster_id);
  beginStart(state, rec, now, "CREATING");
  return { body: { cluster_id: rec.details.cluster_id } };
}

function edit(req: EmuRequest): EmuResponse {
  const body = (req.body ?? {}) as Record<string, unknown>;
  requireFields(body, "cluster_id");
  const rec = find(req.ctx, body.cluster_id);
  requirePermission(req, "clusters", rec.details.cluster_id, "CAN_MANAGE");
  checkDefinition(body);
  if (rec.details.cluster_source === "JOB") {
    throw invalidParameter(
      `Cluster ${rec.details.cluster_id} is a job cluster; job clusters cannot be edited.`,
    );
  }
  const state = rec.details.state;
  if (state !== "RUNNING" && state !== "TERMINATED") throw unexpectedState(rec);
  const now = req.ctx.clock.now();
  const previous = rec.details.spec;
  const definition = definitionOf(body);
  const kept = Object.fromEntries(Object.entries(rec.details).filter(([k]) => COMPUTED_FIELDS.has(k)));
  rec.details = {
    ...kept,
    ...definition,
    driver_node_type_id: definition.driver_node_type_id ?? definition.node_type_id,
    spec: { ...definition },
  };
  record(rec, now, "EDITED", { user: EMULATOR_USER, previous_attributes: previous, attributes: definition });
  if (state === "RUNNING") {
    beginTransition(
      rec,
      now,
      "RESTARTING",
      CLUSTER_TIMING.restartMs,
      { type: "RESTARTING", details: { user: EMULATOR_USER } },
      { type: "RUNNING", details: { current_num_workers: rec.details.num_workers ?? 0 } },
    );
  }
  return { body: {} };
}

function start(req: EmuRequest): EmuResponse {
  requireFields(req.body, "cluster_id");
  const rec = find(req.ctx, req.body.cluster_id);
  requirePermission(req, "clusters", rec.details.cluster_id, "CAN_RESTART");
  if (rec.details.cluster_source === "JOB") {
    throw invalidParameter(
      `Cluster ${rec.details.cluster_id} is a job cluster; job clusters cannot be started.`,
    );
  }
  if (rec.details.state !== "TERMINATED") throw unexpectedState(rec);
  beginStart(clusters(req.ctx), rec, req.ctx.clock.now(), "STARTING");
  return { body: {} };
}

function restart(req: EmuRequest): EmuResponse {
  requireFields(req.body, "cluster_id");
  const rec = find(req.ctx, req.body.cluster_id);
  requirePermission(req, "clusters", rec.details.cluster_id, "CAN_RESTART");
  // Documented: nothing happens unless the cluster is RUNNING.
  if (rec.details.state === "RUNNING") {
    const user = req.body.restart_user ?? EMULATOR_USER;
    beginTransition(
      rec,
      req.ctx.clock.now(),
      "RESTARTING",
      CLUSTER_TIMING.restartMs,
      { type: "RESTARTING", details: { user } },
      { type: "RUNNING", details: { current_num_workers: rec.details.num_workers ?? 0 } },
    );
  }
  return { body: {} };
}

function resize(req: EmuRequest): EmuResponse {
  const body = (req.body ?? {}) as Record<string, any>;
  requireFields(body, "cluster_id");
  const rec = find(req.ctx, body.cluster_id);
  if (body.num_workers == null && body.autoscale == null) {
    throw invalidParameter("Either num_workers or autoscale must be given");
  }
  if (rec.details.state !== "RUNNING") throw unexpectedState(rec);
  const current = rec.details.executors?.length ?? 0;
  if (body.autoscale) {
    rec.details.autoscale = body.autoscale;
    delete rec.details.num_workers;
  } else {
    rec.details.num_workers = body.num_workers;
    delete rec.details.autoscale;
  }
  const target = body.autoscale?.min_workers ?? body.num_workers;
  beginTransition(
    rec,
    req.ctx.clock.now(),
    "RESIZING",
    CLUSTER_TIMING.resizeMs,
    {
      type: "RESIZING",
      details: { current_num_workers: current, target_num_workers: target, user: EMULATOR_USER },
    },
    { type: "UPSIZE_COMPLETED", details: { current_num_workers: target, target_num_workers: target } },
  );
  return { body: {} };
}

function terminate(req: EmuRequest): EmuResponse {
  requireFields(req.body, "cluster_id");
  const rec = find(req.ctx, req.body.cluster_id);
  requirePermission(req, "clusters", rec.details.cluster_id, "CAN_RESTART");
  beginTerminate(
    rec,
    req.ctx.clock.now(),
    { code: "USER_REQUEST", type: "SUCCESS", parameters: { username: EMULATOR_USER } },
    "Terminated by user",
  );
  return { body: {} };
}

function permanentDelete(req: EmuRequest): EmuResponse {
  requireFields(req.body, "cluster_id");
  const rec = find(req.ctx, req.body.cluster_id);
  requirePermission(req, "clusters", rec.details.cluster_id, "CAN_MANAGE");
  const state = clusters(req.ctx);
  if (rec.idempotency_token) delete state.tokens[rec.idempotency_token];
  delete state.clusters[rec.details.cluster_id];
  return { body: {} };
}

function pin(pinned: boolean) {
  return (req: EmuRequest): EmuResponse => {
    requireFields(req.body, "cluster_id");
    const rec = find(req.ctx, req.body.cluster_id);
    if (pinned) rec.details.pinned_by_user_name = EMULATOR_USER;
    else delete rec.details.pinned_by_user_name;
    record(rec, req.ctx.clock.now(), pinned ? "PINNED" : "UNPINNED", { user: EMULATOR_USER });
    return { body: {} };
  };
}

function get(req: EmuRequest): EmuResponse {
  const rec = find(req.ctx, one(req.query.cluster_id));
  requirePermission(req, "clusters", rec.details.cluster_id, "CAN_ATTACH_TO");
  return { body: rec.details };
}

function list(req: EmuRequest): EmuResponse {
  const q = req.query;
  const now = req.ctx.clock.now();
  const states = new Set(many(q["filter_by.cluster_states"]));
  const sources = new Set(many(q["filter_by.cluster_sources"]));
  const pinned = one(q["filter_by.is_pinned"]);
  const policy = one(q["filter_by.policy_id"]);
  let items = Object.values(clusters(req.ctx).clusters)
    .map((r) => r.details)
    .filter(
      (d) =>
        d.state !== "TERMINATED" || d.pinned_by_user_name || now - (d.terminated_time ?? now) <= THIRTY_DAYS,
    )
    .filter((d) => !states.size || states.has(d.state))
    .filter((d) => !sources.size || sources.has(d.cluster_source))
    .filter((d) => pinned === undefined || (pinned === "true") === Boolean(d.pinned_by_user_name))
    .filter((d) => policy === undefined || d.policy_id === policy);
  const byName = one(q["sort_by.field"]) === "CLUSTER_NAME";
  items.sort((a, b) =>
    byName
      ? String(a.cluster_name ?? "").localeCompare(String(b.cluster_name ?? ""))
      : (b.start_time ?? 0) - (a.start_time ?? 0),
  );
  if (one(q["sort_by.direction"]) === (byName ? "DESC" : "ASC")) items = items.reverse();
  const size = Number(one(q.page_size) ?? PAGE_SIZE) || PAGE_SIZE;
  const p = page(items, offsetOf(one(q.page_token)), size);
  return {
    body: {
      ...(p.items.length ? { clusters: p.items } : {}),
      next_page_token: p.next ?? "",
      prev_page_token: p.prev ?? "",
    },
  };
}

function events(req: EmuRequest): EmuResponse {
  const body = (req.body ?? {}) as Record<string, any>;
  requireFields(body, "cluster_id");
  const rec = find(req.ctx, body.cluster_id);
  const types = new Set<string>(body.event_types ?? []);
  let items = rec.events.filter(
    (e) =>
      (!types.size || types.has(e.type)) &&
      (body.start_time == null || e.timestamp >= body.start_time) &&
      (body.end_time == null || e.timestamp <= body.end_time),
  );
  if (body.order !== "ASC") items = [...items].reverse();
  const limit = Number(body.page_size || body.limit || EVENTS_LIMIT);
  if (!(limit >= 1 && limit <= 500)) throw invalidParameter("limit must be between 1 and 500");
  const offset = body.page_token ? offsetOf(body.page_token) : Number(body.offset ?? 0);
  const p = page(items, offset, limit);
  // Older clients page by sending this body back.
  const next: Record<string, unknown> = { ...body, offset: offset + limit, limit };
  delete next.page_token;
  delete next.page_size;
  return {
    body: {
      events: p.items,
      total_count: items.length,
      ...(p.more ? { next_page: next, next_page_token: p.next } : {}),
      ...(p.prev ? { prev_page_token: p.prev } : {}),
    },
  };
}

export const clustersService: EmulatorService<ClustersState, ClustersEmulatorExports> = {
  name: "clusters",
  init: () => ({ clusters: {}, tokens: {}, failures: [] }),
  routes(router: Router) {
    // The official SDKs call 2.1; older clients still call 2.0.
    for (const v of ["2.0", "2.1"]) {
      const base = `/api/${v}/clusters`;
      router.post(`${base}/create`, create);
      router.post(`${base}/edit`, edit);
      router.post(`${base}/start`, start);
      router.post(`${base}/restart`, restart);
      router.post(`${base}/resize`, resize);
      router.post(`${base}/delete`, terminate);
      router.post(`${base}/permanent-delete`, permanentDelete);
      router.post(`${base}/pin`, pin(true));
      router.post(`${base}/unpin`, pin(false));
      router.get(`${base}/get`, get);
      router.get(`${base}/list`, list);
      router.post(`${base}/events`, events, { mutates: false });
      router.get(`${base}/spark-versions`, () => ({ body: { versions: SPARK_VERSIONS } }));
      router.get(`${base}/list-node-types`, () => ({ body: { node_types: NODE_TYPES } }));
    }
  },
  tick(ctx) {
    const state = clusters(ctx);
    const now = ctx.clock.now();
    for (const rec of Object.values(state.clusters)) advance(rec, now, ctx, state);
  },
  exports(ctx) {
    const settle = (rec: ClusterRecord) => advance(rec, ctx.clock.now(), ctx, clusters(ctx));
    return {
      exists: (id) => Boolean(clusters(ctx).clusters[id]),
      createJobCluster(spec, at, name) {
        const rec = newCluster(
          ctx,
          { cluster_name: name, ...definitionOf(spec), autotermination_minutes: 0 },
          "JOB",
          at,
        );
        beginStart(clusters(ctx), rec, at, "CREATING");
        settle(rec);
        return rec.details.cluster_id;
      },
      acquire(id, at) {
        const rec = clusters(ctx).clusters[id];
        if (!rec) return undefined;
        const ready = readiness(clusters(ctx), rec, at);
        if ("readyAt" in ready) rec.busy++;
        settle(rec);
        return ready;
      },
      release(id, at) {
        const rec = clusters(ctx).clusters[id];
        if (!rec) return;
        rec.busy = Math.max(0, rec.busy - 1);
        rec.last_activity = Math.max(rec.last_activity, at);
        settle(rec);
      },
      terminate(id, at, code) {
        const rec = clusters(ctx).clusters[id];
        if (!rec) return;
        beginTerminate(rec, at, { code, type: "SUCCESS", parameters: {} }, "Job finished");
        settle(rec);
      },
      sparkContextId: (id) => clusters(ctx).clusters[id]?.details.spark_context_id,
      failNextStart(failure = {}) {
        const state = failure.state ?? "ERROR";
        clusters(ctx).failures.push({
          state,
          message:
            failure.message ??
            "Cluster failed to start: the driver did not come up (scripted in the emulator).",
          code: failure.code ?? (state === "ERROR" ? "DRIVER_UNREACHABLE" : "CLOUD_PROVIDER_LAUNCH_FAILURE"),
        });
      },
      addCluster(definition) {
        const at = ctx.clock.now();
        const rec = newCluster(ctx, definitionOf(definition), "API", at, definition.cluster_id);
        rec.details.start_time = at;
        rec.plan = [{ at, state: "RUNNING", message: "" }];
        settle(rec);
      },
    };
  },
};
