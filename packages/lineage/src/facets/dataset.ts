import { InvalidLineageInputError } from '../errors.ts';
import type { BaseFacet, DeletableFacet, FacetOptions } from './base.ts';
import { assertCount, assertString, facetUrl, stamp, toIsoTime } from './base.ts';

/** One column (or nested field) of a dataset. */
export interface SchemaField {
  name: string;
  type?: string;
  description?: string;
  /** 1-based position of the column. */
  ordinal_position?: number;
  fields?: SchemaField[];
}

export interface SchemaDatasetFacet extends DeletableFacet {
  fields: SchemaField[];
}

/**
 * The columns of a dataset. Accepts a list of fields or a `{ column: type }` record.
 * @example schemaFacet({ id: 'bigint', amount: 'numeric(18,2)' })
 */
export function schemaFacet(
  fields: readonly SchemaField[] | Record<string, string>,
  options?: FacetOptions,
): SchemaDatasetFacet {
  const list: SchemaField[] = Array.isArray(fields)
    ? fields.map((field, i) => checkField(field, `fields[${i}]`))
    : Object.entries(fields as Record<string, string>).map(([name, type]) => ({ name, type: String(type) }));
  return { ...stamp(options, facetUrl('1-2-0', 'SchemaDatasetFacet')), fields: list };
}

function checkField(field: SchemaField, path: string): SchemaField {
  assertString(`${path}.name`, field?.name);
  const out: SchemaField = { name: field.name };
  if (field.type !== undefined) out.type = String(field.type);
  if (field.description !== undefined) out.description = String(field.description);
  if (field.ordinal_position !== undefined) {
    out.ordinal_position = assertCount(`${path}.ordinal_position`, field.ordinal_position) as number;
  }
  if (field.fields !== undefined) out.fields = field.fields.map((f, i) => checkField(f, `${path}.fields[${i}]`));
  return out;
}

/** How an output column depends on an input column. */
export interface ColumnTransformation {
  /** `DIRECT` (the value flows into the output) or `INDIRECT` (it filters, joins, groups, sorts…). */
  type: 'DIRECT' | 'INDIRECT' | (string & {});
  /** e.g. `IDENTITY`, `TRANSFORMATION`, `AGGREGATION`, `FILTER`, `JOIN`, `GROUP_BY`, `SORT`. */
  subtype?: string;
  description?: string;
  masking?: boolean;
}

/** One input column an output column (or the whole dataset) depends on. */
export interface InputField {
  namespace: string;
  name: string;
  field: string;
  transformations?: ColumnTransformation[];
}

export interface ColumnLineageDatasetFacet extends DeletableFacet {
  fields: Record<
    string,
    { inputFields: InputField[]; transformationDescription?: string; transformationType?: string }
  >;
  dataset?: InputField[];
}

/**
 * Column-level lineage of an output dataset: for each output column, the input columns it is computed from;
 * `dataset` lists inputs that affect the whole dataset (filters, joins).
 */
export function columnLineageFacet(
  fields: Record<string, readonly InputField[] | { inputFields: readonly InputField[] }>,
  dataset?: readonly InputField[],
  options?: FacetOptions,
): ColumnLineageDatasetFacet {
  const out: ColumnLineageDatasetFacet['fields'] = {};
  for (const [column, value] of Object.entries(fields)) {
    const inputs = Array.isArray(value) ? value : (value as { inputFields: readonly InputField[] }).inputFields;
    if (!Array.isArray(inputs)) throw new InvalidLineageInputError(`fields.${column}`, 'a list of input fields', value);
    out[column] = { inputFields: inputs.map((f, i) => checkInputField(f, `fields.${column}[${i}]`)) };
  }
  const facet: ColumnLineageDatasetFacet = {
    ...stamp(options, facetUrl('1-2-0', 'ColumnLineageDatasetFacet')),
    fields: out,
  };
  if (dataset !== undefined) facet.dataset = dataset.map((f, i) => checkInputField(f, `dataset[${i}]`));
  return facet;
}

function checkInputField(field: InputField, path: string): InputField {
  assertString(`${path}.namespace`, field?.namespace);
  assertString(`${path}.name`, field.name);
  assertString(`${path}.field`, field.field);
  const out: InputField = { namespace: field.namespace, name: field.name, field: field.field };
  if (field.transformations !== undefined) {
    out.transformations = field.transformations.map((t, i) => {
      assertString(`${path}.transformations[${i}].type`, t?.type);
      return { ...t };
    });
  }
  return out;
}

/** Per-column measurements. */
export interface ColumnMetrics {
  nullCount?: number;
  distinctCount?: number;
  sum?: number;
  count?: number;
  min?: number;
  max?: number;
  quantiles?: Record<string, number>;
}

export interface DataQualityMetrics {
  rowCount?: number;
  bytes?: number;
  fileCount?: number;
  lastUpdated?: string | Date;
  columnMetrics?: Record<string, ColumnMetrics>;
}

export interface DataQualityMetricsFacet extends BaseFacet {
  rowCount?: number;
  bytes?: number;
  fileCount?: number;
  lastUpdated?: string;
  columnMetrics: Record<string, ColumnMetrics>;
}

/**
 * Data-quality metrics of a dataset (row count, per-column null/distinct counts, min/max…), e.g. from a quality
 * report. With `input: true` it is the input-dataset variant (put it in `inputFacets`).
 */
export function dataQualityMetricsFacet(
  metrics: DataQualityMetrics,
  options?: FacetOptions & { input?: boolean },
): DataQualityMetricsFacet {
  const name = options?.input ? 'DataQualityMetricsInputDatasetFacet' : 'DataQualityMetricsDatasetFacet';
  const facet: DataQualityMetricsFacet = {
    ...stamp(options, facetUrl(options?.input ? '1-0-3' : '1-0-0', name)),
    columnMetrics: {},
  };
  const rowCount = assertCount('rowCount', metrics?.rowCount);
  if (rowCount !== undefined) facet.rowCount = rowCount;
  const bytes = assertCount('bytes', metrics.bytes);
  if (bytes !== undefined) facet.bytes = bytes;
  const fileCount = assertCount('fileCount', metrics.fileCount);
  if (fileCount !== undefined) facet.fileCount = fileCount;
  if (metrics.lastUpdated !== undefined) facet.lastUpdated = toIsoTime('lastUpdated', metrics.lastUpdated);
  for (const [column, m] of Object.entries(metrics.columnMetrics ?? {})) {
    const out: ColumnMetrics = {};
    const nullCount = assertCount(`columnMetrics.${column}.nullCount`, m.nullCount);
    if (nullCount !== undefined) out.nullCount = nullCount;
    const distinctCount = assertCount(`columnMetrics.${column}.distinctCount`, m.distinctCount);
    if (distinctCount !== undefined) out.distinctCount = distinctCount;
    for (const key of ['sum', 'count', 'min', 'max'] as const) {
      const v = m[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InvalidLineageInputError(`columnMetrics.${column}.${key}`, 'a finite number', v);
      }
      out[key] = v;
    }
    if (m.quantiles !== undefined) out.quantiles = { ...m.quantiles };
    facet.columnMetrics[column] = out;
  }
  return facet;
}

/** Rows, bytes and files written to an output dataset by this run. */
export interface DatasetStatistics {
  rowCount?: number | bigint;
  size?: number | bigint;
  fileCount?: number | bigint;
}

export interface StatisticsFacet extends BaseFacet {
  rowCount?: number;
  size?: number;
  fileCount?: number;
}

function statistics(stats: DatasetStatistics, base: BaseFacet): StatisticsFacet {
  const facet: StatisticsFacet = { ...base };
  for (const key of ['rowCount', 'size', 'fileCount'] as const) {
    const value = assertCount(key, stats?.[key]);
    if (value !== undefined) facet[key] = value;
  }
  return facet;
}

/** `outputStatistics`: what this run wrote to an output dataset (put it in `outputFacets`). */
export function outputStatisticsFacet(stats: DatasetStatistics, options?: FacetOptions): StatisticsFacet {
  return statistics(stats, stamp(options, facetUrl('1-0-2', 'OutputStatisticsOutputDatasetFacet')));
}

/** `inputStatistics`: what this run read from an input dataset (put it in `inputFacets`). */
export function inputStatisticsFacet(stats: DatasetStatistics, options?: FacetOptions): StatisticsFacet {
  return statistics(stats, stamp(options, facetUrl('1-0-0', 'InputStatisticsInputDatasetFacet')));
}

export interface DatasourceDatasetFacet extends DeletableFacet {
  name?: string;
  uri?: string;
}
