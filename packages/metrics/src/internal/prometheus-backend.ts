import type { InstrumentDefinition } from '../catalogue.ts';
import type { LabelValues, PromRegistryLike } from '../clients.ts';
import { MetricConflictError } from '../errors.ts';
import type { Backend, Handle } from './backend.ts';
import { PipewrightPromMetric } from './prom-metric.ts';

interface RegisteredMetric {
  type?: unknown;
  labelNames?: unknown;
  labels(labels: LabelValues): { inc?(value: number): void; set?(value: number): void; observe?(value: number): void };
}

/**
 * Get-or-create: a metric already in the registry with the same type and labels is reused, so two instances
 * (or a hot reload, or a second test) on one registry never hit "already registered".
 */
export function getOrCreateMetric(registry: PromRegistryLike, definition: InstrumentDefinition): RegisteredMetric {
  const existing = registry.getSingleMetric(definition.name) as RegisteredMetric | undefined;
  if (existing !== undefined) {
    const labels = Array.isArray(existing.labelNames) ? existing.labelNames.join(',') : '';
    if (existing.type !== definition.type || labels !== definition.labelNames.join(',')) {
      throw new MetricConflictError(
        definition.name,
        `a ${definition.type} with labels [${definition.labelNames.join(', ')}]`,
        `a ${String(existing.type)} with labels [${labels}]`,
      );
    }
    return existing;
  }
  // Our own series implementation, rendered by the user's registry like any prom-client metric.
  const metric = new PipewrightPromMetric(definition);
  registry.registerMetric(metric);
  return metric;
}

export function prometheusBackend(registry: PromRegistryLike): Backend {
  const metrics = new Map<string, RegisteredMetric>();
  return {
    handle(definition, labels): Handle {
      let metric = metrics.get(definition.name);
      if (!metric) {
        metric = getOrCreateMetric(registry, definition);
        metrics.set(definition.name, metric);
      }
      const child = metric.labels(labels);
      if (definition.type === 'counter') return (value) => child.inc?.(value);
      if (definition.type === 'gauge') return (value) => child.set?.(value);
      return (value) => child.observe?.(value);
    },
  };
}
