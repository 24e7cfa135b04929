import {
  type Classification,
  type Clock,
  classify as coreClassify,
  InvalidOptionError,
  type Logger,
  noopLogger,
  systemClock,
} from '@pipewright/core';
import { countOf, type DeadLetterResultLike, type QualityResultLike, type RetrySourceLike } from './adapters.ts';
import { INSTRUMENTS } from './catalogue.ts';
import type { OtelApiLike, OtelMeterLike, OtelTracerLike, PromClientLike, PromRegistryLike } from './clients.ts';
import { type Backend, combineHandles, type Handle } from './internal/backend.ts';
import { type MetricsCore, stepHandles } from './internal/core.ts';
import { type MetricSnapshot, renderExposition } from './internal/exposition.ts';
import { otelBackend } from './internal/otel-backend.ts';
import { getOrCreateMetric, prometheusBackend } from './internal/prometheus-backend.ts';
import { createPipelineHandles } from './internal/steps.ts';
import type { StepContext } from './internal/timing.ts';
import { timeStep } from './internal/timing.ts';
import { type MonitorSink, type MonitorVerdict, STATUS_VALUE } from './monitors/verdict.ts';
import { deleteFromGateway, type PushgatewayOptions, pushToGateway } from './pushgateway.ts';
import { type RunResult, type RunScope, type StartRunOptions, startRun } from './run.ts';
import { VERSION } from './version.ts';

export interface PipelineMetricsOptions {
  /** The pipeline label of every series. Bounded: a name from your code, not from data. */
  pipeline: string;
  /**
   * prom-client: your registry, or the module (`import * as promClient from 'prom-client'`) for its default
   * registry. The series are registered in that registry and rendered by it.
   */
  prometheus?: {
    /** @default client.register (the default registry) */
    registry?: PromRegistryLike;
    client?: PromClientLike;
  };
  /**
   * OpenTelemetry: pass `@opentelemetry/api` (the copy your SDK registered with); meter and tracer default to
   * `api.metrics.getMeter('@pipewright/metrics')` and `api.trace.getTracer('@pipewright/metrics')`.
   */
  otel?: { api: OtelApiLike; meter?: OtelMeterLike; tracer?: OtelTracerLike };
  /** Push this pipeline's series to a Pushgateway when a run finishes (grouped by job and pipeline). */
  pushgateway?: PushgatewayOptions & {
    /**
     * Push automatically at the end of each run; otherwise call `push()` yourself.
     * @default true
     */
    pushOnFinish?: boolean;
  };
  /**
   * Structured logs (pino or `createJsonLogger()`); bound to pipeline, run id and step.
   * @default noopLogger
   */
  logger?: Logger;
  /**
   * Timestamps and, when given, durations. Durations use `performance.now()` unless you inject a clock.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Maps a step failure to `transient`, `record` or `fatal` for `pipewright_failures_total{kind}`.
   * @default classify from @pipewright/core
   */
  classify?: (error: unknown) => Classification;
  /**
   * Receives this package's own failures (a failed push, too many step names); it never throws into your job.
   * @default logs a warning through `logger`
   */
  onError?: (error: unknown) => void;
  /**
   * Distinct step names allowed before further ones fold into `step="_overflow"` (a cardinality guard).
   * @default 100
   */
  maxSteps?: number;
}

/** Per-batch counts for `record()`: every field optional, each a non-negative number. */
export interface RecordCounts {
  in?: number;
  out?: number;
  rejected?: number;
  deadLettered?: number;
  retries?: number;
  /** Observed in the batch-size histogram. @default in */
  batchSize?: number;
}

export interface PipelineMetrics extends MonitorSink {
  readonly pipeline: string;
  /** Bound to the pipeline. */
  readonly logger: Logger;
  /**
   * Runs `fn` as a step: observes its duration with `outcome` success/failure, counts a failure by its
   * classification, opens a span (child of the active run), and rethrows whatever `fn` throws.
   */
  time<T>(step: string, fn: (context: StepContext) => T | Promise<T>): Promise<Awaited<T>>;
  /** Adds one batch's counts: a handful of increments per batch, nothing per record. */
  record(step: string, counts: RecordCounts): void;
  /** Runs `fn` as one run of the pipeline (finish, metrics, span, push included) and returns its result. */
  run<T>(fn: (run: RunScope) => T | Promise<T>, options?: StartRunOptions): Promise<Awaited<T>>;
  /** Starts a run that you finish yourself with `run.finish(error?)`. */
  startRun(options?: StartRunOptions): RunScope;
  /** Sets the watermark lag gauge from the committed position's time (a `Date` or epoch milliseconds). */
  setWatermark(step: string, position: Date | number): void;
  /** Sets the dead-letter backlog gauge (dead letters waiting for redrive). */
  setDeadLetterBacklog(step: string, count: number): void;
  /** A listener for a retry policy's retry events: counts one retry per call. */
  retryListener(step: string): (event?: unknown) => void;
  /** Subscribes to `source.onRetry`; returns the unsubscribe function. */
  subscribeRetries(source: RetrySourceLike, step: string): () => void;
  /** A listener for a dead-letter queue's "dead-lettered" callback: counts one record per call. */
  deadLetterListener(step: string): (entry?: unknown) => void;
  /** Counts dead letters from a result (a number, an array, or `{ count }`). */
  recordDeadLetters(step: string, result: DeadLetterResultLike): void;
  /** Counts a validation result: in = valid + invalid, out = valid, rejected = invalid. */
  recordQuality(step: string, result: QualityResultLike): void;
  /** Sets the monitor gauges from a verdict (the monitors call this when given `metrics`). */
  observeMonitor(verdict: MonitorVerdict): void;
  /** This pipeline's series in the Prometheus text format (what `push()` sends). Needs `prometheus`. */
  exposition(): Promise<string>;
  /** Pushes this pipeline's series to the Pushgateway group now. Rejects with `PushgatewayError`. */
  push(): Promise<void>;
  /** Deletes this pipeline's group from the Pushgateway. Rejects with `PushgatewayError`. */
  deletePush(): Promise<void>;
}

function assertCount(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
    throw new InvalidOptionError(name, 'a finite non-negative number', value);
  }
}

function validate(options: PipelineMetricsOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options);
  const { pipeline, prometheus, otel, maxSteps } = options;
  if (typeof pipeline !== 'string' || !/^[^\p{Cc}]{1,128}$/u.test(pipeline)) {
    throw new InvalidOptionError('pipeline', 'a name of 1 to 128 printable characters', pipeline);
  }
  if (prometheus !== undefined) {
    const registry = prometheus?.registry ?? prometheus?.client?.register;
    if (typeof registry?.getSingleMetric !== 'function' || typeof registry.registerMetric !== 'function') {
      throw new InvalidOptionError(
        'prometheus.registry',
        'a prom-client Registry (or prometheus.client: the prom-client module, for its default registry)',
        registry,
      );
    }
  }
  if (otel !== undefined && typeof otel?.api?.context?.active !== 'function') {
    throw new InvalidOptionError(
      'otel.api',
      "the @opentelemetry/api module (import * as api from '@opentelemetry/api')",
      otel?.api,
    );
  }
  if (maxSteps !== undefined && (!Number.isInteger(maxSteps) || maxSteps < 1)) {
    throw new InvalidOptionError('maxSteps', 'a positive integer', maxSteps);
  }
}

/** Creates the metrics of one pipeline. Cheap; create one per pipeline and keep it. */
export function createPipelineMetrics(options: PipelineMetricsOptions): PipelineMetrics {
  validate(options);
  const { pipeline, prometheus, otel, pushgateway } = options;
  const logger = (options.logger ?? noopLogger).child({ pipeline });
  const registry = prometheus?.registry ?? prometheus?.client?.register;
  const backends: Backend[] = [];
  if (registry) backends.push(prometheusBackend(registry));
  if (otel) backends.push(otelBackend(otel.meter ?? otel.api.metrics.getMeter('@pipewright/metrics', VERSION)));
  const onError =
    options.onError ?? ((error: unknown) => logger.warn({ err: error }, 'pipewright metrics: reporting failed'));
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

  const afterFinish = async (_result: RunResult): Promise<void> => {
    if (!group || pushgateway?.pushOnFinish === false) return;
    try {
      await push();
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
