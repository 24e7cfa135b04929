import { FakeClock, hasErrorCode } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { openLineageValidator } from '../../../test/helpers/openlineage.ts';
import type { RunEventType } from './events.ts';
import { datasetEvent, isRunEvent, jobEvent, orderingKey, RUN_EVENT_TYPES, runEvent } from './events.ts';
import { customFacet } from './facets/base.ts';
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
import { dataSourceFacet, postgresDataset } from './naming.ts';

const v = openLineageValidator();
const PG = 'postgres://etl:pa55@db.internal:5433/shop';
const orders = postgresDataset(PG, 'public.orders');
const summary = postgresDataset(PG, 'analytics.daily_totals');
const custom = customFacet('https://example.com/schemas/Cost.json#/$defs/Cost', { usd: 0.12 });

function fullRunEvent(eventType: RunEventType) {
  return runEvent({
    eventType,
    job: {
      namespace: 'shop-etl',
      name: 'orders.daily_totals',
      facets: {
        jobType: jobTypeFacet(),
        sql: sqlFacet('INSERT INTO analytics.daily_totals SELECT …'),
        documentation: documentationFacet('Daily totals'),
        cost: custom,
      },
    },
    run: {
      facets: {
        processing_engine: processingEngineFacet(),
        nominalTime: nominalTimeFacet('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z'),
        parent: parentRunFacet({ runId: uuidv7(), namespace: 'shop-etl', name: 'nightly' }),
        cost: custom,
        ...(eventType === 'FAIL' ? { errorMessage: errorMessageFacet(new Error('boom')) } : {}),
      },
    },
    inputs: [
      {
        ...orders,
        facets: {
          schema: schemaFacet({ id: 'bigint', amount: 'numeric' }),
          dataSource: dataSourceFacet(PG),
          cost: custom,
        },
        inputFacets: {
          inputStatistics: inputStatisticsFacet({ rowCount: 1000 }),
          dataQualityMetrics: dataQualityMetricsFacet(
            { rowCount: 1000, columnMetrics: { id: { nullCount: 0 } } },
            { input: true },
          ),
          dataQualityAssertions: dataQualityAssertionsFacet([{ assertion: 'not_null', success: true, column: 'id' }]),
          cost: custom,
        },
      },
    ],
    outputs: [
      {
        ...summary,
        facets: {
          schema: schemaFacet({ day: 'date', total: 'numeric' }),
          columnLineage: columnLineageFacet({ total: [{ ...orders, field: 'amount' }] }),
          dataQualityMetrics: dataQualityMetricsFacet({ rowCount: 1, columnMetrics: {} }),
          dataQualityAssertions: dataQualityAssertionsFacet({ checks: [{ test: 'row_count', status: 'pass' }] }),
        },
        outputFacets: { outputStatistics: outputStatisticsFacet({ rowCount: 1, size: 64 }), cost: custom },
      },
    ],
  });
}

describe('every event type validates against OpenLineage 2-0-2', () => {
  it.each(RUN_EVENT_TYPES)('RunEvent %s with every facet', (eventType) => {
    const event = fullRunEvent(eventType);
    expect(v.event(event)).toEqual([]);
    expect(event.eventType).toBe(eventType);
    expect(event.schemaURL).toBe('https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent');
  });

  it('a minimal RunEvent', () => {
    const event = runEvent({ eventType: 'START', job: { namespace: 'n', name: 'j' } });
    expect(v.event(event)).toEqual([]);
    expect(event.inputs).toEqual([]);
  });

  it('DatasetEvent', () => {
    const event = datasetEvent({
      dataset: { ...orders, facets: { schema: schemaFacet({ id: 'bigint' }), dataSource: dataSourceFacet(PG) } },
    });
    expect(v.event(event)).toEqual([]);
    expect(event.schemaURL).toMatch(/#\/\$defs\/DatasetEvent$/);
    expect(isRunEvent(event)).toBe(false);
  });

  it('JobEvent', () => {
    const event = jobEvent({
      job: { namespace: 'shop-etl', name: 'orders.daily_totals', facets: { sql: sqlFacet('SELECT 1') } },
      inputs: [orders],
      outputs: [summary],
    });
    expect(v.event(event)).toEqual([]);
    expect(event.schemaURL).toMatch(/#\/\$defs\/JobEvent$/);
  });
});

describe('runEvent defaults and validation', () => {
  it('takes time and a UUIDv7 from the clock; keeps a given run id and time', () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 21, 12));
    const event = runEvent({ eventType: 'START', job: { namespace: 'n', name: 'j' }, clock });
    expect(event.eventTime).toBe('2026-11-21T12:00:00.000Z');
    expect(event.run.runId.replace(/-/g, '').slice(0, 13)).toBe(
      `${Date.UTC(2026, 10, 21, 12).toString(16).padStart(12, '0')}7`,
    );
    const fixed = runEvent({
      eventType: 'COMPLETE',
      job: { namespace: 'n', name: 'j' },
      run: { runId: event.run.runId },
      eventTime: '2026-11-21T12:00:01Z',
      producer: 'https://example.com/mine',
    });
    expect(fixed.run.runId).toBe(event.run.runId);
    const micro = runEvent({
      eventType: 'OTHER',
      job: { namespace: 'n', name: 'j' },
      eventTime: '2026-11-21T12:00:01.123456+02:00',
    });
    expect(micro.eventTime).toBe('2026-11-21T12:00:01.123456+02:00');
    const dateOnly = runEvent({ eventType: 'OTHER', job: { namespace: 'n', name: 'j' }, eventTime: '2026-11-21' });
    expect(dateOnly.eventTime).toBe('2026-11-21T00:00:00.000Z');
    expect(v.event(dateOnly)).toEqual([]);
    expect(v.event(micro)).toEqual([]);
    expect(fixed.eventTime).toBe('2026-11-21T12:00:01Z');
    expect(fixed.producer).toBe('https://example.com/mine');
    expect(orderingKey(fixed)).toBe(event.run.runId);
  });

  it('refuses malformed input with typed errors naming the field', () => {
    const job = { namespace: 'n', name: 'j' };
    const cases: [() => unknown, RegExp][] = [
      [() => runEvent({ eventType: 'DONE' as never, job }), /eventType/],
      [() => runEvent({ eventType: 'START', job: { namespace: '', name: 'j' } }), /job\.namespace/],
      [() => runEvent({ eventType: 'START', job: { namespace: 'n' } as never }), /job\.name/],
      [() => runEvent({ eventType: 'START', job, run: { runId: '123' } }), /run\.runId/],
      [() => runEvent({ eventType: 'START', job, eventTime: 'soon' }), /eventTime/],
      [() => runEvent({ eventType: 'START', job, eventTime: new Date(Number.NaN) }), /eventTime/],
      [() => runEvent({ eventType: 'START', job, producer: 'me' }), /producer/],
      [() => runEvent({ eventType: 'START', job, inputs: [{ namespace: 'x' } as never] }), /inputs\[0\]\.name/],
      [() => runEvent({ eventType: 'START', job, outputs: 'x' as never }), /outputs/],
      [() => datasetEvent({ dataset: { name: 'x' } as never }), /dataset\.namespace/],
      [() => jobEvent({ job: undefined as never }), /job\.namespace/],
    ];
    for (const [fn, message] of cases) {
      let caught: unknown;
      try {
        fn();
      } catch (error) {
        caught = error;
      }
      expect(hasErrorCode(caught, 'PW_LINEAGE_INVALID_INPUT'), String(message)).toBe(true);
      expect(String(caught)).toMatch(message);
    }
  });

  it('ordering keys separate runs, jobs and datasets', () => {
    expect(orderingKey(jobEvent({ job: { namespace: 'n', name: 'j' } }))).toBe('job:n/j');
    expect(orderingKey(datasetEvent({ dataset: orders }))).toBe(`dataset:${orders.namespace}/${orders.name}`);
  });
});
