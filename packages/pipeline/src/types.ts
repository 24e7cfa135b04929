import type { Classifier, Logger, SqlClient } from '@pipewright/core';

/** Rows a step read, wrote, rejected and dead-lettered. */
export interface StepCounts {
  in: number;
  out: number;
  rejected: number;
  deadLettered: number;
}

/** What a job hands to each of its steps. */
export interface StepContext {
  readonly pipeline: string;
  readonly runId: string;
  readonly step: string;
  /** 1 on the first attempt, 2 on the first retry… */
  readonly attempt: number;
  /** Aborts when the caller aborts the run or the run's lease is lost: stop and throw. */
  readonly signal: AbortSignal;
  /**
   * The fencing token of the run's lease (when the job has a `lock`). Pass it to whatever commits, so that a
   * process whose lease was taken over cannot commit: see `LeaseStore.check`.
   */
  readonly fencingToken: bigint | undefined;
  /**
   * Inside the transaction that commits this step's work, proves the run still holds its lease (locks the lease
   * row until the transaction ends) or throws `LeaseLostError`. Resolves at once when the job has no `lock`.
   */
  checkLease(tx: SqlClient): Promise<void>;
  readonly logger: Logger;
  /** Adds to this step's counts (reset when the step is retried). */
  count(counts: Partial<StepCounts>): void;
  /** Records a checksum of what this step wrote (kept in the run audit). */
  setChecksum(checksum: string): void;
  /** The value returned by an upstream step this step depends on (directly or not). */
  output<T = unknown>(step: string): T;
}

export interface StepStartEvent {
  step: string;
  pipeline: string | undefined;
  runId: string | undefined;
}

export interface StepRetryEvent extends StepStartEvent {
  attempt: number;
  delayMs: number;
  error: Error;
  reason: string;
}

export interface StepEndEvent extends StepStartEvent {
  status: 'succeeded' | 'failed';
  durationMs: number;
  attempts: number;
  counts: StepCounts;
  checksum: string | undefined;
  error: Error | undefined;
}

/**
 * Observers of a step (metrics, logs, anything). They are called synchronously; whatever they throw or reject
 * with is logged and ignored, so an observer never fails the step.
 */
export interface StepHooks {
  onStepStart?(event: StepStartEvent): void;
  onStepRetry?(event: StepRetryEvent): void;
  onStepEnd?(event: StepEndEvent): void;
}

/** The subset of an OpenTelemetry `Span` a step uses. */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  recordException(exception: Error): void;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** The subset of an OpenTelemetry `Tracer` a step uses: pass `trace.getTracer('my-job')`. */
export interface TracerLike {
  startActiveSpan<T>(
    name: string,
    options: { attributes?: Record<string, string | number> },
    fn: (span: SpanLike) => T,
  ): T;
}

/** A dataset as OpenLineage names it, e.g. `{ namespace: 'postgres://db:5432', name: 'shop.public.orders' }`. */
export interface LineageDataset {
  namespace: string;
  name: string;
}

/** One OpenLineage-shaped run event for one execution of a step. */
export interface StepLineageEvent {
  eventType: 'START' | 'COMPLETE' | 'FAIL';
  eventTime: string;
  job: { name: string };
  run: { runId: string; parentRunId: string | undefined };
  inputs: readonly LineageDataset[];
  outputs: readonly LineageDataset[];
  counts: StepCounts | undefined;
  error: { message: string; stack: string | undefined } | undefined;
}

/** One lineage run as `@pipewright/lineage`'s `LineageRun` exposes it. */
export interface LineageRunLike {
  complete(update?: { outputs?: LineageDataset[] }): unknown;
  fail(error: unknown): unknown;
  /** Starts a child run (a step of this job). */
  child?(jobName: string, options?: { inputs?: LineageDataset[]; outputs?: LineageDataset[] }): LineageRunLike;
}

/** A lineage client with runs, such as `@pipewright/lineage`'s `createLineage(...)`. */
export interface LineageClientLike {
  startRun(
    jobName: string,
    options?: { runId?: string; inputs?: LineageDataset[]; outputs?: LineageDataset[] },
  ): LineageRunLike;
}

/**
 * Where a step's inputs and outputs are reported: one START and one COMPLETE or FAIL per execution, either as
 * plain events to `emit`, or as runs of a lineage `client` (child runs of the job's run inside a job).
 */
export interface StepLineage {
  inputs?: readonly LineageDataset[];
  outputs?: readonly LineageDataset[];
  /** Receives each event; errors and rejections are logged, never raised. */
  emit?(event: StepLineageEvent): unknown;
  /** A lineage client (`@pipewright/lineage`); inside a job, the job's `lineage` client is used when omitted. */
  client?: LineageClientLike;
}

/** Step metrics as `@pipewright/metrics`'s `PipelineMetrics` (or one of its runs) offers them. */
export interface StepMetricsLike {
  /** Times `fn` as step `step` (duration, outcome, span) and rethrows what it throws. */
  time<T>(step: string, fn: (context: unknown) => T | Promise<T>): Promise<Awaited<T>>;
  /** Adds counts for `step`. */
  record(
    step: string,
    counts: { in?: number; out?: number; rejected?: number; deadLettered?: number; retries?: number },
  ): void;
}

/** Pipeline metrics with runs, such as `createPipelineMetrics(...)` from `@pipewright/metrics`. */
export interface RunMetricsLike extends StepMetricsLike {
  startRun(options?: { runId?: string }): StepMetricsLike & { finish(error?: unknown): Promise<unknown> };
}

/** Built-in retry: transient failures (per the classifier) are retried with exponential backoff. */
export interface StepRetryOptions {
  /** Attempts in total, the first included. @default 3 */
  maxAttempts?: number;
  /** Delay before the first retry; doubles each time. @default 200 */
  baseDelayMs?: number;
  /** Longest delay between attempts (a server's `Retry-After` is honoured up to this). @default 30000 */
  maxDelayMs?: number;
  /** Decides what is transient. @default core's `classify` */
  classify?: Classifier;
  /** Full jitter (random delay up to the backoff) to spread retries. @default true */
  jitter?: boolean;
}

/**
 * Any retry policy with an `execute(fn, { signal })` method: @pipewright/retry's policies, or your own. The
 * policy calls `fn` once per attempt.
 */
export interface RetryPolicyLike {
  execute<T>(
    fn: (context: { signal?: AbortSignal; attempt?: number }) => Promise<T>,
    context?: { signal?: AbortSignal },
  ): Promise<T>;
}
