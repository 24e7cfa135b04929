import { InvalidOptionError } from '@pipewright/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sequence } from './__fixtures__/random.ts';
import type { BackoffSettings } from './backoff.ts';
import { computeDelay } from './backoff.ts';
import { resolveRetryOptions } from './options.ts';

const settings = (over: Partial<BackoffSettings>): BackoffSettings => ({
  backoff: 'exponential',
  jitter: 'full',
  factor: 2,
  initialDelay: 100,
  maxDelay: 1000,
  random: () => 0.5,
  ...over,
});

function schedule(s: BackoffSettings, retries: number): number[] {
  const out: number[] = [];
  let previous = s.initialDelay;
  for (let attempt = 1; attempt <= retries; attempt++) {
    previous = computeDelay(s, attempt, previous, new Error('x'));
    out.push(previous);
  }
  return out;
}

describe('computeDelay: exact schedules under a replayed random source', () => {
  it('exponential with full jitter scales random(0, base), base doubling and capped', () => {
    // bases 100, 200, 400, 800, 1000(cap), 1000
    expect(schedule(settings({ random: sequence(0.5, 0.25, 1, 0, 0.5, 0.9) }), 6)).toEqual([50, 50, 400, 0, 500, 900]);
  });

  it('equal jitter keeps at least half the base', () => {
    expect(schedule(settings({ jitter: 'equal', random: sequence(0, 0.5, 1) }), 3)).toEqual([50, 150, 400]);
  });

  it('decorrelated jitter draws between initialDelay and three times the previous delay', () => {
    // 100 + r*(300-100) = 200; 100 + 0.5*(600-100) = 350; 100 + 1*(1050-100) = 1050 → capped 1000
    expect(schedule(settings({ jitter: 'decorrelated', random: sequence(0.5, 0.5, 1) }), 3)).toEqual([200, 350, 1000]);
  });

  it('no jitter, linear and constant are deterministic', () => {
    expect(schedule(settings({ jitter: 'none', factor: 3 }), 4)).toEqual([100, 300, 900, 1000]);
    expect(schedule(settings({ backoff: 'linear' }), 4)).toEqual([100, 200, 300, 400]);
    expect(schedule(settings({ backoff: 'linear', maxDelay: 250 }), 4)).toEqual([100, 200, 250, 250]);
    expect(schedule(settings({ backoff: 'constant' }), 3)).toEqual([100, 100, 100]);
  });

  it('a custom function gets the attempt, previous delay and error, and is capped by maxDelay', () => {
    const seen: unknown[] = [];
    const backoff = (info: { attempt: number; previousDelay: number; error: unknown }) => {
      seen.push([info.attempt, info.previousDelay, (info.error as Error).message]);
      return info.attempt * 700;
    };
    expect(schedule(settings({ backoff }), 2)).toEqual([700, 1000]);
    expect(seen).toEqual([
      [1, 100, 'x'],
      [2, 700, 'x'],
    ]);
  });

  it('a custom function returning a bad value fails with a typed error', () => {
    for (const bad of [-1, Number.NaN, '5']) {
      expect(() => computeDelay(settings({ backoff: () => bad as number }), 1, 100, null)).toThrow(InvalidOptionError);
    }
  });
});

describe('computeDelay: properties', () => {
  const arbitrarySettings = fc.record({
    initialDelay: fc.integer({ min: 0, max: 5_000 }),
    extra: fc.integer({ min: 0, max: 60_000 }),
    factor: fc.double({ min: 1, max: 4, noNaN: true }),
    jitter: fc.constantFrom('full', 'equal', 'decorrelated', 'none' as const),
    backoff: fc.constantFrom('exponential', 'linear', 'constant' as const),
    randoms: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 20 }),
  });

  it('every delay is within its strategy bounds and never above maxDelay', () => {
    fc.assert(
      fc.property(arbitrarySettings, ({ initialDelay, extra, factor, jitter, backoff, randoms }) => {
        const s = settings({
          initialDelay,
          maxDelay: initialDelay + extra,
          factor,
          jitter,
          backoff,
          random: sequence(...randoms),
        });
        let previous = initialDelay;
        for (let attempt = 1; attempt <= 12; attempt++) {
          const delay = computeDelay(s, attempt, previous, null);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(s.maxDelay);
          if (backoff === 'exponential') {
            const base = Math.min(s.maxDelay, initialDelay * factor ** (attempt - 1));
            if (jitter === 'full') expect(delay).toBeLessThanOrEqual(base);
            if (jitter === 'equal') expect(delay).toBeGreaterThanOrEqual(base / 2);
            if (jitter === 'none') expect(delay).toBe(base);
            if (jitter === 'decorrelated') {
              expect(delay).toBeGreaterThanOrEqual(initialDelay);
              expect(delay).toBeLessThanOrEqual(Math.max(initialDelay, previous * 3));
            }
          }
          previous = delay;
        }
      }),
    );
  });
});

describe('resolveRetryOptions', () => {
  it('applies the documented defaults', () => {
    const o = resolveRetryOptions();
    expect(o).toMatchObject({
      maxAttempts: 5,
      initialDelay: 100,
      maxDelay: 30_000,
      maxElapsed: Number.POSITIVE_INFINITY,
      backoff: 'exponential',
      jitter: 'full',
      factor: 2,
      timeout: undefined,
    });
  });

  it.each([
    [{ maxAttempts: 0 }, /Expected `maxAttempts` to be a positive integer, got 0/],
    [{ maxAttempts: 1.5 }, /`maxAttempts`.*1.5/],
    [{ initialDelay: -1 }, /`initialDelay` to be a non-negative finite number, got -1/],
    [{ maxDelay: Number.POSITIVE_INFINITY }, /`maxDelay`/],
    [{ initialDelay: 500, maxDelay: 100 }, /`initialDelay` to be at most maxDelay \(100\), got 500/],
    [{ maxElapsed: Number.NaN }, /`maxElapsed`/],
    [{ backoff: 'fibonacci' }, /`backoff`.*"fibonacci"/],
    [{ jitter: 'some' }, /`jitter`/],
    [{ factor: 0.5 }, /`factor` to be a finite number >= 1, got 0.5/],
    [{ timeout: 0 }, /`timeout`/],
    [{ signal: 'stop' }, /`signal` to be an AbortSignal/],
    [{ budget: {} }, /`budget` to be a RetryBudget/],
    [{ clock: 1 }, /`clock` to be a Clock/],
    [{ retryOn: true }, /`retryOn` to be a function, got true/],
    [{ abortOn: 1 }, /`abortOn`/],
    [{ classify: 'x' }, /`classify`/],
    [{ random: 0.5 }, /`random`/],
  ])('refuses %o', (options, message) => {
    expect(() => resolveRetryOptions(options as never)).toThrow(message);
    expect(() => resolveRetryOptions(options as never)).toThrow(InvalidOptionError);
  });

  it('refuses a non-object', () => {
    expect(() => resolveRetryOptions(null as never)).toThrow(/`options` to be an object/);
  });
});
