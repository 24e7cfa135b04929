import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasErrorCode } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { OPENLINEAGE_SPEC_DIR, openLineageValidator } from '../../../test/helpers/openlineage.ts';
import { customFacet, DEFAULT_PRODUCER } from './facets/base.ts';
import {
  columnLineageFacet,
  dataQualityMetricsFacet,
  inputStatisticsFacet,
  outputStatisticsFacet,
  schemaFacet,
} from './facets/dataset.ts';
import { dataQualityAssertionsFacet } from './facets/quality.ts';
import {
  documentationFacet,
  errorMessageFacet,
  jobTypeFacet,
  nominalTimeFacet,
  parentRunFacet,
  processingEngineFacet,
  sqlFacet,
} from './facets/run.ts';
import { uuidv7 } from './ids.ts';
import { dataSourceFacet } from './naming.ts';

const v = openLineageValidator();
const runId = uuidv7();
const src = { namespace: 'postgres://db:5432', name: 'shop.public.orders' };

// Every facet the package can build, with the schema file and key it must satisfy.
const cases: [string, string, string, unknown][] = [
  [
    'schema (list)',
    'SchemaDatasetFacet',
    'schema',
    schemaFacet([{ name: 'id', type: 'bigint', ordinal_position: 1, fields: [{ name: 'x' }] }]),
  ],
  ['schema (record)', 'SchemaDatasetFacet', 'schema', schemaFacet({ id: 'bigint', amount: 'numeric(18,2)' })],
  [
    'columnLineage',
    'ColumnLineageDatasetFacet',
    'columnLineage',
    columnLineageFacet(
      {
        total: [
          { ...src, field: 'amount', transformations: [{ type: 'DIRECT', subtype: 'TRANSFORMATION', masking: false }] },
        ],
        id: { inputFields: [{ ...src, field: 'id' }] },
      },
      [{ ...src, field: 'status', transformations: [{ type: 'INDIRECT', subtype: 'FILTER' }] }],
    ),
  ],
  [
    'dataQualityMetrics (dataset)',
    'DataQualityMetricsDatasetFacet',
    'dataQualityMetrics',
    dataQualityMetricsFacet({
      rowCount: 10,
      bytes: 1024,
      fileCount: 1,
      lastUpdated: new Date(0),
      columnMetrics: {
        amount: { nullCount: 0, distinctCount: 9, sum: 12.5, count: 10, min: 0, max: 5, quantiles: { '0.5': 1 } },
      },
    }),
  ],
  [
    'dataQualityMetrics (input)',
    'DataQualityMetricsInputDatasetFacet',
    'dataQualityMetrics',
    dataQualityMetricsFacet({ rowCount: 3, columnMetrics: {} }, { input: true }),
  ],
  [
    'dataQualityAssertions (OpenLineage shape)',
    'DataQualityAssertionsDatasetFacet',
    'dataQualityAssertions',
    dataQualityAssertionsFacet([
      { assertion: 'not_null', success: true, column: 'id', params: { n: 1 }, content: 'SELECT 1', contentType: 'sql' },
    ]),
  ],
  [
    'dataQualityAssertions (quality report)',
    'DataQualityAssertionsDatasetFacet',
    'dataQualityAssertions',
    dataQualityAssertionsFacet({
      checks: [
        { name: 'orders_id_unique', type: 'unique', column: 'id', status: 'pass' },
        { type: 'row_count', status: 'warn', expected: { min: 10 }, actual: 3n, message: 'too few rows' },
      ],
      failures: [{ test: 'accepted_values', model: 'orders', message: 'status has 2 unknown values' }],
    }),
  ],
  [
    'outputStatistics',
    'OutputStatisticsOutputDatasetFacet',
    'outputStatistics',
    outputStatisticsFacet({ rowCount: 5n, size: 100, fileCount: 0 }),
  ],
  ['inputStatistics', 'InputStatisticsInputDatasetFacet', 'inputStatistics', inputStatisticsFacet({ rowCount: 5 })],
  [
    'errorMessage',
    'ErrorMessageRunFacet',
    'errorMessage',
    errorMessageFacet(new Error('boom', { cause: new Error('root') })),
  ],
  ['errorMessage (non-Error)', 'ErrorMessageRunFacet', 'errorMessage', errorMessageFacet('a string', { stack: false })],
  ['parent', 'ParentRunFacet', 'parent', parentRunFacet({ runId, namespace: 'etl', name: 'nightly' })],
  [
    'parent with root',
    'ParentRunFacet',
    'parent',
    parentRunFacet(
      { runId, namespace: 'etl', name: 'nightly.load' },
      { runId: uuidv7(), namespace: 'etl', name: 'nightly' },
    ),
  ],
  [
    'nominalTime',
    'NominalTimeRunFacet',
    'nominalTime',
    nominalTimeFacet('2026-11-21T00:00:00Z', new Date('2026-11-22T00:00:00Z')),
  ],
  ['processing_engine', 'ProcessingEngineRunFacet', 'processing_engine', processingEngineFacet()],
  [
    'jobType',
    'JobTypeJobFacet',
    'jobType',
    jobTypeFacet({ processingType: 'STREAMING', integration: 'X', jobType: 'TASK' }),
  ],
  ['sql', 'SQLJobFacet', 'sql', sqlFacet('SELECT * FROM orders WHERE id > $1')],
  ['documentation', 'DocumentationJobFacet', 'documentation', documentationFacet('Syncs orders', 'text/markdown')],
  [
    'dataSource',
    'DatasourceDatasetFacet',
    'dataSource',
    dataSourceFacet('postgres://u:secret@db:5432/shop?sslmode=require'),
  ],
];

describe('every facet validates against its official schema', () => {
  it.each(cases)('%s', (_label, file, key, facet) => {
    expect(v.facet(file, key, facet)).toEqual([]);
    expect((facet as { _producer: string })._producer).toBe(DEFAULT_PRODUCER);
    expect((facet as { _schemaURL: string })._schemaURL).toMatch(
      new RegExp(`^https://openlineage\\.io/spec/facets/\\d+-\\d+-\\d+/${file}\\.json#/\\$defs/${file}$`),
    );
  });

  it('stamps the facet version that matches the schema file in the spec folder', () => {
    for (const [, file, , facet] of cases) {
      const url = (facet as { _schemaURL: string })._schemaURL;
      expect(url.split('#')[0]).toBe(JSON.parse(readSchema(file)).$id);
    }
  });

  it('custom facets carry _producer and _schemaURL and validate as run, job and dataset facets', () => {
    const facet = customFacet(
      'https://example.com/schemas/Cost.json#/$defs/Cost',
      { usd: 0.12 },
      { producer: 'https://example.com/job' },
    );
    expect(facet).toEqual({
      usd: 0.12,
      _producer: 'https://example.com/job',
      _schemaURL: 'https://example.com/schemas/Cost.json#/$defs/Cost',
    });
    expect(() => customFacet('not a url', {})).toThrow(/schemaURL/);
    expect(() => customFacet('https://x', [] as never)).toThrow(/plain object/);
    expect(() => schemaFacet({ a: 'int' }, { producer: 'relative/path' })).toThrow(/producer/);
  });
});

function readSchema(file: string): string {
  return readFileSync(join(OPENLINEAGE_SPEC_DIR, 'facets', `${file}.json`), 'utf8');
}

describe('facet inputs', () => {
  it('maps a list of checks: pass/warn/fail, severity, expected/actual as text; failures then only repeat them', () => {
    const facet = dataQualityAssertionsFacet({
      checks: [
        { test: 'not_null', column: 'id', passed: true },
        { test: 'unique', column: 'email', status: 'fail', severity: 'error' },
        { check: 'freshness', status: 'warn', expected: 3600, actual: '7200', sql: 'SELECT max(updated_at)' },
      ],
      failures: [{ test: 'unique', column: 'email', message: 'dup' }],
    });
    expect(facet.assertions).toEqual([
      { assertion: 'not_null', success: true, column: 'id' },
      { assertion: 'unique', success: false, column: 'email', severity: 'error' },
      {
        assertion: 'freshness',
        success: false,
        severity: 'warn',
        expected: '3600',
        actual: '7200',
        content: 'SELECT max(updated_at)',
        contentType: 'sql',
      },
    ]);
  });

  it('takes the quality package report shape as plain data, one model at a time', () => {
    // The shape of @pipewright/quality's QualityReport, written out (this package does not depend on it).
    const report = {
      timestamp: '2026-11-21T15:00:00.000Z',
      summary: { total_tests: 3, passed: 1, warned: 1, failed: 1, pass_rate: 1 / 3 },
      failures: [
        {
          test: 'orders_email_unique',
          model: 'orders',
          message: '2 duplicates',
          status: 'fail',
          severity: 'error',
          sample: [],
        },
      ],
      results: [
        {
          name: 'orders_id_not_null',
          type: 'not_null',
          columns: ['id'],
          severity: 'error',
          mostly: 1,
          status: 'pass',
          total: 100,
          failing: 0,
          share: 0,
          expected: '0 nulls',
          sample: [],
          message: 'ok',
          model: 'orders',
        },
        {
          name: 'orders_email_unique',
          type: 'unique',
          columns: ['tenant', 'email'],
          severity: 'error',
          mostly: 1,
          status: 'fail',
          total: 100,
          failing: 2,
          share: 0.02,
          expected: 'no duplicates',
          sample: [],
          message: '2 duplicates',
          model: 'orders',
        },
        {
          name: 'customers_fresh',
          type: 'freshness',
          columns: [],
          severity: 'warn',
          mostly: 1,
          status: 'warn',
          total: 1,
          failing: 1,
          share: 1,
          observed: 7_200_000,
          expected: '< 1h',
          sample: [],
          message: 'stale',
          model: 'customers',
        },
      ],
    };
    const orders = dataQualityAssertionsFacet(report, { model: 'orders' });
    expect(orders.assertions).toEqual([
      {
        assertion: 'not_null',
        success: true,
        column: 'id',
        severity: 'error',
        name: 'orders_id_not_null',
        description: 'ok',
        expected: '0 nulls',
        params: { total: 100, failing: 0, share: 0, mostly: 1 },
      },
      {
        assertion: 'unique',
        success: false,
        column: 'tenant,email',
        severity: 'error',
        name: 'orders_email_unique',
        description: '2 duplicates',
        expected: 'no duplicates',
        params: { total: 100, failing: 2, share: 0.02, mostly: 1 },
      },
    ]);
    const customers = dataQualityAssertionsFacet(report, { model: 'customers' });
    expect(customers.assertions).toEqual([
      expect.objectContaining({ assertion: 'freshness', success: false, severity: 'warn', actual: '7200000' }),
    ]);
    expect(dataQualityAssertionsFacet(report).assertions).toHaveLength(3);
    expect(v.facet('DataQualityAssertionsDatasetFacet', 'dataQualityAssertions', orders)).toEqual([]);
    // The minimal report shape: only failures.
    const minimal = dataQualityAssertionsFacet({
      failures: [{ test: 'accepted_values', model: 'orders', message: 'bad status' }],
    });
    expect(minimal.assertions).toEqual([{ assertion: 'accepted_values', success: false, description: 'bad status' }]);
    expect(() => dataQualityAssertionsFacet({ results: 'x' as never })).toThrow(/results/);
  });

  it('refuses checks it cannot judge, with a typed error naming the field', () => {
    const error = (() => {
      try {
        dataQualityAssertionsFacet({ checks: [{ test: 'x', status: 'maybe' }] });
      } catch (e) {
        return e;
      }
    })();
    expect(hasErrorCode(error, 'PW_LINEAGE_INVALID_INPUT')).toBe(true);
    expect(String(error)).toMatch(/checks\[0\]\.status/);
    expect(() => dataQualityAssertionsFacet({ checks: [{ status: 'pass' }] })).toThrow(/checks\[0\]\.type/);
    expect(() => dataQualityAssertionsFacet([{ assertion: '', success: true }])).toThrow(/assertion/);
    expect(() => dataQualityAssertionsFacet([{ assertion: 'x', success: 'yes' as never }])).toThrow(/success/);
    expect(() => dataQualityAssertionsFacet(42 as never)).toThrow(/quality report/);
    expect(dataQualityAssertionsFacet({ assertions: [{ assertion: 'x', success: true }] }).assertions).toHaveLength(1);
  });

  it('refuses non-integer counts, non-finite metrics, bad dates, bad run ids and empty names', () => {
    expect(() => outputStatisticsFacet({ rowCount: 1.5 })).toThrow(/rowCount/);
    expect(() => outputStatisticsFacet({ rowCount: -1 })).toThrow(/non-negative integer/);
    expect(() => dataQualityMetricsFacet({ columnMetrics: { a: { min: Number.NaN } } })).toThrow(
      /columnMetrics\.a\.min/,
    );
    expect(() => dataQualityMetricsFacet({ lastUpdated: 'yesterday', columnMetrics: {} })).toThrow(/lastUpdated/);
    expect(() => nominalTimeFacet('not a date')).toThrow(/nominalStartTime/);
    expect(() => parentRunFacet({ runId: 'x', namespace: 'a', name: 'b' })).toThrow(/parent\.runId/);
    expect(() => parentRunFacet({ runId, namespace: 'a', name: 'b' }, { runId, namespace: '', name: 'b' })).toThrow(
      /root\.namespace/,
    );
    expect(() => schemaFacet([{ name: '' }])).toThrow(/fields\[0\]\.name/);
    expect(() => columnLineageFacet({ a: [{ namespace: 'n', name: 'x', field: '' }] })).toThrow(
      /fields\.a\[0\]\.field/,
    );
    expect(() => columnLineageFacet({ a: 'x' as never })).toThrow(/list of input fields/);
    expect(() => sqlFacet('')).toThrow(/query/);
    expect(() => documentationFacet('')).toThrow(/description/);
  });

  it('errorMessage: JavaScript, with the cause chain in the stack', () => {
    const facet = errorMessageFacet(new TypeError('outer', { cause: new Error('inner') }));
    expect(facet.message).toBe('TypeError: outer');
    expect(facet.programmingLanguage).toBe('JavaScript');
    expect(facet.stackTrace).toMatch(/Caused by: Error: inner/);
    expect(errorMessageFacet(new Error('x'), { stack: false, programmingLanguage: 'TypeScript' })).not.toHaveProperty(
      'stackTrace',
    );
  });
});
