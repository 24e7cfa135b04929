import { FakeClock } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { openLineageValidator } from '../../../test/helpers/openlineage.ts';
import { acceptedValues, freshness, notNull, rowCount, unique } from './checks/define.ts';
import { runChecks } from './checks/memory.ts';
import { QualityCheckFailedError } from './errors.ts';
import { toOpenLineageFacets } from './openlineage.ts';
import { renderReport } from './render.ts';
import { assertQuality, buildReport } from './report.ts';

const NOW = Date.UTC(2026, 2, 10, 12);
const clock = new FakeClock(NOW);
const rows = [
  { id: 1, email: 'a@x', status: 'new', at: new Date(NOW - 90 * 60_000) },
  { id: 2, email: null, status: 'new', at: new Date(NOW - 100 * 60_000) },
  { id: 3, email: 'c@x', status: 'lost', at: new Date(NOW - 100 * 60_000) },
];
const results = runChecks(
  rows,
  [
    notNull('email'),
    unique('id'),
    acceptedValues('status', ['new'], { severity: 'warn' }),
    freshness('at', { warnAfterMs: 3_600_000, errorAfterMs: 7_200_000 }),
    rowCount({ min: 1 }),
  ],
  { clock, key: 'id' },
);

describe('buildReport', () => {
  it('has the seeds shape with warned counts and the failures', () => {
    const report = buildReport(results, { model: 'orders', clock });
    expect(report.timestamp).toBe('2026-03-10T12:00:00.000Z');
    expect(report.summary).toEqual({ total_tests: 5, passed: 2, warned: 2, failed: 1, pass_rate: 0.4 });
    expect(report.failures.map((f) => [f.test, f.model, f.status])).toEqual([
      ['not_null(email)', 'orders', 'fail'],
      ['accepted_values(status)', 'orders', 'warn'],
      ['freshness(at)', 'orders', 'warn'],
    ]);
    expect(report.failures[0]?.message).toBe('1 of 3 rows failed (33.3%)');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('merges several models and handles an empty run', () => {
    const report = buildReport({ orders: results.slice(0, 2), customers: results.slice(4) }, { clock });
    expect(report.results.map((r) => r.model)).toEqual(['orders', 'orders', 'customers']);
    expect(buildReport([], { clock }).summary).toEqual({
      total_tests: 0,
      passed: 0,
      warned: 0,
      failed: 0,
      pass_rate: 1,
    });
    expect(() => buildReport(null as never)).toThrow(/results/);
  });

  it('assertQuality throws a typed error only for error-severity failures', () => {
    const report = buildReport(results, { model: 'orders', clock });
    expect(() => assertQuality(report)).toThrow(QualityCheckFailedError);
    expect(() => assertQuality(report)).toThrow(/orders\.not_null\(email\)/);
    expect(() => assertQuality(buildReport(results.slice(2), { clock }))).not.toThrow();
  });
});

describe('toOpenLineageFacets', () => {
  const spec = openLineageValidator();

  it('produces facets valid against the OpenLineage JSON schemas', () => {
    const report = buildReport(results, { model: 'orders', clock });
    const facets = toOpenLineageFacets(report, { producer: 'https://example.com/etl' });
    expect(
      spec.facet('DataQualityAssertionsDatasetFacet', 'dataQualityAssertions', facets.dataQualityAssertions),
    ).toEqual([]);
    expect(spec.facet('DataQualityMetricsInputDatasetFacet', 'dataQualityMetrics', facets.dataQualityMetrics)).toEqual(
      [],
    );
    const asDataset = toOpenLineageFacets(report, { producer: 'https://example.com/etl', metricsFacet: 'dataset' });
    expect(spec.facet('DataQualityMetricsDatasetFacet', 'dataQualityMetrics', asDataset.dataQualityMetrics)).toEqual(
      [],
    );
    expect(asDataset.dataQualityMetrics._schemaURL).toContain('DataQualityMetricsDatasetFacet');
  });

  it('maps each check to an assertion and not_null to column metrics', () => {
    const report = buildReport(results, { model: 'orders', clock });
    const facets = toOpenLineageFacets(report, { producer: 'p', model: 'orders' });
    expect(facets.dataQualityAssertions.assertions[0]).toMatchObject({
      assertion: 'not_null',
      success: false,
      column: 'email',
      severity: 'error',
      actual: '1',
    });
    expect(facets.dataQualityAssertions.assertions[4]).toMatchObject({
      assertion: 'row_count',
      success: true,
      actual: '3',
    });
    expect(facets.dataQualityMetrics).toMatchObject({
      rowCount: 3,
      columnMetrics: { email: { nullCount: 1, count: 2 } },
    });
    expect(toOpenLineageFacets(report, { producer: 'p', model: 'other' }).dataQualityAssertions.assertions).toEqual([]);
    expect(() => toOpenLineageFacets(report, { producer: '' })).toThrow(/producer/);
  });
});

describe('renderReport', () => {
  it('renders one line per check, samples for failures and a summary line', () => {
    const text = renderReport(buildReport(results, { model: 'orders', clock }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Data quality report 2026-03-10T12:00:00.000Z');
    expect(text).toContain('✗ fail orders.not_null(email)');
    expect(text).toContain('sample: {"key":{"id":2},"value":null}');
    expect(text).toContain('! warn orders.freshness(at)');
    expect(text).toContain('✓ pass orders.unique(id)');
    expect(lines.at(-1)).toBe('5 checks: 2 passed, 2 warned, 1 failed (pass rate 40%)');
    expect(renderReport(buildReport(results, { clock }), { showPassed: false })).not.toContain('✓');
  });
});
