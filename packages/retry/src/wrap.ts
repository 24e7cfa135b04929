import { InvalidOptionError } from '@pipewright/core';
import type { AttemptContext, ExecuteOptions, Policy } from './types.ts';
import { isPolicy } from './with-retry.ts';

/**
 * Composes policies, the first outermost: `wrap(retry, breaker, timeout).execute(fn)` runs every retry attempt
 * through the breaker, and every call the breaker admits under the timeout. Each policy hands its
 * `{ signal, attempt }` to the next, so the attempt number and cancellation reach `fn`.
 */
export function wrap(...policies: Policy[]): Policy {
  if (policies.length === 0) throw new InvalidOptionError('policies', 'at least one policy', policies.length);
  policies.forEach((policy, index) => {
    if (!isPolicy(policy)) throw new InvalidOptionError(`policies[${index}]`, 'a policy with execute()', policy);
  });
  const last = policies.length - 1;
  const step = <T>(
    index: number,
    fn: (context: AttemptContext) => T | PromiseLike<T>,
    options: ExecuteOptions | undefined,
  ): Promise<T> => {
    const policy = policies[index] as Policy;
    if (index === last) return policy.execute(fn, options);
    return policy.execute((context) => step(index + 1, fn, context), options);
  };
  return {
    execute<T>(fn: (context: AttemptContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
      return step(0, fn, options);
    },
  };
}
