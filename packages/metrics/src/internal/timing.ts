import { ensureError, type Logger } from '@pipewright/core';
import type { OtelContextLike, OtelSpanLike } from '../clients.ts';
import { redactString } from '../logging/redact.ts';
import { type MetricsCore, stepHandles } from './core.ts';

/** OpenTelemetry's `SpanStatusCode.ERROR` (a stable value of the API). */
export const SPAN_STATUS_ERROR = 2;

/** What a timed step function receives. */
export interface StepContext {
  readonly pipeline: string;
  readonly step: string;
  /** The run id, when the step runs inside `run()`. */
  readonly runId: string | undefined;
  /** A logger bound to pipeline, run id and step. */
  readonly logger: Logger;
}

/** Where a step runs: inside a run (with its span and logger) or on its own. */
export interface StepParent {
  readonly runId: string | undefined;
  readonly context: OtelContextLike | undefined;
  stepLogger(step: string): Logger;
}

/**
 * Records an error on a span the way OpenTelemetry expects: an exception event plus an ERROR status. Message and
 * stack are redacted first: traces leave the process too, and a connection error often names its URL.
 */
export function failSpan(span: OtelSpanLike, error: Error, kind: string): void {
  const message = redactString(error.message);
  const code = (error as { code?: unknown }).code;
  const exception: Error & { code?: string | number } = { name: error.name, message };
  if (error.stack !== undefined) exception.stack = redactString(error.stack);
  if (typeof code === 'string' || typeof code === 'number') exception.code = code;
  span.recordException(exception);
  span.setAttribute('pipewright.error.kind', kind);
  span.setStatus({ code: SPAN_STATUS_ERROR, message });
}

export async function timeStep<T>(
  core: MetricsCore,
  parent: StepParent,
  step: string,
  fn: (context: StepContext) => T | Promise<T>,
): Promise<Awaited<T>> {
  const handles = stepHandles(core, step);
  const logger = parent.stepLogger(step);
  const context: StepContext = { pipeline: core.pipeline, step, runId: parent.runId, logger };
  let span: OtelSpanLike | undefined;
  if (core.tracer && core.api) {
    const parentContext = parent.context ?? core.api.context.active();
    span = core.tracer.startSpan(
      `pipewright.step ${step}`,
      {
        attributes: {
          'pipewright.pipeline': core.pipeline,
          'pipewright.step': step,
          ...(parent.runId === undefined ? {} : { 'pipewright.run_id': parent.runId }),
        },
      },
      parentContext,
    );
  }
  const start = core.durationNow();
  try {
    const result =
      span && core.api
        ? await core.api.context.with(core.api.trace.setSpan(parent.context ?? core.api.context.active(), span), () =>
            fn(context),
          )
        : await fn(context);
    const seconds = (core.durationNow() - start) / 1000;
    handles.durationSuccess(seconds);
    span?.end();
    logger.debug({ durationMs: seconds * 1000 }, 'step finished');
    return result;
  } catch (thrown) {
    const seconds = (core.durationNow() - start) / 1000;
    const error = ensureError(thrown);
    const { kind, reason } = core.classify(thrown);
    handles.durationFailure(seconds);
    handles.failures[kind](1);
    if (span) {
      failSpan(span, error, kind);
      span.end();
    }
    logger.error({ err: error, kind, reason, durationMs: seconds * 1000 }, 'step failed');
    throw thrown;
  }
}
