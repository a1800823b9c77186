export * from "./api/clusters.js";
export type { ScimUser } from "./api/current-user.js";
export { CurrentUserAPI } from "./api/current-user.js";
export type {
  CreateDataQualityMonitorRequest,
  CreateDataQualityRefreshRequest,
  DataQualityMonitor,
  DataQualityMonitorInfo,
  DataQualityObjectRequest,
  DataQualityRefresh,
  DataQualityRefreshRequest,
  UpdateDataQualityMonitorRequest,
} from "./api/data-quality.js";
export { DataQualityAPI } from "./api/data-quality.js";
export type {
  CreateExperimentRequest,
  CreateExperimentResponse,
  GetExperimentByNameRequest,
  GetExperimentRequest,
  GetExperimentResponse,
  GetOrCreateExperimentResult,
  SearchExperimentsRequest,
  SetExperimentTagRequest,
} from "./api/experiments.js";
export { ExperimentsAPI } from "./api/experiments.js";
export type {
  DirectoryEntry,
  DirectoryRequest,
  DownloadToFileRequest,
  FileDownload,
  FileMetadata,
  FileRequest,
  ListDirectoryContentsRequest,
  UploadContents,
  UploadFromFileRequest,
  UploadRequest,
} from "./api/files.js";
export { FilesAPI } from "./api/files.js";
export type {
  EffectivePermissionsList,
  GetGrantsRequest,
  PermissionsList,
  SecurableType,
  UpdateGrantsRequest,
} from "./api/grants.js";
export { GrantsAPI, SECURABLE_PRIVILEGES } from "./api/grants.js";
export * from "./api/jobs.js";
export type {
  Experiment,
  ExperimentTag,
  FileInfo,
  Metric,
  Run,
  RunInfo,
  RunStatus,
} from "./api/mlflow-schemas.js";
export { RUN_STATUSES } from "./api/mlflow-schemas.js";
export type { Mlmodel, MlmodelSignature, YamlValue } from "./api/mlmodel.js";
export { parseMlmodel, signatureProblem } from "./api/mlmodel.js";
export type {
  ColumnSpec,
  ColumnType,
  ModelSignature,
  ParamSpec,
  PropertySpec,
  SchemaSpec,
  TensorSpec,
  ValueSpec,
} from "./api/mlmodel-signature.js";
export { parseSignature } from "./api/mlmodel-signature.js";
export type {
  CreateLegacyModelVersionRequest,
  CreateModelRequest,
  CreateModelResponse,
  GetModelResponse,
  LegacyModelVersion,
  LegacyModelVersionRequest,
  LegacyModelVersionResponse,
  LegacyRegisteredModel,
  SearchModelsRequest,
  SearchModelVersionsRequest,
  Stage,
  TransitionStageRequest,
  TransitionStageResponse,
} from "./api/model-registry.js";
export { ModelRegistryAPI, STAGES } from "./api/model-registry.js";
export { REGISTRATION_TAG } from "./api/model-version-registration.js";
export type {
  CreateModelVersionRequest,
  DeleteModelVersionRequest,
  GetModelVersionByAliasRequest,
  GetModelVersionRequest,
  ListModelVersionsRequest,
  UpdateModelVersionRequest,
} from "./api/model-versions.js";
export { ModelVersionsAPI } from "./api/model-versions.js";
export type {
  ObjectPermissions,
  PermissionLevels,
  PermissionObjectRequest,
  PermissionObjectType,
  SetPermissionsRequest,
} from "./api/permissions.js";
export { PERMISSION_LEVELS, PermissionsAPI } from "./api/permissions.js";
export type {
  CreateMonitorRequest,
  MonitorInferenceLog,
  MonitorInfo,
  MonitorRefreshInfo,
  MonitorRefreshRequest,
  MonitorTableRequest,
  UpdateMonitorRequest,
} from "./api/quality-monitors.js";
export { QualityMonitorsAPI } from "./api/quality-monitors.js";
export type {
  CreateRegisteredModelRequest,
  DeleteRegisteredModelAliasRequest,
  DeleteRegisteredModelRequest,
  GetOrCreateRegisteredModelResult,
  GetRegisteredModelRequest,
  ListRegisteredModelsRequest,
  SetRegisteredModelAliasRequest,
  UpdateRegisteredModelRequest,
} from "./api/registered-models.js";
export { RegisteredModelsAPI } from "./api/registered-models.js";
export type { JobRunStatusSummary } from "./api/run-status.js";
export { runStatus } from "./api/run-status.js";
export type {
  ArtifactRequest,
  CreateRunRequest,
  GetMetricHistoryRequest,
  GetRunRequest,
  ListArtifactsRequest,
  LogBatchRequest,
  LogMetricRequest,
  LogParamRequest,
  RunResponse,
  SearchRunsRequest,
  SetRunTagRequest,
  UpdateRunRequest,
  UpdateRunResponse,
  UploadArtifactRequest,
} from "./api/runs.js";
export { RunsAPI } from "./api/runs.js";
export type { ScimIdRequest, ScimListRequest, ScimServicePrincipal } from "./api/scim.js";
export { ServicePrincipalsAPI, UsersAPI } from "./api/scim.js";
export type {
  AclItem,
  AclRequest,
  CreateScopeRequest,
  PutAclRequest,
  PutSecretRequest,
  ScopeRequest,
  SecretKeyRequest,
  SecretMetadata,
  SecretScope,
  SecretValue,
} from "./api/secrets.js";
export { SECRET_ACL_PERMISSIONS, SecretsAPI } from "./api/secrets.js";
export type {
  CreateOrUpdateOptions,
  DeployResult,
  PredictBatchedOptions,
  PredictBatchedResult,
  PredictBatchesOptions,
  PredictionBatch,
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
  ServingEndpoint as ServingEndpointInfo,
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
  Only,
  QueryCommon,
  QueryInput,
  QueryInputKey,
  QueryRequest,
  QueryResponse,
} from "./api/serving-query.js";
export { LLM_INPUT_KEYS, TABULAR_INPUT_KEYS } from "./api/serving-query.js";
export type {
  ColumnInfo,
  ExecuteStatementRequest,
  ExternalLink,
  ResultChunkRequest,
  ResultData,
  ResultManifest,
  ServiceError,
  StatementIdRequest,
  StatementParameter,
  StatementResponse,
  StatementState,
  StatementStatus,
} from "./api/statements.js";
export { StatementExecutionAPI, statementFailure } from "./api/statements.js";
export { STATEMENT_STATES } from "./api/statements-schemas.js";
export type {
  ModelVersionInfo,
  ModelVersionStatus,
  RegisteredModelAlias,
  RegisteredModelInfo,
} from "./api/uc-model-schemas.js";
export { MODEL_VERSION_STATUSES } from "./api/uc-model-schemas.js";
export type { ListWarehousesRequest, WarehouseIdRequest, WarehouseInfo } from "./api/warehouses.js";
export { WarehousesAPI } from "./api/warehouses.js";
export * from "./api/workspace.js";
export type { ClientOptions, DerivedOptions, PublicConfig } from "./client.js";
export { Databricks } from "./client.js";
export type { Clock } from "./core/clock.js";
export type { DatabricksOptions, ProvidedToken, TokenProvider } from "./core/config.js";
export * from "./core/errors.js";
export type { ApiResponse, HttpMethod, RequestEvent, RequestOptions, RequestSpec } from "./core/http.js";
export { encodePath, requestIdOf } from "./core/http.js";
export type { Logger } from "./core/logger.js";
export { consoleLogger, silentLogger } from "./core/logger.js";
export type { FetchPage, Page } from "./core/pagination.js";
export { Paginated } from "./core/pagination.js";
export type { ProgressEvent, WaitOptions } from "./core/wait.js";
export type { JoinOptions } from "./data/arrow.js";
export { joinPredictions, predictionsToArrow, toArrowTable } from "./data/arrow.js";
export type { ArrowTable } from "./data/arrow-loader.js";
export { isArrowTable } from "./data/arrow-loader.js";
export { csvColumns } from "./data/csv.js";
export type {
  BatchOptions,
  Columns,
  DataframeSplitPayload,
  Records,
  TabularInput,
} from "./data/dataframe.js";
export { DEFAULT_BATCH_SIZE, dataframeSplitBatches, rowCount, toDataframeSplit } from "./data/dataframe.js";
export type {
  DriftBin,
  DriftOptions,
  DriftReport,
  DriftThresholds,
  FeatureDrift,
  SampleSummary,
} from "./data/drift.js";
export { chiSquareHomogeneity, driftReport, populationStability } from "./data/drift.js";
export type { RenderOptions } from "./data/drift-render.js";
export { renderDriftHtml, renderDriftText } from "./data/drift-render.js";
export type { InferenceQueryOptions, InferenceTableLocation } from "./data/inference-table.js";
export { inferenceTableOf, inferenceTableQuery, unpackInferenceTable } from "./data/inference-table.js";
export type { EncodeOptions, Int64Encoding } from "./data/json-values.js";
export type { DriverQueryOptions, SqlDriverOptions } from "./data/sql-driver.js";
export { SqlDriver } from "./data/sql-driver.js";
export type { DecodeOptions, Int64Decoding, SqlColumn } from "./data/sql-types.js";
export type { QueryOptions, QueryParameters, ReadOptions } from "./data/statements.js";
export { StatementsAPI, toStatementParameters } from "./data/statements.js";
export { VERSION } from "./version.js";
export * from "./workflows/index.js";
