import { FatalError, RecordError, TransientError } from '@pipewright/core';
import {
  BatchAbortedError,
  createRedisDeadLetterQueue,
  type DeadLetterQueue,
  ErrorRateExceededError,
  processBatch,
} from '@pipewright/dlq';
import { ConstantBackoff, handleAll, retry } from 'cockatiel';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../test/helpers/redis.ts';

const r = useTestRedis();
let queues = 0;

async function freshQueue(): Promise<DeadLetterQueue> {
  const dlq = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: `batch-${++queues}` });
  await dlq.setup();
  return dlq;
}

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const failFor =
  (bad: ReadonlySet<number>) =>
  (i: number): void => {
    if (bad.has(i)) throw new RecordError(`record ${i} is bad`);
  };

describe('processBatch', () => {
  it.each([
    { total: 100, max: 0.05, failures: 5, passes: true },
    { total: 100, max: 0.05, failures: 6, passes: false },
    { total: 10, max: 0.1, failures: 1, passes: true },
    { total: 10, max: 0.1, failures: 2, passes: false },
    { total: 20, max: 0, failures: 0, passes: true },
    { total: 20, max: 0, failures: 1, passes: false },
  ])(
    '$failures of $total failing against maxErrorRate $max: passes=$passes, and every failure is dead-lettered first',
    async ({ total, max, failures, passes }) => {
      const dlq = await freshQueue();
      const bad = new Set(ids(failures).map((i) => i * 3));
      const run = processBatch(ids(total), failFor(bad), {
        dlq,
        pipeline: 'orders',
        step: 'load',
        runId: 'run-7',
        maxErrorRate: max,
        source: (i) => ({ table: 'orders', key: i }),
      });
      if (passes) {
        expect(await run).toEqual({
          in: total,
          succeeded: total - failures,
          deadLettered: failures,
          unprocessed: 0,
          errorRate: failures / total,
        });
      } else {
        const error = (await run.catch((e: unknown) => e)) as ErrorRateExceededError;
        expect(error).toBeInstanceOf(ErrorRateExceededError);
        expect(error.code).toBe('PW_DLQ_ERROR_RATE');
        expect(error.counts).toEqual({
          in: total,
          succeeded: total - failures,
          deadLettered: failures,
          unprocessed: 0,
        });
        expect(error.errorRate).toBe(failures / total);
      }
      expect(await dlq.count({ runId: 'run-7', state: 'pending' })).toBe(failures);
      expect((await dlq.runRate('run-7', total)).rate).toBe(failures / total);
      const stored = await dlq.list();
      expect(stored.map((e) => e.record).sort((a, b) => (a as number) - (b as number))).toEqual([...bad]);
      if (failures > 0)
        expect(stored[0]).toMatchObject({ pipeline: 'orders', step: 'load', error: { kind: 'record' } });
    },
  );

  it('does not fail small batches below minRecords', async () => {
    const dlq = await freshQueue();
    const options = { dlq, pipeline: 'p', maxErrorRate: 0.05 };
    expect(await processBatch(ids(3), failFor(new Set([0])), { ...options, minRecords: 4 })).toMatchObject({
      deadLettered: 1,
    });
    await expect(processBatch(ids(3), failFor(new Set([1])), { ...options, minRecords: 3 })).rejects.toBeInstanceOf(
      ErrorRateExceededError,
    );
    expect(await dlq.count()).toBe(2);
  });

  it('stops at a fatal error after dead-lettering the failures before it', async () => {
    const dlq = await freshQueue();
    const error = (await processBatch(
      ids(6),
      (i) => {
        if (i === 1) throw new RecordError('bad');
        if (i === 3) throw new FatalError('credentials revoked');
      },
      { dlq, pipeline: 'p', maxErrorRate: 1 },
    ).catch((e: unknown) => e)) as BatchAbortedError;
    expect(error).toBeInstanceOf(BatchAbortedError);
    expect(error.counts).toEqual({ in: 6, succeeded: 2, deadLettered: 1, unprocessed: 3 });
    expect((error.cause as Error).message).toBe('credentials revoked');
    expect(await dlq.count()).toBe(1);
  });

  it('retries transient failures through a user-supplied policy (cockatiel here), dead-letters them without one', async () => {
    const dlq = await freshQueue();
    const attempts = new Map<number, number>();
    const flaky = (i: number): void => {
      const n = (attempts.get(i) ?? 0) + 1;
      attempts.set(i, n);
      if (i % 2 === 0 && n < 3) throw new TransientError(`timeout on ${i}`);
    };
    const policy = retry(handleAll, { maxAttempts: 3, backoff: new ConstantBackoff(0) });
    expect(await processBatch(ids(6), flaky, { dlq, pipeline: 'p', maxErrorRate: 0, retry: policy })).toMatchObject({
      succeeded: 6,
      deadLettered: 0,
    });
    expect(attempts.get(0)).toBe(3);
    attempts.clear();
    const result = await processBatch(ids(6), flaky, { dlq, pipeline: 'p', maxErrorRate: 1, concurrency: 3 });
    expect(result).toMatchObject({ in: 6, succeeded: 3, deadLettered: 3 });
    expect((await dlq.list())[0]?.error.kind).toBe('transient');
  });

  it('rejects when the queue cannot take the failures: never a silent loss', async () => {
    const broken = { sendMany: () => Promise.reject(new Error('queue down')) };
    await expect(
      processBatch([1], () => Promise.reject(new RecordError('bad')), { dlq: broken, pipeline: 'p', maxErrorRate: 1 }),
    ).rejects.toThrow('queue down');
  });

  it('validates its options', async () => {
    const dlq = await freshQueue();
    const fn = (): void => undefined;
    await expect(processBatch([], fn, { dlq, pipeline: 'p', maxErrorRate: 1.5 })).rejects.toThrow(/maxErrorRate/);
    await expect(processBatch([], fn, { dlq: {} as never, pipeline: 'p', maxErrorRate: 0 })).rejects.toThrow(/dlq/);
    await expect(processBatch([], fn, { dlq, pipeline: '', maxErrorRate: 0 })).rejects.toThrow(/pipeline/);
    await expect(processBatch('x' as never, fn, { dlq, pipeline: 'p', maxErrorRate: 0 })).rejects.toThrow(/records/);
    await expect(processBatch([], fn, { dlq, pipeline: 'p', maxErrorRate: 0, minRecords: -1 })).rejects.toThrow(
      /minRecords/,
    );
    await expect(processBatch([], fn, { dlq, pipeline: 'p', maxErrorRate: 0, concurrency: 0 })).rejects.toThrow(
      /concurrency/,
    );
    expect(await processBatch([], fn, { dlq, pipeline: 'p', maxErrorRate: 0 })).toMatchObject({ in: 0, errorRate: 0 });
  });

  it('always adds up: in = succeeded + deadLettered', async () => {
    const sent: unknown[] = [];
    const sink = {
      sendMany: async (inputs: readonly unknown[]) => {
        sent.push(...inputs);
        return [];
      },
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), async (fails, c) => {
        sent.length = 0;
        const result = await processBatch(fails, (f) => (f ? Promise.reject(new RecordError('x')) : undefined), {
          dlq: sink,
          pipeline: 'p',
          maxErrorRate: 1,
          concurrency: c,
        });
        expect(result.in).toBe(result.succeeded + result.deadLettered);
        expect(result.deadLettered).toBe(fails.filter(Boolean).length);
        expect(sent).toHaveLength(result.deadLettered);
      }),
      { numRuns: 50 },
    );
  });
});

describe('processBatch with chunks', () => {
  it('runs whole chunks, and isolates the bad records of a failed chunk one by one', async () => {
    const dlq = await freshQueue();
    const calls: string[] = [];
    const result = await processBatch(
      ids(10),
      (i) => {
        calls.push(`one:${i}`);
        if (i === 5) throw new RecordError('bad 5');
      },
      {
        dlq,
        pipeline: 'p',
        maxErrorRate: 0.1,
        chunk: {
          size: 4,
          run: (chunk, offset) => {
            calls.push(`chunk:${offset}`);
            if (chunk.includes(5)) throw new RecordError('a record in this chunk is bad');
          },
        },
      },
    );
    expect(result).toMatchObject({ in: 10, succeeded: 9, deadLettered: 1, errorRate: 0.1 });
    expect(calls).toEqual(['chunk:0', 'chunk:4', 'one:4', 'one:5', 'one:6', 'one:7', 'chunk:8']);
    expect((await dlq.list()).map((e) => [e.record, e.error.message])).toEqual([[5, 'bad 5']]);
  });

  it('stops on a fatal chunk and counts its records as unprocessed', async () => {
    const dlq = await freshQueue();
    const error = (await processBatch(ids(10), () => undefined, {
      dlq,
      pipeline: 'p',
      maxErrorRate: 1,
      chunk: {
        size: 3,
        run: (_chunk, offset) => {
          if (offset === 3) throw new FatalError('disk full');
        },
      },
    }).catch((e: unknown) => e)) as BatchAbortedError;
    expect(error.counts).toEqual({ in: 10, succeeded: 3, deadLettered: 0, unprocessed: 7 });
    await expect(
      processBatch([1], () => undefined, { dlq, pipeline: 'p', maxErrorRate: 1, chunk: { size: 0, run: () => 1 } }),
    ).rejects.toThrow(/chunk/);
  });
});
