import type { Clock } from '@pipewright/core';
import { InvalidOptionError, systemClock } from '@pipewright/core';
import { runWithTimeout } from './internal/attempt.ts';
import type { AttemptContext, ExecuteOptions, Policy } from './types.ts';

/** Options of `TimeoutPolicy`. */
export interface TimeoutOptions {
  /** Time source of the timer. @default systemClock */
  clock?: Clock | undefined;
}

/**
 * Bounds each call to `ms`: the call's signal aborts with `AttemptTimeoutError` and the call rejects with it even if
 * the function ignores the signal (its late result is dropped). Costs an AbortController and a timer per call.
 */
export class TimeoutPolicy implements Policy {
  readonly ms: number;
  readonly #clock: Clock;

  constructor(ms: number, options: TimeoutOptions = {}) {
    if (typeof ms !== 'number' || !(ms > 0) || !Number.isFinite(ms)) {
      throw new InvalidOptionError('timeout', 'a positive finite number of milliseconds', ms);
    }
    this.ms = ms;
    this.#clock = options.clock ?? systemClock;
  }

  execute<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const attempt = options?.attempt ?? 1;
    return runWithTimeout<T>(this.#clock, this.ms, attempt, options?.signal, (signal) => fn({ signal, attempt }));
  }
}
