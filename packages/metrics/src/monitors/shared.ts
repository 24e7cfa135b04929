import {
  type Clock,
  InvalidOptionError,
  quoteIdentifier,
  resolveTable,
  type SqlClient,
  type TableRef,
} from '@pipewright/core';
import type { MonitorSink, MonitorVerdict } from './verdict.ts';

/** Equality filters on the monitored table, e.g. `{ pipeline: 'orders' }` for a shared dead-letter table. */
export type WhereEquals = Readonly<Record<string, string | number | boolean>>;

/** Options every monitor takes. */
export interface MonitorBaseOptions {
  /** The user's client, through `createSqlClient(pool)`. */
  sql: SqlClient;
  /** Where the verdict's gauges go (a `PipelineMetrics`). */
  metrics?: MonitorSink;
  /**
   * The dataset label of the gauges and verdict.
   * @default the table name as given
   */
  dataset?: string;
  /** @default systemClock */
  clock?: Clock;
}

export interface TableSource {
  table: TableRef;
  /** The record's time: a `timestamptz` column (a plain `timestamp` is only right when it holds UTC). */
  column: string;
  where?: WhereEquals;
}

/** Resolves a table, a column and its filters into SQL pieces; every name is validated, every value a parameter. */
export function tableSql(
  source: TableSource,
  option: string,
  firstParam: number,
): { table: string; column: string; filters: string; params: unknown[] } {
  if (source === null || typeof source !== 'object') throw new InvalidOptionError(option, '{ table, column }', source);
  const table = resolveTable(source.table).sql;
  const column = quoteIdentifier(source.column);
  const params: unknown[] = [];
  let filters = '';
  for (const [name, value] of Object.entries(source.where ?? {})) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new InvalidOptionError(`${option}.where.${name}`, 'a string, number or boolean', value);
    }
    params.push(value);
    filters += ` AND ${quoteIdentifier(name)} = $${firstParam + params.length - 1}`;
  }
  return { table, column, filters, params };
}

export function datasetName(table: TableRef, dataset: string | undefined): string {
  if (dataset !== undefined) {
    if (typeof dataset !== 'string' || dataset === '')
      throw new InvalidOptionError('dataset', 'a non-empty string', dataset);
    return dataset;
  }
  return typeof table === 'string' ? table : table.schema ? `${table.schema}.${table.name}` : table.name;
}

export function assertPositive(option: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value > 0) || value === Number.POSITIVE_INFINITY) {
    throw new InvalidOptionError(option, 'a positive finite number', value);
  }
}

export function assertSql(sql: unknown): asserts sql is SqlClient {
  if (typeof (sql as SqlClient | undefined)?.query !== 'function') {
    throw new InvalidOptionError('sql', 'a SqlClient (createSqlClient(pool))', sql);
  }
}

/** Hands the verdict to the metrics, if any, and returns it. */
export function report(verdict: MonitorVerdict, metrics: MonitorSink | undefined): MonitorVerdict {
  metrics?.observeMonitor(verdict);
  return verdict;
}
