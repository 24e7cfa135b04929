import { FakeClock, FatalError, TransientError } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.ts';
import { AttemptTimeoutError, BrokenCircuitError } from './errors.ts';
import { RetryPolicy } from './retry.ts';
import { TimeoutPolicy } from './timeout.ts';
import type { AttemptContext, Policy } from './types.ts';
import { withRetry } from './with-retry.ts';
import { wrap } from './wrap.ts';

/** A policy that logs when calls enter and leave it, to observe nesting. */
function tracer(name: string, log: string[]): Policy {
  return {
    async execute(fn, options) {
      log.push(`${name}>${options?.attempt ?? '-'}`);
      try {
        return await fn({ signal: options?.signal ?? new AbortController().signal, attempt: options?.attempt ?? 1 });
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

describe('wrap', () => {
  it('runs the first policy outermost and hands the attempt context inward', async () => {
    const log: string[] = [];
    const seen: AttemptContext[] = [];
    const policy = wrap(tracer('a', log), tracer('b', log), tracer('c', log));
    const fn = (context: AttemptContext) => {
      seen.push(context);
      return 'done';
    };
    await expect(policy.execute(fn, { attempt: 7 })).resolves.toBe('done');
    expect(log).toEqual(['a>7', 'b>7', 'c>7', '<c', '<b', '<a']);
    expect(seen[0]?.attempt).toBe(7);
  });

  it('wrap(retry, breaker, timeout): each attempt is timed, counted by the breaker, and an open circuit stops retrying', async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ clock, maxAttempts: 10, backoff: 'constant', initialDelay: 100 });
    const breaker = new CircuitBreaker({ consecutiveFailures: 3, halfOpenAfter: 60_000, clock });
    const policy = wrap(retry, breaker, new TimeoutPolicy(1000, { clock }));
    const attempts: number[] = [];
    const call = policy
      .execute(({ attempt }) => {
        attempts.push(attempt);
        return new Promise(() => {}); // hangs: only the timeout ends it
      })
      .catch((e: unknown) => e);
    await clock.runAll();
    const error = await call;
    expect(attempts).toEqual([1, 2, 3]); // 3 timeouts opened the circuit; the 4th attempt was refused
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect((error as Error).cause).toBeInstanceOf(AttemptTimeoutError);
    expect(clock.now()).toBe(3 * 1000 + 3 * 100);
  });

  it('the breaker option behaves like wrap(retry, breaker)', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, halfOpenAfter: 1000, clock });
    const events: string[] = [];
    breaker.onBreak(() => events.push('break'));
    breaker.onReset(() => events.push('reset'));
    let calls = 0;
    const fetchRow = withRetry(
      async (fail: boolean) => {
        calls++;
        if (fail) throw new TransientError('down');
        return 'row';
      },
      { clock, breaker, maxAttempts: 5, initialDelay: 10 },
    );
    const failed = fetchRow(true).catch((e: unknown) => e);
    await clock.runAll();
    expect(await failed).toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(2);
    const refused = await fetchRow(false).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(2); // refused at once: not called, not retried
    await clock.advance(1000);
    await expect(fetchRow(false)).resolves.toBe('row');
    expect(events).toEqual(['break', 'reset']);
    expect(() => withRetry(async () => 1, { breaker: {} as never })).toThrow(/`breaker` to be a CircuitBreaker/);
    const strict = new CircuitBreaker({ consecutiveFailures: 1, clock });
    const syncThrow = withRetry(
      (): string => {
        throw new FatalError('sync');
      },
      { clock, breaker: strict },
    );
    await expect(syncThrow()).rejects.toThrow('sync');
    expect(strict.state).toBe('open'); // a synchronous throw is counted too
  });

  it('wrap(breaker, retry): the breaker sees one outcome per call, after all its retries', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, clock });
    const retry = new RetryPolicy({ clock, maxAttempts: 3, initialDelay: 0 });
    const policy = wrap(breaker, retry);
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new TransientError('down'));
    };
    for (let i = 0; i < 2; i++) {
      const call = policy.execute(failing).catch((e: unknown) => e);
      await clock.runAll();
      await call;
    }
    expect(calls).toBe(6);
    expect(breaker.state).toBe('open');
    await expect(policy.execute(failing)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(6);
  });

  it('withRetry accepts a composed policy and keeps this and arguments', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock });
    const obj = {
      base: 10,
      add(n: number, context?: AttemptContext) {
        return Promise.resolve(this.base + n + (context?.attempt ?? 0));
      },
    };
    const add = obj.add;
    obj.add = withRetry(add, wrap(new RetryPolicy({ clock }), breaker), { passContext: true });
    await expect(obj.add(5)).resolves.toBe(16);
    obj.add = withRetry(add, wrap(new RetryPolicy({ clock }), breaker));
    await expect(obj.add(5)).resolves.toBe(15); // no context unless asked for
    expect(() => withRetry(add, breaker, { passContext: 1 as never })).toThrow(/`passContext` to be a boolean/);
  });

  it('refuses no policies or a non-policy', () => {
    expect(() => wrap()).toThrow(/`policies` to be at least one policy/);
    expect(() => wrap({} as Policy)).toThrow(/`policies\[0\]`/);
    expect(() => new TimeoutPolicy(0)).toThrow(/`timeout`/);
  });
});

describe('TimeoutPolicy', () => {
  it('passes a result through and clears its timer', async () => {
    const clock = new FakeClock();
    await expect(new TimeoutPolicy(50, { clock }).execute(() => 'fast')).resolves.toBe('fast');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a synchronous throw as is', async () => {
    const clock = new FakeClock();
    const error = new Error('sync');
    await expect(
      new TimeoutPolicy(50, { clock }).execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('breaker and timeout options together', () => {
  it('the breaker counts a timed-out attempt at once, even if the function never settles', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, halfOpenAfter: 10_000, clock });
    let calls = 0;
    const hang = withRetry(
      () => {
        calls++;
        return new Promise<never>(() => {});
      },
      { clock, breaker, timeout: 100, maxAttempts: 5, initialDelay: 10, random: () => 1 },
    );
    const call = hang().catch((e: unknown) => e);
    await clock.advance(100);
    expect(breaker.state).toBe('closed');
    await clock.advance(10 + 100);
    expect(breaker.state).toBe('open'); // two timeouts, counted as they fired
    await clock.runAll();
    expect(await call).toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(2);
  });
});
