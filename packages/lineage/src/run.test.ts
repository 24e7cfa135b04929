import { FakeClock, hasErrorCode } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { openLineageValidator } from '../../../test/helpers/openlineage.ts';
import type { LineageEvent, RunEvent } from './events.ts';
import { outputStatisticsFacet } from './facets/dataset.ts';
import { sqlFacet } from './facets/run.ts';
import { deterministicRunId } from './ids.ts';
import { postgresDataset } from './naming.ts';
import { createLineage } from './run.ts';
import type { LineageTransport } from './transports/types.ts';

function memory() {
  const events: RunEvent[] = [];
  const transport: LineageTransport = {
    name: 'memory',
    send: async (batch: readonly LineageEvent[]) => {
      events.push(...(batch as RunEvent[]));
    },
  };
  return { events, transport };
}

const v = openLineageValidator();
const orders = postgresDataset('postgres://db/shop', 'orders');
const totals = postgresDataset('postgres://db/shop', 'analytics.totals');

describe('Lineage runs', () => {
  it('START … COMPLETE with datasets, facets and statistics; all valid per spec', async () => {
    const m = memory();
    const clock = new FakeClock(Date.UTC(2026, 10, 21));
    const lineage = createLineage({ namespace: 'shop-etl', transport: m.transport, clock });
    const run = lineage.startRun('orders.totals', {
      inputs: [orders],
      outputs: [totals],
      nominalTime: { start: '2026-11-21T00:00:00Z', end: '2026-11-22T00:00:00Z' },
      jobFacets: { sql: sqlFacet('INSERT …') },
    });
    clock.set(Date.UTC(2026, 10, 21, 0, 5));
    run.running();
    run.complete({
      outputs: [{ ...totals, outputFacets: { outputStatistics: outputStatisticsFacet({ rowCount: 42 }) } }],
    });
    await lineage.close();
    expect(m.events.map((e) => e.eventType)).toEqual(['START', 'RUNNING', 'COMPLETE']);
    expect(new Set(m.events.map((e) => e.run.runId))).toEqual(new Set([run.runId]));
    expect(m.events[0]!.eventTime).toBe('2026-11-21T00:00:00.000Z');
    expect(m.events[2]!.eventTime).toBe('2026-11-21T00:05:00.000Z');
    expect(m.events[0]!.run.facets?.nominalTime?.nominalStartTime).toBe('2026-11-21T00:00:00.000Z');
    expect(m.events[0]!.run.facets?.processing_engine?.name).toBe('nodejs');
    expect(m.events[2]!.outputs[0]!.outputFacets?.outputStatistics?.rowCount).toBe(42);
    expect(m.events[1]!.inputs).toEqual([orders]);
    for (const event of m.events) expect(v.event(event)).toEqual([]);
  });

  it('exactly one terminal event: a second one is refused and reported; OTHER is still allowed', async () => {
    const m = memory();
    const errors: Error[] = [];
    const lineage = createLineage({ transport: m.transport, onError: (e) => errors.push(e) });
    const run = lineage.startRun('j');
    expect(run.fail(new Error('boom'))).toBe(true);
    expect(run.finished).toBe(true);
    expect(run.complete()).toBe(false);
    expect(run.abort()).toBe(false);
    expect(run.running()).toBe(false);
    expect(run.other()).toBe(true);
    await lineage.flush();
    expect(m.events.map((e) => e.eventType)).toEqual(['START', 'FAIL', 'OTHER']);
    expect(m.events[1]!.run.facets?.errorMessage?.message).toBe('Error: boom');
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([
      'PW_LINEAGE_RUN_STATE',
      'PW_LINEAGE_RUN_STATE',
      'PW_LINEAGE_RUN_STATE',
    ]);
    expect(errors[0]!.message).toMatch(/already FAIL: COMPLETE not emitted/);
  });

  it('track(): COMPLETE on success, FAIL and rethrow on error; the result passes through', async () => {
    const m = memory();
    const lineage = createLineage({ transport: m.transport });
    await expect(lineage.track('ok', async () => 7)).resolves.toBe(7);
    const failure = new Error('source gone');
    await expect(lineage.track('bad', () => Promise.reject(failure))).rejects.toBe(failure);
    // A run finished inside fn is not finished twice.
    await lineage.track('manual', (run) => run.abort());
    await lineage.close();
    expect(m.events.map((e) => `${e.job.name}:${e.eventType}`)).toEqual([
      'ok:START',
      'ok:COMPLETE',
      'bad:START',
      'bad:FAIL',
      'manual:START',
      'manual:ABORT',
    ]);
  });

  it('steps inside a job carry a parent facet pointing at the job run and its root', async () => {
    const m = memory();
    const lineage = createLineage({ namespace: 'etl', transport: m.transport });
    const runId = deterministicRunId({ jobNamespace: 'etl', jobName: 'nightly', key: '2026-11-21' });
    const parent = lineage.startRun('nightly', { runId });
    const step = parent.child('nightly.load');
    const sub = step.child('nightly.load.copy');
    sub.complete();
    step.complete();
    parent.complete();
    await lineage.close();
    const subStart = m.events.find((e) => e.job.name === 'nightly.load.copy')!;
    expect(subStart.run.facets?.parent).toMatchObject({
      run: { runId: step.runId },
      job: { namespace: 'etl', name: 'nightly.load' },
      root: { run: { runId }, job: { namespace: 'etl', name: 'nightly' } },
    });
    expect(parent.runId).toBe(runId);
    for (const event of m.events) expect(v.event(event)).toEqual([]);
  });

  it('validates its own options and names', () => {
    expect(() => createLineage({ namespace: '' })).toThrow(/namespace/);
    expect(() => createLineage({ producer: 'x' })).toThrow(/producer/);
    const lineage = createLineage();
    expect(() => lineage.startRun('')).toThrow(/jobName/);
    let caught: unknown;
    try {
      lineage.startRun('j', { runId: 'not-a-uuid' });
    } catch (e) {
      caught = e;
    }
    expect(hasErrorCode(caught, 'PW_LINEAGE_INVALID_INPUT')).toBe(true);
  });
});
