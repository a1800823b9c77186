import { notFound } from "../errors.js";
import { EMULATOR_USER } from "../ids.js";
import type { EmulatorContext } from "../types.js";
import { BUILD_MS } from "./serving-config.js";
import { payloadTableName } from "./serving-inference.js";
import type { ConfigRecord, EndpointRecord, EntityRecord, Loose } from "./serving-state.js";

/** Response bodies of the serving emulator, and the logs it shows. */

const MAX_LOG_LINES = 200;

const WRITE_ONLY = /(_plaintext$|^burst_scaling_enabled$)/;

export function withoutWriteOnly(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutWriteOnly);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => !WRITE_ONLY.test(k))
      .map(([k, x]) => [k, withoutWriteOnly(x)]),
  );
}

const DEPLOYMENT: Record<EntityRecord["status"], string> = {
  CREATING: "DEPLOYMENT_CREATING",
  READY: "DEPLOYMENT_READY",
  FAILED: "DEPLOYMENT_FAILED",
  ABORTED: "DEPLOYMENT_ABORTED",
};

function stateMessage(e: EntityRecord, now: number): string {
  switch (e.status) {
    case "READY":
      return "";
    case "FAILED":
      return `Served entity creation failed: ${e.failure}`;
    case "ABORTED":
      return "Served entity creation aborted because another served entity of the update failed.";
    default:
      if (e.spec.external_model) return "Served entity creation is in progress.";
      return now < e.build_start + BUILD_MS
        ? "Creating the container image for the served entity."
        : "Deploying the served entity: waiting for replicas to become ready.";
  }
}

function entityView(e: EntityRecord, now: number): Loose {
  return {
    ...(withoutWriteOnly(e.spec) as Loose),
    name: e.name,
    creator: EMULATOR_USER,
    creation_timestamp: e.creation_timestamp,
    state: { deployment: DEPLOYMENT[e.status], deployment_state_message: stateMessage(e, now) },
  };
}

function configView(c: ConfigRecord, now: number, endpointName: string): Loose {
  const served = c.entities.map((e) => entityView(e, now));
  return {
    served_entities: served,
    ...(c.legacy
      ? {
          served_models: served.map(({ entity_name, entity_version, ...rest }) => ({
            ...rest,
            model_name: entity_name,
            model_version: entity_version,
          })),
        }
      : {}),
    traffic_config: {
      routes: c.routes.map((r) => ({
        ...r,
        ...(c.legacy ? { served_model_name: r.served_entity_name } : {}),
      })),
    },
    config_version: c.config_version,
    ...(c.auto_capture_config
      ? { auto_capture_config: autoCaptureView(c.auto_capture_config, endpointName) }
      : {}),
  };
}

function autoCaptureView(a: Loose, endpointName: string): Loose {
  return a.enabled
    ? { ...a, state: { payload_table: { name: payloadTableName(a, endpointName), status: "ACTIVE" } } }
    : a;
}

function task(ep: EndpointRecord): string | undefined {
  const entities = (ep.config ?? ep.pending)?.entities ?? [];
  const ext = entities.map((e) => e.spec.external_model as Loose | undefined).find(Boolean);
  return ext ? String(ext.task) : undefined;
}

export function endpointView(ctx: EmulatorContext, ep: EndpointRecord): Loose {
  const now = ctx.clock.now();
  const t = task(ep);
  return {
    name: ep.name,
    id: ep.id,
    creator: ep.creator,
    creation_timestamp: ep.creation_timestamp,
    last_updated_timestamp: ep.last_updated_timestamp,
    state: { ready: ep.config ? "READY" : "NOT_READY", config_update: ep.config_update },
    ...(ep.config ? { config: configView(ep.config, now, ep.name) } : {}),
    ...(ep.pending
      ? { pending_config: { ...configView(ep.pending, now, ep.name), start_time: ep.pending.start_time } }
      : {}),
    ...(ep.tags.length ? { tags: ep.tags } : {}),
    ...(ep.ai_gateway ? { ai_gateway: ep.ai_gateway } : {}),
    ...(ep.rate_limits ? { rate_limits: ep.rate_limits } : {}),
    ...(t ? { task: t } : {}),
    route_optimized: false,
    ...(withoutWriteOnly(ep.extras) as Loose),
    permission_level: "CAN_MANAGE",
  };
}

export function summaryView(ep: EndpointRecord): Loose {
  const c = ep.config ?? ep.pending;
  const t = task(ep);
  return {
    name: ep.name,
    id: ep.id,
    creator: ep.creator,
    creation_timestamp: ep.creation_timestamp,
    last_updated_timestamp: ep.last_updated_timestamp,
    state: { ready: ep.config ? "READY" : "NOT_READY", config_update: ep.config_update },
    ...(c
      ? {
          config: {
            served_entities: c.entities.map((e) =>
              withoutWriteOnly({
                name: e.name,
                ...(e.spec.entity_name !== undefined
                  ? { entity_name: e.spec.entity_name, entity_version: e.spec.entity_version }
                  : {}),
                ...(e.spec.external_model ? { external_model: e.spec.external_model } : {}),
              }),
            ),
          },
        }
      : {}),
    ...(ep.tags.length ? { tags: ep.tags } : {}),
    ...(ep.ai_gateway ? { ai_gateway: ep.ai_gateway } : {}),
    ...(t ? { task: t } : {}),
    ...(typeof ep.extras.description === "string" ? { description: ep.extras.description } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

export function servedEntity(ep: EndpointRecord, served: string): EntityRecord {
  const e =
    ep.pending?.entities.find((x) => x.name === served) ?? ep.config?.entities.find((x) => x.name === served);
  if (!e) throw notFound(`Served model '${served}' does not exist in endpoint '${ep.name}'.`);
  return e;
}

export function buildLog(e: EntityRecord, now: number): string {
  const at = (ms: number) => new Date(e.build_start + ms).toISOString();
  const lines: string[] = [];
  const push = (ms: number, text: string) => {
    if (e.build_start + ms <= now || e.status === "FAILED" || e.status === "READY")
      lines.push(`${at(ms)} ${text}`);
  };
  if (e.spec.external_model) {
    push(0, "No container build needed: the served entity is an external model.");
    return `${lines.join("\n")}\n`;
  }
  const model = `${e.spec.entity_name} version ${e.spec.entity_version}`;
  push(0, `Container image build started for ${model}.`);
  push(5_000, "Resolving the model's environment from conda.yaml / requirements.txt.");
  push(60_000, "Installing model dependencies.");
  if (e.status === "FAILED") {
    push(BUILD_MS / 2, `ERROR: ${e.failure}`);
    push(BUILD_MS / 2 + 1_000, "Container image creation failed.");
  } else {
    push(BUILD_MS - 10_000, `Model files of ${model} downloaded.`);
    push(BUILD_MS, "Container image creation finished successfully.");
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

export function logLine(ep: EndpointRecord, entity: string, now: number, line: string): void {
  ep.server_logs[entity] ??= [];
  const lines = ep.server_logs[entity]!;
  lines.push(`${new Date(now).toISOString()} ${line}`);
  if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
}
