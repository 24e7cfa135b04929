import { abortableSleep, ensureError } from '@pipewright/core';
import pRetry from 'p-retry';
import { computeDelay } from './backoff.ts';
import type { CircuitBreaker } from './breaker.ts';
import { RetryBudgetExhaustedError, RetryExhaustedError } from './errors.ts';
import type { AnyFunction } from './internal/attempt.ts';
import { invoke, runWithTimeout } from './internal/attempt.ts';
import { AttemptFailure } from './internal/failure.ts';
import { Listeners } from './internal/listeners.ts';
import type { ResolvedRetryOptions, RetryOptions } from './options.ts';
import { resolveRetryOptions } from './options.ts';
import type { AttemptContext, Disposer, ExecuteOptions, Outcome, Policy, RetryEvent } from './types.ts';

const INFINITY = Number.POSITIVE_INFINITY;

interface LoopState {
  attempt: number;
  readonly start: number;
  previousDelay: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Retries a function under one set of options. The first attempt runs directly (no timer, no AbortController, no
 * loop state unless `timeout` is set); only a failure that will be retried hands over to the p-retry loop, whose
 * sleeps run on the injected clock and are interrupted by the signal.
 */
export class RetryPolicy implements Policy {
  readonly options: ResolvedRetryOptions<unknown>;
  readonly #onRetry: Listeners<RetryEvent>;
  readonly #onGiveUp: Listeners<RetryEvent>;
  readonly #onSuccess: Listeners<RetryEvent>;

  /** No timeout, no `retryOn`, no deadline: the first attempt needs neither a clock nor an async frame. */
  readonly #plain: boolean;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #passContext: boolean;
  /** `undefined` (pass the value through) unless a budget wants its refund. */
  readonly #onFulfilled: ((value: unknown) => unknown) | undefined;

  constructor(options?: RetryOptions) {
    this.options = resolveRetryOptions(options);
    const { timeout, retryOn, maxElapsed, budget, breaker } = this.options;
    this.#breaker = breaker;
    this.#passContext = this.options.passContext;
    this.#plain = timeout === undefined && retryOn === undefined && maxElapsed === INFINITY;
    this.#onFulfilled =
      budget === undefined
        ? undefined
        : (value) => {
            budget.recordSuccess();
            return value;
          };
    this.#onRetry = new Listeners('onRetry', this.options.logger);
    this.#onGiveUp = new Listeners('onGiveUp', this.options.logger);
    this.#onSuccess = new Listeners('onSuccess', this.options.logger);
  }

  /** Before each sleep: `{ attempt, delay, elapsed, error }`. Returns a disposer. */
  onRetry(listener: (event: RetryEvent) => void): Disposer {
    return this.#onRetry.add(listener);
  }

  /** When the call fails for good: `{ attempt, elapsed, error, reason }`. Returns a disposer. */
  onGiveUp(listener: (event: RetryEvent) => void): Disposer {
    return this.#onGiveUp.add(listener);
  }

  /** When the call succeeds: `{ attempt, elapsed }`. Returns a disposer. */
  onSuccess(listener: (event: RetryEvent) => void): Disposer {
    return this.#onSuccess.add(listener);
  }

  /** Runs `fn({ signal, attempt })` until it succeeds, fails for good, or `options.signal` aborts. */
  execute<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    return this.call(fn, undefined, undefined, options?.signal ?? this.options.signal) as Promise<T>;
  }

  /**
   * @internal The engine behind `execute` and `withRetry`: `args === undefined` calls `fn(context)`, otherwise
   * `fn.apply(thisArg, args)` with the context in the last declared parameter if the caller left it empty.
   */
  call(
    fn: AnyFunction,
    thisArg: unknown,
    args: readonly unknown[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    if (!this.#plain || this.#onSuccess.size > 0 || signal?.aborted) return this.#general(fn, thisArg, args, signal);
    // The common case, kept free of async frames, timers and clock reads: one `.then` on the function's promise.
    const breaker = this.#breaker;
    if (breaker !== undefined) return this.#callGuarded(breaker, fn, thisArg, args, signal);
    let result: unknown;
    try {
      result = invoke(fn, thisArg, args, signal, 1, this.#passContext);
    } catch (error) {
      return this.#loop(fn, thisArg, args, this.#state(Number.NaN, signal), error, false);
    }
    const onRejected = (error: unknown): Promise<unknown> =>
      this.#loop(fn, thisArg, args, this.#state(Number.NaN, signal), error, false);
    return (result instanceof Promise ? result : Promise.resolve(result)).then(this.#onFulfilled, onRejected);
  }

  /** The same first attempt with the breaker's bookkeeping inlined (no extra promise or context object). */
  #callGuarded(
    breaker: CircuitBreaker,
    fn: AnyFunction,
    thisArg: unknown,
    args: readonly unknown[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    let ticket: number | undefined;
    let result: unknown;
    try {
      ticket = breaker.admit(1);
      result = invoke(fn, thisArg, args, signal, 1, this.#passContext);
    } catch (error) {
      if (ticket !== undefined) breaker.failure(ticket, error, 1, signal);
      return this.#loop(fn, thisArg, args, this.#state(Number.NaN, signal), error, false);
    }
    const admitted = ticket;
    const budget = this.options.budget;
    return (result instanceof Promise ? result : Promise.resolve(result)).then(
      (value: unknown) => {
        breaker.success(admitted, 1);
        budget?.recordSuccess();
        return value;
      },
      (error: unknown) => {
        breaker.failure(admitted, error, 1, signal);
        return this.#loop(fn, thisArg, args, this.#state(Number.NaN, signal), error, false);
      },
    );
  }

  async #general(
    fn: AnyFunction,
    thisArg: unknown,
    args: readonly unknown[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const o = this.options;
    if (signal?.aborted) throw signal.reason;
    // Reading a clock costs up to ~250 ns on some VMs, so the success path reads it only when something needs the
    // start time; otherwise elapsed time is counted from the first failure.
    const start =
      o.timeout !== undefined || o.maxElapsed !== INFINITY || this.#onSuccess.size > 0 ? o.clock.now() : Number.NaN;
    let value: unknown;
    try {
      value = await this.#attempt(fn, thisArg, args, signal, 1, start);
    } catch (error) {
      return this.#loop(fn, thisArg, args, this.#state(start, signal), error, false);
    }
    if (o.retryOn?.({ ok: true, value, attempt: 1 })) {
      return this.#loop(fn, thisArg, args, this.#state(start, signal), value, true);
    }
    o.budget?.recordSuccess();
    if (this.#onSuccess.size > 0)
      this.#emit(this.#onSuccess, 1, 0, Number.isNaN(start) ? o.clock.now() : start, undefined);
    return value;
  }

  #state(start: number, signal: AbortSignal | undefined): LoopState {
    const o = this.options;
    return { attempt: 1, start: Number.isNaN(start) ? o.clock.now() : start, previousDelay: o.initialDelay, signal };
  }

  /**
   * One attempt: through the breaker (outermost, so it counts a timed-out attempt at once), then under the timeout
   * (cut to the time left before `maxElapsed`), then the function. The order of `wrap(retry, breaker, timeout)`.
   */
  #attempt(
    fn: AnyFunction,
    thisArg: unknown,
    args: readonly unknown[] | undefined,
    signal: AbortSignal | undefined,
    attempt: number,
    start: number,
  ): unknown {
    const o = this.options;
    const breaker = this.#breaker;
    if (o.timeout === undefined) {
      if (breaker === undefined) return invoke(fn, thisArg, args, signal, attempt, this.#passContext);
      return breaker.execute((context) => invoke(fn, thisArg, args, context.signal, attempt, this.#passContext), {
        signal,
        attempt,
      });
    }
    const left = o.maxElapsed - (o.clock.now() - start);
    const ms = Math.max(1, Math.min(o.timeout, left));
    const timed = (outer: AbortSignal | undefined): Promise<unknown> =>
      runWithTimeout(o.clock, ms, attempt, outer, (attemptSignal) =>
        invoke(fn, thisArg, args, attemptSignal, attempt, this.#passContext),
      );
    if (breaker === undefined) return timed(signal);
    return breaker.execute((context) => timed(context.signal), { signal, attempt });
  }

  /** After the first failure: decide, sleep, then let p-retry run the remaining attempts. */
  async #loop(
    fn: AnyFunction,
    thisArg: unknown,
    args: readonly unknown[] | undefined,
    state: LoopState,
    payload: unknown,
    isValue: boolean,
  ): Promise<unknown> {
    const o = this.options;
    await this.#afterFailure(state, payload, isValue);
    const value = await pRetry(
      async () => {
        const attempt = ++state.attempt;
        let result: unknown;
        try {
          if (state.signal?.aborted) throw state.signal.reason;
          result = await this.#attempt(fn, thisArg, args, state.signal, attempt, state.start);
        } catch (error) {
          throw new AttemptFailure(error, false);
        }
        if (o.retryOn?.({ ok: true, value: result, attempt })) throw new AttemptFailure(result, true);
        return result;
      },
      {
        // Every limit, delay and decision is ours (the handler throws to stop); p-retry runs the loop.
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 0,
        onFailedAttempt: ({ error }) => {
          const failure = error as AttemptFailure;
          return this.#afterFailure(state, failure.payload, failure.isValue);
        },
      },
    );
    o.budget?.recordSuccess();
    if (this.#onSuccess.size > 0) this.#emit(this.#onSuccess, state.attempt, 0, state.start, undefined);
    return value;
  }

  /** Throws the error the call ends with, or sleeps until the next attempt may start. */
  async #afterFailure(state: LoopState, payload: unknown, isValue: boolean): Promise<void> {
    const o = this.options;
    const { attempt, signal } = state;
    if (signal?.aborted) this.#giveUp(state, payload, 'aborted', signal.reason);
    const classification = o.classify(payload);
    if (!isValue) {
      let retryable = classification.kind === 'transient';
      if (o.abortOn !== undefined || o.retryOn !== undefined) {
        const outcome: Outcome<unknown> = { ok: false, error: payload, classification, attempt };
        if (o.abortOn?.(outcome)) retryable = false;
        else if (o.retryOn?.(outcome)) retryable = true;
      }
      if (!retryable) this.#giveUp(state, payload, 'not-retryable', ensureError(payload));
    }
    const elapsed = o.clock.now() - state.start;
    if (attempt >= o.maxAttempts) {
      this.#giveUp(
        state,
        payload,
        'attempts',
        new RetryExhaustedError(attempt, elapsed, 'attempts', o.maxAttempts, payload),
      );
    }
    let delay = computeDelay(o, attempt, state.previousDelay, payload);
    const hint = classification.kind === 'transient' ? classification.retryAfterMs : undefined;
    if (hint !== undefined) delay = Math.min(o.maxDelay, Math.max(delay, hint));
    state.previousDelay = delay;
    if (elapsed + delay >= o.maxElapsed) {
      this.#giveUp(
        state,
        payload,
        'deadline',
        new RetryExhaustedError(attempt, elapsed, 'deadline', o.maxElapsed, payload),
      );
    }
    const budget = o.budget;
    if (budget !== undefined && !budget.tryAcquire()) {
      const error = new RetryBudgetExhaustedError(attempt, budget.tokens, budget.retryCost, payload);
      this.#giveUp(state, payload, 'budget', error);
    }
    if (this.#onRetry.size > 0) this.#emit(this.#onRetry, attempt, delay, state.start, payload);
    if (delay <= 0) return;
    try {
      await abortableSleep(o.clock, delay, signal);
    } catch (reason) {
      this.#giveUp(state, payload, 'aborted', reason);
    }
  }

  #giveUp(state: LoopState, payload: unknown, reason: RetryEvent['reason'], thrown: unknown): never {
    if (this.#onGiveUp.size > 0) {
      const { attempt, start } = state;
      this.#onGiveUp.emit({ attempt, delay: 0, elapsed: this.options.clock.now() - start, error: payload, reason });
    }
    throw thrown;
  }

  #emit(listeners: Listeners<RetryEvent>, attempt: number, delay: number, start: number, error: unknown): void {
    listeners.emit({ attempt, delay, elapsed: this.options.clock.now() - start, error });
  }
}
