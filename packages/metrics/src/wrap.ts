import { InvalidOptionError } from '@pipewright/core';
import type { StepContext } from './internal/timing.ts';

/** Anything that times steps: a `PipelineMetrics` or a `RunScope`. */
export interface StepTimer {
  time<T>(step: string, fn: (context: StepContext) => T | Promise<T>): Promise<Awaited<T>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a wrapper must accept any function signature.
type AnyFunction = (this: any, ...args: any[]) => any;
// biome-ignore lint/suspicious/noExplicitAny: as above, for methods that already return a promise.
type AsyncFunction = (this: any, ...args: any[]) => Promise<any>;

/** `fn` with the same `this` and parameters, its result awaited. */
export type TimedFunction<F extends AnyFunction> = (
  this: ThisParameterType<F>,
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>;

function assertTimer(metrics: StepTimer, step: string | undefined, name: string): void {
  if (typeof metrics?.time !== 'function') {
    throw new InvalidOptionError('metrics', `a PipelineMetrics (or run) for ${name}`, metrics);
  }
  if (step !== undefined && (typeof step !== 'string' || step === '')) {
    throw new InvalidOptionError('step', 'a non-empty string', step);
  }
}

/**
 * Wraps `fn` so that every call is timed as `step` through `metrics.time()`: same `this`, same parameters, the
 * awaited result; errors are counted by classification and rethrown untouched.
 */
export function withTiming<F extends AnyFunction>(metrics: StepTimer, step: string, fn: F): TimedFunction<F> {
  assertTimer(metrics, step, 'withTiming');
  if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function', fn);
  return function (this: ThisParameterType<F>, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
    return metrics.time(step, () => fn.apply(this, args)) as Promise<Awaited<ReturnType<F>>>;
  };
}

/**
 * A method decorator usable both as a TC39 standard decorator (TypeScript 5+) and as a legacy
 * `experimentalDecorators` one (NestJS-style code). Only async methods: timing makes every call a promise.
 */
export interface DualMethodDecorator {
  <F extends AsyncFunction>(value: F, context: ClassMethodDecoratorContext): F;
  <F extends AsyncFunction>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): TypedPropertyDescriptor<F>;
}

/** Times every call of a method as `step` (default: the method's name) through `metrics.time()`. */
export function timed(metrics: StepTimer, step?: string): DualMethodDecorator {
  assertTimer(metrics, step, '@timed');
  return function decorate(first: unknown, second: unknown, descriptor?: PropertyDescriptor): never {
    if (descriptor !== undefined) {
      // Legacy: (prototype, key, descriptor) → a new descriptor.
      if (typeof descriptor.value !== 'function') {
        throw new InvalidOptionError('@timed', 'applied to a method', descriptor.value);
      }
      return { ...descriptor, value: withTiming(metrics, step ?? String(second), descriptor.value) } as never;
    }
    // TC39: (method, context) → the replacement method.
    const context = second as { kind?: unknown; name?: unknown } | undefined;
    if (context?.kind !== 'method' || typeof first !== 'function') {
      throw new InvalidOptionError('@timed', 'applied to a method', context?.kind);
    }
    return withTiming(metrics, step ?? String(context.name), first as AnyFunction) as never;
  } as DualMethodDecorator;
}
