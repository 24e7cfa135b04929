import type { Classification } from '@pipewright/core';

/** What every attempt receives: its own signal (aborted by the caller or by the attempt's timeout) and its number. */
export interface AttemptContext {
  /** Aborted when the caller aborts, or when this attempt's `timeout` fires. Pass it to your I/O. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/** Per-call options of `Policy.execute`. */
export interface ExecuteOptions {
  /** Cancels the call: a pending sleep is interrupted at once and no further attempt starts. */
  signal?: AbortSignal | undefined;
  /** The attempt number to report to the function (set by an enclosing retry policy). @default 1 */
  attempt?: number | undefined;
}

/** A resilience policy: runs a function under its rules. Compose them with `wrap(outer, …, inner)`. */
export interface Policy {
  execute<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T>;
}

/** One attempt's outcome, as seen by `retryOn` / `abortOn`. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempt: number }
  | { readonly ok: false; readonly error: unknown; readonly classification: Classification; readonly attempt: number };

/** Payload of `onRetry`, `onGiveUp` and `onSuccess`. */
export interface RetryEvent {
  /** The attempt that just finished (1-based). */
  readonly attempt: number;
  /** `onRetry`: the sleep before the next attempt, ms. Otherwise 0. */
  readonly delay: number;
  /** Milliseconds since the first attempt started. */
  readonly elapsed: number;
  /** The failure (an error, or a returned value that `retryOn` rejected); `undefined` in `onSuccess`. */
  readonly error: unknown;
  /** `onGiveUp` only: why the loop stopped. */
  readonly reason?: 'not-retryable' | 'attempts' | 'deadline' | 'budget' | 'aborted';
}

/** The three states of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Payload of `onBreak`, `onHalfOpen` and `onReset`. */
export interface BreakerEvent {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** The failure that opened the circuit (`onBreak`), otherwise `undefined`. */
  readonly error: unknown;
  /** Milliseconds spent in the state being left. */
  readonly elapsed: number;
  /** Attempt number of the call that caused the transition, when known. */
  readonly attempt: number;
  /** `onBreak`: milliseconds until a probe is admitted; otherwise 0. */
  readonly delay: number;
}

/** Unsubscribes a listener. */
export type Disposer = () => void;
