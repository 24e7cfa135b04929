export type {
  DeadLetterResultLike,
  QualityResultLike,
  RetryEventLike,
  RetrySourceLike,
} from './adapters.ts';
export type { InstrumentDefinition, InstrumentId, InstrumentType } from './catalogue.ts';
export {
  BATCH_SIZE_BUCKETS,
  INSTRUMENT_LIST,
  INSTRUMENTS,
  RUN_DURATION_BUCKETS,
  STEP_DURATION_BUCKETS,
} from './catalogue.ts';
export type {
  LabelValues,
  OtelApiLike,
  OtelAttributes,
  OtelContextLike,
  OtelInstrumentOptions,
  OtelMeterLike,
  OtelSpanLike,
  OtelTracerLike,
  PromClientLike,
  PromRegistryLike,
} from './clients.ts';
export { MetricConflictError, PushgatewayError } from './errors.ts';
export type { MetricsHandlerOptions } from './handler.ts';
export { metricsHandler } from './handler.ts';
export type { StepContext } from './internal/timing.ts';
export type { JsonLoggerOptions, LogLevel } from './logging/json-logger.ts';
export { createJsonLogger, LOG_LEVEL_VALUES } from './logging/json-logger.ts';
export type { PinoLike } from './logging/pino.ts';
export { fromPino } from './logging/pino.ts';
export { isSecretKey, REDACTED, redact, redactString } from './logging/redact.ts';
export { createPipelineMetrics } from './metrics.ts';
export type { DeadLetterRateOptions, DeadLetterThresholds } from './monitors/dead-letter-rate.ts';
export { checkDeadLetterRate, deadLetterRateVerdict } from './monitors/dead-letter-rate.ts';
export type { FreshnessOptions } from './monitors/freshness.ts';
export { checkFreshness } from './monitors/freshness.ts';
export type { MonitorBaseOptions, TableSource, WhereEquals } from './monitors/shared.ts';
export type { MonitorName, MonitorSink, MonitorStatus, MonitorVerdict } from './monitors/verdict.ts';
export { STATUS_VALUE } from './monitors/verdict.ts';
export type { VolumeOptions } from './monitors/volume.ts';
export { checkVolume } from './monitors/volume.ts';
export type { PushgatewayOptions } from './pushgateway.ts';
export {
  deleteFromGateway,
  PROMETHEUS_TEXT_CONTENT_TYPE,
  pushgatewayGroupUrl,
  pushToGateway,
} from './pushgateway.ts';
export type { RunOutcome, RunResult, RunScope, StartRunOptions } from './run.ts';
export type { PipelineMetrics, PipelineMetricsOptions, RecordCounts } from './types.ts';
export { VERSION } from './version.ts';
export type { DualMethodDecorator, StepTimer, TimedFunction } from './wrap.ts';
export { timed, withTiming } from './wrap.ts';
