export type {
  CreateOrUpdateOptions,
  DeployResult,
  PredictBatchedOptions,
  PredictBatchedResult,
  RolloutOptions,
  TrafficShift,
  TrafficSteps,
} from "./api/serving-endpoints.js";
export { PREVIOUS_CONFIG_TAG, ServingEndpointsAPI } from "./api/serving-endpoints.js";
export type {
  AiGatewayConfig,
  AiGatewayConfigOutput,
  AiGatewayRateLimit,
  CreateServingEndpointRequest,
  EndpointCoreConfigInput,
  EndpointCoreConfigOutput,
  EndpointPendingConfig,
  EndpointState,
  EndpointTag,
  InferenceTableConfig,
  PatchTagsRequest,
  PutAiGatewayRequest,
  PutRateLimitsRequest,
  RateLimit,
  Route,
  ServedEntityInput,
  ServedEntityOutput,
  ServedModelInput,
  ServedModelRequest,
  ServingEndpoint,
  ServingEndpointAccessControlRequest,
  ServingEndpointDetailed,
  ServingEndpointPermissionLevels,
  ServingEndpointPermissions,
  ServingEndpointPermissionsRequest,
  TrafficConfig,
  UpdateConfigRequest,
} from "./api/serving-endpoints-schemas.js";
export type { MetricMetadata, MetricSample, ServingMetrics } from "./api/serving-metrics.js";
export { parsePrometheusText } from "./api/serving-metrics.js";
export type {
  ChatMessage,
  DataframeSplit,
  QueryInput,
  QueryRequest,
  QueryResponse,
} from "./api/serving-query.js";
export type { ClientOptions, DerivedOptions, PublicConfig } from "./client.js";
export { Databricks } from "./client.js";
export type { Clock } from "./core/clock.js";
export type { DatabricksOptions, ProvidedToken, TokenProvider } from "./core/config.js";
export * from "./core/errors.js";
export type { ApiResponse, HttpMethod, RequestEvent, RequestOptions, RequestSpec } from "./core/http.js";
export { encodePath, requestIdOf } from "./core/http.js";
export type { Logger } from "./core/logger.js";
export { consoleLogger, silentLogger } from "./core/logger.js";
export type { Page } from "./core/pagination.js";
export { Paginated } from "./core/pagination.js";
export type { ProgressEvent, WaitOptions } from "./core/wait.js";
export { VERSION } from "./version.js";
