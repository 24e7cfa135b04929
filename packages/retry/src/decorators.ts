import { InvalidOptionError } from '@pipewright/core';
import type { CircuitBreaker } from './breaker.ts';
import type { AnyFunction } from './internal/attempt.ts';
import { invoke } from './internal/attempt.ts';
import type { RetryOptions } from './options.ts';
import type { Policy } from './types.ts';
import { isPolicy, withRetry } from './with-retry.ts';

/**
 * A method decorator usable both as a TC39 standard decorator (TypeScript 5+, no flag) and as a legacy
 * `experimentalDecorators` one (NestJS-style code).
 */
export interface DualMethodDecorator {
  <F extends AnyFunction>(value: F, context: ClassMethodDecoratorContext): F;
  <F extends AnyFunction>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): TypedPropertyDescriptor<F>;
}

function methodDecorator(name: string, wrapMethod: (method: AnyFunction) => AnyFunction): DualMethodDecorator {
  return function decorate(first: unknown, second: unknown, descriptor?: PropertyDescriptor): never {
    if (descriptor !== undefined) {
      // Legacy: (prototype, key, descriptor) → a new descriptor.
      if (typeof descriptor.value !== 'function') {
        throw new InvalidOptionError(name, 'applied to a method', descriptor.value);
      }
      return { ...descriptor, value: wrapMethod(descriptor.value) } as never;
    }
    // TC39: (method, context) → the replacement method.
    const kind = (second as { kind?: unknown } | undefined)?.kind;
    if (kind !== 'method' || typeof first !== 'function')
      throw new InvalidOptionError(name, 'applied to a method', kind);
    return wrapMethod(first as AnyFunction) as never;
  } as DualMethodDecorator;
}

/** Retries a method with `withRetry` (options validated once, policy shared by every instance). */
export function retryable(options?: RetryOptions | Policy): DualMethodDecorator {
  if (options !== undefined && !isPolicy(options)) withRetry(() => undefined, options); // validate eagerly
  return methodDecorator('@retryable', (method) => withRetry(method, options as RetryOptions));
}

/** Runs every call of a method through `breaker` (share one breaker per dependency). */
export function circuitBreaker(breaker: CircuitBreaker): DualMethodDecorator {
  if (!isPolicy(breaker)) throw new InvalidOptionError('breaker', 'a CircuitBreaker', breaker);
  return methodDecorator(
    '@circuitBreaker',
    (method) =>
      function (this: unknown, ...args: unknown[]): Promise<unknown> {
        return breaker.execute((context) => invoke(method, this, args, context.signal, context.attempt, false));
      },
  );
}
