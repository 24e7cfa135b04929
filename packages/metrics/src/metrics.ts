import {
  type Clock,
  classify as coreClassify,
  InvalidOptionError,
  type Logger,
  noopLogger,
  systemClock,
} from '@pipewright/core';
import { countOf } from './adapters.ts';
import { INSTRUMENTS } from './catalogue.ts';
import type { OtelApiLike, OtelMeterLike } from './clients.ts';
import { type Backend, combineHandles, type Handle } from './internal/backend.ts';
import { type MetricsCore, stepHandles } from './internal/core.ts';
import { type MetricSnapshot, renderExposition } from './internal/exposition.ts';
import { assertCount, assertVerdict, validateOptions } from './internal/options.ts';
import { otelBackend } from './internal/otel-backend.ts';
import { getOrCreateMetric, prometheusBackend } from './internal/prometheus-backend.ts';
import { safeLogger } from './internal/safe-logger.ts';
import { createPipelineHandles } from './internal/steps.ts';
import { timeStep } from './internal/timing.ts';
import { STATUS_VALUE } from './monitors/verdict.ts';
import { deleteFromGateway, pushgatewayGroupUrl, pushToGateway } from './pushgateway.ts';
import { type RunResult, type RunScope, type StartRunOptions, startRun } from './run.ts';
import type { PipelineMetrics, PipelineMetricsOptions, RecordCounts } from './types.ts';
import { VERSION } from './version.ts';

/**
 * The global meter, with a warning when no SDK is behind it: either none was started yet, or it registered with
 * another, incompatible copy of @opentelemetry/api — the classic silent no-op.
 */
function globalMeter(api: OtelApiLike, logger: Logger): OtelMeterLike {
  if (api.metrics.getMeterProvider()?.constructor?.name === 'NoopMeterProvider') {
    logger.warn(
      {},
      'pipewright metrics: no OpenTelemetry MeterProvider is registered with this @opentelemetry/api (start the SDK ' +
        'first, and keep a single copy of @opentelemetry/api); OpenTelemetry metrics are dropped',
    );
  }
  return api.metrics.getMeter('@pipewright/metrics', VERSION);
}

/** Creates the metrics of one pipeline. Cheap; create one per pipeline and keep it. */
export function createPipelineMetrics(options: PipelineMetricsOptions): PipelineMetrics {
  validateOptions(options);
  const { pipeline, prometheus, otel, pushgateway } = options;
  // Failures of this package go to onError (default: a warning through the raw logger); whatever the reporter
  // itself throws is swallowed, so reporting can never fail the job.
  const rawLogger = options.logger ?? noopLogger;
  const report =
    options.onError ??
    ((error: unknown) => rawLogger.warn({ err: error, pipeline }, 'pipewright metrics: reporting failed'));
  const onError = (error: unknown): void => {
    try {
      report(error);
    } catch {
      // Nowhere left to report to.
    }
  };
  const logger = safeLogger(rawLogger, onError).child({ pipeline });
  const registry = prometheus?.registry ?? prometheus?.client?.register;
  const backends: Backend[] = [];
  if (registry) backends.push(prometheusBackend(registry));
  if (otel) backends.push(otelBackend(() => otel.meter ?? globalMeter(otel.api, logger)));
  const core: MetricsCore = {
    pipeline,
    backends,
    pipelineHandles: createPipelineHandles(backends, pipeline),
    clock: options.clock ?? systemClock,
    durationNow: options.clock ? () => (options.clock as Clock).now() : () => performance.now(),
    classify: options.classify ?? coreClassify,
    logger,
    onError,
    tracer: otel ? (otel.tracer ?? otel.api.trace.getTracer('@pipewright/metrics', VERSION)) : undefined,
    api: otel?.api,
    maxSteps: options.maxSteps ?? 100,
    steps: new Map(),
  };
  const monitorHandles = new Map<string, { value: Handle; status: Handle }>();
  const group = pushgateway ? { ...pushgateway, groupingKey: { ...pushgateway.groupingKey, pipeline } } : undefined;
  if (group) pushgatewayGroupUrl(group); // a bad URL or grouping key fails here, not at the end of the first run

  const standaloneLoggers = new Map<string, Logger>();
  const noStepParent = {
    runId: undefined,
    context: undefined,
    stepLogger(step: string): Logger {
      let stepLogger = standaloneLoggers.get(step);
      if (!stepLogger) {
        stepLogger = logger.child({ step });
        standaloneLoggers.set(step, stepLogger);
      }
      return stepLogger;
    },
  };

  const exposition = async (): Promise<string> => {
    if (!registry) return '';
    const snapshots: MetricSnapshot[] = [];
    for (const definition of Object.values(INSTRUMENTS)) {
      const metric = getOrCreateMetric(registry, definition) as unknown as {
        get(): Promise<MetricSnapshot>;
      };
      snapshots.push(await metric.get());
    }
    return renderExposition(snapshots, (labels) => labels.pipeline === pipeline);
  };

  const push = async (): Promise<void> => {
    if (!group)
      throw new InvalidOptionError('pushgateway', 'set to push (createPipelineMetrics({ pushgateway }))', undefined);
    await pushToGateway(group, await exposition());
  };

  const afterFinish = async (result: RunResult): Promise<void> => {
    if (!group || pushgateway?.pushOnFinish === false) return;
    try {
      // After a failure, POST (replace same-named metrics only) unless told otherwise: a fresh process has no
      // last-success series to send, and a PUT would erase the one an earlier run pushed.
      const method = group.method ?? (result.outcome === 'success' ? 'PUT' : 'POST');
      await pushToGateway({ ...group, method }, await exposition());
    } catch (error) {
      onError(error);
    }
  };

  const hooks = { afterFinish, record: (step: string, counts: RecordCounts) => metrics.record(step, counts) };

  const metrics: PipelineMetrics = {
    pipeline,
    logger,
    time: (step, fn) => timeStep(core, noStepParent, step, fn),
    record(step, counts) {
      const handles = stepHandles(core, step);
      const { in: recordsIn, out, rejected, deadLettered, retries, batchSize = recordsIn } = counts;
      if (recordsIn !== undefined) assertCount('counts.in', recordsIn);
      if (out !== undefined) assertCount('counts.out', out);
      if (rejected !== undefined) assertCount('counts.rejected', rejected);
      if (deadLettered !== undefined) assertCount('counts.deadLettered', deadLettered);
      if (retries !== undefined) assertCount('counts.retries', retries);
      if (batchSize !== undefined) assertCount('counts.batchSize', batchSize);
      if (recordsIn) handles.recordsIn(recordsIn);
      if (out) handles.recordsOut(out);
      if (rejected) handles.recordsRejected(rejected);
      if (deadLettered) handles.recordsDeadLettered(deadLettered);
      if (retries) handles.retries(retries);
      if (batchSize !== undefined) handles.batchSize(batchSize);
    },
    async run<T>(fn: (run: RunScope) => T | Promise<T>, runOptions?: StartRunOptions): Promise<Awaited<T>> {
      const scope = startRun(core, runOptions ?? {}, hooks);
      const call = () => fn(scope);
      let result: Awaited<T>;
      try {
        result = await (core.api && scope.context ? core.api.context.with(scope.context, call) : call());
      } catch (error) {
        await scope.finish(error);
        throw error;
      }
      await scope.finish();
      return result;
    },
    startRun: (runOptions) => startRun(core, runOptions ?? {}, hooks),
    setWatermark(step, position) {
      const ms = position instanceof Date ? position.getTime() : position;
      if (typeof ms !== 'number' || !Number.isFinite(ms)) {
        throw new InvalidOptionError('position', 'a valid Date or epoch milliseconds', position);
      }
      stepHandles(core, step).watermarkLag(Math.max(0, (core.clock.now() - ms) / 1000));
    },
    setDeadLetterBacklog(step, count) {
      assertCount('count', count);
      stepHandles(core, step).deadLetterBacklog(count);
    },
    retryListener(step) {
      const handles = stepHandles(core, step);
      return () => handles.retries(1);
    },
    subscribeRetries(source, step) {
      if (typeof source?.onRetry !== 'function') {
        throw new InvalidOptionError('source', 'an object with onRetry(listener)', source);
      }
      const disposer = source.onRetry(metrics.retryListener(step));
      return typeof disposer === 'function' ? disposer : () => disposer?.dispose();
    },
    deadLetterListener(step) {
      const handles = stepHandles(core, step);
      return () => handles.recordsDeadLettered(1);
    },
    recordDeadLetters(step, result) {
      const count = countOf(result);
      assertCount('result', count);
      if (count > 0) stepHandles(core, step).recordsDeadLettered(count);
    },
    recordQuality(step, result) {
      const valid = countOf(result?.valid);
      const invalid = countOf(result?.invalid);
      assertCount('result.valid', valid);
      assertCount('result.invalid', invalid);
      metrics.record(step, { in: valid + invalid, out: valid, rejected: invalid });
    },
    observeMonitor(verdict) {
      assertVerdict(verdict);
      const key = `${verdict.monitor}\u0000${verdict.dataset}`;
      let handles = monitorHandles.get(key);
      if (!handles) {
        const definition =
          verdict.monitor === 'freshness'
            ? INSTRUMENTS.freshness
            : verdict.monitor === 'volume'
              ? INSTRUMENTS.volumeRatio
              : INSTRUMENTS.deadLetterRatio;
        handles = {
          value: combineHandles(backends, definition, { pipeline, dataset: verdict.dataset }),
          status: combineHandles(backends, INSTRUMENTS.monitorStatus, {
            pipeline,
            dataset: verdict.dataset,
            monitor: verdict.monitor,
          }),
        };
        monitorHandles.set(key, handles);
      }
      if (verdict.value !== null) handles.value(verdict.value);
      handles.status(STATUS_VALUE[verdict.status]);
    },
    exposition,
    push,
    async deletePush() {
      if (!group)
        throw new InvalidOptionError(
          'pushgateway',
          'set to delete (createPipelineMetrics({ pushgateway }))',
          undefined,
        );
      await deleteFromGateway(group);
    },
  };
  return metrics;
}
