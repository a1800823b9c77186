import { recordOwner, requirePermission } from "../access/object-acls.js";
import { ApiFault, invalidParameter, requireFields } from "../errors.js";
import type { Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import { checkSecretReferences } from "./secrets.js";
import { advance, newConfig } from "./serving-config.js";
import { invoke } from "./serving-invoke.js";
import { renderMetrics } from "./serving-metrics.js";
import {
  type EndpointRecord,
  endpointOr404,
  hex,
  type Loose,
  NAME,
  SCALE_TO_ZERO_MS,
  type ServingEmulatorExports,
  type ServingState,
  state,
} from "./serving-state.js";
import { buildLog, endpointView, servedEntity, summaryView } from "./serving-views.js";

/**
 * Model Serving: endpoints move through their real state machine on the emulator clock (create →
 * NOT_READY/IN_PROGRESS with a pending config → READY/NOT_UPDATING), builds can be scripted to
 * fail, queries answer deterministically, and inference tables and health metrics follow traffic.
 */

// ---------------------------------------------------------------------------------------------
// AI gateway
// ---------------------------------------------------------------------------------------------

function checkAiGateway(ep: EndpointRecord, body: Loose): Loose {
  const { name: _name, ...gateway } = body;
  const table = gateway.inference_table_config as Loose | undefined;
  if (table?.enabled) {
    requireFields(table, "catalog_name", "schema_name");
    const current = ep.ai_gateway?.inference_table_config as Loose | undefined;
    if (
      current?.enabled &&
      ["catalog_name", "schema_name", "table_name_prefix"].some(
        (k) => (current[k] ?? null) !== (table[k] ?? null),
      )
    ) {
      throw invalidParameter(
        "The inference table's catalog, schema and table name prefix cannot change while it is enabled; disable it first.",
      );
    }
  }
  for (const limit of (gateway.rate_limits as Loose[] | undefined) ?? []) {
    if (limit.renewal_period !== "minute")
      throw invalidParameter("rate_limits.renewal_period must be 'minute'.");
  }
  return gateway;
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

function routes(router: Router): void {
  const base = "/api/2.0/serving-endpoints";

  router.post(base, (req) => {
    const ctx = req.ctx;
    const body = (req.body ?? {}) as Loose;
    requireFields(body, "name");
    const name = String(body.name);
    if (!NAME.test(name)) {
      throw invalidParameter(
        `Endpoint name '${name}' is invalid: it may contain only alphanumeric characters, dashes and underscores.`,
      );
    }
    checkSecretReferences(req, body.config);
    const st = state(ctx);
    if (st.endpoints[name])
      throw new ApiFault(409, "RESOURCE_ALREADY_EXISTS", `Endpoint with name '${name}' already exists.`);
    const now = ctx.clock.now();
    const { name: _n, config, tags, ai_gateway, rate_limits, ...extras } = body;
    const ep: EndpointRecord = {
      id: hex(ctx, 32),
      name,
      creator: req.caller.userName,
      creation_timestamp: now,
      last_updated_timestamp: now,
      extras,
      tags: Array.isArray(tags) ? (tags as EndpointRecord["tags"]) : [],
      config_update: "NOT_UPDATING",
      last_version: 0,
      wrr: {},
      events: [],
      server_logs: {},
    };
    if (ai_gateway) ep.ai_gateway = checkAiGateway(ep, ai_gateway as Loose);
    if (rate_limits) ep.rate_limits = rate_limits as unknown[];
    if (config) {
      ep.pending = newConfig(ctx, ep, config as Loose);
      ep.config_update = "IN_PROGRESS";
    }
    recordOwner(req, "serving-endpoints", ep.id);
    st.endpoints[name] = ep;
    return { body: endpointView(ctx, ep) };
  });

  router.get(base, (req) => ({
    body: { endpoints: Object.values(state(req.ctx).endpoints).map(summaryView) },
  }));

  router.get(`${base}/:name`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    requirePermission(req, "serving-endpoints", ep.id, "CAN_VIEW", ep.name);
    return { body: endpointView(req.ctx, ep) };
  });

  router.delete(`${base}/:name`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    requirePermission(req, "serving-endpoints", ep.id, "CAN_MANAGE", ep.name);
    delete state(req.ctx).endpoints[req.params.name!];
    return { body: {} };
  });

  router.put(`${base}/:name/config`, (req) => {
    const ctx = req.ctx;
    const ep = endpointOr404(ctx, req.params.name!);
    requirePermission(req, "serving-endpoints", ep.id, "CAN_MANAGE", ep.name);
    checkSecretReferences(req, req.body);
    if (ep.config_update === "IN_PROGRESS") {
      throw new ApiFault(
        409,
        "RESOURCE_CONFLICT",
        `Endpoint '${ep.name}' already has a config update in progress; wait until it finishes before updating it again.`,
      );
    }
    ep.pending = newConfig(ctx, ep, (req.body ?? {}) as Loose);
    ep.config_update = "IN_PROGRESS";
    ep.last_updated_timestamp = ctx.clock.now();
    return { body: endpointView(ctx, ep) };
  });

  router.patch(`${base}/:name/tags`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    const body = (req.body ?? {}) as {
      add_tags?: Array<{ key: string; value?: string }>;
      delete_tags?: string[];
    };
    for (const t of body.add_tags ?? []) {
      requireFields(t as unknown as Loose, "key");
      ep.tags = [
        ...ep.tags.filter((x) => x.key !== t.key),
        { key: t.key, ...(t.value !== undefined ? { value: t.value } : {}) },
      ];
    }
    const drop = new Set(body.delete_tags ?? []);
    ep.tags = ep.tags.filter((t) => !drop.has(t.key));
    return { body: { tags: ep.tags } };
  });

  router.put(`${base}/:name/ai-gateway`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    ep.ai_gateway = checkAiGateway(ep, (req.body ?? {}) as Loose);
    ep.last_updated_timestamp = req.ctx.clock.now();
    return { body: ep.ai_gateway };
  });

  router.put(`${base}/:name/rate-limits`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    const limits = ((req.body ?? {}) as Loose).rate_limits;
    ep.rate_limits = Array.isArray(limits) ? limits : [];
    for (const l of ep.rate_limits as Loose[]) requireFields(l, "calls", "renewal_period");
    return { body: { rate_limits: ep.rate_limits } };
  });

  router.get(`${base}/:name/served-models/:served/build-logs`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    return { body: { logs: buildLog(servedEntity(ep, req.params.served!), req.ctx.clock.now()) } };
  });

  router.get(`${base}/:name/served-models/:served/logs`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    const e = servedEntity(ep, req.params.served!);
    return { body: { logs: (ep.server_logs[e.name] ?? []).map((l) => `${l}\n`).join("") } };
  });

  router.get(`${base}/:name/metrics`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    const now = req.ctx.clock.now();
    const idleFor = req.ctx.clock.idle(SCALE_TO_ZERO_MS);
    const entities = (ep.config?.entities ?? []).map((e) => ({
      name: e.name,
      workload_size: e.spec.workload_size as string | undefined,
      scaled_to_zero:
        e.spec.scale_to_zero_enabled === true &&
        now - Math.max(e.ready_at, ep.last_request?.[e.name] ?? 0) >= idleFor,
    }));
    return {
      raw: renderMetrics(entities, ep.events, now),
      contentType: "text/plain; version=0.0.4; charset=utf-8",
    };
  });

  router.get(`${base}/:name/openapi`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    if (!ep.config)
      throw new ApiFault(400, "BAD_REQUEST", `Endpoint '${ep.name}' is not ready: it has no served config.`);
    return { body: openApi(req.ctx, ep) };
  });

  // Queries are not persisted one by one: they change only counters and captured records.
  router.post("/serving-endpoints/:name/invocations", (req) => invoke(req.ctx, req), { mutates: false });
  router.post("/serving-endpoints/:name/served-models/:served/invocations", (req) => invoke(req.ctx, req), {
    mutates: false,
  });
}

function openApi(ctx: EmulatorContext, ep: EndpointRecord): Loose {
  const row = { type: "object", additionalProperties: true };
  return {
    openapi: "3.1.0",
    info: { title: ep.name, version: String(ep.config?.config_version ?? 0) },
    servers: [{ url: `${ctx.url}/serving-endpoints/${ep.name}` }],
    paths: {
      "/invocations": {
        post: {
          requestBody: {
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    {
                      type: "object",
                      required: ["dataframe_split"],
                      properties: { dataframe_split: { type: "object" } },
                    },
                    {
                      type: "object",
                      required: ["dataframe_records"],
                      properties: { dataframe_records: { type: "array", items: row } },
                    },
                    { type: "object", required: ["instances"], properties: { instances: { type: "array" } } },
                    { type: "object", required: ["inputs"], properties: { inputs: {} } },
                  ],
                },
              },
            },
          },
          responses: {
            "200": {
              description: "Successful operation",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { predictions: { type: "array", items: { type: "number" } } },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}

export const servingService: EmulatorService<ServingState, ServingEmulatorExports> = {
  name: "serving",
  init: () => ({ endpoints: {}, inference: [], build_failures: [] }),
  routes,
  tick(ctx) {
    for (const ep of Object.values(state(ctx).endpoints)) advance(ctx, ep);
  },
  exports: (ctx) => ({
    inferenceRecords: (endpointName) =>
      state(ctx).inference.filter((r) => endpointName === undefined || r.endpoint_name === endpointName),
    failBuild(entityName, version, message) {
      state(ctx).build_failures.push({
        entity_name: entityName,
        ...(version !== undefined ? { version: String(version) } : {}),
        message,
      });
    },
    clearBuildFailures() {
      state(ctx).build_failures = [];
    },
  }),
};
