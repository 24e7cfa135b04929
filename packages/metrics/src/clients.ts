/**
 * The few parts of prom-client and @opentelemetry/api this package uses, as structural types: both stay
 * optional peer dependencies, and the user's own copy is the one used (no duplicated-module surprises).
 */

export type LabelValues = Record<string, string>;

/** A prom-client `Registry` (the default `register` or your own). */
export interface PromRegistryLike {
  getSingleMetric(name: string): unknown;
  registerMetric(metric: object): void;
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** The prom-client module (`import * as promClient from 'prom-client'`): only its default `register` is used. */
export interface PromClientLike {
  register: PromRegistryLike;
}

export type OtelAttributes = Record<string, string | number | boolean | undefined>;

export interface OtelInstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** An OpenTelemetry `Meter` (from `metrics.getMeter()` or a `MeterProvider`). */
export interface OtelMeterLike {
  createCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): { add(value: number, attributes?: OtelAttributes): void };
  createHistogram(
    name: string,
    options?: OtelInstrumentOptions,
  ): { record(value: number, attributes?: OtelAttributes): void };
  createGauge(
    name: string,
    options?: OtelInstrumentOptions,
  ): { record(value: number, attributes?: OtelAttributes): void };
}

/** An OpenTelemetry `Span`. */
export interface OtelSpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  recordException(exception: Error | string, time?: number): void;
  setStatus(status: { code: number; message?: string }): unknown;
  end(endTime?: number): void;
}

/** An OpenTelemetry `Context` (opaque here). */
export type OtelContextLike = object;

/** An OpenTelemetry `Tracer`. */
export interface OtelTracerLike {
  startSpan(
    name: string,
    options?: { attributes?: OtelAttributes; startTime?: number },
    context?: OtelContextLike,
  ): OtelSpanLike;
}

/** The `@opentelemetry/api` module: `import * as api from '@opentelemetry/api'`. */
export interface OtelApiLike {
  metrics: { getMeter(name: string, version?: string): OtelMeterLike; getMeterProvider(): object };
  trace: {
    getTracer(name: string, version?: string): OtelTracerLike;
    // biome-ignore lint/suspicious/noExplicitAny: the real signature takes the API's own Span class.
    setSpan(context: OtelContextLike, span: any): OtelContextLike;
  };
  context: {
    active(): OtelContextLike;
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
      context: OtelContextLike,
      fn: F,
      thisArg?: ThisParameterType<F>,
      ...args: A
    ): ReturnType<F>;
  };
}
