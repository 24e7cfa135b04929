import { InvalidOptionError } from '@pipewright/core';
import type { AnyFunction } from './internal/attempt.ts';
import { invoke } from './internal/attempt.ts';
import type { RetryOptions } from './options.ts';
import { RetryPolicy } from './retry.ts';
import type { AttemptContext, Policy } from './types.ts';

/** Anything with an `execute(fn, { signal })` method. */
export function isPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && typeof (value as Policy).execute === 'function';
}

/**
 * Runs `fn({ signal, attempt })` once with retries. Options are validated on every call: for a hot path, build a
 * `RetryPolicy` once or use `withRetry`.
 */
export function retry<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: RetryOptions<T>): Promise<T> {
  if (typeof fn !== 'function') return Promise.reject(new InvalidOptionError('fn', 'a function', fn));
  let policy: RetryPolicy;
  try {
    policy = new RetryPolicy(options as RetryOptions);
  } catch (error) {
    return Promise.reject(error);
  }
  return policy.execute(fn);
}

/** Options of `withRetry` when it is given a ready policy instead of retry options. */
export interface WithPolicyOptions {
  /** Also pass the attempt context in `fn`'s last declared parameter (see `RetryOptions.passContext`). @default false */
  passContext?: boolean | undefined;
}

/**
 * Wraps `fn` so every call is retried: same parameters, same `this`, and a promise of the same result. Pass options
 * (validated once, here), a `RetryPolicy`, or any policy such as `wrap(retryPolicy, breaker)`.
 *
 * With `passContext: true`, the attempt context `{ signal, attempt }` is passed in `fn`'s last declared parameter:
 * declare it last, `async (id: string, context?: AttemptContext) => …`.
 */
export function withRetry<This, Args extends unknown[], R>(
  fn: (this: This, ...args: Args) => R,
  options?: RetryOptions<Awaited<R>> | Policy,
  policyOptions?: WithPolicyOptions,
): (this: This, ...args: Args) => Promise<Awaited<R>> {
  if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function', fn);
  const target = fn as AnyFunction;
  if (isPolicy(options) && !(options instanceof RetryPolicy)) {
    const passContext = policyOptions?.passContext ?? false;
    if (typeof passContext !== 'boolean') throw new InvalidOptionError('passContext', 'a boolean', passContext);
    return function (this: This, ...args: Args): Promise<Awaited<R>> {
      return options.execute((context) =>
        invoke(target, this, args, context.signal, context.attempt, passContext),
      ) as Promise<Awaited<R>>;
    };
  }
  const policy = options instanceof RetryPolicy ? options : new RetryPolicy(options as RetryOptions);
  const signal = policy.options.signal;
  return function (this: This, ...args: Args): Promise<Awaited<R>> {
    return policy.call(target, this, args, signal) as Promise<Awaited<R>>;
  };
}
