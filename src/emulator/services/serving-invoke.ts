import { requirePermission } from "../access/object-acls.js";
import { ApiFault, notFound } from "../errors.js";
import type { LocalRuntime } from "../local/runtime.js";
import type { EmuRequest, EmuResponse } from "../router.js";
import type { EmulatorContext } from "../types.js";
import { captureRequest } from "./serving-inference.js";
import { recordEvent } from "./serving-metrics.js";
import {
  chatEventStream,
  executionMs,
  isLlmRequest,
  llmAnswer,
  parseCoefficients,
  predict,
  rowsOf,
} from "./serving-predict.js";
import {
  type ConfigRecord,
  type EndpointRecord,
  type EntityRecord,
  endpointOr404,
  type Loose,
  type RegistryExports,
} from "./serving-state.js";
import { logLine } from "./serving-views.js";

/** Queries: traffic split, validation, predictions, and what each request leaves behind. */

function pickEntity(ep: EndpointRecord, config: ConfigRecord): EntityRecord {
  const routes = config.routes.filter((r) => r.traffic_percentage > 0);
  if (!routes.length)
    throw new ApiFault(
      503,
      "TEMPORARILY_UNAVAILABLE",
      `Endpoint '${ep.name}' routes no traffic to any served entity.`,
    );
  let best = routes[0]!;
  let total = 0;
  for (const r of routes) {
    total += r.traffic_percentage;
    ep.wrr[r.served_entity_name] = (ep.wrr[r.served_entity_name] ?? 0) + r.traffic_percentage;
    if (ep.wrr[r.served_entity_name]! > ep.wrr[best.served_entity_name]!) best = r;
  }
  ep.wrr[best.served_entity_name]! -= total;
  return config.entities.find((e) => e.name === best.served_entity_name)!;
}

export async function invoke(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const ep = endpointOr404(ctx, req.params.name!);
  requirePermission(req, "serving-endpoints", ep.id, "CAN_QUERY", ep.name);
  const now = ctx.clock.now();
  const config = ep.config;
  if (!config) {
    throw ep.pending && !ep.pending.failed
      ? new ApiFault(
          503,
          "TEMPORARILY_UNAVAILABLE",
          `Endpoint '${ep.name}' is not ready yet: its config is being deployed.`,
        )
      : new ApiFault(
          400,
          "BAD_REQUEST",
          `Endpoint '${ep.name}' is not ready: it has no served entity that can take traffic.`,
        );
  }
  const served = req.params.served;
  const entity = served
    ? (config.entities.find((e) => e.name === served) ??
      (() => {
        throw notFound(`Served model '${served}' does not exist in endpoint '${ep.name}'.`);
      })())
    : pickEntity(ep, config);

  const body = req.body as unknown;
  let status = 200;
  let payload: unknown;
  let raw: string | undefined;
  let rows = 1;
  let ms: number | undefined;
  try {
    const fields = (typeof body === "object" && body !== null && !Array.isArray(body) ? body : {}) as Loose;
    const external = entity.spec.external_model as Loose | undefined;
    if (external || isLlmRequest(fields)) {
      const answer = llmAnswer(fields, String(external?.name ?? entity.name), Math.floor(now / 1000));
      if (fields.stream === true) {
        if (!answer.choices || (answer.object as string) !== "chat.completion") {
          throw new ApiFault(400, "BAD_REQUEST", "Streaming is supported for chat requests only.");
        }
        raw = chatEventStream(answer);
      }
      payload = answer;
    } else {
      if (fields.stream === true) {
        throw new ApiFault(400, "BAD_REQUEST", "This served model does not support streaming responses.");
      }
      const input = rowsOf(body);
      rows = input.length;
      const worker = ctx.service<LocalRuntime>("local")?.worker(ep.name, entity.name);
      if (worker) {
        // Local mode: the pickled model answers, with MLflow's scoring semantics.
        const started = Date.now();
        const answer = await worker.predict(body).catch((e: Error) => ({ error: e.message }));
        ms = Date.now() - started;
        if ("error" in answer) throw new ApiFault(400, "BAD_REQUEST", answer.error);
        payload = { predictions: answer.predictions };
      } else payload = { predictions: predict(input, modelOf(ctx, entity)) };
    }
  } catch (e) {
    if (!(e instanceof ApiFault)) throw e;
    status = e.status;
    payload = e.body();
  }

  ms ??= executionMs(rows, `${entity.name}|${ep.events.length}`);
  recordEvent(ep.events, [now, entity.name, status, ms]);
  ep.last_request ??= {};
  ep.last_request[entity.name] = now;
  logLine(
    ep,
    entity.name,
    now,
    `${status === 200 ? "INFO" : "ERROR"} POST /invocations ${status} (${rows} rows, ${ms} ms)`,
  );
  const fields = body as Loose | undefined;
  // Built only when the endpoint captures: serialising large payloads is not free.
  captureRequest(ctx, ep, entity, () => ({
    ...(typeof fields?.client_request_id === "string" ? { client_request_id: fields.client_request_id } : {}),
    request_time: now,
    status_code: status,
    execution_time_ms: ms,
    served_entity_id: entity.id,
    endpoint_name: ep.name,
    request: JSON.stringify(body ?? null),
    response: raw ?? JSON.stringify(payload),
  }));
  const headers = { "served-model-name": entity.name };
  if (status !== 200) return { status, body: payload, headers };
  return raw === undefined ? { body: payload, headers } : { raw, contentType: "text/event-stream", headers };
}

function modelOf(ctx: EmulatorContext, e: EntityRecord) {
  const name = String(e.spec.entity_name);
  const version = String(e.spec.entity_version);
  const registry = ctx.service<RegistryExports>("registry");
  const file = registry?.readModelFile(name, Number(version), "coefficients.json");
  return { key: `${name}@${version}`, coefficients: parseCoefficients(file) };
}
