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
import type { MonitorVerdict } from './verdict.ts';

export interface FreshnessOptions extends MonitorBaseOptions, TableSource {
  /** Older than this, the dataset is `broken` (stale). */
  maxAgeSeconds: number;
  /**
   * Older than this (and not older than `maxAgeSeconds`), the dataset is a `warning`.
   * @default no warning level
   */
  warnAgeSeconds?: number;
}

/**
 * Freshness: the age of the newest record (`max(column)`) against a threshold. An empty table is `broken`.
 * Sets `pipewright_freshness_seconds` and `pipewright_monitor_status{monitor="freshness"}`.
 */
export async function checkFreshness(options: FreshnessOptions): Promise<MonitorVerdict> {
  assertSql(options?.sql);
  assertPositive('maxAgeSeconds', options.maxAgeSeconds);
  if (options.warnAgeSeconds !== undefined) assertPositive('warnAgeSeconds', options.warnAgeSeconds);
  const { table, column, filters, params } = tableSql(options, 'options', 1);
  const dataset = datasetName(options.table, options.dataset);
  const { rows } = await options.sql.query<{ newest: number | string | null }>(
    `SELECT extract(epoch FROM max(${column}))::float8 AS newest FROM ${table} WHERE true${filters}`,
    params,
  );
  const newest = rows[0]?.newest;
  if (newest === null || newest === undefined) {
    return report(
      { monitor: 'freshness', dataset, status: 'broken', value: null, message: `${dataset} has no records` },
      options.metrics,
    );
  }
  const nowSeconds = (options.clock ?? systemClock).now() / 1000;
  const age = Math.max(0, nowSeconds - Number(newest));
  const status =
    age > options.maxAgeSeconds
      ? 'broken'
      : options.warnAgeSeconds !== undefined && age > options.warnAgeSeconds
        ? 'warning'
        : 'healthy';
  const message =
    status === 'healthy'
      ? `${dataset} is fresh: newest record ${Math.round(age)} s old`
      : `${dataset} is stale: newest record ${Math.round(age)} s old (limit ${status === 'broken' ? options.maxAgeSeconds : options.warnAgeSeconds} s)`;
  return report({ monitor: 'freshness', dataset, status, value: age, message }, options.metrics);
}
