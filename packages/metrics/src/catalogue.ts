/**
 * Every instrument this package records, defined once and rendered for both Prometheus and OpenTelemetry.
 * Labels are bounded by construction: a pipeline name, a step name, an outcome or kind from a fixed set, a
 * dataset or monitor name taken from configuration. Never a record id.
 */

export type InstrumentType = 'counter' | 'gauge' | 'histogram';

export interface InstrumentDefinition {
  /** The Prometheus name (with `_total` on counters and the unit suffix). */
  readonly name: string;
  /**
   * The OpenTelemetry instrument name: the Prometheus name without `_total`, which Prometheus exporters add back
   * to monotonic sums. The unit suffix stays in the name, so exporters that append units find it already there.
   */
  readonly otelName: string;
  /** UCUM unit for OpenTelemetry: `s`, `1` for ratios, or an annotation such as `{record}` (no name suffix). */
  readonly unit: string;
  readonly type: InstrumentType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histogram bucket upper bounds. */
  readonly buckets?: readonly number[];
}

/** Step durations: 5 ms to 10 minutes. */
export const STEP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
/** Run durations: 1 second to 4 hours (batch jobs). */
export const RUN_DURATION_BUCKETS: readonly number[] = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
/** Batch sizes in records: 1 to 100,000. */
export const BATCH_SIZE_BUCKETS: readonly number[] = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000];

const PS = ['pipeline', 'step'] as const;

function define(
  type: InstrumentType,
  name: string,
  unit: string,
  labelNames: readonly string[],
  help: string,
  buckets?: readonly number[],
): InstrumentDefinition {
  const otelName = name.replace(/_total$/, '');
  return buckets
    ? { type, name, otelName, unit, labelNames, help, buckets }
    : { type, name, otelName, unit, labelNames, help };
}

/** Short internal ids of the instruments. */
export type InstrumentId =
  | 'recordsIn'
  | 'recordsOut'
  | 'recordsRejected'
  | 'recordsDeadLettered'
  | 'retries'
  | 'failures'
  | 'runs'
  | 'stepDuration'
  | 'runDuration'
  | 'batchSize'
  | 'lastSuccess'
  | 'lastRunStatus'
  | 'watermarkLag'
  | 'deadLetterBacklog'
  | 'freshness'
  | 'volumeRatio'
  | 'deadLetterRatio'
  | 'monitorStatus';

/** The instruments, keyed by a short internal id. */
export const INSTRUMENTS: Readonly<Record<InstrumentId, InstrumentDefinition>> = {
  recordsIn: define('counter', 'pipewright_records_in_total', '{record}', PS, 'Records read by a step.'),
  recordsOut: define(
    'counter',
    'pipewright_records_out_total',
    '{record}',
    PS,
    'Records written or passed on by a step.',
  ),
  recordsRejected: define(
    'counter',
    'pipewright_records_rejected_total',
    '{record}',
    PS,
    'Records rejected by validation in a step.',
  ),
  recordsDeadLettered: define(
    'counter',
    'pipewright_records_dead_lettered_total',
    '{record}',
    PS,
    'Records sent to a dead-letter queue by a step.',
  ),
  retries: define('counter', 'pipewright_retries_total', '{retry}', PS, 'Retry attempts made by a step.'),
  failures: define(
    'counter',
    'pipewright_failures_total',
    '{failure}',
    [...PS, 'kind'],
    'Step failures by classification (transient, record, fatal).',
  ),
  runs: define(
    'counter',
    'pipewright_runs_total',
    '{run}',
    ['pipeline', 'outcome'],
    'Finished runs by outcome (success, failure).',
  ),
  stepDuration: define(
    'histogram',
    'pipewright_step_duration_seconds',
    's',
    [...PS, 'outcome'],
    'Duration of one step call.',
    STEP_DURATION_BUCKETS,
  ),
  runDuration: define(
    'histogram',
    'pipewright_run_duration_seconds',
    's',
    ['pipeline', 'outcome'],
    'Duration of one pipeline run.',
    RUN_DURATION_BUCKETS,
  ),
  batchSize: define(
    'histogram',
    'pipewright_batch_size_records',
    '{record}',
    PS,
    'Records per batch handled by a step.',
    BATCH_SIZE_BUCKETS,
  ),
  lastSuccess: define(
    'gauge',
    'pipewright_last_success_timestamp_seconds',
    's',
    ['pipeline'],
    'Unix time of the last successful run.',
  ),
  lastRunStatus: define(
    'gauge',
    'pipewright_last_run_status',
    '{status}',
    ['pipeline'],
    'Outcome of the last finished run: 1 success, 0 failure.',
  ),
  watermarkLag: define(
    'gauge',
    'pipewright_watermark_lag_seconds',
    's',
    PS,
    'Age of the committed watermark of a step.',
  ),
  deadLetterBacklog: define(
    'gauge',
    'pipewright_dead_letter_backlog_records',
    '{record}',
    PS,
    'Dead letters waiting for redrive.',
  ),
  freshness: define(
    'gauge',
    'pipewright_freshness_seconds',
    's',
    ['pipeline', 'dataset'],
    'Age of the newest record of a dataset (freshness monitor).',
  ),
  volumeRatio: define(
    'gauge',
    'pipewright_volume_ratio',
    '1',
    ['pipeline', 'dataset'],
    'Records in the last 24 hours divided by the daily average of the 7 days before (volume monitor).',
  ),
  deadLetterRatio: define(
    'gauge',
    'pipewright_dead_letter_ratio',
    '1',
    ['pipeline', 'dataset'],
    'Dead letters divided by records processed in the window (dead-letter monitor).',
  ),
  monitorStatus: define(
    'gauge',
    'pipewright_monitor_status',
    '{status}',
    ['pipeline', 'dataset', 'monitor'],
    'Verdict of a monitor: 0 healthy, 1 warning, 2 broken.',
  ),
};

/** The instruments as a list, in a stable order (README, dashboard test). */
export const INSTRUMENT_LIST: readonly InstrumentDefinition[] = Object.values(INSTRUMENTS);
