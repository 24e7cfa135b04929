import type { Clock } from '@pipewright/core';
import { FakeClock, TransientError } from '@pipewright/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.ts';
import { RetryBudget } from './budget.ts';
import { withRetry } from './with-retry.ts';

/** A FakeClock that counts reads and timers, to prove what the success path does not do. */
class CountingClock extends FakeClock implements Clock {
  reads = 0;
  timers = 0;
  override now(): number {
    this.reads++;
    return super.now();
  }
  override setTimer(fn: () => void, ms: number): () => void {
    this.timers++;
    return super.setTimer(fn, ms);
  }
}

const RealAbortController = globalThis.AbortController;
let controllers = 0;
afterEach(() => {
  globalThis.AbortController = RealAbortController;
});
function countControllers(): void {
  controllers = 0;
  globalThis.AbortController = class extends RealAbortController {
    constructor() {
      super();
      controllers++;
    }
  };
}

describe('the success path', () => {
  it('creates no timer or AbortController and reads no clock, with or without budget and breaker', async () => {
    const clock = new CountingClock();
    const plain = withRetry(async (n: number) => n + 1, { clock, maxAttempts: 5 });
    const guarded = withRetry(async (n: number) => n + 1, {
      clock,
      budget: new RetryBudget({ clock }),
      breaker: new CircuitBreaker({ clock }),
    });
    const reads = clock.reads; // the breaker reads the clock once when it is built
    countControllers();
    for (let i = 0; i < 100; i++) {
      expect(await plain(i)).toBe(i + 1);
      expect(await guarded(i)).toBe(i + 1);
    }
    expect({ reads: clock.reads - reads, timers: clock.timers, controllers }).toEqual({
      reads: 0,
      timers: 0,
      controllers: 0,
    });
  });

  it('a timeout costs exactly one AbortController and one timer per attempt', async () => {
    const clock = new CountingClock();
    const timed = withRetry(async (n: number) => n, { clock, timeout: 1000 });
    countControllers();
    for (let i = 0; i < 10; i++) await timed(i);
    expect({ timers: clock.timers, controllers }).toEqual({ timers: 10, controllers: 10 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('after a failure the clock is read and the loop takes over', async () => {
    const clock = new CountingClock();
    let calls = 0;
    const flaky = withRetry(
      async () => {
        if (++calls === 1) throw new TransientError('once');
        return 'ok';
      },
      { clock, initialDelay: 10, random: () => 1 },
    );
    const result = flaky();
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
    expect(clock.reads).toBeGreaterThan(0);
    expect(clock.timers).toBe(1); // the one backoff sleep
  });
});
