import type { Classifier, Clock, Logger } from '@pipewright/core';
import { classify, createClassifier, InvalidOptionError, systemClock } from '@pipewright/core';
import type { Backoff, Jitter } from './backoff.ts';
import type { CircuitBreaker } from './breaker.ts';
import type { RetryBudget } from './budget.ts';
import type { Outcome } from './types.ts';

/** Options of `retry`, `withRetry`, `RetryPolicy` and `@retryable`. */
export interface RetryOptions<T = unknown> {
  /** Attempts in total, the first included. `1` disables retrying. @default 5 */
  maxAttempts?: number | undefined;
  /** Base delay before the first retry, ms. @default 100 */
  initialDelay?: number | undefined;
  /** Cap on any single sleep, also on a server's `Retry-After`, ms. @default 30000 */
  maxDelay?: number | undefined;
  /**
   * Deadline across all attempts, ms from the start of the call: no sleep is scheduled and no attempt starts past
   * it. With `timeout`, an attempt's timeout is also shortened so it cannot run past it. @default Infinity
   */
  maxElapsed?: number | undefined;
  /** Delay strategy. @default 'exponential' */
  backoff?: Backoff | undefined;
  /** Jitter of the `exponential` strategy. @default 'full' */
  jitter?: Jitter | undefined;
  /** Growth factor of the `exponential` strategy. @default 2 */
  factor?: number | undefined;
  /**
   * Per-attempt timeout, ms: the attempt's signal aborts with `AttemptTimeoutError` (transient, so retried) and
   * the attempt counts as failed even if the function ignores its signal. No timer exists without it.
   * @default undefined (no timeout)
   */
  timeout?: number | undefined;
  /**
   * `withRetry` / `@retryable` only: also pass the attempt context `{ signal, attempt }` to the function, in its last
   * declared parameter (declare it last: `(id: string, context?: AttemptContext)`). Off by default, so wrapping a
   * function with optional parameters of its own (`pool.query(text, values, callback)`) never changes its
   * arguments. `retry()` and `execute()` always pass the context. @default false
   */
  passContext?: boolean | undefined;
  /** Cancels the whole call: a sleep is interrupted at once and the call rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** A token bucket shared by many calls to one dependency; an empty bucket stops retrying. */
  budget?: RetryBudget | undefined;
  /**
   * Every attempt goes through this breaker: the same order as `wrap(retryPolicy, breaker)`, without its extra
   * promises. An open circuit rejects the attempt with `BrokenCircuitError`, which is not retried.
   */
  breaker?: CircuitBreaker | undefined;
  /**
   * Return `true` to retry this outcome whatever its classification: an error, or a returned value (for example a
   * `Response` with status 503, whose `Retry-After` is then honoured).
   * @example retryOn: (o) => o.ok ? o.value.status === 503 : o.error instanceof MyFlakyError
   */
  retryOn?: ((outcome: Outcome<T>) => boolean) | undefined;
  /** Return `true` to fail at once on an error that would otherwise be retried. Checked before `retryOn`. */
  abortOn?: ((outcome: Outcome<T>) => boolean) | undefined;
  /** Decides transient (retry) / record / fatal (fail at once). @default core `classify` (on `clock` time) */
  classify?: Classifier | undefined;
  /** Uniform random source in [0, 1), for jitter. Inject a seeded one in tests. @default Math.random */
  random?: (() => number) | undefined;
  /** Time source for sleeps, timeouts and elapsed time. @default systemClock */
  clock?: Clock | undefined;
  /** Receives warnings such as a throwing event listener. @default none */
  logger?: Logger | undefined;
}

/** Validated options with defaults applied. */
export interface ResolvedRetryOptions<T> {
  readonly maxAttempts: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly maxElapsed: number;
  readonly backoff: Backoff;
  readonly jitter: Jitter;
  readonly factor: number;
  readonly timeout: number | undefined;
  readonly passContext: boolean;
  readonly signal: AbortSignal | undefined;
  readonly budget: RetryBudget | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly retryOn: ((outcome: Outcome<T>) => boolean) | undefined;
  readonly abortOn: ((outcome: Outcome<T>) => boolean) | undefined;
  readonly classify: Classifier;
  readonly random: () => number;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
}

const BACKOFFS = new Set(['exponential', 'linear', 'constant']);
const JITTERS = new Set(['full', 'equal', 'decorrelated', 'none']);

function nonNegative(name: string, value: unknown, fallback: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new InvalidOptionError(
      name,
      `a non-negative ${allowInfinity ? 'number or Infinity' : 'finite number'}`,
      value,
    );
  }
  return value;
}

function optionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(name, 'a function', value);
  return value;
}

/** Applies defaults and validates every option up front, naming the option and the value on failure. */
export function resolveRetryOptions<T>(options: RetryOptions<T> = {}): ResolvedRetryOptions<T> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new InvalidOptionError('maxAttempts', 'a positive integer', maxAttempts);
  }
  const initialDelay = nonNegative('initialDelay', options.initialDelay, 100);
  const maxDelay = nonNegative('maxDelay', options.maxDelay, 30_000);
  if (initialDelay > maxDelay) {
    throw new InvalidOptionError('initialDelay', `at most maxDelay (${maxDelay})`, initialDelay);
  }
  const maxElapsed = nonNegative('maxElapsed', options.maxElapsed, Number.POSITIVE_INFINITY, true);
  const backoff = options.backoff ?? 'exponential';
  if (typeof backoff !== 'function' && !BACKOFFS.has(backoff)) {
    throw new InvalidOptionError('backoff', "'exponential', 'linear', 'constant' or a function", backoff);
  }
  const jitter = options.jitter ?? 'full';
  if (!JITTERS.has(jitter)) throw new InvalidOptionError('jitter', "'full', 'equal', 'decorrelated' or 'none'", jitter);
  const factor = options.factor ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new InvalidOptionError('factor', 'a finite number >= 1', factor);
  }
  const timeout = options.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout))) {
    throw new InvalidOptionError('timeout', 'a positive finite number of milliseconds', timeout);
  }
  const passContext = options.passContext ?? false;
  if (typeof passContext !== 'boolean') throw new InvalidOptionError('passContext', 'a boolean', passContext);
  const signal = options.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || !('aborted' in signal))) {
    throw new InvalidOptionError('signal', 'an AbortSignal', signal);
  }
  const budget = options.budget;
  if (budget !== undefined && (typeof budget !== 'object' || budget === null || !('tryAcquire' in budget))) {
    throw new InvalidOptionError('budget', 'a RetryBudget', budget);
  }
  const breaker = options.breaker;
  if (breaker !== undefined && (typeof breaker !== 'object' || breaker === null || !('admit' in breaker))) {
    throw new InvalidOptionError('breaker', 'a CircuitBreaker', breaker);
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new InvalidOptionError('clock', 'a Clock', clock);
  }
  const classifier =
    optionalFunction('classify', options.classify) ??
    (clock === systemClock ? classify : createClassifier({ now: () => clock.now() }));
  return {
    maxAttempts,
    initialDelay,
    maxDelay,
    maxElapsed,
    backoff,
    jitter,
    factor,
    timeout,
    passContext,
    signal,
    budget,
    breaker,
    retryOn: optionalFunction('retryOn', options.retryOn),
    abortOn: optionalFunction('abortOn', options.abortOn),
    classify: classifier,
    random: optionalFunction('random', options.random) ?? Math.random,
    clock,
    logger: options.logger,
  };
}
