/** A metric as prom-client's `metric.get()` returns it. */
export interface MetricSnapshot {
  name: string;
  help: string;
  type: string;
  values: readonly { value: number; labels: Record<string, string | number | undefined>; metricName?: string }[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/**
 * Renders metrics in the Prometheus text format 0.0.4, keeping only the series `keep` accepts (used to push one
 * pipeline's series to the Pushgateway). A metric with no series left is omitted entirely.
 */
export function renderExposition(
  metrics: readonly MetricSnapshot[],
  keep: (labels: Record<string, string | number | undefined>) => boolean = () => true,
): string {
  let out = '';
  for (const metric of metrics) {
    const values = metric.values.filter((value) => keep(value.labels));
    if (values.length === 0) continue;
    out += `# HELP ${metric.name} ${escapeHelp(metric.help)}\n# TYPE ${metric.name} ${metric.type}\n`;
    for (const { value, labels, metricName } of values) {
      const pairs = Object.entries(labels)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}="${escapeLabel(typeof v === 'number' ? formatValue(v) : String(v))}"`);
      out += `${metricName ?? metric.name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}\n`;
    }
  }
  return out;
}
