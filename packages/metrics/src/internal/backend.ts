import type { InstrumentDefinition } from '../catalogue.ts';
import type { LabelValues } from '../clients.ts';

/** Records one value on one series; created once per label set and cached, so the hot path allocates nothing. */
export type Handle = (value: number) => void;

/** One destination for measurements (prom-client, OpenTelemetry). */
export interface Backend {
  handle(definition: InstrumentDefinition, labels: LabelValues): Handle;
}

const noop: Handle = () => {};

/** Fans one handle out to every backend; a single backend's handle is returned as is. */
export function combineHandles(
  backends: readonly Backend[],
  definition: InstrumentDefinition,
  labels: LabelValues,
): Handle {
  const handles = backends.map((backend) => backend.handle(definition, labels));
  if (handles.length === 0) return noop;
  if (handles.length === 1) return handles[0] as Handle;
  return (value) => {
    for (const handle of handles) handle(value);
  };
}
