import type { Classification, Clock, Logger } from '@pipewright/core';
import type { DeadLetterResultLike, QualityResultLike, RetrySourceLike } from './adapters.ts';
import type { OtelApiLike, OtelMeterLike, OtelTracerLike, PromClientLike, PromRegistryLike } from './clients.ts';
import type { StepContext } from './internal/timing.ts';
import type { MonitorSink, MonitorVerdict } from './monitors/verdict.ts';
import type { PushgatewayOptions } from './pushgateway.ts';
import type { RunScope, StartRunOptions } from './run.ts';

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
