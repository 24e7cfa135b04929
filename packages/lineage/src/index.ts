export type { EmitterOptions, EmitterStats, FlushResult } from './emitter.ts';
export { createEmitter, LineageEmitter } from './emitter.ts';
export { lineageFromEnv, transportFromEnv } from './env.ts';
export {
  InvalidLineageInputError,
  LineageDeliveryError,
  LineageDroppedError,
  LineageHttpError,
} from './errors.ts';
export type {
  Dataset,
  DatasetEvent,
  DatasetFacets,
  EventOptions,
  InputDataset,
  InputDatasetFacets,
  Job,
  JobEvent,
  JobFacets,
  LineageEvent,
  OutputDataset,
  OutputDatasetFacets,
  Run,
  RunEvent,
  RunEventInput,
  RunEventType,
  RunFacets,
} from './events.ts';
export { datasetEvent, isRunEvent, jobEvent, orderingKey, RUN_EVENT_TYPES, runEvent } from './events.ts';
export type { BaseFacet, DeletableFacet, FacetOptions } from './facets/base.ts';
export { customFacet, DEFAULT_PRODUCER, OPENLINEAGE_SPEC_URL } from './facets/base.ts';
export type {
  ColumnLineageDatasetFacet,
  ColumnMetrics,
  ColumnTransformation,
  DataQualityMetrics,
  DataQualityMetricsFacet,
  DatasetStatistics,
  DatasourceDatasetFacet,
  InputField,
  SchemaDatasetFacet,
  SchemaField,
  StatisticsFacet,
} from './facets/dataset.ts';
export {
  columnLineageFacet,
  dataQualityMetricsFacet,
  inputStatisticsFacet,
  outputStatisticsFacet,
  schemaFacet,
} from './facets/dataset.ts';
export type {
  DataQualityAssertionsFacet,
  QualityAssertion,
  QualityCheckLike,
  QualityFacetOptions,
  QualityReportLike,
} from './facets/quality.ts';
export { dataQualityAssertionsFacet } from './facets/quality.ts';
export type {
  DocumentationJobFacet,
  ErrorMessageOptions,
  ErrorMessageRunFacet,
  JobTypeJobFacet,
  NominalTimeRunFacet,
  ParentRunFacet,
  ProcessingEngineRunFacet,
  RunRef,
  SqlJobFacet,
} from './facets/run.ts';
export {
  documentationFacet,
  errorMessageFacet,
  jobTypeFacet,
  nominalTimeFacet,
  parentRunFacet,
  processingEngineFacet,
  sqlFacet,
} from './facets/run.ts';
export type {
  ColumnMapping,
  ColumnSource,
  DatasetNode,
  GraphEventOptions,
  LineageSlice,
  TransformSpec,
} from './graph/graph.ts';
export { LineageGraph } from './graph/graph.ts';
export type { RenderOptions } from './graph/render.ts';
export { toDot, toMermaid } from './graph/render.ts';
export type { DeterministicRunIdInput } from './ids.ts';
export { deterministicRunId, isRunId, PIPEWRIGHT_UUID_NAMESPACE, uuidv5, uuidv7 } from './ids.ts';
export type { ConnectionSettings, DatasetRef, TableName } from './naming.ts';
export {
  dataSourceFacet,
  datasetFromLocation,
  mysqlDataset,
  postgresDataset,
  postgresNamespace,
  safeUri,
} from './naming.ts';
export { redactSecrets } from './redact.ts';
export type { LineageOptions, RunUpdate, StartRunOptions } from './run.ts';
export { createLineage, currentRun, Lineage, LineageRun, LineageRunStateError } from './run.ts';
export type { FileTransportOptions } from './transports/file.ts';
export { fileTransport } from './transports/file.ts';
export type { HttpRetryInfo, HttpTransportOptions } from './transports/http.ts';
export { httpTransport } from './transports/http.ts';
export type { ConsoleTransportOptions } from './transports/simple.ts';
export { compositeTransport, consoleTransport, noopTransport } from './transports/simple.ts';
export type { LineageTransport } from './transports/types.ts';
export { VERSION } from './version.ts';
export type { LineageMethodDecorator, RunOptionsFor } from './wrap.ts';
export { lineageRun, withLineage } from './wrap.ts';
