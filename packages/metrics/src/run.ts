import { ensureError, InvalidOptionError, type Logger } from '@pipewright/core';
import type { OtelContextLike, OtelSpanLike } from './clients.ts';
import type { MetricsCore } from './internal/core.ts';
import { failSpan, type StepContext, timeStep } from './internal/timing.ts';
import type { RecordCounts } from './types.ts';

export type RunOutcome = 'success' | 'failure';

export interface RunResult {
  readonly runId: string;
  readonly outcome: RunOutcome;
  readonly durationSeconds: number;
  /** The error the run failed with. */
  readonly error: Error | undefined;
}

export interface StartRunOptions {
  /**
   * The run's id, in logs and span attributes (never a metric label).
   * @default crypto.randomUUID()
   */
  runId?: string;
}

/** One run of a pipeline: its steps' spans are children of the run's span, its logs carry the run id. */
export interface RunScope {
  readonly runId: string;
  readonly pipeline: string;
  /** Bound to pipeline and run id. */
  readonly logger: Logger;
  /** Times a step of this run (see `PipelineMetrics.time`). */
  time<T>(step: string, fn: (context: StepContext) => T | Promise<T>): Promise<Awaited<T>>;
  /** Adds one batch's counts (see `PipelineMetrics.record`). */
  record(step: string, counts: RecordCounts): void;
  /**
   * Ends the run (success without an error, failure with one): records its duration, outcome, last status and
   * last success time, ends its span, and pushes to the Pushgateway when configured. Only the first call counts.
   */
  finish(error?: unknown): Promise<RunResult>;
  /** @internal The OpenTelemetry context holding the run's span. */
  readonly context: OtelContextLike | undefined;
}

export function startRun(
  core: MetricsCore,
  options: StartRunOptions,
  hooks: { afterFinish(result: RunResult): Promise<void>; record(step: string, counts: RecordCounts): void },
): RunScope {
  const runId = options.runId ?? crypto.randomUUID();
  if (typeof runId !== 'string' || runId === '') throw new InvalidOptionError('runId', 'a non-empty string', runId);
  const logger = core.logger.child({ runId });
  const stepLoggers = new Map<string, Logger>();
  let span: OtelSpanLike | undefined;
  let context: OtelContextLike | undefined;
  if (core.tracer && core.api) {
    span = core.tracer.startSpan(
      `pipewright.run ${core.pipeline}`,
      { attributes: { 'pipewright.pipeline': core.pipeline, 'pipewright.run_id': runId } },
      core.api.context.active(),
    );
    context = core.api.trace.setSpan(core.api.context.active(), span);
  }
  const start = core.durationNow();
  let finished: Promise<RunResult> | undefined;
  logger.info({}, 'run started');

  const parent = {
    runId,
    context,
    stepLogger(step: string): Logger {
      let stepLogger = stepLoggers.get(step);
      if (!stepLogger) {
        stepLogger = logger.child({ step });
        stepLoggers.set(step, stepLogger);
      }
      return stepLogger;
    },
  };

  const finish = async (thrown?: unknown): Promise<RunResult> => {
    const durationSeconds = (core.durationNow() - start) / 1000;
    const error = thrown === undefined ? undefined : ensureError(thrown);
    const outcome: RunOutcome = error ? 'failure' : 'success';
    const handles = core.pipelineHandles;
    if (error) {
      handles.runFailure(1);
      handles.runDurationFailure(durationSeconds);
      handles.lastRunStatus(0);
    } else {
      handles.runSuccess(1);
      handles.runDurationSuccess(durationSeconds);
      handles.lastRunStatus(1);
      handles.lastSuccess(core.clock.now() / 1000);
    }
    if (span) {
      span.setAttribute('pipewright.outcome', outcome);
      if (error) failSpan(span, error, core.classify(thrown).kind);
      span.end();
    }
    if (error) logger.error({ err: error, durationMs: durationSeconds * 1000 }, 'run failed');
    else logger.info({ durationMs: durationSeconds * 1000 }, 'run succeeded');
    const result: RunResult = { runId, outcome, durationSeconds, error };
    await hooks.afterFinish(result);
    return result;
  };

  return {
    runId,
    pipeline: core.pipeline,
    logger,
    context,
    time: (step, fn) => timeStep(core, parent, step, fn),
    record: hooks.record,
    finish(error?: unknown): Promise<RunResult> {
      finished ??= finish(error);
      return finished;
    },
  };
}
