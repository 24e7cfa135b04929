import { InvalidOptionError, systemClock } from '@pipewright/core';
import {
  assertPositive,
  assertSql,
  datasetName,
  type MonitorBaseOptions,
  report,
  type TableSource,
  tableSql,
} from './shared.ts';
import type { MonitorStatus, MonitorVerdict } from './verdict.ts';

const DAY_MS = 86_400_000;

export interface VolumeOptions extends MonitorBaseOptions, TableSource {
  /**
   * Below this ratio of the daily average, volume is a `warning` (zero records is `broken`).
   * @default 0.5
   */
  minRatio?: number;
  /**
   * Above this ratio of the daily average, volume is a `warning`.
   * @default 2
   */
  maxRatio?: number;
  /**
   * Days of history that form the baseline.
   * @default 7
   */
  baselineDays?: number;
}

/**
 * Volume anomaly: records in the last 24 hours versus the daily average of the `baselineDays` days before
 * (rolling windows ending now, so a half-finished calendar day is never compared with whole ones). One query.
 * Sets `pipewright_volume_ratio` and `pipewright_monitor_status{monitor="volume"}`.
 */
export async function checkVolume(options: VolumeOptions): Promise<MonitorVerdict> {
  assertSql(options?.sql);
  const minRatio = options.minRatio ?? 0.5;
  const maxRatio = options.maxRatio ?? 2;
  const baselineDays = options.baselineDays ?? 7;
  assertPositive('minRatio', minRatio);
  assertPositive('maxRatio', maxRatio);
  if (maxRatio <= minRatio) throw new InvalidOptionError('maxRatio', `greater than minRatio (${minRatio})`, maxRatio);
  if (!Number.isInteger(baselineDays) || baselineDays < 1) {
    throw new InvalidOptionError('baselineDays', 'a positive integer', baselineDays);
  }
  const { table, column, filters, params } = tableSql(options, 'options', 4);
  const dataset = datasetName(options.table, options.dataset);
  const now = (options.clock ?? systemClock).now();
  const dayStart = new Date(now - DAY_MS).toISOString();
  const baselineStart = new Date(now - DAY_MS * (baselineDays + 1)).toISOString();
  const { rows } = await options.sql.query<{ last_day: number | string; baseline: number | string }>(
    `SELECT count(*) FILTER (WHERE ${column} >= $1::timestamptz)::float8 AS last_day,
            count(*) FILTER (WHERE ${column} < $1::timestamptz)::float8 AS baseline
       FROM ${table}
      WHERE ${column} >= $2::timestamptz AND ${column} < $3::timestamptz${filters}`,
    [dayStart, baselineStart, new Date(now).toISOString(), ...params],
  );
  const lastDay = Number(rows[0]?.last_day ?? 0);
  const average = Number(rows[0]?.baseline ?? 0) / baselineDays;
  let status: MonitorStatus;
  let value: number | null = null;
  let message: string;
  if (average === 0) {
    status = lastDay === 0 ? 'warning' : 'healthy';
    message =
      lastDay === 0
        ? `${dataset} has no records in the last ${baselineDays + 1} days`
        : `${dataset}: ${lastDay} records in the last 24 h, no baseline yet`;
  } else {
    value = lastDay / average;
    status = lastDay === 0 ? 'broken' : value < minRatio || value > maxRatio ? 'warning' : 'healthy';
    message = `${dataset}: ${lastDay} records in the last 24 h vs a daily average of ${Number(average.toFixed(1))} (ratio ${Number(value.toFixed(2))})`;
  }
  return report({ monitor: 'volume', dataset, status, value, message }, options.metrics);
}
