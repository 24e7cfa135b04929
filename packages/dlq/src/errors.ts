import { PipewrightError } from '@pipewright/core';
import type { DeadLetterState } from './types.ts';

/** `redriveOne`, `discard` or `requeue` named an entry that does not exist. */
export class DeadLetterNotFoundError extends PipewrightError {
  readonly id: string;
  constructor(id: string) {
    super('PW_DLQ_NOT_FOUND', `Dead letter ${JSON.stringify(id)} does not exist (purged, or never sent)`, {
      kind: 'fatal',
    });
    this.id = id;
  }
}

/** A transition was asked from a state that does not allow it (e.g. redriving an entry another worker holds). */
export class DeadLetterStateError extends PipewrightError {
  readonly id: string;
  readonly state: DeadLetterState;
  constructor(id: string, state: DeadLetterState, wanted: string) {
    super('PW_DLQ_STATE', `Dead letter ${JSON.stringify(id)} is ${state}: cannot ${wanted}`, { kind: 'fatal' });
    this.id = id;
    this.state = state;
  }
}

/**
 * The connection closed while a batch was in flight. The batch is atomic, so either all of it or none of it was
 * written; sending it again is safe (idempotency keys), which is why this is `transient`.
 */
export class DeadLetterWriteInterruptedError extends PipewrightError {
  readonly entries: number;
  constructor(entries: number, cause: unknown) {
    super(
      'PW_DLQ_WRITE_INTERRUPTED',
      `The connection closed while ${entries} dead letters were being written: all or none were stored; send them again`,
      { kind: 'transient', cause },
    );
    this.entries = entries;
  }
}

/** Counts of a batch that `processBatch` stopped or failed. */
export interface BatchCounts {
  in: number;
  succeeded: number;
  deadLettered: number;
  /** Records never finished because a fatal error stopped the batch (0 unless it did). */
  unprocessed: number;
}

/** The batch's error rate exceeded `maxErrorRate`; every failed record was dead-lettered before this was thrown. */
export class ErrorRateExceededError extends PipewrightError {
  readonly counts: BatchCounts;
  readonly errorRate: number;
  readonly maxErrorRate: number;
  constructor(counts: BatchCounts, errorRate: number, maxErrorRate: number) {
    super(
      'PW_DLQ_ERROR_RATE',
      `${counts.deadLettered} of ${counts.in} records failed (rate ${errorRate}), above maxErrorRate ${maxErrorRate}; all ${counts.deadLettered} were dead-lettered`,
      { kind: 'fatal' },
    );
    this.counts = counts;
    this.errorRate = errorRate;
    this.maxErrorRate = maxErrorRate;
  }
}

/** A fatal error stopped the batch; records that failed before it were dead-lettered. `cause` is the error. */
export class BatchAbortedError extends PipewrightError {
  readonly counts: BatchCounts;
  constructor(counts: BatchCounts, cause: unknown) {
    super(
      'PW_DLQ_BATCH_ABORTED',
      `A fatal error stopped the batch after ${counts.succeeded} succeeded and ${counts.deadLettered} were dead-lettered; ${counts.unprocessed} of ${counts.in} not processed: ${(cause as Error)?.message ?? String(cause)}`,
      { kind: 'fatal', cause },
    );
    this.counts = counts;
  }
}
