import { AsyncLocalStorage } from 'node:async_hooks';
import * as api from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { FakeClock, TransientError } from '@pipewright/core';
import * as promClient from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheusSamples, sampleValue } from '../../../test/helpers/prometheus-text.ts';
import { INSTRUMENT_LIST, STEP_DURATION_BUCKETS } from './catalogue.ts';
import { createJsonLogger } from './logging/json-logger.ts';
import { createPipelineMetrics } from './metrics.ts';

function otelSdk() {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  return {
    meterProvider,
    meter: meterProvider.getMeter('test'),
    tracer: tracerProvider.getTracer('test'),
    spanExporter,
    /** Flushes and returns the data points of one instrument. */
    async points(name: string): Promise<{ unit: string; points: DataPoint<unknown>[] }> {
      await reader.forceFlush();
      const all = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
      const found = all.filter((m) => m.descriptor.name === name).at(-1);
      return { unit: found?.descriptor.unit ?? '', points: (found?.dataPoints ?? []) as DataPoint<unknown>[] };
    },
  };
}

function pointValue(points: DataPoint<unknown>[], attributes: Record<string, string>): unknown {
  return points.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))?.value;
}

afterEach(() => {
  api.metrics.disable();
  api.context.disable();
});

/** The smallest context manager: what @opentelemetry/context-async-hooks does, on AsyncLocalStorage. */
class TestContextManager implements api.ContextManager {
  readonly #storage = new AsyncLocalStorage<api.Context>();
  active(): api.Context {
    return this.#storage.getStore() ?? api.ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: api.Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(context, () => fn.call(thisArg, ...args));
  }
  bind<T>(_context: api.Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

describe('OpenTelemetry', () => {
  it('records the same instruments through a meter, observed by the SDK in-memory exporter', async () => {
    const sdk = otelSdk();
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const metrics = createPipelineMetrics({ pipeline: 'orders', otel: { api, meter: sdk.meter }, clock });
    await metrics.run(async (run) => {
      run.record('extract', { in: 1000, out: 998, rejected: 2 });
      await run.time('extract', () => clock.advance(300));
    });
    metrics.setWatermark('extract', clock.now() - 90_000);

    const recordsIn = await sdk.points('pipewright_records_in');
    expect(recordsIn.unit).toBe('{record}');
    expect(pointValue(recordsIn.points, { pipeline: 'orders', step: 'extract' })).toBe(1000);
    expect(pointValue((await sdk.points('pipewright_records_rejected')).points, { step: 'extract' })).toBe(2);

    const duration = await sdk.points('pipewright_step_duration_seconds');
    expect(duration.unit).toBe('s');
    const histogram = pointValue(duration.points, { step: 'extract', outcome: 'success' }) as Histogram;
    expect(histogram.count).toBe(1);
    expect(histogram.sum).toBeCloseTo(0.3, 9);
    expect(histogram.buckets.boundaries).toEqual(STEP_DURATION_BUCKETS);

    expect(
      pointValue((await sdk.points('pipewright_last_success_timestamp_seconds')).points, { pipeline: 'orders' }),
    ).toBe(clock.now() / 1000);
    expect(pointValue((await sdk.points('pipewright_watermark_lag_seconds')).points, { step: 'extract' })).toBe(90);
    expect(pointValue((await sdk.points('pipewright_runs')).points, { outcome: 'success' })).toBe(1);
  });

  it('opens a span per run and per step, with attributes, parentage and recorded exceptions', async () => {
    const sdk = otelSdk();
    const metrics = createPipelineMetrics({ pipeline: 'orders', otel: { api, meter: sdk.meter, tracer: sdk.tracer } });
    const failure = new TransientError('connection reset');
    await expect(
      metrics.run(
        async (run) => {
          await run.time('extract', () => 'rows');
          await run.time('load', () => {
            throw failure;
          });
        },
        { runId: 'run-42' },
      ),
    ).rejects.toBe(failure);

    const spans = sdk.spanExporter.getFinishedSpans();
    const byName = new Map(spans.map((span) => [span.name, span]));
    const runSpan = byName.get('pipewright.run orders');
    const extract = byName.get('pipewright.step extract');
    const load = byName.get('pipewright.step load');
    expect(runSpan && extract && load).toBeTruthy();
    expect(runSpan?.attributes).toMatchObject({ 'pipewright.pipeline': 'orders', 'pipewright.run_id': 'run-42' });
    expect(extract?.attributes).toMatchObject({ 'pipewright.step': 'extract', 'pipewright.run_id': 'run-42' });
    for (const step of [extract, load]) {
      expect(step?.parentSpanContext?.spanId).toBe(runSpan?.spanContext().spanId);
      expect(step?.spanContext().traceId).toBe(runSpan?.spanContext().traceId);
    }
    expect(extract?.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(load?.status).toEqual({ code: api.SpanStatusCode.ERROR, message: 'connection reset' });
    expect(load?.attributes['pipewright.error.kind']).toBe('transient');
    const exception = load?.events.find((event) => event.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('connection reset');
    // The SDK names the exception by its `code` when it has one.
    expect(exception?.attributes?.['exception.type']).toBe('PW_TRANSIENT');
    expect(runSpan?.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(runSpan?.attributes['pipewright.outcome']).toBe('failure');
    expect(pointValue((await sdk.points('pipewright_failures')).points, { step: 'load', kind: 'transient' })).toBe(1);
  });

  it('nests metrics.time() and your own spans under the run through the active context', async () => {
    api.context.setGlobalContextManager(new TestContextManager());
    const sdk = otelSdk();
    const metrics = createPipelineMetrics({ pipeline: 'orders', otel: { api, meter: sdk.meter, tracer: sdk.tracer } });
    await metrics.run(async () => {
      // Deep code that only knows `metrics`, not the run scope.
      await metrics.time('load', async () => {
        sdk.tracer.startSpan('user.query').end(); // the user's own span, under the step
      });
    });
    const spans = new Map(sdk.spanExporter.getFinishedSpans().map((span) => [span.name, span]));
    const run = spans.get('pipewright.run orders');
    const step = spans.get('pipewright.step load');
    const query = spans.get('user.query');
    expect(step?.parentSpanContext?.spanId).toBe(run?.spanContext().spanId);
    expect(query?.parentSpanContext?.spanId).toBe(step?.spanContext().spanId);
  });

  it('redacts credentials from exception messages and stacks before they reach a span', async () => {
    const sdk = otelSdk();
    const metrics = createPipelineMetrics({ pipeline: 'orders', otel: { api, meter: sdk.meter, tracer: sdk.tracer } });
    const error = new Error('cannot connect to postgres://etl:hunter2@db:5432/app');
    await expect(metrics.time('extract', () => Promise.reject(error))).rejects.toBe(error);
    const [span] = sdk.spanExporter.getFinishedSpans();
    const exception = span?.events.find((event) => event.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe(
      'cannot connect to postgres://etl:[REDACTED]@db:5432/app',
    );
    expect(String(exception?.attributes?.['exception.stacktrace'])).toContain('etl:[REDACTED]@db');
    expect(JSON.stringify(span?.events) + JSON.stringify(span?.status)).not.toContain('hunter2');
    expect(error.message).toContain('hunter2'); // the error the caller gets is untouched
  });

  it('uses the global meter provider, resolved at the first measurement, so the SDK may start later', async () => {
    const warnings: string[] = [];
    const logger = createJsonLogger({ write: (line) => warnings.push(line), level: 'warn' });
    const metrics = createPipelineMetrics({ pipeline: 'global', otel: { api }, logger });
    const sdk = otelSdk();
    api.metrics.setGlobalMeterProvider(sdk.meterProvider); // after createPipelineMetrics, as in many apps
    metrics.record('s', { out: 3 });
    expect(pointValue((await sdk.points('pipewright_records_out')).points, { pipeline: 'global' })).toBe(3);
    expect(warnings).toEqual([]);
  });

  it('warns once when no MeterProvider is registered with the API it was given (the silent no-op)', () => {
    const warnings: string[] = [];
    const logger = createJsonLogger({ write: (line) => warnings.push(line), level: 'warn' });
    const metrics = createPipelineMetrics({ pipeline: 'nowhere', otel: { api }, logger });
    metrics.record('a', { in: 1 });
    metrics.record('b', { in: 1 });
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40, pipeline: 'nowhere' });
    expect(warnings[0]).toContain('no OpenTelemetry MeterProvider is registered');
  });

  it('feeds prom-client and OpenTelemetry at once from one call', async () => {
    const sdk = otelSdk();
    const registry = new promClient.Registry();
    const metrics = createPipelineMetrics({
      pipeline: 'both',
      prometheus: { client: promClient, registry },
      otel: { api, meter: sdk.meter },
    });
    metrics.record('s', { in: 11 });
    expect(pointValue((await sdk.points('pipewright_records_in')).points, { pipeline: 'both' })).toBe(11);
    const samples = parsePrometheusSamples(await registry.metrics());
    expect(sampleValue(samples, 'pipewright_records_in_total', { pipeline: 'both' })).toBe(11);
  });

  it('yields the same Prometheus names through the OpenTelemetry Prometheus exporter as through prom-client', async () => {
    const exporter = new PrometheusExporter({
      preventServerStart: true,
      withoutScopeInfo: true,
      withoutTargetInfo: true,
    });
    const meterProvider = new MeterProvider({ readers: [exporter] });
    const registry = new promClient.Registry();
    const metrics = createPipelineMetrics({
      pipeline: 'same',
      prometheus: { registry },
      otel: { api, meter: meterProvider.getMeter('test') },
    });
    // Touch every instrument once.
    await metrics.run(async (run) => {
      run.record('s', { in: 3, out: 2, rejected: 1, deadLettered: 1, retries: 1 });
      await run.time('s', () => Promise.reject(new Error('x'))).catch(() => {});
    });
    metrics.setWatermark('s', Date.now() - 1000);
    metrics.setDeadLetterBacklog('s', 1);
    for (const monitor of ['freshness', 'volume', 'dead_letter_rate'] as const) {
      metrics.observeMonitor({ monitor, dataset: 'd', status: 'healthy', value: 1, message: '' });
    }
    const { resourceMetrics } = await exporter.collect();
    const otelText = new PrometheusSerializer(undefined, false, undefined, true, true).serialize(resourceMetrics);
    const families = (text: string) =>
      new Set(parsePrometheusSamples(text).map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
    const fromOtel = families(otelText);
    const fromProm = families(await registry.metrics());
    expect([...fromProm].sort()).toEqual(INSTRUMENT_LIST.map((d) => d.name).sort());
    expect([...fromOtel].filter((name) => name.startsWith('pipewright_')).sort()).toEqual([...fromProm].sort());
    await meterProvider.shutdown();
  });

  it('refuses an otel option without the API module', () => {
    expect(() => createPipelineMetrics({ pipeline: 'p', otel: { meter: {} } as never })).toThrow(/otel.api/);
  });
});
