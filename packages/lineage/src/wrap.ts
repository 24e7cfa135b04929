import { InvalidOptionError } from '@pipewright/core';
import { assertString } from './facets/base.ts';
import type { Lineage, StartRunOptions } from './run.ts';

type AnyFunction = (this: never, ...args: never[]) => unknown;

/** Run options for one call, fixed or computed from the call's arguments. */
export type RunOptionsFor<Args extends unknown[]> = StartRunOptions | ((...args: Args) => StartRunOptions);

/**
 * Wraps `fn` so that every call is a run of `jobName`: START before, COMPLETE after, FAIL (and rethrow) if it
 * throws. Keeps `this`, the parameters and the (awaited) return type. Calls made inside become child runs.
 *
 * @example const syncOrders = withLineage(lineage, 'orders.sync', async (day: string) => load(day), (day) => ({ inputs: [src] }));
 */
export function withLineage<This, Args extends unknown[], R>(
  lineage: Lineage,
  jobName: string,
  fn: (this: This, ...args: Args) => R,
  options?: RunOptionsFor<Args>,
): (this: This, ...args: Args) => Promise<Awaited<R>> {
  assertString('jobName', jobName);
  if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function', fn);
  return function (this: This, ...args: Args): Promise<Awaited<R>> {
    const runOptions = typeof options === 'function' ? options(...args) : options;
    // track() awaits fn's result, so the promise resolves to Awaited<R>; TypeScript cannot see that for a generic R.
    return lineage.track(jobName, () => fn.apply(this, args), runOptions) as unknown as Promise<Awaited<R>>;
  };
}

/**
 * A method decorator usable both as a TC39 standard decorator (TypeScript 5+, no flag) and as a legacy
 * `experimentalDecorators` one (NestJS-style code).
 */
export interface LineageMethodDecorator {
  <F extends AnyFunction>(value: F, context: ClassMethodDecoratorContext): F;
  <F extends AnyFunction>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): TypedPropertyDescriptor<F>;
}

/**
 * `@lineageRun(lineage, jobName?, options?)`: every call of the method is a run (see `withLineage`). The job
 * name defaults to `ClassName.methodName`, read from the instance at call time.
 */
export function lineageRun(
  lineage: Lineage,
  jobName?: string,
  options?: RunOptionsFor<unknown[]>,
): LineageMethodDecorator {
  if (jobName !== undefined) assertString('jobName', jobName);
  const wrap = (method: (...args: unknown[]) => unknown, methodName: string) =>
    function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const owner = (this as { constructor?: { name?: string } } | null)?.constructor?.name;
      const name = jobName ?? (owner ? `${owner}.${methodName}` : methodName);
      const runOptions = typeof options === 'function' ? options(...args) : options;
      return lineage.track(name, () => method.apply(this, args), runOptions);
    };
  return function decorate(first: unknown, second: unknown, descriptor?: PropertyDescriptor): never {
    if (descriptor !== undefined) {
      // Legacy: (prototype, key, descriptor) → a new descriptor.
      if (typeof descriptor.value !== 'function') {
        throw new InvalidOptionError('@lineageRun', 'applied to a method', descriptor.value);
      }
      return { ...descriptor, value: wrap(descriptor.value, String(second)) } as never;
    }
    // TC39: (method, context) → the replacement method.
    const context = second as { kind?: unknown; name?: unknown } | undefined;
    if (context?.kind !== 'method' || typeof first !== 'function') {
      throw new InvalidOptionError('@lineageRun', 'applied to a method', context?.kind);
    }
    return wrap(first as (...args: unknown[]) => unknown, String(context.name)) as never;
  } as LineageMethodDecorator;
}
