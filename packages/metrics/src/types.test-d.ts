import type * as otelApi from '@opentelemetry/api';
import type * as promClient from 'prom-client';
import { expectTypeOf } from 'vitest';
import type {
  OtelApiLike,
  OtelMeterLike,
  OtelTracerLike,
  PinoLike,
  PipelineMetrics,
  PromClientLike,
  PromRegistryLike,
  RetrySourceLike,
  RunScope,
} from './index.ts';
import { withTiming } from './index.ts';

// The user's own modules and instances fit the structural types, with no cast.
expectTypeOf<typeof promClient>().toExtend<PromClientLike>();
expectTypeOf<promClient.Registry>().toExtend<PromRegistryLike>();
expectTypeOf<typeof otelApi>().toExtend<OtelApiLike>();
expectTypeOf<otelApi.Meter>().toExtend<OtelMeterLike>();
expectTypeOf<otelApi.Tracer>().toExtend<OtelTracerLike>();
expectTypeOf<import('pino').Logger>().toExtend<PinoLike>();
expectTypeOf<import('cockatiel').RetryPolicy>().toExtend<RetrySourceLike>();

// time() returns the step's awaited result; so does a run's.
declare const metrics: PipelineMetrics;
declare const run: RunScope;
expectTypeOf(metrics.time('s', async () => 42)).toEqualTypeOf<Promise<number>>();
expectTypeOf(run.time('s', () => 'x' as const)).toEqualTypeOf<Promise<'x'>>();
expectTypeOf(metrics.run(async () => [1n])).toEqualTypeOf<Promise<bigint[]>>();

// withTiming keeps `this` and parameters; the result becomes a promise.
declare function lookup(this: { base: string }, id: number, tag?: string): { id: number };
const timedLookup = withTiming(metrics, 'lookup', lookup);
expectTypeOf(timedLookup).parameters.toEqualTypeOf<[id: number, tag?: string]>();
expectTypeOf(timedLookup).thisParameter.toEqualTypeOf<{ base: string }>();
expectTypeOf(timedLookup).returns.toEqualTypeOf<Promise<{ id: number }>>();

// record() takes counts only.
// @ts-expect-error a record id is not a count
metrics.record('s', { id: 'order-1' });
