import { expectTypeOf } from 'vitest';
import type { AttemptContext } from './index.ts';
import { CircuitBreaker, RetryPolicy, retry, withRetry, wrap } from './index.ts';

// withRetry keeps parameters, `this` and the (awaited) return type.
declare function lookup(this: { base: string }, id: number, tag?: string): Promise<{ id: number; tag: string }>;
const wrapped = withRetry(lookup, { maxAttempts: 3 });
expectTypeOf(wrapped).parameters.toEqualTypeOf<[id: number, tag?: string]>();
expectTypeOf(wrapped).thisParameter.toEqualTypeOf<{ base: string }>();
expectTypeOf(wrapped).returns.toEqualTypeOf<Promise<{ id: number; tag: string }>>();

// A synchronous function becomes a promise of its result.
const sync = withRetry((a: string, b: number): boolean => a.length === b);
expectTypeOf(sync).toEqualTypeOf<(this: unknown, a: string, b: number) => Promise<boolean>>();

// A composed policy works the same.
const composed = withRetry(async (n: bigint) => n * 2n, wrap(new RetryPolicy(), new CircuitBreaker()));
expectTypeOf(composed).returns.toEqualTypeOf<Promise<bigint>>();

// The attempt context is the optional last parameter.
const withContext = withRetry(async (id: string, context?: AttemptContext) => context?.attempt ?? id.length);
expectTypeOf(withContext).returns.toEqualTypeOf<Promise<number>>();

// retryOn sees the function's result type.
void withRetry(async () => ({ status: 200 as number }), { retryOn: (o) => o.ok && o.value.status === 503 });
// @ts-expect-error `value` is an object with `status`, not a string
void withRetry(async () => ({ status: 200 }), { retryOn: (o) => o.ok && o.value.toUpperCase() === '' });

// retry passes the context and infers the result.
expectTypeOf(
  retry(async ({ signal, attempt }): Promise<number | string> => (signal.aborted ? attempt : 'x')),
).toEqualTypeOf<Promise<number | string>>();
expectTypeOf(retry(() => 42)).toEqualTypeOf<Promise<number>>();

// @ts-expect-error wrong argument type
void wrapped.call({ base: '' }, 'not a number');
// @ts-expect-error unknown option
void withRetry(lookup, { maxAtempts: 3 });
