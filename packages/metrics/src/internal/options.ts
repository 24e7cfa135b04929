import { InvalidOptionError } from '@pipewright/core';
import type { MonitorVerdict } from '../monitors/verdict.ts';
import { STATUS_VALUE } from '../monitors/verdict.ts';
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

const MONITORS = new Set(['freshness', 'volume', 'dead_letter_rate']);

/** A verdict may come from your own monitor: it must name a known monitor and status, a dataset and a number. */
export function assertVerdict(verdict: MonitorVerdict): void {
  if (!MONITORS.has(verdict?.monitor)) {
    throw new InvalidOptionError('verdict.monitor', '"freshness", "volume" or "dead_letter_rate"', verdict?.monitor);
  }
  if (!Object.hasOwn(STATUS_VALUE, verdict.status)) {
    throw new InvalidOptionError('verdict.status', '"healthy", "warning" or "broken"', verdict.status);
  }
  if (typeof verdict.dataset !== 'string' || verdict.dataset === '') {
    throw new InvalidOptionError('verdict.dataset', 'a non-empty string', verdict.dataset);
  }
  if (verdict.value !== null && (typeof verdict.value !== 'number' || Number.isNaN(verdict.value))) {
    throw new InvalidOptionError('verdict.value', 'a number or null', verdict.value);
  }
}
