import { z } from "zod";
import { closedEnum, openEnum, pathSegment } from "../core/validation.js";

// ---------------------------------------------------------------------------------------------
// Requests. Loose objects: a field this client does not know yet still reaches the server.
// ---------------------------------------------------------------------------------------------

const NAME_CHARS = /^[A-Za-z0-9_-]+$/;

/** Endpoint names: letters, digits, `-` and `_` (unique in the workspace). */
export const endpointName = z
  .string()
  .min(1, "must not be empty")
  .regex(NAME_CHARS, "may contain only letters, digits, '-' and '_'");

/** Served entity names follow the same rule as endpoint names. */
export const servedEntityName = endpointName;

const int = z.number().int();

export const endpointTag = z.looseObject({
  key: z.string().min(1, "must not be empty"),
  value: z.string().optional(),
});

export const WORKLOAD_TYPES = ["CPU", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE", "MULTIGPU_MEDIUM"] as const;

export const externalModel = z.looseObject({
  name: z.string().min(1),
  provider: z.string().min(1),
  task: z.string().min(1),
});

export const servedEntityInput = z
  .looseObject({
    name: servedEntityName.optional(),
    entity_name: z.string().min(1).optional(),
    /** A string on the wire; a whole number is accepted and sent as a string. */
    entity_version: z
      .union([z.string().min(1), int.nonnegative()])
      .transform(String)
      .optional(),
    /** Small, Medium or Large, or a custom size the workspace offers (so not checked here). */
    workload_size: z.string().min(1).optional(),
    workload_type: closedEnum(WORKLOAD_TYPES).optional(),
    scale_to_zero_enabled: z.boolean().optional(),
    environment_vars: z.record(z.string(), z.string()).optional(),
    instance_profile_arn: z.string().optional(),
    min_provisioned_concurrency: int.nonnegative().optional(),
    max_provisioned_concurrency: int.nonnegative().optional(),
    min_provisioned_throughput: int.nonnegative().optional(),
    max_provisioned_throughput: int.nonnegative().optional(),
    provisioned_model_units: int.nonnegative().optional(),
    burst_scaling_enabled: z.boolean().optional(),
    external_model: externalModel.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.external_model && e.entity_name !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["external_model"],
        message: "cannot be combined with entity_name",
      });
    }
    if (!e.external_model && e.entity_name === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["entity_name"],
        message: "is required (or give external_model)",
      });
    }
    const concurrency = e.min_provisioned_concurrency ?? e.max_provisioned_concurrency;
    if (e.workload_size !== undefined && concurrency !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["workload_size"],
        message: "cannot be combined with min_/max_provisioned_concurrency",
      });
    }
  });

/** Deprecated form of a served entity (`served_models`). */
export const servedModelInput = z.looseObject({
  model_name: z.string().min(1),
  model_version: z.union([z.string().min(1), int.nonnegative()]).transform(String),
  scale_to_zero_enabled: z.boolean(),
  name: servedEntityName.optional(),
  workload_size: z.string().min(1).optional(),
  workload_type: closedEnum(WORKLOAD_TYPES).optional(),
});

export const route = z
  .looseObject({
    served_entity_name: servedEntityName.optional(),
    served_model_name: servedEntityName.optional(),
    traffic_percentage: int.min(0).max(100),
  })
  .refine((r) => (r.served_entity_name === undefined) !== (r.served_model_name === undefined), {
    message: "give exactly one of served_entity_name and served_model_name",
  });

export const trafficConfig = z
  .looseObject({ routes: z.array(route).optional() })
  .refine((t) => !t.routes?.length || t.routes.reduce((s, r) => s + r.traffic_percentage, 0) === 100, {
    path: ["routes"],
    message: "traffic percentages must add up to 100",
  });

export const autoCaptureConfigInput = z.looseObject({
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  table_name_prefix: z.string().optional(),
  enabled: z.boolean().optional(),
});

export const endpointCoreConfigInput = z.looseObject({
  served_entities: z.array(servedEntityInput).optional(),
  served_models: z.array(servedModelInput).optional(),
  traffic_config: trafficConfig.optional(),
  auto_capture_config: autoCaptureConfigInput.optional(),
});

export const aiGatewayRateLimit = z.looseObject({
  calls: int.nonnegative().optional(),
  tokens: int.nonnegative().optional(),
  key: closedEnum(["user", "user_group", "service_principal", "endpoint"]).optional(),
  principal: z.string().optional(),
  renewal_period: closedEnum(["minute"]),
});

export const inferenceTableConfig = z.looseObject({
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  table_name_prefix: z.string().optional(),
  enabled: z.boolean().optional(),
});

export const aiGatewayConfig = z.looseObject({
  inference_table_config: inferenceTableConfig.optional(),
  usage_tracking_config: z.looseObject({ enabled: z.boolean().optional() }).optional(),
  rate_limits: z.array(aiGatewayRateLimit).optional(),
  /** Guardrail parameters change often; kept loose. */
  guardrails: z.looseObject({}).optional(),
  fallback_config: z.looseObject({ enabled: z.boolean() }).optional(),
});

export const legacyRateLimit = z.looseObject({
  calls: int.nonnegative(),
  key: closedEnum(["user", "endpoint"]).optional(),
  renewal_period: closedEnum(["minute"]),
});

export const createRequest = z.looseObject({
  name: endpointName,
  config: endpointCoreConfigInput.optional(),
  ai_gateway: aiGatewayConfig.optional(),
  tags: z.array(endpointTag).optional(),
  route_optimized: z.boolean().optional(),
  budget_policy_id: z.string().optional(),
  description: z.string().optional(),
  email_notifications: z.looseObject({}).optional(),
  rate_limits: z.array(legacyRateLimit).optional(),
  telemetry_config: z.looseObject({}).optional(),
});

export const nameRequest = z.looseObject({ name: endpointName });

export const updateConfigRequest = endpointCoreConfigInput.extend({ name: endpointName });

export const patchRequest = z.looseObject({
  name: endpointName,
  add_tags: z.array(endpointTag).optional(),
  delete_tags: z.array(z.string().min(1)).optional(),
});

export const putAiGatewayRequest = aiGatewayConfig.extend({ name: endpointName });

export const putRequest = z.looseObject({
  name: endpointName,
  rate_limits: z.array(legacyRateLimit).optional(),
});

export const servedModelRequest = z.looseObject({ name: endpointName, served_model_name: servedEntityName });

export const permissionLevel = openEnum(["CAN_MANAGE", "CAN_QUERY", "CAN_VIEW"]);

export const accessControlRequest = z
  .looseObject({
    user_name: z.string().optional(),
    group_name: z.string().optional(),
    service_principal_name: z.string().optional(),
    permission_level: permissionLevel.optional(),
  })
  .refine((a) => [a.user_name, a.group_name, a.service_principal_name].filter(Boolean).length === 1, {
    message: "give exactly one of user_name, group_name and service_principal_name",
  });

export const permissionsIdRequest = z.looseObject({ serving_endpoint_id: pathSegment });

export const permissionsRequest = permissionsIdRequest.extend({
  access_control_list: z.array(accessControlRequest).optional(),
});

export type ServedEntityInput = z.input<typeof servedEntityInput>;
export type ServedModelInput = z.input<typeof servedModelInput>;
export type Route = z.input<typeof route>;
export type TrafficConfig = z.input<typeof trafficConfig>;
export type EndpointCoreConfigInput = z.input<typeof endpointCoreConfigInput>;
export type AiGatewayConfig = z.input<typeof aiGatewayConfig>;
export type AiGatewayRateLimit = z.input<typeof aiGatewayRateLimit>;
export type InferenceTableConfig = z.input<typeof inferenceTableConfig>;
export type EndpointTag = z.input<typeof endpointTag>;
export type RateLimit = z.input<typeof legacyRateLimit>;
export type CreateServingEndpointRequest = z.input<typeof createRequest>;
export type UpdateConfigRequest = z.input<typeof updateConfigRequest>;
export type PatchTagsRequest = z.input<typeof patchRequest>;
export type PutAiGatewayRequest = z.input<typeof putAiGatewayRequest>;
export type PutRateLimitsRequest = z.input<typeof putRequest>;
export type ServedModelRequest = z.input<typeof servedModelRequest>;
export type ServingEndpointAccessControlRequest = z.input<typeof accessControlRequest>;
export type ServingEndpointPermissionsRequest = z.input<typeof permissionsRequest>;

// ---------------------------------------------------------------------------------------------
// Responses: parsed leniently (unknown fields and enum values are kept).
// ---------------------------------------------------------------------------------------------

export const endpointStateReady = openEnum(["READY", "NOT_READY"]);
export const endpointStateConfigUpdate = openEnum([
  "NOT_UPDATING",
  "IN_PROGRESS",
  "UPDATE_FAILED",
  "UPDATE_CANCELED",
]);
export const deploymentState = openEnum([
  "DEPLOYMENT_CREATING",
  "DEPLOYMENT_READY",
  "DEPLOYMENT_FAILED",
  "DEPLOYMENT_RECOVERING",
  "DEPLOYMENT_ABORTED",
]);

export const servedEntityOutput = z.looseObject({
  name: z.string().optional(),
  entity_name: z.string().optional(),
  entity_version: z.string().optional(),
  workload_size: z.string().optional(),
  workload_type: z.string().optional(),
  scale_to_zero_enabled: z.boolean().optional(),
  environment_vars: z.record(z.string(), z.string()).optional(),
  external_model: z.looseObject({}).optional(),
  foundation_model: z.looseObject({}).optional(),
  creator: z.string().optional(),
  creation_timestamp: z.number().optional(),
  state: z
    .looseObject({ deployment: deploymentState.optional(), deployment_state_message: z.string().optional() })
    .optional(),
});

const routeOutput = z.looseObject({
  served_entity_name: z.string().optional(),
  served_model_name: z.string().optional(),
  traffic_percentage: z.number(),
});

const trafficConfigOutput = z.looseObject({ routes: z.array(routeOutput).optional() });

export const endpointCoreConfigOutput = z.looseObject({
  config_version: z.number().optional(),
  served_entities: z.array(servedEntityOutput).optional(),
  served_models: z.array(z.looseObject({})).optional(),
  traffic_config: trafficConfigOutput.optional(),
  auto_capture_config: z.looseObject({}).optional(),
});

export const endpointPendingConfig = endpointCoreConfigOutput.extend({ start_time: z.number().optional() });

export const endpointState = z.looseObject({
  ready: endpointStateReady.optional(),
  config_update: endpointStateConfigUpdate.optional(),
});

const endpointTagOutput = z.looseObject({ key: z.string(), value: z.string().optional() });

export const servingEndpointDetailed = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  creator: z.string().optional(),
  creation_timestamp: z.number().optional(),
  last_updated_timestamp: z.number().optional(),
  state: endpointState.optional(),
  config: endpointCoreConfigOutput.optional(),
  pending_config: endpointPendingConfig.optional(),
  ai_gateway: z.looseObject({}).optional(),
  tags: z.array(endpointTagOutput).optional(),
  task: z.string().optional(),
  route_optimized: z.boolean().optional(),
  permission_level: z.string().optional(),
  description: z.string().optional(),
});

export const servingEndpointSummary = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  state: endpointState.optional(),
  config: z.looseObject({ served_entities: z.array(z.looseObject({})).optional() }).optional(),
  tags: z.array(endpointTagOutput).optional(),
  task: z.string().optional(),
});

export const listResponse = z.looseObject({ endpoints: z.array(servingEndpointSummary).optional() });
export const logsResponse = z.looseObject({ logs: z.string() });
export const tagsResponse = z.looseObject({ tags: z.array(endpointTagOutput).optional() });
export const rateLimitsResponse = z.looseObject({ rate_limits: z.array(z.looseObject({})).optional() });

export const permissionsResponse = z.looseObject({
  object_id: z.string().optional(),
  object_type: z.string().optional(),
  access_control_list: z
    .array(
      z.looseObject({
        user_name: z.string().optional(),
        group_name: z.string().optional(),
        service_principal_name: z.string().optional(),
        display_name: z.string().optional(),
        all_permissions: z
          .array(
            z.looseObject({
              permission_level: z.string().optional(),
              inherited: z.boolean().optional(),
              inherited_from_object: z.array(z.string()).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});

export const permissionLevelsResponse = z.looseObject({
  permission_levels: z
    .array(z.looseObject({ permission_level: z.string().optional(), description: z.string().optional() }))
    .optional(),
});

export type ServedEntityOutput = z.output<typeof servedEntityOutput>;
export type EndpointCoreConfigOutput = z.output<typeof endpointCoreConfigOutput>;
export type EndpointPendingConfig = z.output<typeof endpointPendingConfig>;
export type EndpointState = z.output<typeof endpointState>;
export type ServingEndpointDetailed = z.output<typeof servingEndpointDetailed>;
export type ServingEndpoint = z.output<typeof servingEndpointSummary>;
export type ServingEndpointPermissions = z.output<typeof permissionsResponse>;
export type ServingEndpointPermissionLevels = z.output<typeof permissionLevelsResponse>;
export type AiGatewayConfigOutput = z.output<typeof aiGatewayConfig>;
