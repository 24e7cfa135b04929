import { InvalidOptionError } from '@pipewright/core';
import type { PipelineMetricsOptions } from '../types.ts';

export function assertCount(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
    throw new InvalidOptionError(name, 'a finite non-negative number', value);
  }
}

export function validateOptions(options: PipelineMetricsOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options);
  const { pipeline, prometheus, otel, maxSteps, pushgateway } = options;
  if (typeof pipeline !== 'string' || !/^[^\p{Cc}]{1,128}$/u.test(pipeline)) {
    throw new InvalidOptionError('pipeline', 'a name of 1 to 128 printable characters', pipeline);
  }
  if (prometheus !== undefined) {
    const registry = prometheus?.registry ?? prometheus?.client?.register;
    if (typeof registry?.getSingleMetric !== 'function' || typeof registry.registerMetric !== 'function') {
      throw new InvalidOptionError(
        'prometheus.registry',
        'a prom-client Registry (or prometheus.client: the prom-client module, for its default registry)',
        registry,
      );
    }
  }
  if (pushgateway !== undefined && prometheus === undefined) {
    // An empty PUT would wipe the group: the pushed series come from the prom-client registry.
    throw new InvalidOptionError(
      'prometheus',
      'set when `pushgateway` is (the pushed series come from it)',
      prometheus,
    );
  }
  if (otel !== undefined && typeof otel?.api?.context?.active !== 'function') {
    throw new InvalidOptionError(
      'otel.api',
      "the @opentelemetry/api module (import * as api from '@opentelemetry/api')",
      otel?.api,
    );
  }
  if (maxSteps !== undefined && (!Number.isInteger(maxSteps) || maxSteps < 1)) {
    throw new InvalidOptionError('maxSteps', 'a positive integer', maxSteps);
  }
}
