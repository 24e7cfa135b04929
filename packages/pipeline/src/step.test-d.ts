import { expectTypeOf } from 'vitest';
import { step } from './step.ts';
import type { StepContext } from './types.ts';

// The wrapper keeps parameters and `this`, and returns the awaited result as a promise.
const add = step('add', async (a: number, b: number) => a + b);
expectTypeOf(add).parameters.toEqualTypeOf<[number, number]>();
expectTypeOf(add).returns.toEqualTypeOf<Promise<number>>();
expectTypeOf(add.stepName).toEqualTypeOf<string>();

const sync = step('sync', (s: string) => s.length);
expectTypeOf(sync).returns.toEqualTypeOf<Promise<number>>();

const withThis = step('m', async function (this: { base: number }, n: number) {
  return this.base + n;
});
expectTypeOf(withThis).thisParameter.toEqualTypeOf<{ base: number }>();

// measure() sees the awaited result.
step('load', async (_ctx: StepContext) => ({ inserted: 3 }), {
  measure: (r) => {
    expectTypeOf(r).toEqualTypeOf<{ inserted: number }>();
    return { out: r.inserted };
  },
});

// @ts-expect-error: the wrapped function keeps its parameter types
void add('1', 2);
