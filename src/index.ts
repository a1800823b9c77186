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
export type { ListWarehousesRequest, WarehouseIdRequest, WarehouseInfo } from "./api/warehouses.js";
export { WarehousesAPI } from "./api/warehouses.js";
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
export type { JoinOptions } from "./data/arrow.js";
export { joinPredictions, predictionsToArrow, toArrowTable } from "./data/arrow.js";
export { isArrowTable } from "./data/arrow-loader.js";
export type {
  BatchOptions,
  Columns,
  DataframeSplit,
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
export type { EncodeOptions, Int64Encoding } from "./data/json-values.js";
export type { DriverQueryOptions, SqlDriverOptions } from "./data/sql-driver.js";
export { SqlDriver } from "./data/sql-driver.js";
export type { DecodeOptions, Int64Decoding, SqlColumn } from "./data/sql-types.js";
export type { QueryOptions, QueryParameters, ReadOptions } from "./data/statements.js";
export { StatementsAPI, toStatementParameters } from "./data/statements.js";
export { VERSION } from "./version.js";
