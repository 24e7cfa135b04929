import type { ErrorKind } from '@pipewright/core';
import { INSTRUMENTS, type InstrumentDefinition } from '../catalogue.ts';
import type { LabelValues } from '../clients.ts';
import { type Backend, combineHandles, type Handle } from './backend.ts';

/** Every series of one step, bound once: the hot path calls these closures and allocates nothing. */
export interface StepHandles {
  readonly step: string;
  readonly recordsIn: Handle;
  readonly recordsOut: Handle;
  readonly recordsRejected: Handle;
  readonly recordsDeadLettered: Handle;
  readonly retries: Handle;
  readonly batchSize: Handle;
  readonly durationSuccess: Handle;
  readonly durationFailure: Handle;
  readonly failures: Readonly<Record<ErrorKind, Handle>>;
  readonly watermarkLag: Handle;
  readonly deadLetterBacklog: Handle;
}

export function createStepHandles(backends: readonly Backend[], pipeline: string, step: string): StepHandles {
  const bind = (definition: InstrumentDefinition, extra?: LabelValues): Handle =>
    combineHandles(backends, definition, { pipeline, step, ...extra });
  return {
    step,
    recordsIn: bind(INSTRUMENTS.recordsIn),
    recordsOut: bind(INSTRUMENTS.recordsOut),
    recordsRejected: bind(INSTRUMENTS.recordsRejected),
    recordsDeadLettered: bind(INSTRUMENTS.recordsDeadLettered),
    retries: bind(INSTRUMENTS.retries),
    batchSize: bind(INSTRUMENTS.batchSize),
    durationSuccess: bind(INSTRUMENTS.stepDuration, { outcome: 'success' }),
    durationFailure: bind(INSTRUMENTS.stepDuration, { outcome: 'failure' }),
    failures: {
      transient: bind(INSTRUMENTS.failures, { kind: 'transient' }),
      record: bind(INSTRUMENTS.failures, { kind: 'record' }),
      fatal: bind(INSTRUMENTS.failures, { kind: 'fatal' }),
    },
    watermarkLag: bind(INSTRUMENTS.watermarkLag),
    deadLetterBacklog: bind(INSTRUMENTS.deadLetterBacklog),
  };
}

/** Pipeline-level series (runs, last success, monitors). */
export interface PipelineHandles {
  readonly runSuccess: Handle;
  readonly runFailure: Handle;
  readonly runDurationSuccess: Handle;
  readonly runDurationFailure: Handle;
  readonly lastSuccess: Handle;
  readonly lastRunStatus: Handle;
}

export function createPipelineHandles(backends: readonly Backend[], pipeline: string): PipelineHandles {
  const bind = (definition: InstrumentDefinition, extra?: LabelValues): Handle =>
    combineHandles(backends, definition, { pipeline, ...extra });
  return {
    runSuccess: bind(INSTRUMENTS.runs, { outcome: 'success' }),
    runFailure: bind(INSTRUMENTS.runs, { outcome: 'failure' }),
    runDurationSuccess: bind(INSTRUMENTS.runDuration, { outcome: 'success' }),
    runDurationFailure: bind(INSTRUMENTS.runDuration, { outcome: 'failure' }),
    lastSuccess: bind(INSTRUMENTS.lastSuccess),
    lastRunStatus: bind(INSTRUMENTS.lastRunStatus),
  };
}
