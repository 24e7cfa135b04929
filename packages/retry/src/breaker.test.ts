import { FakeClock, TransientError } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.ts';
import { BrokenCircuitError } from './errors.ts';
import type { BreakerEvent } from './types.ts';

const fail = () => Promise.reject(new TransientError('down'));
const ok = () => Promise.resolve('ok');

function recorder(breaker: CircuitBreaker) {
  const events: [string, BreakerEvent][] = [];
  breaker.onBreak((e) => events.push(['break', e]));
  breaker.onHalfOpen((e) => events.push(['half-open', e]));
  breaker.onReset((e) => events.push(['reset', e]));
  return events;
}

describe('CircuitBreaker: consecutive failures', () => {
  it('opens after N failures in a row, refuses without calling, then half-opens, probes and closes', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 3, halfOpenAfter: 1000, clock });
    const events = recorder(breaker);
    await expect(breaker.execute(fail)).rejects.toThrow('down');
    await expect(breaker.execute(ok)).resolves.toBe('ok'); // a success resets the streak
    for (let i = 0; i < 3; i++) await expect(breaker.execute(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    let called = false;
    const refused = await breaker
      .execute(() => {
        called = true;
        return 1;
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect(refused).toMatchObject({ code: 'PW_BROKEN_CIRCUIT', state: 'open', retryAfterMs: 1000 });
    expect((refused as Error).message).toBe('Circuit is open: calls are refused for another 1000 ms');
    expect(((refused as Error).cause as Error).message).toBe('down');

    await clock.advance(999);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    await clock.advance(1);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(events.map(([name, e]) => [name, e.from, e.to, e.elapsed, e.delay])).toEqual([
      ['break', 'closed', 'open', 0, 1000],
      ['half-open', 'open', 'half-open', 1000, 0],
      ['reset', 'half-open', 'closed', 0, 0],
    ]);
    expect(events[0]?.[1].error).toBeInstanceOf(TransientError);
  });

  it('a failed probe opens it again for another cool-down', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, halfOpenAfter: 500, clock });
    const events = recorder(breaker);
    await expect(breaker.execute(fail)).rejects.toThrow('down');
    await clock.advance(500);
    await expect(breaker.execute(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(events.map(([name, e]) => `${name}:${e.from}`)).toEqual([
      'break:closed',
      'half-open:open',
      'break:half-open',
    ]);
  });

  it('half-open admits N probes at once and closes after M successes', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({
      consecutiveFailures: 1,
      halfOpenAfter: 100,
      halfOpenProbes: 2,
      successesToClose: 3,
      clock,
    });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(100);
    const gates: (() => void)[] = [];
    const slow = () => new Promise<string>((resolve) => gates.push(() => resolve('probe')));
    const a = breaker.execute(slow);
    const b = breaker.execute(slow);
    const refused = await breaker.execute(ok).catch((e: unknown) => e);
    expect(refused).toMatchObject({ state: 'half-open', retryAfterMs: 0 });
    expect((refused as Error).message).toMatch(/half-open and every probe slot is taken/);
    for (const open of gates) open();
    await expect(Promise.all([a, b])).resolves.toEqual(['probe', 'probe']);
    expect(breaker.state).toBe('half-open'); // 2 of 3 successes
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('does not count record errors or the caller cancelling', async () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1 });
    const badRow = Object.assign(new Error('dup'), { code: '23505', severity: 'ERROR' });
    await expect(breaker.execute(() => Promise.reject(badRow))).rejects.toBe(badRow);
    const controller = new AbortController();
    controller.abort();
    await expect(breaker.execute(fail, { signal: controller.signal })).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    const custom = new CircuitBreaker({ consecutiveFailures: 1, isFailure: () => false });
    await expect(custom.execute(fail)).rejects.toThrow();
    expect(custom.state).toBe('closed');
  });

  it('ignores the late outcome of a call admitted before the circuit changed state', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, halfOpenAfter: 10, clock });
    let release: (() => void) | undefined;
    const late = breaker.execute(() => new Promise<void>((_, reject) => (release = () => reject(new Error('late')))));
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(10);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    release?.();
    await expect(late).rejects.toThrow('late');
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: failure ratio over a sliding window', () => {
  it('waits for minThroughput, opens at the ratio, and forgets failures that left the window', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({
      failureRatio: { threshold: 0.5, windowMs: 10_000, minThroughput: 4, buckets: 5 },
      clock,
    });
    for (let i = 0; i < 3; i++) await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('closed'); // 3 of 3 failed, but only 3 calls
    await clock.advance(10_000); // those three slide out
    await breaker.execute(ok);
    await breaker.execute(ok);
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('closed'); // 1 of 3
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('open'); // 2 of 4 = 0.5
  });

  it('exports and restores its state, window included', async () => {
    const clock = new FakeClock(50_000);
    const options = { failureRatio: { threshold: 0.6, windowMs: 1000, minThroughput: 5 }, halfOpenAfter: 200, clock };
    const breaker = new CircuitBreaker(options);
    await breaker.execute(ok);
    for (let i = 0; i < 3; i++) await breaker.execute(fail).catch(() => {});
    const snapshot = JSON.parse(JSON.stringify(breaker));
    expect(snapshot).toEqual({
      state: 'closed',
      since: 50_000,
      consecutiveFailures: 0,
      halfOpenSuccesses: 0,
      window: [[500, 1, 3]],
    });
    const twin = new CircuitBreaker(options);
    twin.restore(snapshot);
    await twin.execute(fail).catch(() => {}); // 4 of 5 → opens only if the 4 restored calls count
    expect(twin.state).toBe('open');
    const open = twin.toJSON();
    const third = new CircuitBreaker(options);
    third.restore(open);
    await expect(third.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    await clock.advance(200);
    await expect(third.execute(ok)).resolves.toBe('ok');
    expect(third.state).toBe('closed');
  });

  it('refuses a malformed snapshot and bad options', () => {
    const breaker = new CircuitBreaker();
    expect(() => breaker.restore({ state: 'ajar' } as never)).toThrow(/`snapshot`/);
    expect(() => breaker.restore({ state: 'open', since: 'x' } as never)).toThrow(/`snapshot.since`/);
    expect(() => new CircuitBreaker({ consecutiveFailures: 0 })).toThrow(
      /`consecutiveFailures` to be a positive integer/,
    );
    expect(() => new CircuitBreaker({ failureRatio: { threshold: 1.5 } })).toThrow(/`failureRatio.threshold`/);
    expect(() => new CircuitBreaker({ failureRatio: null as never })).toThrow(/`failureRatio` to be an object/);
    expect(() => new CircuitBreaker({ consecutiveFailures: 2, failureRatio: { threshold: 0.5 } })).toThrow(
      /choose one/,
    );
    expect(() => new CircuitBreaker({ halfOpenAfter: -1 })).toThrow(/`halfOpenAfter`/);
    expect(() => new CircuitBreaker({ isFailure: 1 as never })).toThrow(/`isFailure`/);
  });
});
