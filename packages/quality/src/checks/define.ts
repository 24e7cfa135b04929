import { InvalidOptionError, type TableRef } from '@pipewright/core';

export type Severity = 'warn' | 'error';

/** Options every check takes. */
export interface CheckOptions {
  /** Name in reports. @default e.g. `not_null(email)` */
  name?: string;
  /** `error` fails the run; `warn` only reports. @default 'error' */
  severity?: Severity;
  /**
   * Pass when at least this share of rows passes (0…1), as in Great Expectations. Row checks only.
   * @default 1
   */
  mostly?: number;
}

/** Fields every check carries after defaults are applied. */
export interface CheckBase {
  name: string;
  severity: Severity;
  mostly: number;
}

export type RangeBound = number | bigint | Date;

export type NotNullCheck = CheckBase & { type: 'not_null'; column: string };
export type UniqueCheck = CheckBase & { type: 'unique'; columns: readonly string[] };
export type AcceptedValuesCheck = CheckBase & {
  type: 'accepted_values';
  column: string;
  values: readonly (string | number | boolean)[];
};
export type RangeCheck = CheckBase & {
  type: 'range';
  column: string;
  min: RangeBound | undefined;
  max: RangeBound | undefined;
  minExclusive: boolean;
  maxExclusive: boolean;
};
export type PatternCheck = CheckBase & { type: 'pattern'; column: string; pattern: RegExp };
export type RelationshipsCheck = CheckBase & { type: 'relationships'; column: string; to: RelationshipTarget };
export type OutliersCheck = CheckBase & {
  type: 'outliers';
  column: string;
  method: 'zscore' | 'iqr';
  threshold: number;
};
export type RowCountCheck = CheckBase & { type: 'row_count'; min: number | undefined; max: number | undefined };
export type CustomSqlCheck = CheckBase & { type: 'custom_sql'; sql: string; params: readonly unknown[] };
export type CustomCheck = CheckBase & { type: 'custom'; predicate: (row: Record<string, unknown>) => boolean | string };
export type FreshnessCheck = CheckBase & {
  type: 'freshness';
  column: string;
  warnAfterMs: number | undefined;
  errorAfterMs: number | undefined;
};
export type VolumeAnomalyCheck = CheckBase & {
  type: 'volume_anomaly';
  column: string;
  days: number;
  maxDrop: number;
  maxSpike: number;
  dayOffset: number;
};

/** A check definition: a plain value, run by `runChecks` (in memory) or `runSqlChecks` (in PostgreSQL). */
export type Check =
  | NotNullCheck
  | UniqueCheck
  | AcceptedValuesCheck
  | RangeCheck
  | PatternCheck
  | RelationshipsCheck
  | OutliersCheck
  | RowCountCheck
  | CustomSqlCheck
  | CustomCheck
  | FreshnessCheck
  | VolumeAnomalyCheck;

export type CheckType = Check['type'];

/** A foreign key: to a column of a table (SQL only) or to a set of values (SQL and in memory). */
export type RelationshipTarget =
  | { table: TableRef; column: string }
  | { values: readonly (string | number | bigint)[] };

function base(defaultName: string, options: CheckOptions): CheckBase {
  const { name = defaultName, severity = 'error', mostly = 1 } = options;
  if (severity !== 'warn' && severity !== 'error')
    throw new InvalidOptionError('severity', "'warn' or 'error'", severity);
  if (typeof mostly !== 'number' || !(mostly >= 0 && mostly <= 1)) {
    throw new InvalidOptionError('mostly', 'a number between 0 and 1', mostly);
  }
  if (typeof name !== 'string' || name === '') throw new InvalidOptionError('name', 'a non-empty string', name);
  return { name, severity, mostly };
}

function column(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError(option, 'a column name', value);
  return value;
}

function nonNegative(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(option, 'a finite number >= 0', value);
  }
  return value;
}

/** Fails rows where `col` is null (or missing/undefined in memory). */
export function notNull(col: string, options: CheckOptions = {}): NotNullCheck {
  return { ...base(`not_null(${col})`, options), type: 'not_null', column: column('column', col) };
}

/** Fails every row whose key (one column or several) appears more than once; null keys are ignored. */
export function unique(columns: string | readonly string[], options: CheckOptions = {}): UniqueCheck {
  const list = typeof columns === 'string' ? [columns] : [...columns];
  if (list.length === 0) throw new InvalidOptionError('columns', 'at least one column', columns);
  for (const c of list) column('columns', c);
  return { ...base(`unique(${list.join(', ')})`, options), type: 'unique', columns: list };
}

/** Fails non-null values outside `values` (compared as text, like `col::text = ANY(...)`). */
export function acceptedValues(
  col: string,
  values: readonly (string | number | boolean)[],
  options: CheckOptions = {},
): AcceptedValuesCheck {
  if (!Array.isArray(values) || values.length === 0)
    throw new InvalidOptionError('values', 'a non-empty array', values);
  return {
    ...base(`accepted_values(${col})`, options),
    type: 'accepted_values',
    column: column('column', col),
    values,
  };
}

export interface RangeOptions extends CheckOptions {
  min?: RangeBound;
  max?: RangeBound;
  /** @default false */
  minExclusive?: boolean;
  /** @default false */
  maxExclusive?: boolean;
}

function bound(option: string, value: unknown): RangeBound | undefined {
  if (value === undefined || typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  throw new InvalidOptionError(option, 'a finite number, a bigint or a valid Date', value);
}

/** Fails non-null values outside [min, max] (NaN always fails in memory). */
export function range(col: string, options: RangeOptions): RangeCheck {
  const min = bound('min', options.min);
  const max = bound('max', options.max);
  if (min === undefined && max === undefined) throw new InvalidOptionError('min/max', 'at least one bound', options);
  return {
    ...base(`range(${col})`, options),
    type: 'range',
    column: column('column', col),
    min,
    max,
    minExclusive: options.minExclusive ?? false,
    maxExclusive: options.maxExclusive ?? false,
  };
}

/** Fails values that are not > 0. */
export function positive(col: string, options: CheckOptions = {}): RangeCheck {
  return range(col, { name: `positive(${col})`, ...options, min: 0, minExclusive: true });
}

/**
 * Fails non-null values (as text) that do not match. In SQL the pattern runs as a POSIX regex (`~`, or `~*`
 * with the `i` flag): keep to the common subset (classes, anchors, quantifiers, alternation).
 */
export function pattern(col: string, regex: RegExp | string, options: CheckOptions = {}): PatternCheck {
  let re: RegExp;
  try {
    re = typeof regex === 'string' ? new RegExp(regex) : new RegExp(regex.source, regex.flags.replace(/[gy]/g, ''));
  } catch {
    throw new InvalidOptionError('pattern', 'a valid regular expression', regex);
  }
  if (/[^iu]/.test(re.flags)) throw new InvalidOptionError('pattern', "a regex with no flags other than 'i'/'u'", re);
  return { ...base(`pattern(${col})`, options), type: 'pattern', column: column('column', col), pattern: re };
}

/** Fails non-null values with no match in the target table column (SQL) or value set (SQL and memory). */
export function relationships(col: string, to: RelationshipTarget, options: CheckOptions = {}): RelationshipsCheck {
  if (to === null || typeof to !== 'object') throw new InvalidOptionError('to', '{ table, column } or { values }', to);
  if ('values' in to) {
    if (!Array.isArray(to.values)) throw new InvalidOptionError('to.values', 'an array', to.values);
  } else column('to.column', to.column);
  return { ...base(`relationships(${col})`, options), type: 'relationships', column: column('column', col), to };
}

export interface OutlierOptions extends CheckOptions {
  /** `zscore`: |x − mean| / stddev_pop > threshold. `iqr`: outside [Q1 − k·IQR, Q3 + k·IQR]. @default 'zscore' */
  method?: 'zscore' | 'iqr';
  /** z-score limit, or k for IQR. @default 3 for zscore, 1.5 for iqr */
  threshold?: number;
}

/** Fails numeric values far from the rest (z-score or interquartile range). */
export function outliers(col: string, options: OutlierOptions = {}): OutliersCheck {
  const method = options.method ?? 'zscore';
  if (method !== 'zscore' && method !== 'iqr') throw new InvalidOptionError('method', "'zscore' or 'iqr'", method);
  const threshold = options.threshold ?? (method === 'zscore' ? 3 : 1.5);
  if (!(typeof threshold === 'number' && threshold > 0 && Number.isFinite(threshold))) {
    throw new InvalidOptionError('threshold', 'a positive number', threshold);
  }
  return { ...base(`outliers(${col})`, options), type: 'outliers', column: column('column', col), method, threshold };
}

/** Fails when the number of rows is outside [min, max]. */
export function rowCount(options: CheckOptions & { min?: number; max?: number }): RowCountCheck {
  const min = nonNegative('min', options.min);
  const max = nonNegative('max', options.max);
  if (min === undefined && max === undefined) throw new InvalidOptionError('min/max', 'at least one bound', options);
  return { ...base('row_count', options), type: 'row_count', min, max };
}

/**
 * SQL only: every row the query returns is a failure. `{{table}}` is replaced by the checked table's quoted
 * name; values go in `params` ($1, $2…).
 * @example customSql('negative_totals', 'SELECT id FROM {{table}} WHERE total < $1', [0])
 */
export function customSql(
  name: string,
  sql: string,
  params: readonly unknown[] = [],
  options: CheckOptions = {},
): CustomSqlCheck {
  if (typeof sql !== 'string' || sql.trim() === '') throw new InvalidOptionError('sql', 'a SQL query', sql);
  return { ...base(name, { ...options, name }), type: 'custom_sql', sql, params };
}

/** In memory only: `predicate(row)` returns true when the row passes, false or a reason when it fails. */
export function custom(
  name: string,
  predicate: (row: Record<string, unknown>) => boolean | string,
  options: CheckOptions = {},
): CustomCheck {
  if (typeof predicate !== 'function') throw new InvalidOptionError('predicate', 'a function', predicate);
  return { ...base(name, { ...options, name }), type: 'custom', predicate };
}

export interface FreshnessOptions extends CheckOptions {
  /** Warn when the newest value is older than this. */
  warnAfterMs?: number;
  /** Fail when the newest value is older than this. */
  errorAfterMs?: number;
}

/** The newest `col` timestamp must be recent (read against the run's clock). */
export function freshness(col: string, options: FreshnessOptions): FreshnessCheck {
  const warnAfterMs = nonNegative('warnAfterMs', options.warnAfterMs);
  const errorAfterMs = nonNegative('errorAfterMs', options.errorAfterMs);
  if (warnAfterMs === undefined && errorAfterMs === undefined) {
    throw new InvalidOptionError('warnAfterMs/errorAfterMs', 'at least one threshold', options);
  }
  return {
    ...base(`freshness(${col})`, options),
    type: 'freshness',
    column: column('column', col),
    warnAfterMs,
    errorAfterMs,
  };
}

export interface VolumeAnomalyOptions extends CheckOptions {
  /** Days of history (before today, UTC) to average. @default 7 */
  days?: number;
  /** Fail when today's count is below average × (1 − maxDrop). @default 0.5 */
  maxDrop?: number;
  /** Fail when today's count is above average × (1 + maxSpike). @default 1 */
  maxSpike?: number;
  /**
   * Judge the day this many days before today (UTC): 1 = yesterday, for a job that runs after midnight and must
   * not compare a day that has just begun with full days.
   * @default 0
   */
  dayOffset?: number;
}

/** Today's row count (by the UTC day of `col`) against the average of the previous `days` days. */
export function volumeAnomaly(col: string, options: VolumeAnomalyOptions = {}): VolumeAnomalyCheck {
  const days = options.days ?? 7;
  if (!(Number.isInteger(days) && days >= 1)) throw new InvalidOptionError('days', 'a positive integer', days);
  const maxDrop = nonNegative('maxDrop', options.maxDrop) ?? 0.5;
  if (maxDrop > 1) throw new InvalidOptionError('maxDrop', 'a number between 0 and 1', maxDrop);
  const maxSpike = nonNegative('maxSpike', options.maxSpike) ?? 1;
  const dayOffset = options.dayOffset ?? 0;
  if (!(Number.isInteger(dayOffset) && dayOffset >= 0)) {
    throw new InvalidOptionError('dayOffset', 'an integer >= 0', dayOffset);
  }
  return {
    ...base(`volume_anomaly(${col})`, options),
    type: 'volume_anomaly',
    column: column('column', col),
    days,
    maxDrop,
    maxSpike,
    dayOffset,
  };
}

/** Checks that judge single rows (usable for quarantine). */
export function isRowCheck(check: Check): boolean {
  return !['row_count', 'custom_sql', 'freshness', 'volume_anomaly'].includes(check.type);
}
