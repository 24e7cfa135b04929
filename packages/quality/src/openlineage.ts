import { InvalidOptionError } from '@pipewright/core';
import type { QualityReport } from './report.ts';

const ASSERTIONS_SCHEMA =
  'https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet';
const INPUT_METRICS_SCHEMA =
  'https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet';
const DATASET_METRICS_SCHEMA =
  'https://openlineage.io/spec/facets/1-0-0/DataQualityMetricsDatasetFacet.json#/$defs/DataQualityMetricsDatasetFacet';

export interface OpenLineageAssertion {
  assertion: string;
  success: boolean;
  column?: string;
  severity: string;
  name: string;
  description: string;
  expected: string;
  actual: string;
  params: Record<string, unknown>;
}

export interface ColumnMetrics {
  nullCount?: number;
  count?: number;
}

/** Plain-object facets for the lineage package (or any OpenLineage emitter) to attach to a dataset. */
export interface DataQualityFacets {
  dataQualityAssertions: { _producer: string; _schemaURL: string; assertions: OpenLineageAssertion[] };
  dataQualityMetrics: {
    _producer: string;
    _schemaURL: string;
    rowCount?: number;
    columnMetrics: Record<string, ColumnMetrics>;
  };
}

export interface OpenLineageOptions {
  /** URI of the producing software, required on every facet. @example 'https://github.com/acme/etl' */
  producer: string;
  /** Only the results of this model (a facet belongs to one dataset). @default every result */
  model?: string;
  /** `input` → DataQualityMetricsInputDatasetFacet (1-0-3); `dataset` → DataQualityMetricsDatasetFacet (1-0-0). @default 'input' */
  metricsFacet?: 'input' | 'dataset';
}

/** Converts a report into OpenLineage `dataQualityAssertions` and `dataQualityMetrics` facets. */
export function toOpenLineageFacets(report: QualityReport, options: OpenLineageOptions): DataQualityFacets {
  if (typeof options?.producer !== 'string' || options.producer === '') {
    throw new InvalidOptionError('producer', 'a URI naming the producer', options?.producer);
  }
  const results = report.results.filter((r) => options.model === undefined || r.model === options.model);
  const assertions = results.map((r) => {
    const assertion: OpenLineageAssertion = {
      assertion: r.type,
      success: r.status === 'pass',
      severity: r.severity,
      name: r.name,
      description: r.message,
      expected: r.expected,
      actual: String(r.observed ?? r.failing),
      params: { status: r.status, mostly: r.mostly, total: r.total, failing: r.failing, share: r.share },
    };
    if (r.columns.length > 0) assertion.column = r.columns.join(',');
    return assertion;
  });
  const columnMetrics: Record<string, ColumnMetrics> = {};
  let rowCount: number | undefined;
  for (const r of results) {
    if (r.type === 'row_count') rowCount = r.observed;
    else if (rowCount === undefined && r.type !== 'freshness' && r.type !== 'volume_anomaly') rowCount = r.total;
    if (r.type === 'not_null' && r.columns[0] !== undefined) {
      columnMetrics[r.columns[0]] = { nullCount: r.failing, count: r.total - r.failing };
    }
  }
  const metrics: DataQualityFacets['dataQualityMetrics'] = {
    _producer: options.producer,
    _schemaURL: options.metricsFacet === 'dataset' ? DATASET_METRICS_SCHEMA : INPUT_METRICS_SCHEMA,
    columnMetrics,
  };
  if (rowCount !== undefined) metrics.rowCount = rowCount;
  return {
    dataQualityAssertions: { _producer: options.producer, _schemaURL: ASSERTIONS_SCHEMA, assertions },
    dataQualityMetrics: metrics,
  };
}
