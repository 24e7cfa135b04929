import { FakeClock, TransientError } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { RetryBudget } from './budget.ts';
import { RetryBudgetExhaustedError } from './errors.ts';
import { RetryPolicy } from './retry.ts';

const failing = () => Promise.reject(new TransientError('down'));

describe('RetryBudget', () => {
  it('starts full; a retry takes retryCost; a success refunds up to maxTokens', () => {
    const budget = new RetryBudget({ maxTokens: 10, retryCost: 4, successRefund: 1 });
    expect(budget.tokens).toBe(10);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tokens).toBe(2);
    expect(budget.tryAcquire()).toBe(false);
    budget.recordSuccess();
    budget.recordSuccess();
    expect(budget.tryAcquire()).toBe(true);
    for (let i = 0; i < 50; i++) budget.recordSuccess();
    expect(budget.tokens).toBe(10);
  });

  it('refills with time when refillPerSecond is set', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ maxTokens: 10, retryCost: 10, refillPerSecond: 2, clock });
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
    await clock.advance(4000);
    expect(budget.tokens).toBe(8);
    expect(budget.tryAcquire()).toBe(false);
    await clock.advance(1000);
    expect(budget.tryAcquire()).toBe(true);
    await clock.advance(60_000);
    expect(budget.tokens).toBe(10);
  });

  it('validates its options', () => {
    expect(() => new RetryBudget({ maxTokens: 0 })).toThrow(/`maxTokens` to be a positive finite number, got 0/);
    expect(() => new RetryBudget({ retryCost: -1 })).toThrow(/`retryCost`/);
    expect(() => new RetryBudget({ refillPerSecond: Number.NaN })).toThrow(/`refillPerSecond`/);
  });

  it('stops a retry storm across calls: once empty, failures return at once with a typed error', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ maxTokens: 10, retryCost: 5, successRefund: 5 });
    const policy = new RetryPolicy({ clock, budget, maxAttempts: 10, initialDelay: 0 });
    let calls = 0;
    const fn = () => {
      calls++;
      return failing();
    };
    const first = policy.execute(fn).catch((e: unknown) => e);
    await clock.runAll();
    const error = (await first) as RetryBudgetExhaustedError;
    expect(calls).toBe(3); // two retries paid for, the third refused
    expect(error).toBeInstanceOf(RetryBudgetExhaustedError);
    expect(error).toMatchObject({ code: 'PW_RETRY_BUDGET_EXHAUSTED', attempts: 3, tokens: 0, cost: 5 });
    expect(error.message).toBe(
      'Retry budget exhausted after 3 attempts: 0 token(s) left, a retry costs 5; last failure: TransientError: down',
    );
    expect((error.cause as Error).message).toBe('down');

    calls = 0;
    await expect(policy.execute(fn)).rejects.toBeInstanceOf(RetryBudgetExhaustedError);
    expect(calls).toBe(1); // no retry at all while the budget is empty

    await expect(policy.execute(() => 'ok')).resolves.toBe('ok'); // a success refunds 5
    calls = 0;
    const third = policy.execute(fn).catch((e: unknown) => e);
    await clock.runAll();
    expect(await third).toBeInstanceOf(RetryBudgetExhaustedError);
    expect(calls).toBe(2);
  });
});
