import { type Classifier, classify as coreClassify, InvalidOptionError } from '@pipewright/core';
import { BatchAbortedError, type BatchCounts, ErrorRateExceededError } from './errors.ts';
import type { DeadLetterInput, SendResult } from './types.ts';

/** Anything with `execute(fn)`: a `@pipewright/retry` or cockatiel policy, or your own. */
export interface RetryPolicyLike {
  execute<R>(fn: () => Promise<R>): Promise<R>;
}

export interface ProcessBatchOptions<T> {
  /** Where failed records go: any object with `sendMany` (both queues qualify). */
  dlq: { sendMany(inputs: readonly DeadLetterInput<T>[]): Promise<SendResult[]> };
  pipeline: string;
  /** @default '' */
  step?: string;
  runId?: string;
  /** Highest tolerated share of dead-lettered records, 0…1; a rate exactly equal to it passes. */
  maxErrorRate: number;
  /** Batches with fewer records never fail on the rate (one bad record in three is noise). @default 1 */
  minRecords?: number;
  /** Retries transient failures: `retry.execute(() => fn(record))`. @default no retry */
  retry?: RetryPolicyLike;
  /** Decides transient / record / fatal. @default core's `classify` */
  classify?: Classifier;
  /** Source coordinates of a record (also its idempotency key in the queue). */
  source?: (record: T, index: number) => Record<string, unknown>;
  /** Records (or chunks) in flight at once. @default 1 */
  concurrency?: number;
  /**
   * Process `size` records per call of `run` (e.g. one multi-row INSERT); when a chunk fails with a non-fatal
   * error, its records are re-run one by one through `fn` to isolate the bad ones. `run` must be all-or-nothing
   * (a transaction) or idempotent. @default one record at a time
   */
  chunk?: { size: number; run: (records: readonly T[], offset: number) => Promise<unknown> | unknown };
}

export interface ProcessBatchResult extends BatchCounts {
  /** `deadLettered / in` (0 for an empty batch). */
  errorRate: number;
}

/**
 * Runs `fn` on every record in isolation (or `chunk.run` per chunk, isolating a failed chunk's records). A `record` failure (or a `transient` one that outlived the retry
 * policy) is dead-lettered and the batch goes on; a `fatal` one stops the batch. Failed records are sent to the
 * queue in one `sendMany` before anything is thrown, so nothing is lost either way. Above `maxErrorRate` it
 * throws `ErrorRateExceededError`. Counts always add up: `in = succeeded + deadLettered + unprocessed`.
 */
export async function processBatch<T>(
  records: readonly T[],
  fn: (record: T, index: number) => Promise<unknown> | unknown,
  options: ProcessBatchOptions<T>,
): Promise<ProcessBatchResult> {
  if (!Array.isArray(records)) throw new InvalidOptionError('records', 'an array', records);
  if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function', fn);
  if (!options?.dlq || typeof options.dlq.sendMany !== 'function') {
    throw new InvalidOptionError('dlq', 'a dead-letter queue (an object with sendMany)', options?.dlq);
  }
  if (typeof options.pipeline !== 'string' || options.pipeline.length === 0) {
    throw new InvalidOptionError('pipeline', 'a non-empty string', options.pipeline);
  }
  const { maxErrorRate } = options;
  if (typeof maxErrorRate !== 'number' || !(maxErrorRate >= 0 && maxErrorRate <= 1)) {
    throw new InvalidOptionError('maxErrorRate', 'a number between 0 and 1', maxErrorRate);
  }
  const minRecords = options.minRecords ?? 1;
  if (!Number.isInteger(minRecords) || minRecords < 0) {
    throw new InvalidOptionError('minRecords', 'a non-negative integer', options.minRecords);
  }
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidOptionError('concurrency', 'a positive integer', options.concurrency);
  }
  if (options.retry !== undefined && typeof options.retry.execute !== 'function') {
    throw new InvalidOptionError('retry', 'a policy with execute(fn)', options.retry);
  }
  const chunk = options.chunk;
  if (chunk !== undefined && (!Number.isInteger(chunk.size) || chunk.size < 1 || typeof chunk.run !== 'function')) {
    throw new InvalidOptionError('chunk', 'an object { size: positive integer, run: function }', chunk);
  }
  const classify = options.classify ?? coreClassify;
  const size = chunk?.size ?? 1;
  const failed: DeadLetterInput<T>[] = [];
  let succeeded = 0;
  let next = 0;
  let fatal: { error: unknown } | undefined;

  const attempt = (call: () => unknown): Promise<unknown> =>
    options.retry ? options.retry.execute(async () => call()) : Promise.resolve().then(call);
  /** Returns false when the error is fatal (the batch stops). */
  const failedWith = (error: unknown): boolean => {
    if (classify(error).kind !== 'fatal') return true;
    fatal ??= { error };
    return false;
  };

  const runRecord = async (index: number): Promise<boolean> => {
    const record = records[index] as T;
    try {
      await attempt(() => fn(record, index));
      succeeded++;
      return true;
    } catch (error) {
      if (!failedWith(error)) return false;
      const { pipeline, step, runId } = options;
      failed.push({ record, error, pipeline, step, runId, source: options.source?.(record, index) });
      return true;
    }
  };

  const worker = async (): Promise<void> => {
    while (fatal === undefined && next < records.length) {
      const start = next;
      next = Math.min(records.length, start + size);
      if (chunk) {
        try {
          await attempt(() => chunk.run(records.slice(start, next), start));
          succeeded += next - start;
          continue;
        } catch (error) {
          if (!failedWith(error)) return; // the whole chunk counts as unprocessed
        }
      }
      // One at a time: the default, and how a failed chunk finds its bad records.
      for (let index = start, end = next; index < end; index++) {
        if (fatal !== undefined || !(await runRecord(index))) return;
      }
    }
  };
  const units = Math.ceil(records.length / size);
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(units, 1)) }, worker));

  if (failed.length > 0) await options.dlq.sendMany(failed);
  const counts: BatchCounts = {
    in: records.length,
    succeeded,
    deadLettered: failed.length,
    unprocessed: records.length - succeeded - failed.length,
  };
  if (fatal) throw new BatchAbortedError(counts, fatal.error);
  const errorRate = counts.in === 0 ? 0 : counts.deadLettered / counts.in;
  if (counts.in >= minRecords && errorRate > maxErrorRate) {
    throw new ErrorRateExceededError(counts, errorRate, maxErrorRate);
  }
  return { ...counts, errorRate };
}
