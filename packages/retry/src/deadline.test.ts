import { FakeClock, TransientError } from '@pipewright/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seeded } from './__fixtures__/random.ts';
import { RetryExhaustedError } from './errors.ts';
import { RetryPolicy } from './retry.ts';

describe('maxElapsed (property)', () => {
  it('no attempt starts and no sleep ends past the deadline, and every delay stays within [0, maxDelay]', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer(),
          initialDelay: fc.integer({ min: 0, max: 2_000 }),
          extraDelay: fc.integer({ min: 0, max: 20_000 }),
          maxElapsed: fc.integer({ min: 0, max: 60_000 }),
          maxAttempts: fc.integer({ min: 1, max: 30 }),
          jitter: fc.constantFrom('full', 'equal', 'decorrelated', 'none' as const),
          backoff: fc.constantFrom('exponential', 'linear', 'constant' as const),
          // How long each attempt takes before it fails (the fake clock moves by that much).
          durations: fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 30 }),
          failures: fc.integer({ min: 0, max: 40 }),
        }),
        async (p) => {
          const clock = new FakeClock(1_000_000);
          const start = clock.now();
          const policy = new RetryPolicy({
            clock,
            random: seeded(p.seed),
            initialDelay: p.initialDelay,
            maxDelay: p.initialDelay + p.extraDelay,
            maxElapsed: p.maxElapsed,
            maxAttempts: p.maxAttempts,
            jitter: p.jitter,
            backoff: p.backoff,
          });
          const delays: number[] = [];
          const sleepEnds: number[] = [];
          policy.onRetry((e) => {
            delays.push(e.delay);
            sleepEnds.push(e.elapsed + e.delay);
          });
          const starts: number[] = [];
          let settled: { value?: string; error?: unknown } | undefined;
          policy
            .execute(async ({ attempt }) => {
              starts.push(clock.now() - start);
              await clock.sleep(p.durations[(attempt - 1) % p.durations.length] as number);
              if (attempt <= p.failures) throw new TransientError(`attempt ${attempt}`);
              return 'ok';
            })
            .then(
              (value) => {
                settled = { value };
              },
              (error: unknown) => {
                settled = { error };
              },
            );
          await clock.runAll();
          expect(settled).toBeDefined();
          // The first attempt always starts; every later one starts strictly before the deadline.
          for (const at of starts.slice(1)) expect(at).toBeLessThan(p.maxElapsed);
          expect(starts.length).toBeLessThanOrEqual(p.maxAttempts);
          // No sleep was scheduled to end at or past the deadline.
          for (const end of sleepEnds) expect(end).toBeLessThan(p.maxElapsed);
          for (const delay of delays) {
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(p.initialDelay + p.extraDelay);
          }
          if (settled?.error !== undefined) {
            const error = settled.error as RetryExhaustedError;
            expect(error).toBeInstanceOf(RetryExhaustedError);
            expect(error.attempts).toBe(starts.length);
            if (error.reason === 'attempts') expect(starts.length).toBe(p.maxAttempts);
          } else {
            expect(settled?.value).toBe('ok');
            expect(starts.length).toBe(p.failures + 1);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
