import { classify, FakeClock, NonErrorThrownError, TransientError } from '@pipewright/core';
import { describe, expect, it, vi } from 'vitest';
import { seeded, sequence } from './__fixtures__/random.ts';
import { computeDelay } from './backoff.ts';
import { AttemptTimeoutError, RetryExhaustedError } from './errors.ts';
import { RetryPolicy } from './retry.ts';
import type { AttemptContext, RetryEvent } from './types.ts';
import { retry, withRetry } from './with-retry.ts';

const transient = (message = 'flaky') => Object.assign(new Error(message), { code: 'ECONNRESET' });
const fatal = () => Object.assign(new Error('syntax'), { code: '42601', severity: 'ERROR' });

/** A function that fails `failures` times with `error()`, then returns `value`, logging each call's start time. */
function flaky<T>(clock: FakeClock, failures: number, value: T, error: () => unknown = transient) {
  const starts: number[] = [];
  const fn = vi.fn(async (_context?: AttemptContext) => {
    starts.push(clock.now());
    if (starts.length <= failures) throw error();
    return value;
  });
  return { fn, starts };
}

/** Rejection helper that attaches a handler at once, so a pending rejection is never reported as unhandled. */
function settle<T>(promise: Promise<T>) {
  const result: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(result, { done: true, value }),
    (error: unknown) => Object.assign(result, { done: true, error }),
  );
  return result;
}

describe('retry: the schedule', () => {
  it('returns at once on success without touching the clock', async () => {
    const clock = new FakeClock();
    const { fn } = flaky(clock, 0, 'ok');
    await expect(retry(fn, { clock })).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('retries transient failures on the exact full-jitter schedule of a replayed random source', async () => {
    const clock = new FakeClock();
    const { fn, starts } = flaky(clock, 3, 'ok');
    const policy = new RetryPolicy({ clock, random: sequence(0.5, 0.25, 1), initialDelay: 100 });
    const delays: number[] = [];
    policy.onRetry((e) => delays.push(e.delay));
    const call = settle(policy.execute(fn));
    await clock.runAll();
    expect(call).toEqual({ done: true, value: 'ok' });
    expect(delays).toEqual([50, 50, 400]); // 0.5*100, 0.25*200, 1*400
    expect(starts).toEqual([0, 50, 100, 500]);
    expect(fn.mock.calls.map(([context]) => context?.attempt)).toEqual([1, 2, 3, 4]);
  });

  it.each(['full', 'equal', 'decorrelated'] as const)(
    'draws one random number per retry, in order, under a seeded source (%s jitter)',
    async (jitter) => {
      const clock = new FakeClock();
      const { fn, starts } = flaky(clock, 6, 'ok');
      const policy = new RetryPolicy({ clock, jitter, random: seeded(7), maxAttempts: 7, maxDelay: 5000 });
      const call = settle(policy.execute(fn));
      await clock.runAll();
      expect(call.value).toBe('ok');
      // The same seed through the formula alone gives the same schedule.
      const expected: number[] = [0];
      const random = seeded(7);
      let previous = 100;
      for (let attempt = 1; attempt <= 6; attempt++) {
        previous = computeDelay({ ...policy.options, random }, attempt, previous, null);
        expected.push((expected.at(-1) as number) + previous);
      }
      expect(starts).toEqual(expected);
    },
  );

  it('fails at once, unwrapped, on fatal and record errors (one call, no sleep)', async () => {
    const clock = new FakeClock();
    const error = fatal();
    const fn = vi.fn(async () => {
      throw error;
    });
    await expect(retry(fn, { clock })).rejects.toBe(error);
    expect(fn).toHaveBeenCalledTimes(1);
    const bad = Object.assign(new Error('bad row'), { code: '23505', severity: 'ERROR' });
    await expect(
      retry(
        () => {
          throw bad;
        },
        { clock },
      ),
    ).rejects.toBe(bad);
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives up after maxAttempts with RetryExhaustedError naming the numbers, last error as cause', async () => {
    const clock = new FakeClock();
    const { fn } = flaky(clock, 99, 'never', () => transient('still down'));
    const call = settle(retry(fn, { clock, maxAttempts: 3, backoff: 'constant', initialDelay: 200 }));
    await clock.runAll();
    const error = call.error as RetryExhaustedError;
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error).toMatchObject({ code: 'PW_RETRY_EXHAUSTED', attempts: 3, elapsed: 400, reason: 'attempts' });
    expect((error.cause as Error).message).toBe('still down');
    expect(error.message).toBe(
      'Gave up after 3 attempts in 400 ms (maxAttempts 3 reached); last failure: Error: still down',
    );
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('RetryExhaustedError classifies as its last failure, so callers upstream see a transient failure', async () => {
    const clock = new FakeClock();
    const call = settle(retry(() => Promise.reject(transient()), { clock, maxAttempts: 2 }));
    await clock.runAll();
    expect(classify(call.error)).toEqual({ kind: 'transient', reason: 'network ECONNRESET' });
  });

  it('maxAttempts 1 never retries', async () => {
    const clock = new FakeClock();
    const { fn } = flaky(clock, 1, 'ok');
    await expect(retry(fn, { clock, maxAttempts: 1 })).rejects.toMatchObject({ attempts: 1, reason: 'attempts' });
  });

  it('stops before a sleep that would cross maxElapsed, without sleeping', async () => {
    const clock = new FakeClock();
    const { fn, starts } = flaky(clock, 99, 'never');
    const call = settle(
      retry(fn, { clock, backoff: 'constant', initialDelay: 400, maxAttempts: 100, maxElapsed: 1000 }),
    );
    await clock.runAll();
    expect(starts).toEqual([0, 400, 800]); // a fourth attempt would start at 1200
    expect(call.error).toMatchObject({ reason: 'deadline', attempts: 3, elapsed: 800 });
    expect((call.error as Error).message).toMatch(/past maxElapsed 1000 ms/);
    expect(clock.now()).toBe(800);
  });
});

describe('retry: classification overrides', () => {
  it('retryOn retries what classify calls fatal; abortOn stops what it calls transient', async () => {
    const clock = new FakeClock();
    const { fn } = flaky(clock, 2, 'ok', fatal);
    const call = settle(retry(fn, { clock, retryOn: (o) => !o.ok && (o.error as Error).message === 'syntax' }));
    await clock.runAll();
    expect(call.value).toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);

    const second = flaky(clock, 5, 'ok');
    const outcomes: unknown[] = [];
    const aborted = retry(second.fn, {
      clock,
      abortOn: (o) => {
        outcomes.push(o);
        return true;
      },
    });
    await expect(aborted).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(second.fn).toHaveBeenCalledTimes(1);
    expect(outcomes).toEqual([
      {
        ok: false,
        error: expect.any(Error),
        attempt: 1,
        classification: { kind: 'transient', reason: 'network ECONNRESET' },
      },
    ]);
  });

  it('retries a returned value that retryOn rejects, honouring its Retry-After, and returns the good one', async () => {
    const clock = new FakeClock();
    const responses = [
      { status: 503, headers: { 'retry-after': '2' } },
      { status: 503, headers: { 'retry-after': '120' } },
      { status: 200, headers: {} },
    ];
    const starts: number[] = [];
    const call = settle(
      retry(
        async () => {
          starts.push(clock.now());
          return responses[starts.length - 1] as (typeof responses)[number];
        },
        { clock, maxDelay: 5000, random: () => 0, retryOn: (o) => o.ok && o.value.status === 503 },
      ),
    );
    await clock.runAll();
    expect(call.value).toEqual({ status: 200, headers: {} });
    expect(starts).toEqual([0, 2000, 7000]); // 2 s as asked, then 120 s capped by maxDelay 5 s
  });

  it('gives up on a retryable returned value with the value as cause', async () => {
    const clock = new FakeClock();
    const call = settle(retry(async () => ({ status: 503 }), { clock, maxAttempts: 2, retryOn: (o) => o.ok }));
    await clock.runAll();
    expect(call.error).toBeInstanceOf(RetryExhaustedError);
    expect((call.error as Error).cause).toEqual({ status: 503 });
  });

  it('honours Retry-After on errors (HTTP 429) and caps it by maxDelay', async () => {
    const clock = new FakeClock();
    const tooMany = () => Object.assign(new Error('429'), { status: 429, headers: { 'retry-after': '3' } });
    const { fn, starts } = flaky(clock, 2, 'ok', tooMany);
    const call = settle(retry(fn, { clock, random: () => 0, maxDelay: 10_000 }));
    await clock.runAll();
    expect(call.value).toBe('ok');
    expect(starts).toEqual([0, 3000, 6000]);

    const capped = flaky(clock, 1, 'ok', tooMany);
    const second = settle(retry(capped.fn, { clock, random: () => 0, maxDelay: 1000 }));
    await clock.runAll();
    expect(second.value).toBe('ok');
    expect(capped.starts[1]! - capped.starts[0]!).toBe(1000);
  });

  it('uses a custom classifier', async () => {
    const clock = new FakeClock();
    const { fn } = flaky(clock, 1, 'ok', () => new Error('custom'));
    const call = settle(retry(fn, { clock, classify: () => ({ kind: 'transient', reason: 'mine' }) }));
    await clock.runAll();
    expect(call.value).toBe('ok');
  });
});

describe('retry: odd failures', () => {
  it('retries non-Error throws when told to, and keeps the thrown value as cause', async () => {
    const clock = new FakeClock();
    const call = settle(
      retry(
        () => {
          throw 'plain string';
        },
        { clock, maxAttempts: 2, retryOn: () => true },
      ),
    );
    await clock.runAll();
    expect(call.error).toBeInstanceOf(RetryExhaustedError);
    expect((call.error as Error).cause).toBe('plain string');
    expect((call.error as Error).message).toMatch(/last failure: "plain string"/);
  });

  it('wraps a non-retryable non-Error throw in NonErrorThrownError', async () => {
    const error = await retry(() => Promise.reject(42)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonErrorThrownError);
    expect((error as Error).cause).toBe(42);
  });

  it('turns a synchronous throw into a rejection and retries it', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const fn = withRetry(
      (n: number): number => {
        if (++calls < 3) throw new TransientError('sync');
        return n * 2;
      },
      { clock },
    );
    let promise: Promise<number> | undefined;
    expect(() => {
      promise = fn(21);
    }).not.toThrow();
    await clock.runAll();
    await expect(promise).resolves.toBe(42);
    expect(calls).toBe(3);
  });

  it('retries a TypeError when retryOn says so (p-retry alone never would)', async () => {
    const clock = new FakeClock();
    const { fn } = flaky(clock, 2, 'ok', () => new TypeError('x is undefined'));
    const call = settle(retry(fn, { clock, retryOn: (o) => !o.ok && o.error instanceof TypeError }));
    await clock.runAll();
    expect(call.value).toBe('ok');
  });

  it('rejects a non-function and bad options as rejections', async () => {
    await expect(retry('nope' as never)).rejects.toThrow(/`fn` to be a function/);
    await expect(retry(async () => 1, { maxAttempts: -1 })).rejects.toThrow(/got -1/);
    expect(() => withRetry('nope' as never)).toThrow(/`fn` to be a function/);
  });
});

describe('retry: cancellation', () => {
  it('an abort interrupts a backoff sleep within one tick and rejects with the reason; no attempt follows', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const { fn } = flaky(clock, 99, 'never');
    const policy = new RetryPolicy({ clock, backoff: 'constant', initialDelay: 60_000, maxDelay: 60_000 });
    const gaveUp: RetryEvent[] = [];
    policy.onGiveUp((e) => gaveUp.push(e));
    const call = settle(policy.execute(fn, { signal: controller.signal }));
    await clock.advance(1000);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers).toBe(1);
    const reason = new Error('shutting down');
    controller.abort(reason);
    await clock.advance(0);
    expect(call).toEqual({ done: true, error: reason });
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(120_000);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(gaveUp).toEqual([{ attempt: 1, delay: 0, elapsed: 1000, error: expect.any(Error), reason: 'aborted' }]);
  });

  it('never starts when the signal is already aborted', async () => {
    const fn = vi.fn(async () => 1);
    const reason = new Error('already');
    await expect(retry(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it('an abort during an attempt stops the loop after it fails, with the abort reason', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const fn = vi.fn(async ({ signal }: AttemptContext) => {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('io cancelled'))));
    });
    const call = settle(retry(fn, { clock, signal: controller.signal, retryOn: () => true }));
    await clock.advance(0);
    controller.abort('stop');
    await clock.runAll();
    expect(call.error).toBe('stop');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a result that arrives after an abort during its attempt is returned, not thrown away', async () => {
    const controller = new AbortController();
    const value = await retry(
      async () => {
        controller.abort('late');
        return 'kept';
      },
      { signal: controller.signal },
    );
    expect(value).toBe('kept');
  });

  it('the per-attempt timeout aborts the attempt signal, fails it even if ignored, and retries', async () => {
    const clock = new FakeClock();
    const signals: AbortSignal[] = [];
    const fn = vi.fn(({ signal, attempt }: AttemptContext) => {
      signals.push(signal);
      return attempt === 1 ? new Promise<string>(() => {}) : Promise.resolve('second');
    });
    const call = settle(retry(fn, { clock, timeout: 500, random: () => 0 }));
    await clock.advance(499);
    expect(call.done).toBe(false);
    await clock.advance(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(AttemptTimeoutError);
    expect((signals[0]!.reason as Error).message).toBe('Attempt 1 timed out after 500 ms');
    await clock.runAll();
    expect(call.value).toBe('second');
    expect(signals[1]?.aborted).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a timeout is cut to the time left before maxElapsed', async () => {
    const clock = new FakeClock();
    const fn = vi.fn(() => new Promise<never>(() => {}));
    const call = settle(retry(fn, { clock, timeout: 1000, maxElapsed: 1500, random: () => 0 }));
    await clock.runAll();
    expect(fn).toHaveBeenCalledTimes(2);
    expect(call.error).toMatchObject({ reason: 'deadline', attempts: 2 });
    expect(clock.now()).toBe(1500); // attempt 1 0→1000, attempt 2 1000→1500 (cut), no third
  });

  it('a caller signal also aborts the timed attempt signal', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const call = settle(
      retry(
        ({ signal }) => {
          seen = signal;
          return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        },
        { clock, timeout: 1000, signal: controller.signal },
      ),
    );
    await clock.advance(10);
    controller.abort('user');
    await clock.advance(0);
    expect(seen?.reason).toBe('user');
    expect(call.error).toBe('user');
  });
});

describe('events', () => {
  it('onRetry/onGiveUp/onSuccess carry attempt, delay, elapsed and error; disposers unsubscribe', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ clock, backoff: 'constant', initialDelay: 10 });
    const events: [string, RetryEvent][] = [];
    const offRetry = policy.onRetry((e) => events.push(['retry', e]));
    policy.onSuccess((e) => events.push(['success', e]));
    const error = transient();
    let n = 0;
    const call = settle(
      policy.execute(async () => {
        if (n++ === 0) throw error;
        return 1;
      }),
    );
    await clock.runAll();
    expect(call.value).toBe(1);
    expect(events).toEqual([
      ['retry', { attempt: 1, delay: 10, elapsed: 0, error }],
      ['success', { attempt: 2, delay: 0, elapsed: 10, error: undefined }],
    ]);
    offRetry();
    n = 0;
    const again = settle(
      policy.execute(async () => {
        if (n++ === 0) throw error;
        return 2;
      }),
    );
    await clock.runAll();
    expect(again.value).toBe(2);
    expect(events.filter(([name]) => name === 'retry')).toHaveLength(1);
  });

  it('a throwing listener is logged and does not break the call', async () => {
    const warn = vi.fn();
    const logger = { warn, debug: vi.fn(), info: vi.fn(), error: vi.fn(), child: () => logger };
    const policy = new RetryPolicy({ logger });
    policy.onSuccess(() => {
      throw new Error('listener bug');
    });
    await expect(policy.execute(() => 'fine')).resolves.toBe('fine');
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ event: 'onSuccess' }), expect.any(String));
  });
});

describe('withRetry', () => {
  it('keeps this and arguments, and with passContext puts the context in the last declared parameter', async () => {
    const clock = new FakeClock();
    class Repo {
      prefix = 'row-';
      calls: AttemptContext[] = [];
      async load(id: number, context?: AttemptContext): Promise<string> {
        if (context) this.calls.push(context);
        if (this.calls.length < 2) throw transient();
        return `${this.prefix}${id}`;
      }
    }
    const repo = new Repo();
    const load = withRetry(repo.load, { clock, passContext: true });
    const call = settle(load.call(repo, 7));
    await clock.runAll();
    expect(call.value).toBe('row-7');
    expect(repo.calls.map((c) => c.attempt)).toEqual([1, 2]);
    expect(repo.calls[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it('by default leaves optional parameters alone (pool.query(text, values, callback) stays promise-style)', async () => {
    const seen: unknown[][] = [];
    function query(text: string, values?: unknown[], callback?: (error: Error | null) => void): Promise<number> {
      seen.push([text, values, callback]);
      return Promise.resolve(1);
    }
    await expect(withRetry(query)('SELECT 1', [])).resolves.toBe(1);
    expect(seen).toEqual([['SELECT 1', [], undefined]]);
    const placed: unknown[][] = [];
    const withContext = withRetry(
      (a: number, b?: number, context?: AttemptContext) => {
        placed.push([a, b, context?.attempt]);
        return a;
      },
      { passContext: true },
    );
    await withContext(1);
    await withContext(1, 2);
    expect(placed).toEqual([
      [1, undefined, 1],
      [1, 2, 1],
    ]);
    expect(() => withRetry(query, { passContext: 'yes' as never })).toThrow(/`passContext` to be a boolean/);
  });

  it('does not pass a context to a function that declares no slot for it', async () => {
    const seen: unknown[][] = [];
    const fn = withRetry((...args: unknown[]) => {
      seen.push(args);
      return args.length;
    });
    await expect(fn(1, 2)).resolves.toBe(2);
    expect(seen).toEqual([[1, 2]]);
  });

  it('accepts a ready RetryPolicy and shares it', async () => {
    const policy = new RetryPolicy();
    const successes: number[] = [];
    policy.onSuccess((e) => successes.push(e.attempt));
    const double = withRetry(async (n: number) => n * 2, policy);
    await expect(double(4)).resolves.toBe(8);
    expect(successes).toEqual([1]);
  });
});
