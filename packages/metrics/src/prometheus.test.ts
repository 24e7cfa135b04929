import { FakeClock, hasErrorCode, RecordError, TransientError } from '@pipewright/core';
import * as promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusSamples, parsePrometheusText, sampleValue } from '../../../test/helpers/prometheus-text.ts';
import { INSTRUMENT_LIST } from './catalogue.ts';
import { createPipelineMetrics } from './metrics.ts';

function setup(pipeline = 'orders_sync', registry = new promClient.Registry()) {
  const clock = new FakeClock(Date.UTC(2026, 10, 21, 12));
  const metrics = createPipelineMetrics({ pipeline, prometheus: { client: promClient, registry }, clock });
  return { metrics, registry, clock };
}

describe('Prometheus exposition', () => {
  it('counts a batch, a timed step and a run, and the output parses with a real text-format parser', async () => {
    const { metrics, registry, clock } = setup();
    await metrics.run(async (run) => {
      await run.time('extract', async () => {
        await clock.advance(250);
        run.record('extract', { in: 1000, out: 990, rejected: 6, deadLettered: 4 });
      });
      await run.time('load', () => clock.advance(1500));
    });
    const text = await registry.metrics();
    const families = parsePrometheusText(text);
    const byName = new Map(families.map((family) => [family.name, family]));
    expect(byName.get('pipewright_records_in_total')?.type).toBe('COUNTER');
    expect(byName.get('pipewright_step_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(byName.get('pipewright_last_success_timestamp_seconds')?.type).toBe('GAUGE');

    const samples = parsePrometheusSamples(text);
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const extract = { pipeline: 'orders_sync', step: 'extract' };
    expect(value('pipewright_records_in_total', extract)).toBe(1000);
    expect(value('pipewright_records_out_total', extract)).toBe(990);
    expect(value('pipewright_records_rejected_total', extract)).toBe(6);
    expect(value('pipewright_records_dead_lettered_total', extract)).toBe(4);
    expect(value('pipewright_batch_size_records_bucket', { ...extract, le: '1000' })).toBe(1);
    expect(value('pipewright_batch_size_records_bucket', { ...extract, le: '500' })).toBe(0);
    expect(value('pipewright_step_duration_seconds_sum', { ...extract, outcome: 'success' })).toBe(0.25);
    expect(value('pipewright_step_duration_seconds_sum', { step: 'load', outcome: 'success' })).toBe(1.5);
    expect(value('pipewright_step_duration_seconds_bucket', { step: 'load', le: '1' })).toBe(0);
    expect(value('pipewright_step_duration_seconds_bucket', { step: 'load', le: '2.5' })).toBe(1);
    expect(value('pipewright_run_duration_seconds_sum', { outcome: 'success' })).toBe(1.75);
    expect(value('pipewright_runs_total', { outcome: 'success' })).toBe(1);
    expect(value('pipewright_last_run_status', { pipeline: 'orders_sync' })).toBe(1);
    expect(value('pipewright_last_success_timestamp_seconds', {})).toBe(clock.now() / 1000);
  });

  it('counts failures by core classification and keeps the last success time of an earlier run', async () => {
    const { metrics, registry, clock } = setup();
    await metrics.run(() => {});
    const successAt = clock.now() / 1000;
    await clock.advance(60_000);
    await expect(
      metrics.run(async (run) => {
        await run.time('load', () => Promise.reject(new TransientError('deadlock'))).catch(() => {});
        await run.time('load', () => Promise.reject(new RecordError('bad row'))).catch(() => {});
        await run.time('load', () => Promise.reject(new Error('boom')));
      }),
    ).rejects.toThrow('boom');
    const samples = parsePrometheusSamples(await registry.metrics());
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('pipewright_failures_total', { step: 'load', kind: 'transient' })).toBe(1);
    expect(value('pipewright_failures_total', { step: 'load', kind: 'record' })).toBe(1);
    expect(value('pipewright_failures_total', { step: 'load', kind: 'fatal' })).toBe(1);
    expect(value('pipewright_step_duration_seconds_count', { step: 'load', outcome: 'failure' })).toBe(3);
    expect(value('pipewright_runs_total', { outcome: 'failure' })).toBe(1);
    expect(value('pipewright_last_run_status', {})).toBe(0);
    expect(value('pipewright_last_success_timestamp_seconds', {})).toBe(successAt);
  });

  it('never puts anything but bounded labels on a series', async () => {
    const { metrics, registry } = setup();
    await metrics.run(
      async (run) => {
        run.record('extract', { in: 3 });
        await run.time('extract', () => 1);
      },
      { runId: 'run-123' },
    );
    const allowed = new Set(['pipeline', 'step', 'outcome', 'kind', 'le', 'dataset', 'monitor']);
    const samples = parsePrometheusSamples(await registry.metrics());
    expect(samples.length).toBeGreaterThan(10);
    for (const sample of samples) {
      for (const [label, value] of Object.entries(sample.labels)) {
        expect(allowed.has(label), label).toBe(true);
        expect(value).not.toBe('run-123');
      }
    }
  });

  it('registers twice on one registry without "already registered": two instances share the series', async () => {
    const registry = new promClient.Registry();
    const a = setup('orders', registry).metrics;
    const b = setup('customers', registry).metrics;
    const again = setup('orders', registry).metrics;
    a.record('load', { in: 5 });
    b.record('load', { in: 7 });
    again.record('load', { in: 1 });
    const samples = parsePrometheusSamples(await registry.metrics());
    const count = (pipeline: string) =>
      samples.find((s) => s.name === 'pipewright_records_in_total' && s.labels.pipeline === pipeline)?.value;
    expect(count('orders')).toBe(6);
    expect(count('customers')).toBe(7);
  });

  it('uses the default registry when none is given, and refuses a conflicting metric with a typed error', async () => {
    const metrics = createPipelineMetrics({ pipeline: 'default_registry_test', prometheus: { client: promClient } });
    metrics.record('s', { out: 2 });
    expect(await promClient.register.getSingleMetricAsString('pipewright_records_out_total')).toContain(
      'pipewright_records_out_total{pipeline="default_registry_test",step="s"} 2',
    );

    const registry = new promClient.Registry();
    new promClient.Gauge({ name: 'pipewright_records_in_total', help: 'not ours', registers: [registry] });
    const clash = createPipelineMetrics({ pipeline: 'p', prometheus: { client: promClient, registry } });
    let caught: unknown;
    try {
      clash.record('s', { in: 1 });
    } catch (error) {
      caught = error;
    }
    expect(hasErrorCode(caught, 'PW_METRIC_CONFLICT')).toBe(true);
    expect(String(caught)).toMatch(/pipewright_records_in_total.*gauge/);
  });

  it('follows the naming conventions: prefix, base units, _total on counters only', () => {
    for (const definition of INSTRUMENT_LIST) {
      expect(definition.name).toMatch(/^pipewright_[a-z_]+$/);
      expect(definition.name.endsWith('_total')).toBe(definition.type === 'counter');
      if (definition.unit === 's') expect(definition.name).toMatch(/_seconds$/);
      expect(definition.labelNames).not.toContain('run_id');
    }
  });

  it('validates counts and names with typed errors', () => {
    const { metrics } = setup();
    expect(() => metrics.record('s', { in: -1 })).toThrow(
      /Expected `counts.in` to be a finite non-negative number, got -1/,
    );
    expect(() => metrics.record('s', { out: Number.NaN })).toThrow(/counts.out/);
    expect(() => metrics.record('', { in: 1 })).toThrow(/Expected `step`/);
    expect(() => createPipelineMetrics({ pipeline: '' })).toThrow(/Expected `pipeline`/);
    expect(() => createPipelineMetrics({ pipeline: 'p', maxSteps: 0 })).toThrow(/maxSteps/);
    expect(() => createPipelineMetrics({ pipeline: 'p', prometheus: { client: {} as never } })).toThrow(
      /prometheus.registry/,
    );
    expect(() => metrics.setWatermark('s', new Date(Number.NaN))).toThrow(/position/);
    expect(() => metrics.setDeadLetterBacklog('s', -2)).toThrow(/count/);
  });

  it('folds step names beyond maxSteps into one overflow series and reports it once', async () => {
    const registry = new promClient.Registry();
    const errors: unknown[] = [];
    const metrics = createPipelineMetrics({
      pipeline: 'p',
      prometheus: { client: promClient, registry },
      maxSteps: 2,
      onError: (error) => errors.push(error),
    });
    for (const step of ['a', 'b', 'c', 'd', 'e']) metrics.record(step, { in: 1 });
    const samples = parsePrometheusSamples(await registry.metrics()).filter(
      (s) => s.name === 'pipewright_records_in_total',
    );
    expect(samples.map((s) => [s.labels.step, s.value])).toEqual([
      ['a', 1],
      ['b', 1],
      ['_overflow', 3],
    ]);
    expect(errors).toHaveLength(1);
  });

  it('survives registry.resetMetrics(): cleared series disappear, bound series keep counting afterwards', async () => {
    const { metrics, registry } = setup();
    metrics.record('load', { in: 5 });
    metrics.setDeadLetterBacklog('load', 3);
    registry.resetMetrics();
    let samples = parsePrometheusSamples(await registry.metrics());
    expect(sampleValue(samples, 'pipewright_records_in_total', { step: 'load' })).toBeUndefined();
    expect(sampleValue(samples, 'pipewright_dead_letter_backlog_records', { step: 'load' })).toBeUndefined();
    metrics.record('load', { in: 2 });
    samples = parsePrometheusSamples(await registry.metrics());
    expect(sampleValue(samples, 'pipewright_records_in_total', { step: 'load' })).toBe(2);
  });

  it('answers the prom-client calls people make on a registered metric, in both exposition formats', async () => {
    const OpenMetricsRegistry = promClient.Registry as unknown as new (contentType: string) => promClient.Registry;
    const registry = new OpenMetricsRegistry(promClient.Registry.OPENMETRICS_CONTENT_TYPE);
    const metrics = createPipelineMetrics({ pipeline: 'p', prometheus: { registry } });
    metrics.record('s', { in: 1 });
    const metric = registry.getSingleMetric('pipewright_records_in_total') as unknown as promClient.Counter;
    metric.inc({ pipeline: 'p', step: 's' }, 2);
    metric.labels({ pipeline: 'p', step: 's' }).inc();
    const histogram = registry.getSingleMetric('pipewright_step_duration_seconds') as unknown as promClient.Histogram;
    histogram.observe({ pipeline: 'p', step: 's', outcome: 'success' }, 0.02);
    const gauge = registry.getSingleMetric('pipewright_last_run_status') as unknown as promClient.Gauge;
    gauge.set({ pipeline: 'p' }, 1);
    const text = await registry.metrics();
    expect(text).toContain('pipewright_records_in_total{pipeline="p",step="s"} 4');
    expect(text).toContain(
      'pipewright_step_duration_seconds_bucket{pipeline="p",step="s",outcome="success",le="0.025"} 1',
    );
    expect(text.trimEnd().endsWith('# EOF')).toBe(true);
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'pipewright_last_run_status')?.values).toEqual([
      { value: 1, labels: { pipeline: 'p' } },
    ]);
  });

  it('reuses a prom-client metric registered before it with the same type and labels', async () => {
    const registry = new promClient.Registry();
    const existing = new promClient.Histogram({
      name: 'pipewright_batch_size_records',
      help: 'registered by someone else',
      labelNames: ['pipeline', 'step'],
      buckets: [10, 100],
      registers: [registry],
    });
    const metrics = createPipelineMetrics({ pipeline: 'p', prometheus: { registry } });
    metrics.record('s', { in: 50 });
    expect(registry.getSingleMetric('pipewright_batch_size_records')).toBe(existing);
    const samples = parsePrometheusSamples(await registry.metrics());
    expect(sampleValue(samples, 'pipewright_batch_size_records_bucket', { le: '100' })).toBe(1);
    expect(sampleValue(samples, 'pipewright_batch_size_records_bucket', { le: '10' })).toBe(0);
  });
});
