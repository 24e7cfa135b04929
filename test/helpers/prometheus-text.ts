import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One parsed metric family, as the real Prometheus text-format parser returns it. */
export type ParsedFamily = ReturnType<typeof parsePrometheusTextFormat>[number];

/** Parses Prometheus text exposition with parse-prometheus-text-format (throws on an invalid line). */
export function parsePrometheusText(text: string): ParsedFamily[] {
  return parsePrometheusTextFormat(text);
}

/** Prometheus writes infinities as `+Inf` and `-Inf`. */
function sampleNumber(text: string | undefined): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Every sample with its labels, through the same parser. The parser folds all series of a labelled histogram
 * into one, so histogram families are re-read as untyped: `_bucket`, `_sum` and `_count` become families of
 * their own, each sample keeping its labels (including `le`).
 */
export function parsePrometheusSamples(text: string): Sample[] {
  parsePrometheusTextFormat(text); // validates the original text as it is
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const samples: Sample[] = [];
  for (const family of parsePrometheusTextFormat(untyped)) {
    for (const metric of family.metrics) {
      samples.push({ name: family.name, labels: metric.labels ?? {}, value: sampleNumber(metric.value) });
    }
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when none matches. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matches = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}
