import type { EmulatorClock } from "../clock.js";
import { invalidParameter, notFound } from "../errors.js";
import { EMULATOR_USER } from "../ids.js";
import type { EmuRequest } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";

export type WarehouseState = "STARTING" | "RUNNING" | "STOPPING" | "STOPPED" | "DELETING" | "DELETED";

export interface WarehouseRecord {
  id: string;
  name: string;
  cluster_size: string;
  min_num_clusters: number;
  max_num_clusters: number;
  auto_stop_mins: number;
  enable_serverless_compute: boolean;
  enable_photon: boolean;
  warehouse_type: string;
  spot_instance_policy: string;
  creator_name: string;
  state: WarehouseState;
  /** When the current STARTING/STOPPING/DELETING transition ends (virtual ms). */
  transition_at?: number;
  /** When it last became RUNNING. */
  running_since?: number;
  /** Last time a statement used it, for auto-stop. */
  last_activity: number;
}

export interface WarehousesState {
  warehouses: Record<string, WarehouseRecord>;
}

/** What the SQL service uses: the warehouse of a statement, started on demand like the real one. */
export interface WarehousesEmulatorExports {
  get(id: string): WarehouseRecord | undefined;
  /** Marks the warehouse busy now (auto-stop counts from the last activity); starts it if stopped. */
  use(id: string): WarehouseRecord | undefined;
}

/** Id of the warehouse every emulated workspace starts with. */
export const STARTER_WAREHOUSE_ID = "5e1f0c8a9b2d4e6f";

// Serverless warehouses start in seconds, classic and pro ones in minutes.
const startMs = (w: WarehouseRecord) => (w.enable_serverless_compute ? 10_000 : 4 * 60_000);
const STOP_MS = 30_000;
const DELETE_MS = 30_000;

function starter(): WarehouseRecord {
  return {
    id: STARTER_WAREHOUSE_ID,
    name: "Serverless Starter Warehouse",
    cluster_size: "Small",
    min_num_clusters: 1,
    max_num_clusters: 1,
    auto_stop_mins: 10,
    enable_serverless_compute: true,
    enable_photon: true,
    warehouse_type: "PRO",
    spot_instance_policy: "COST_OPTIMIZED",
    creator_name: EMULATOR_USER,
    state: "STOPPED",
    last_activity: 0,
  };
}

function start(w: WarehouseRecord, now: number): void {
  if (w.state === "STOPPED" || w.state === "STOPPING") {
    w.state = "STARTING";
    w.transition_at = now + startMs(w);
  }
  w.last_activity = now;
}

function advance(w: WarehouseRecord, now: number, clock: EmulatorClock): void {
  if (w.transition_at !== undefined && now >= w.transition_at) {
    const at = w.transition_at;
    w.transition_at = undefined;
    if (w.state === "STARTING") {
      w.state = "RUNNING";
      w.running_since = at;
      w.last_activity = Math.max(w.last_activity, at);
    } else if (w.state === "STOPPING") w.state = "STOPPED";
    else if (w.state === "DELETING") w.state = "DELETED";
  }
  const idleEnd = w.last_activity + clock.idle(w.auto_stop_mins * 60_000);
  if (w.state === "RUNNING" && w.auto_stop_mins > 0 && now >= idleEnd) {
    w.state = "STOPPING";
    w.transition_at = idleEnd + STOP_MS;
    if (now >= w.transition_at) advance(w, now, clock);
  }
}

function view(w: WarehouseRecord, ctx: EmulatorContext): Record<string, unknown> {
  const host = new URL(ctx.url).hostname;
  const path = `/sql/1.0/warehouses/${w.id}`;
  const { transition_at: _t, running_since: _r, last_activity: _l, ...fields } = w;
  return {
    ...fields,
    num_clusters: w.state === "RUNNING" ? 1 : 0,
    num_active_sessions: 0,
    jdbc_url: `jdbc:databricks://${host}:443/default;transportMode=http;ssl=1;AuthMech=3;httpPath=${path};`,
    odbc_params: { hostname: host, path, protocol: "https", port: 443 },
    // The official SDK's waiter reads `health.summary`, so health is always present.
    health: { status: "HEALTHY", summary: `Warehouse is ${w.state.toLowerCase()}` },
    channel: { name: "CHANNEL_NAME_CURRENT" },
    tags: { custom_tags: [] },
  };
}

function find(req: EmuRequest): WarehouseRecord {
  const w = req.ctx.state<WarehousesState>("warehouses").warehouses[req.params.id!];
  if (!w || w.state === "DELETED") throw notFound(`SQL warehouse ${req.params.id} does not exist.`);
  return w;
}

export const warehousesService: EmulatorService<WarehousesState, WarehousesEmulatorExports> = {
  name: "warehouses",
  init: () => ({ warehouses: { [STARTER_WAREHOUSE_ID]: starter() } }),

  routes(router) {
    router.get("/api/2.0/sql/warehouses", (req) => {
      const all = Object.values(req.ctx.state<WarehousesState>("warehouses").warehouses);
      return { body: { warehouses: all.filter((w) => w.state !== "DELETED").map((w) => view(w, req.ctx)) } };
    });
    router.post("/api/2.0/sql/warehouses", (req) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (typeof b.name !== "string" || !b.name) throw invalidParameter("Missing required field: name");
      const autoStop = b.auto_stop_mins === undefined ? 120 : Number(b.auto_stop_mins);
      if (!Number.isInteger(autoStop) || (autoStop !== 0 && autoStop < 10)) {
        throw invalidParameter("auto_stop_mins must be 0 or at least 10");
      }
      const id = Array.from({ length: 16 }, () => Math.floor(req.ctx.random() * 16).toString(16)).join("");
      const w: WarehouseRecord = {
        ...starter(),
        id,
        name: b.name,
        cluster_size: typeof b.cluster_size === "string" ? b.cluster_size : "Small",
        min_num_clusters: Number(b.min_num_clusters ?? 1),
        max_num_clusters: Number(b.max_num_clusters ?? 1),
        auto_stop_mins: autoStop,
        enable_serverless_compute: b.enable_serverless_compute === true,
        enable_photon: b.enable_photon !== false,
        warehouse_type: typeof b.warehouse_type === "string" ? b.warehouse_type : "CLASSIC",
      };
      start(w, req.ctx.clock.now());
      req.ctx.state<WarehousesState>("warehouses").warehouses[id] = w;
      return { body: { id } };
    });
    router.get("/api/2.0/sql/warehouses/:id", (req) => ({ body: view(find(req), req.ctx) }));
    router.post("/api/2.0/sql/warehouses/:id/start", (req) => {
      start(find(req), req.ctx.clock.now());
      return { body: {} };
    });
    router.post("/api/2.0/sql/warehouses/:id/stop", (req) => {
      const w = find(req);
      if (w.state === "RUNNING" || w.state === "STARTING") {
        w.state = "STOPPING";
        w.transition_at = req.ctx.clock.now() + STOP_MS;
      }
      return { body: {} };
    });
    router.delete("/api/2.0/sql/warehouses/:id", (req) => {
      const w = find(req);
      w.state = "DELETING";
      w.transition_at = req.ctx.clock.now() + DELETE_MS;
      return { body: {} };
    });
  },

  tick(ctx) {
    const now = ctx.clock.now();
    for (const w of Object.values(ctx.state<WarehousesState>("warehouses").warehouses))
      advance(w, now, ctx.clock);
  },

  exports(ctx) {
    const all = () => ctx.state<WarehousesState>("warehouses").warehouses;
    return {
      get: (id) => {
        const w = all()[id];
        return w && w.state !== "DELETED" ? w : undefined;
      },
      use: (id) => {
        const w = all()[id];
        if (!w || w.state === "DELETED" || w.state === "DELETING") return undefined;
        start(w, ctx.clock.now());
        return w;
      },
    };
  },
};
