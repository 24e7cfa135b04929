import { randomUUID } from 'node:crypto';
import { type Clock, ensureError, type Logger } from '@pipewright/core';
import type {
  LineageClientLike,
  LineageRunLike,
  SpanLike,
  StepCounts,
  StepHooks,
  StepLineage,
  StepLineageEvent,
  StepMetricsLike,
  TracerLike,
} from '../types.ts';
import { addCounts, zeroCounts } from './counts.ts';
import { attemptLoop, type ResolvedRetry } from './retry.ts';
import { safely } from './safely.ts';

/** What `measure` may report from a step's result. */
export type StepMeasure = Partial<StepCounts> & { checksum?: string };

/** A step with its options resolved, shared by the wrapper, the decorator and the job runner. */
export interface StepDefinition {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: the user's function, any signature
  fn: (this: unknown, ...args: any[]) => unknown;
  dependsOn: readonly string[];
  retry: ResolvedRetry;
  hooks: readonly StepHooks[];
  tracer: TracerLike | undefined;
  lineage: StepLineage | undefined;
  metrics: StepMetricsLike | undefined;
  measure: ((result: unknown) => StepMeasure | undefined) | undefined;
  clock: Clock;
  logger: Logger;
}

/** The surroundings of one execution (set by a job; empty for a bare call). */
export interface ExecutionScope {
  pipeline?: string;
  runId?: string;
  signal?: AbortSignal;
  clock?: Clock;
  logger?: Logger;
  hooks?: readonly StepHooks[];
  /** The job run's metrics scope (replaces the step's own `metrics`). */
  metrics?: StepMetricsLike;
  /** The job's lineage client and run: steps become child runs of it. */
  lineageClient?: LineageClientLike;
  lineageParent?: LineageRunLike;
  /** Called before each attempt (the job resets the step's counts). */
  onAttempt?(attempt: number): void;
  /** Counts and checksum the step reported through its context during the last attempt. */
  collected?(): { counts: StepCounts; checksum: string | undefined };
}

export interface StepOutcome {
  status: 'succeeded' | 'failed';
  value: unknown;
  error: Error | undefined;
  attempts: number;
  startedAt: number;
  finishedAt: number;
  counts: StepCounts;
  checksum: string | undefined;
}

const SPAN_ERROR = 2;
const SPAN_OK = 1;

/** Runs one step execution with retry, hooks, tracing and lineage. Never throws: the outcome says what happened. */
export function executeStep(
  def: StepDefinition,
  thisArg: unknown,
  args: readonly unknown[],
  scope: ExecutionScope = {},
): Promise<StepOutcome> {
  if (!def.tracer) return run(def, thisArg, args, scope, undefined);
  const attributes: Record<string, string> = { 'pipewright.step': def.name };
  if (scope.pipeline !== undefined) attributes['pipewright.pipeline'] = scope.pipeline;
  if (scope.runId !== undefined) attributes['pipewright.run_id'] = scope.runId;
  try {
    return def.tracer.startActiveSpan(`step ${def.name}`, { attributes }, (span) =>
      run(def, thisArg, args, scope, span),
    );
  } catch (error) {
    (scope.logger ?? def.logger).warn({ err: error }, 'tracer failed; running the step untraced');
    return run(def, thisArg, args, scope, undefined);
  }
}

async function run(
  def: StepDefinition,
  thisArg: unknown,
  args: readonly unknown[],
  scope: ExecutionScope,
  span: SpanLike | undefined,
): Promise<StepOutcome> {
  const clock = scope.clock ?? def.clock;
  const logger = scope.logger ?? def.logger;
  const hooks = scope.hooks ? [...scope.hooks, ...def.hooks] : def.hooks;
  const base = { step: def.name, pipeline: scope.pipeline, runId: scope.runId };
  const lineageRunId = def.lineage?.emit ? randomUUID() : '';
  const startedAt = clock.now();
  for (const h of hooks) if (h.onStepStart) safely(logger, 'onStepStart hook', () => h.onStepStart?.(base));
  emitLineage(def, logger, 'START', clock, lineageRunId, scope.runId, undefined, undefined);
  const lineageRun = startLineageRun(def, scope, logger);

  let attempts = 0;
  const attempt = (n: number): Promise<unknown> => {
    attempts = n;
    scope.onAttempt?.(n);
    return Promise.resolve().then(() => def.fn.apply(thisArg, args as unknown[]));
  };
  const attemptAll = (): Promise<unknown> => {
    const retry = def.retry;
    if (retry.kind === 'builtin') {
      return attemptLoop(retry, clock, scope.signal, attempt, {
        onRetry: (n, delayMs, err, reason) => {
          logger.warn({ step: def.name, attempt: n, delayMs, err }, 'step failed; retrying');
          for (const h of hooks) {
            if (h.onStepRetry) {
              safely(logger, 'onStepRetry hook', () =>
                h.onStepRetry?.({ ...base, attempt: n, delayMs, error: err, reason }),
              );
            }
          }
        },
      });
    }
    if (retry.kind === 'policy') {
      let calls = 0;
      return retry.policy.execute(() => attempt(++calls), { signal: scope.signal });
    }
    return attempt(1);
  };
  const metrics = scope.metrics ?? def.metrics;
  let status: StepOutcome['status'] = 'succeeded';
  let value: unknown;
  let error: Error | undefined;
  try {
    value = metrics ? await metrics.time(def.name, attemptAll) : await attemptAll();
  } catch (thrown) {
    status = 'failed';
    error = ensureError(thrown);
  }
  const finishedAt = clock.now();
  const collected = scope.collected?.();
  const counts = addCounts(zeroCounts(), collected?.counts);
  let checksum = collected?.checksum;
  if (status === 'succeeded' && def.measure) {
    try {
      const measured = def.measure(value);
      addCounts(counts, measured);
      checksum = measured?.checksum ?? checksum;
    } catch (measureError) {
      logger.warn({ err: measureError, step: def.name }, 'measure() failed; counts not recorded');
    }
  }
  const end = { ...base, status, durationMs: finishedAt - startedAt, attempts, counts, checksum, error };
  for (const h of hooks) if (h.onStepEnd) safely(logger, 'onStepEnd hook', () => h.onStepEnd?.(end));
  emitLineage(
    def,
    logger,
    status === 'succeeded' ? 'COMPLETE' : 'FAIL',
    clock,
    lineageRunId,
    scope.runId,
    counts,
    error,
  );
  if (lineageRun) {
    safely(logger, 'lineage run', () => (error ? lineageRun.fail(error) : lineageRun.complete()));
  }
  if (metrics) {
    const recorded = { ...counts, retries: Math.max(0, attempts - 1) };
    safely(logger, 'metrics.record', () => metrics.record(def.name, recorded));
  }
  if (span) {
    safely(logger, 'span', () => {
      span.setAttribute('pipewright.attempts', attempts);
      span.setAttribute('pipewright.rows_out', counts.out);
      if (error) {
        span.recordException(error);
        span.setStatus({ code: SPAN_ERROR, message: error.message });
      } else span.setStatus({ code: SPAN_OK });
    });
    safely(logger, 'span.end', () => span.end());
  }
  return { status, value, error, attempts, startedAt, finishedAt, counts, checksum };
}

function startLineageRun(def: StepDefinition, scope: ExecutionScope, logger: Logger): LineageRunLike | undefined {
  const client = def.lineage?.client ?? scope.lineageClient;
  if (!client) return undefined;
  const datasets = { inputs: [...(def.lineage?.inputs ?? [])], outputs: [...(def.lineage?.outputs ?? [])] };
  try {
    const parent = scope.lineageParent;
    return parent?.child && !def.lineage?.client
      ? parent.child(def.name, datasets)
      : client.startRun(def.name, datasets);
  } catch (error) {
    logger.warn({ err: error, step: def.name }, 'lineage startRun failed; the step runs without lineage');
    return undefined;
  }
}

function emitLineage(
  def: StepDefinition,
  logger: Logger,
  eventType: StepLineageEvent['eventType'],
  clock: Clock,
  runId: string,
  parentRunId: string | undefined,
  counts: StepCounts | undefined,
  error: Error | undefined,
): void {
  const lineage = def.lineage;
  if (!lineage?.emit) return;
  const event: StepLineageEvent = {
    eventType,
    eventTime: new Date(clock.now()).toISOString(),
    job: { name: def.name },
    run: { runId, parentRunId },
    inputs: lineage.inputs ?? [],
    outputs: lineage.outputs ?? [],
    counts,
    error: error ? { message: error.message, stack: error.stack } : undefined,
  };
  safely(logger, 'lineage emit', () => lineage.emit?.(event));
}
