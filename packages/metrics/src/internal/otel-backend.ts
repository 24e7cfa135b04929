import type { InstrumentDefinition } from '../catalogue.ts';
import type { OtelAttributes, OtelMeterLike } from '../clients.ts';
import type { Backend, Handle } from './backend.ts';

type Recorder = (value: number, attributes?: OtelAttributes) => void;

/**
 * Same instruments through an OpenTelemetry meter: counters, explicit-bucket histograms, synchronous gauges. The
 * meter is resolved at the first measurement, not at construction: a global meter taken before the SDK starts
 * would stay a no-op forever (the metrics API has no proxy meter).
 */
export function otelBackend(getMeter: () => OtelMeterLike): Backend {
  const instruments = new Map<string, Recorder>();
  let meter: OtelMeterLike | undefined;
  const instrument = (definition: InstrumentDefinition): Recorder => {
    let recorder = instruments.get(definition.otelName);
    if (recorder) return recorder;
    meter ??= getMeter();
    const options = { description: definition.help, unit: definition.unit };
    if (definition.type === 'counter') {
      const counter = meter.createCounter(definition.otelName, options);
      recorder = (value, attributes) => counter.add(value, attributes);
    } else if (definition.type === 'gauge') {
      const gauge = meter.createGauge(definition.otelName, options);
      recorder = (value, attributes) => gauge.record(value, attributes);
    } else {
      const histogram = meter.createHistogram(definition.otelName, {
        ...options,
        advice: { explicitBucketBoundaries: [...(definition.buckets ?? [])] },
      });
      recorder = (value, attributes) => histogram.record(value, attributes);
    }
    instruments.set(definition.otelName, recorder);
    return recorder;
  };
  return {
    handle(definition, labels): Handle {
      const attributes: OtelAttributes = { ...labels };
      let record: Recorder | undefined; // created at the first value, see above
      return (value) => {
        record ??= instrument(definition);
        record(value, attributes);
      };
    },
  };
}
