import { type Clock, InvalidOptionError, type Logger, noopLogger, systemClock } from '@pipewright/core';
import { executeStep, type StepDefinition, type StepMeasure } from './internal/execute.ts';
import { resolveRetry } from './internal/retry.ts';
import type {
  RetryPolicyLike,
  StepHooks,
  StepLineage,
  StepMetricsLike,
  StepRetryOptions,
  TracerLike,
} from './types.ts';

export type { StepMeasure };

export interface StepOptions<R = unknown> {
  /** Names of the steps this one needs (used by `job()`): it runs after them, and is skipped if one fails. */
  dependsOn?: readonly string[];
  /**
   * Retry transient failures. `true` uses the built-in loop with its defaults; options tune it; any policy with
   * `execute(fn, { signal })` (such as @pipewright/retry's) replaces it. Off by default: a step is retried only
   * when you say it is safe to run twice.
   * @default false
   */
  retry?: boolean | StepRetryOptions | RetryPolicyLike;
  /** Observers of start, retry and end (metrics, logs). @default none */
  hooks?: StepHooks | readonly StepHooks[];
  /** An OpenTelemetry tracer: one span per execution, named `step <name>`. @default none */
  tracer?: TracerLike;
  /**
   * Datasets read and written, reported as OpenLineage START and COMPLETE/FAIL per execution: to `emit`, or as
   * runs of a lineage `client` (in a job, as child runs of the job's run). @default none
   */
  lineage?: StepLineage;
  /** Pipeline metrics (`@pipewright/metrics`): each execution is timed, counts and retries recorded. @default none */
  metrics?: StepMetricsLike;
  /** Derives counts (and a checksum) from the step's result, e.g. `(r) => ({ out: r.inserted })`. */
  measure?: (result: Awaited<R>) => StepMeasure | undefined;
  /** @default systemClock */
  clock?: Clock;
  /** @default noopLogger */
  logger?: Logger;
}

export interface StepDecoratorOptions<R = unknown> extends StepOptions<R> {
  /** The step's name. @default the method's name */
  name?: string;
}

/** A wrapped function: same `this`, parameters and (awaited) result, plus its step name and dependencies. */
export type Step<This = unknown, A extends unknown[] = unknown[], R = unknown> = ((
  this: This,
  ...args: A
) => Promise<Awaited<R>>) & {
  readonly stepName: string;
  readonly dependsOn: readonly string[];
};

/** A decorator for async methods that works with TC39 decorators and legacy `experimentalDecorators`. */
export interface StepDecorator {
  <This, A extends unknown[], R>(
    target: (this: This, ...args: A) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
  ): (this: This, ...args: A) => Promise<R>;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

const definitions = new WeakMap<object, StepDefinition>();

/** The resolved definition behind a step created by `step()` or `@step()` (undefined for plain functions). */
export function stepDefinition(value: unknown): StepDefinition | undefined {
  return typeof value === 'function' ? definitions.get(value) : undefined;
}

/**
 * Wraps `fn` as a named step: retry, hooks, tracing and lineage around each call, `this` and arguments kept.
 * A step that fails rejects with the step's last error, unchanged.
 *
 * @example
 * const load = step('load', async (ctx: StepContext) => loadOrders(ctx), { dependsOn: ['extract'], retry: true });
 */
export function step<This, A extends unknown[], R>(
  name: string,
  fn: (this: This, ...args: A) => R,
  options?: StepOptions<R>,
): Step<This, A, R>;
/** `@step(options)`: decorates an async method (TC39 or legacy decorators). The name defaults to the method's. */
export function step(options?: StepDecoratorOptions): StepDecorator;
export function step(
  nameOrOptions?: string | StepDecoratorOptions,
  fn?: (...args: unknown[]) => unknown,
  options?: StepOptions,
): unknown {
  if (typeof nameOrOptions === 'string') {
    if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function', fn);
    return wrap(define(nameOrOptions, fn, options ?? {}));
  }
  if (nameOrOptions !== undefined && (typeof nameOrOptions !== 'object' || nameOrOptions === null)) {
    throw new InvalidOptionError('step(options)', 'an options object or a name', nameOrOptions);
  }
  return decorator(nameOrOptions ?? {});
}

function decorator(options: StepDecoratorOptions): StepDecorator {
  if (options.name !== undefined) assertName(options.name);
  return ((target: unknown, context: unknown, descriptor?: PropertyDescriptor) => {
    if (typeof context === 'object' && context !== null && 'kind' in context) {
      const tc39 = context as ClassMethodDecoratorContext;
      if (tc39.kind !== 'method' || typeof target !== 'function') {
        throw new InvalidOptionError('@step target', 'a class method', (tc39 as { kind: string }).kind);
      }
      return wrap(define(options.name ?? String(tc39.name), target as (...a: unknown[]) => unknown, options));
    }
    if (!descriptor || typeof descriptor.value !== 'function') {
      throw new InvalidOptionError('@step target', 'a class method', descriptor?.value);
    }
    descriptor.value = wrap(define(options.name ?? String(context), descriptor.value, options));
    return descriptor;
  }) as StepDecorator;
}

function assertName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidOptionError('name', 'a non-empty string', name);
  }
}

function define(name: string, fn: (...args: unknown[]) => unknown, options: StepOptions): StepDefinition {
  assertName(name);
  const dependsOn = options.dependsOn ?? [];
  if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string' || d.length === 0)) {
    throw new InvalidOptionError('dependsOn', 'an array of step names', dependsOn);
  }
  const hooks = options.hooks === undefined ? [] : Array.isArray(options.hooks) ? options.hooks : [options.hooks];
  if (
    options.lineage !== undefined &&
    typeof options.lineage?.emit !== 'function' &&
    typeof options.lineage?.client?.startRun !== 'function' &&
    !Array.isArray(options.lineage?.inputs) &&
    !Array.isArray(options.lineage?.outputs)
  ) {
    throw new InvalidOptionError('lineage', 'datasets with an emit() function or a lineage client', options.lineage);
  }
  if (options.metrics !== undefined && typeof options.metrics?.time !== 'function') {
    throw new InvalidOptionError('metrics', 'pipeline metrics with time() and record()', options.metrics);
  }
  if (options.tracer !== undefined && typeof options.tracer?.startActiveSpan !== 'function') {
    throw new InvalidOptionError('tracer', 'an OpenTelemetry Tracer (with startActiveSpan)', options.tracer);
  }
  return {
    name,
    fn,
    dependsOn: [...dependsOn],
    retry: resolveRetry(options.retry),
    hooks: hooks as readonly StepHooks[],
    tracer: options.tracer,
    lineage: options.lineage,
    metrics: options.metrics,
    measure: options.measure as StepDefinition['measure'],
    clock: options.clock ?? systemClock,
    logger: options.logger ?? noopLogger,
  };
}

/**
 * The `@step` methods of `instance` (its class and base classes), bound to it, ready for `job()`.
 *
 * @example
 * const result = await job('orders', stepsOf(new OrdersJob(pool))).run();
 */
export function stepsOf(instance: object): Step[] {
  if (typeof instance !== 'object' || instance === null) {
    throw new InvalidOptionError('instance', 'an object whose class has @step methods', instance);
  }
  const found: Step[] = [];
  const seen = new Set<PropertyKey>();
  for (
    let proto = Object.getPrototypeOf(instance);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Reflect.ownKeys(proto)) {
      if (seen.has(key)) continue;
      seen.add(key);
      const def = definitions.get(Object.getOwnPropertyDescriptor(proto, key)?.value);
      if (def) found.push(wrap({ ...def, fn: def.fn.bind(instance) }));
    }
  }
  if (found.length === 0) {
    throw new InvalidOptionError('instance', 'an object whose class has @step methods', instance);
  }
  return found;
}

function wrap(def: StepDefinition): Step {
  const wrapped = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const outcome = await executeStep(def, this, args);
    if (outcome.status === 'failed') throw outcome.error;
    return outcome.value;
  };
  Object.defineProperty(wrapped, 'name', { value: def.name });
  Object.defineProperty(wrapped, 'stepName', { value: def.name, enumerable: true });
  Object.defineProperty(wrapped, 'dependsOn', { value: def.dependsOn, enumerable: true });
  definitions.set(wrapped, def);
  return wrapped as Step;
}
