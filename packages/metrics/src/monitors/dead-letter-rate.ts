import { systemClock } from '@pipewright/core';
import {
  assertPositive,
  assertSql,
  datasetName,
  type MonitorBaseOptions,
  report,
  type TableSource,
  tableSql,
} from './shared.ts';
import type { MonitorSink, MonitorStatus, MonitorVerdict } from './verdict.ts';

export interface DeadLetterThresholds {
  /**
   * At or above this rate, a data-quality issue (`warning`).
   * @default 0.01
   */
  warning?: number;
  /**
   * Above this rate, the pipeline is `broken`.
   * @default 0.05
   */
  broken?: number;
}

/**
 * The dead-letter rate verdict from two counts: healthy below 1%, a data-quality issue (`warning`) from 1% to 5%,
 * broken above 5%. Dead letters with nothing processed are `broken`.
 */
export function deadLetterRateVerdict(
  deadLetters: number,
  processed: number,
  options: { dataset: string; thresholds?: DeadLetterThresholds; metrics?: MonitorSink },
): MonitorVerdict {
  const warning = options.thresholds?.warning ?? 0.01;
  const broken = options.thresholds?.broken ?? 0.05;
  assertPositive('thresholds.warning', warning);
  assertPositive('thresholds.broken', broken);
  const { dataset } = options;
  if (processed <= 0) {
    const status: MonitorStatus = deadLetters > 0 ? 'broken' : 'healthy';
    const message = `${dataset}: ${deadLetters} dead letters, no records processed`;
    return report({ monitor: 'dead_letter_rate', dataset, status, value: null, message }, options.metrics);
  }
  const rate = deadLetters / processed;
  const status: MonitorStatus = rate > broken ? 'broken' : rate >= warning ? 'warning' : 'healthy';
  const percent = Number((rate * 100).toFixed(2));
  const meaning = status === 'healthy' ? 'healthy' : status === 'warning' ? 'data-quality issue' : 'broken';
  const message = `${dataset}: ${deadLetters} dead letters / ${processed} processed = ${percent}% (${meaning})`;
  return report({ monitor: 'dead_letter_rate', dataset, status, value: rate, message }, options.metrics);
}

export interface DeadLetterRateOptions extends MonitorBaseOptions {
  /** The dead-letter table, its time column and filters (e.g. `{ pipeline: 'orders' }`). */
  deadLetters: TableSource;
  /** Records processed in the window: a count you have, or a table to count over the same window. */
  processed: number | TableSource;
  /**
   * The window, ending now.
   * @default 86400 (24 hours)
   */
  windowSeconds?: number;
  thresholds?: DeadLetterThresholds;
}

async function countSince(
  options: DeadLetterRateOptions,
  source: TableSource,
  option: string,
  since: string,
  until: string,
): Promise<number> {
  const { table, column, filters, params } = tableSql(source, option, 3);
  const { rows } = await options.sql.query<{ n: number | string }>(
    `SELECT count(*)::float8 AS n FROM ${table} WHERE ${column} >= $1::timestamptz AND ${column} < $2::timestamptz${filters}`,
    [since, until, ...params],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Dead-letter rate over a window: dead letters counted in their table, divided by the records processed.
 * Sets `pipewright_dead_letter_ratio` and `pipewright_monitor_status{monitor="dead_letter_rate"}`.
 */
export async function checkDeadLetterRate(options: DeadLetterRateOptions): Promise<MonitorVerdict> {
  assertSql(options?.sql);
  const windowSeconds = options.windowSeconds ?? 86_400;
  assertPositive('windowSeconds', windowSeconds);
  const now = (options.clock ?? systemClock).now();
  const since = new Date(now - windowSeconds * 1000).toISOString();
  const until = new Date(now).toISOString();
  const deadLetters = await countSince(options, options.deadLetters, 'deadLetters', since, until);
  let processed: number;
  if (typeof options.processed === 'number') {
    processed = options.processed;
    if (!(processed >= 0) || !Number.isFinite(processed)) assertPositive('processed', processed);
  } else {
    processed = await countSince(options, options.processed, 'processed', since, until);
  }
  return deadLetterRateVerdict(deadLetters, processed, {
    dataset: datasetName(options.deadLetters.table, options.dataset),
    ...(options.thresholds ? { thresholds: options.thresholds } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
}
