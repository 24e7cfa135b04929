export type {
  AcceptedValuesCheck,
  Check,
  CheckBase,
  CheckOptions,
  CheckType,
  CustomCheck,
  CustomSqlCheck,
  FreshnessCheck,
  FreshnessOptions,
  NotNullCheck,
  OutlierOptions,
  OutliersCheck,
  PatternCheck,
  RangeBound,
  RangeCheck,
  RangeOptions,
  RelationshipsCheck,
  RelationshipTarget,
  RowCountCheck,
  Severity,
  UniqueCheck,
  VolumeAnomalyCheck,
  VolumeAnomalyOptions,
} from './checks/define.ts';
export {
  acceptedValues,
  custom,
  customSql,
  freshness,
  isRowCheck,
  notNull,
  outliers,
  pattern,
  positive,
  range,
  relationships,
  rowCount,
  unique,
  volumeAnomaly,
} from './checks/define.ts';
export { runChecks } from './checks/memory.ts';
export type { CheckResult, CheckStatus, RunOptions } from './checks/result.ts';
export { runSqlChecks } from './checks/sql.ts';
export type { BigintIdOptions, DecimalStringOptions, IsoTimestampOptions } from './coercions.ts';
export { bigintId, decimalString, isoTimestamp } from './coercions.ts';
export { QualityCheckFailedError, RejectRateExceededError, SchemaDriftError, UnsupportedCheckError } from './errors.ts';
export type { DriftReport, MissingField, NewField, TypeChange } from './internal/drift.ts';
export type { RejectionIssue } from './internal/issues.ts';
export type { ColumnMetrics, DataQualityFacets, OpenLineageAssertion, OpenLineageOptions } from './openlineage.ts';
export { toOpenLineageFacets } from './openlineage.ts';
export type {
  QuarantinedRow,
  QuarantineTableOptions,
  QuarantineTableResult,
  SplitOptions,
  SplitResult,
} from './quarantine.ts';
export { QUARANTINE_MIGRATIONS, quarantineTable, splitBatch } from './quarantine.ts';
export type { RenderOptions } from './render.ts';
export { renderReport } from './render.ts';
export type { BuildReportOptions, QualityReport, ReportFailure, ReportSummary } from './report.ts';
export { assertQuality, buildReport } from './report.ts';
export type { DriftPolicy, Rejection, ValidateOptions, ValidationResult, ValidationStats } from './validate.ts';
export { validateBatch } from './validate.ts';
