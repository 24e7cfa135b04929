import type { Check } from '../checks/define.ts';
import { UnsupportedCheckError } from '../errors.ts';
import { showValue } from './values.ts';

export type Row = Record<string, unknown>;

/** Returns a reason when the row fails, undefined when it passes. */
export type RowPredicate = (row: Row) => string | undefined;

/** Reads an own property only: a `constructor` column never resolves to Object.prototype.constructor. */
export function cell(row: Row, column: string): unknown {
  return row !== null && typeof row === 'object' && Object.hasOwn(row, column) ? row[column] : undefined;
}

/** Numbers as SQL sees them: numeric strings and bigints convert; anything else is NaN. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  if (value instanceof Date) return value.getTime();
  return Number.NaN;
}

/** A value normalised the way PostgreSQL compares it, for keys and sets. */
export function keyText(value: unknown): string {
  if (value instanceof Date) return `t${value.getTime()}`;
  if (typeof value === 'bigint' || typeof value === 'number') return `n${value}`;
  if (typeof value === 'string' && value !== '' && !Number.isNaN(Number(value)) && /^-?\d/.test(value)) {
    return `n${Number(value)}`; // numeric columns arrive from pg as strings
  }
  return `s${String(value)}`;
}

function isNull(value: unknown): boolean {
  return value === null || value === undefined;
}

function asText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** Builds one check's row predicate over a batch (stats for outliers and duplicate counts are computed first). */
export function rowPredicate(check: Check, rows: readonly Row[]): RowPredicate {
  switch (check.type) {
    case 'not_null':
      return (row) => (isNull(cell(row, check.column)) ? `${check.column} is null` : undefined);
    case 'unique': {
      const counts = duplicateCounts(rows, check.columns);
      return (row) => {
        const key = compositeKey(row, check.columns);
        const n = key === undefined ? 0 : (counts.get(key) ?? 0);
        return n > 1 ? `${check.columns.join(', ')} appears ${n} times` : undefined;
      };
    }
    case 'accepted_values':
      return setPredicate(check.column, check.values, 'is not an accepted value');
    case 'relationships':
      if (!('values' in check.to)) {
        throw new UnsupportedCheckError(
          check.name,
          'in memory',
          'a relationship to a table needs SQL; pass { values }',
        );
      }
      return setPredicate(check.column, check.to.values, 'has no match in the referenced values');
    case 'range': {
      const { min, max, minExclusive, maxExclusive, column } = check;
      return (row) => {
        const value = cell(row, column);
        if (isNull(value)) return undefined;
        const v = value instanceof Date ? value.getTime() : (value as number);
        const lo = min instanceof Date ? min.getTime() : min;
        const hi = max instanceof Date ? max.getTime() : max;
        const bad =
          (typeof v === 'number' && Number.isNaN(v)) ||
          (typeof v === 'object' && !(value instanceof Date)) ||
          (lo !== undefined && (minExclusive ? !(v > lo) : !(v >= lo))) ||
          (hi !== undefined && (maxExclusive ? !(v < hi) : !(v <= hi)));
        return bad ? `${column} ${showValue(value)} is out of range` : undefined;
      };
    }
    case 'pattern':
      return (row) => {
        const value = cell(row, check.column);
        if (isNull(value)) return undefined;
        return check.pattern.test(asText(value)) ? undefined : `${check.column} ${showValue(value)} does not match`;
      };
    case 'outliers':
      return outlierPredicate(check, rows);
    case 'custom':
      return (row) => {
        let verdict: boolean | string;
        try {
          verdict = check.predicate(row);
        } catch (error) {
          return `${check.name} threw: ${error instanceof Error ? error.message : String(error)}`;
        }
        return verdict === true ? undefined : typeof verdict === 'string' ? verdict : `${check.name} failed`;
      };
    default:
      throw new UnsupportedCheckError(check.name, 'per row', 'it judges the whole table, not single rows');
  }
}

function setPredicate(column: string, values: readonly unknown[], what: string): RowPredicate {
  const accepted = new Set(values.map(asText));
  return (row) => {
    const value = cell(row, column);
    if (isNull(value) || accepted.has(asText(value))) return undefined;
    return `${column} ${showValue(value)} ${what}`;
  };
}

export function compositeKey(row: Row, columns: readonly string[]): string | undefined {
  if (columns.length === 1) {
    const value = cell(row, columns[0] as string);
    return isNull(value) ? undefined : keyText(value);
  }
  const parts: string[] = [];
  for (const column of columns) {
    const value = cell(row, column);
    if (isNull(value)) return undefined; // like SQL, a key with a null part is never a duplicate
    parts.push(keyText(value));
  }
  return JSON.stringify(parts);
}

export function duplicateCounts(rows: readonly Row[], columns: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = compositeKey(row, columns);
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Linear interpolation between closest ranks, as PostgreSQL's percentile_cont. */
export function percentileCont(sorted: readonly number[], p: number): number {
  const position = p * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

export interface OutlierBounds {
  low: number;
  high: number;
}

/** Bounds outside which a value is an outlier, or undefined when there is no spread. */
export function outlierBounds(
  check: Extract<Check, { type: 'outliers' }>,
  stats: { mean: number; sd: number } | { q1: number; q3: number } | undefined,
): OutlierBounds | undefined {
  if (!stats) return undefined;
  if ('mean' in stats) {
    if (!(stats.sd > 0)) return undefined;
    return { low: stats.mean - check.threshold * stats.sd, high: stats.mean + check.threshold * stats.sd };
  }
  const iqr = stats.q3 - stats.q1;
  return { low: stats.q1 - check.threshold * iqr, high: stats.q3 + check.threshold * iqr };
}

function outlierPredicate(check: Extract<Check, { type: 'outliers' }>, rows: readonly Row[]): RowPredicate {
  const values: number[] = [];
  for (const row of rows) {
    const value = cell(row, check.column);
    if (isNull(value)) continue;
    const n = toNumber(value);
    if (Number.isFinite(n)) values.push(n);
  }
  let stats: { mean: number; sd: number } | { q1: number; q3: number } | undefined;
  if (values.length > 0) {
    if (check.method === 'zscore') {
      let sum = 0;
      for (const v of values) sum += v;
      const mean = sum / values.length;
      let squares = 0;
      for (const v of values) squares += (v - mean) * (v - mean);
      stats = { mean, sd: Math.sqrt(squares / values.length) };
    } else {
      values.sort((a, b) => a - b);
      stats = { q1: percentileCont(values, 0.25), q3: percentileCont(values, 0.75) };
    }
  }
  const bounds = outlierBounds(check, stats);
  return (row) => {
    if (!bounds) return undefined;
    const value = cell(row, check.column);
    if (isNull(value)) return undefined;
    const n = toNumber(value);
    if (!Number.isFinite(n)) return undefined;
    return n < bounds.low || n > bounds.high ? `${check.column} ${showValue(value)} is an outlier` : undefined;
  };
}
