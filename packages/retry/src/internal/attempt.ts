import type { Clock } from '@pipewright/core';
import { AttemptTimeoutError } from '../errors.ts';
import type { AttemptContext } from '../types.ts';

let never: AbortSignal | undefined;

/** A signal that never aborts, for attempts without a caller signal or a timeout (one per process). */
export function neverAborted(): AbortSignal {
  never ??= new AbortController().signal;
  return never;
}

/** Anything callable with a `this` and an argument list. */
// biome-ignore lint/suspicious/noExplicitAny: user functions of any shape are called through this.
export type AnyFunction = (this: any, ...args: any[]) => unknown;

/**
 * Calls a user function for one attempt. `args === undefined` means the function takes the context as its only
 * argument (`retry`, `execute`). Otherwise (`withRetry`) the caller's arguments are passed unchanged, plus, with
 * `passContext`, the context in the function's last declared parameter (or after the caller's arguments).
 */
export function invoke(
  fn: AnyFunction,
  thisArg: unknown,
  args: readonly unknown[] | undefined,
  signal: AbortSignal | undefined,
  attempt: number,
  passContext: boolean,
): unknown {
  if (args === undefined) return fn.call(thisArg, { signal: signal ?? neverAborted(), attempt });
  if (!passContext) return fn.apply(thisArg, args as unknown[]);
  const withContext = args.slice();
  withContext[Math.max(args.length, fn.length - 1)] = {
    signal: signal ?? neverAborted(),
    attempt,
  } satisfies AttemptContext;
  return fn.apply(thisArg, withContext);
}

/**
 * Runs `call` with its own AbortController: aborted when `parent` aborts, or after `ms` with an
 * `AttemptTimeoutError`, at which point the returned promise rejects even if `call` ignores its signal.
 */
export function runWithTimeout<T>(
  clock: Clock,
  ms: number,
  attempt: number,
  parent: AbortSignal | undefined,
  call: (signal: AbortSignal) => unknown,
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onParentAbort = (): void => controller.abort((parent as AbortSignal).reason);
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      cancelTimer();
      parent?.removeEventListener('abort', onParentAbort);
      return true;
    };
    const cancelTimer = clock.setTimer(() => {
      const error = new AttemptTimeoutError(ms, attempt);
      if (finish()) reject(error);
      controller.abort(error);
    }, ms);
    if (parent?.aborted) controller.abort(parent.reason);
    else parent?.addEventListener('abort', onParentAbort, { once: true });
    let result: unknown;
    try {
      result = call(controller.signal);
    } catch (error) {
      if (finish()) reject(error);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        if (finish()) resolve(value as T);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}
