import { FakeClock } from '@pipewright/core';
import { handleAll, retry } from 'cockatiel';
import * as promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusSamples, sampleValue } from '../../../test/helpers/prometheus-text.ts';
import { renderExposition } from './internal/exposition.ts';
import { createPipelineMetrics } from './metrics.ts';

function setup() {
  const registry = new promClient.Registry();
  const clock = new FakeClock(Date.UTC(2026, 10, 21));
  const metrics = createPipelineMetrics({ pipeline: 'orders', prometheus: { client: promClient, registry }, clock });
  const value = async (name: string, labels: Record<string, string> = {}) =>
    sampleValue(parsePrometheusSamples(await registry.metrics()), name, labels);
  return { metrics, value, clock };
}

describe('adapters', () => {
  it('counts retries from a real retry policy (cockatiel onRetry) and stops after unsubscribing', async () => {
    const { metrics, value } = setup();
    const policy = retry(handleAll, { maxAttempts: 3 });
    const unsubscribe = metrics.subscribeRetries(policy, 'extract');
    let calls = 0;
    await policy.execute(() => {
      if (++calls < 3) throw new Error('flaky');
      return 'ok';
    });
    expect(await value('pipewright_retries_total', { step: 'extract' })).toBe(2);
    unsubscribe();
    calls = 0;
    await policy.execute(() => {
      if (++calls < 2) throw new Error('flaky');
      return 'ok';
    });
    expect(await value('pipewright_retries_total', { step: 'extract' })).toBe(2);
  });

  it('accepts function disposers and plain listeners for retries, and refuses a non-source', async () => {
    const { metrics, value } = setup();
    const listeners: ((event: unknown) => void)[] = [];
    const source = {
      onRetry(listener: (event: unknown) => void) {
        listeners.push(listener);
        return () => listeners.splice(listeners.indexOf(listener), 1);
      },
    };
    const unsubscribe = metrics.subscribeRetries(source, 'load');
    for (const listener of listeners) listener({ attempt: 1 });
    unsubscribe();
    expect(listeners).toHaveLength(0);
    const onRetry = metrics.retryListener('load');
    onRetry({ attempt: 2, error: new Error('x') });
    expect(await value('pipewright_retries_total', { step: 'load' })).toBe(2);
    expect(() => metrics.subscribeRetries({} as never, 'load')).toThrow(/Expected `source`/);
  });

  it('counts dead letters from a callback, from a result, and sets the backlog', async () => {
    const { metrics, value } = setup();
    const onDeadLetter = metrics.deadLetterListener('validate');
    onDeadLetter({ reason: 'bad currency' });
    onDeadLetter({ reason: 'missing id' });
    metrics.recordDeadLetters('validate', [{ id: 1 }, { id: 2 }, { id: 3 }]);
    metrics.recordDeadLetters('validate', { count: 4 });
    metrics.recordDeadLetters('validate', 0);
    metrics.setDeadLetterBacklog('validate', 17);
    expect(await value('pipewright_records_dead_lettered_total', { step: 'validate' })).toBe(9);
    expect(await value('pipewright_dead_letter_backlog_records', { step: 'validate' })).toBe(17);
    expect(() => metrics.recordDeadLetters('validate', { total: 1 } as never)).toThrow(/Expected `result`/);
  });

  it('counts a validation result: in, out and rejected from valid and invalid', async () => {
    const { metrics, value } = setup();
    metrics.recordQuality('validate', { valid: [1, 2, 3, 4], invalid: [{ issue: 'x' }] });
    metrics.recordQuality('validate', { valid: 10, invalid: 0 });
    expect(await value('pipewright_records_in_total', { step: 'validate' })).toBe(15);
    expect(await value('pipewright_records_out_total', { step: 'validate' })).toBe(14);
    expect(await value('pipewright_records_rejected_total', { step: 'validate' })).toBe(1);
    expect(await value('pipewright_batch_size_records_count', { step: 'validate' })).toBe(2);
    expect(() => metrics.recordQuality('validate', { valid: 1 } as never)).toThrow(/result.invalid/);
  });

  it('sets the watermark lag from a position', async () => {
    const { metrics, value, clock } = setup();
    metrics.setWatermark('extract', new Date(clock.now() - 42_000));
    expect(await value('pipewright_watermark_lag_seconds', { step: 'extract' })).toBe(42);
    metrics.setWatermark('extract', clock.now() + 5_000); // a position from the future is no lag, not negative
    expect(await value('pipewright_watermark_lag_seconds', { step: 'extract' })).toBe(0);
  });
});

describe('runs', () => {
  it('startRun/finish records once even when finished twice; time() outside a run works', async () => {
    const { metrics, value, clock } = setup();
    const run = metrics.startRun();
    expect(run.runId).toMatch(/^[0-9a-f-]{36}$/);
    await clock.advance(5_000);
    const first = await run.finish(new Error('boom'));
    const second = await run.finish();
    expect(second).toBe(first);
    expect(first).toMatchObject({ outcome: 'failure', durationSeconds: 5 });
    expect(await value('pipewright_runs_total', { outcome: 'failure' })).toBe(1);
    expect(await value('pipewright_runs_total', { outcome: 'success' })).toBeUndefined();
    expect(await metrics.time('standalone', async () => 7)).toBe(7);
    expect(await value('pipewright_step_duration_seconds_count', { step: 'standalone' })).toBe(1);
    expect(() => metrics.startRun({ runId: '' })).toThrow(/runId/);
  });

  it('never lets a throwing logger fail a step or a run; the failure goes to onError', async () => {
    const errors: unknown[] = [];
    const explode = () => {
      throw new Error('log stream closed');
    };
    const logger = { debug: explode, info: explode, warn: explode, error: explode, child: () => logger };
    const metrics = createPipelineMetrics({ pipeline: 'p', logger, onError: (error) => errors.push(error) });
    await expect(metrics.run((run) => run.time('s', () => 'ok'))).resolves.toBe('ok');
    await expect(metrics.time('s', () => Promise.reject(new Error('real failure')))).rejects.toThrow('real failure');
    expect(errors.length).toBeGreaterThanOrEqual(4); // run started, step finished, run succeeded, step failed
    expect(String(errors[0])).toContain('log stream closed');
    const childless = createPipelineMetrics({
      pipeline: 'p',
      logger: { ...logger, child: explode },
      onError: (error) => errors.push(error),
    });
    await expect(childless.time('s', () => 1)).resolves.toBe(1);
    // Without onError, the default reporter logs through the (throwing) logger and swallows; so does a throwing onError.
    await expect(createPipelineMetrics({ pipeline: 'p', logger }).run(() => 2)).resolves.toBe(2);
    await expect(createPipelineMetrics({ pipeline: 'p', logger, onError: explode }).run(() => 3)).resolves.toBe(3);
  });

  it('validates a verdict passed in by your own monitor', () => {
    const { metrics } = setup();
    const verdict = { monitor: 'freshness', dataset: 'd', status: 'healthy', value: 1, message: '' } as const;
    expect(() => metrics.observeMonitor({ ...verdict, monitor: 'latency' as never })).toThrow(/verdict.monitor/);
    expect(() => metrics.observeMonitor({ ...verdict, status: 'ok' as never })).toThrow(/verdict.status/);
    expect(() => metrics.observeMonitor({ ...verdict, dataset: '' })).toThrow(/verdict.dataset/);
    expect(() => metrics.observeMonitor({ ...verdict, value: Number.NaN })).toThrow(/verdict.value/);
    expect(() => metrics.observeMonitor(verdict)).not.toThrow();
  });

  it('keeps exposition text valid when label values need escaping', () => {
    const text = renderExposition([
      {
        name: 'pipewright_records_in_total',
        help: 'help with \\ and\nnewline',
        type: 'counter',
        values: [{ value: 1, labels: { pipeline: 'a"b\\c\nd', step: 's' } }],
      },
      {
        name: 'pipewright_freshness_seconds',
        help: 'h',
        type: 'gauge',
        values: [{ value: Number.POSITIVE_INFINITY, labels: {} }],
      },
    ]);
    const samples = parsePrometheusSamples(text);
    expect(samples[0]?.labels.pipeline).toBe('a"b\\c\nd');
    expect(samples[1]?.value).toBe(Number.POSITIVE_INFINITY);
  });
});
