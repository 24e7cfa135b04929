import { InvalidOptionError, systemClock } from '@pipewright/core';
import { UnsupportedCheckError } from '../errors.ts';
import { cell, compositeKey, duplicateCounts, type Row, rowPredicate } from '../internal/row-predicates.ts';
import { boundSample } from '../internal/values.ts';
import type { Check } from './define.ts';
import {
  type CheckResult,
  finalize,
  freshnessOutcome,
  type RawOutcome,
  type RunOptions,
  rowCountOutcome,
  volumeOutcome,
  volumeWindow,
} from './result.ts';

export function normalizeRunOptions(options: RunOptions): { now: () => number; sampleSize: number; key: string[] } {
  const sampleSize = options.sampleSize ?? 5;
  if (!(Number.isInteger(sampleSize) && sampleSize >= 0)) {
    throw new InvalidOptionError('sampleSize', 'an integer >= 0', sampleSize);
  }
  const key = options.key === undefined ? [] : typeof options.key === 'string' ? [options.key] : [...options.key];
  const clock = options.clock ?? systemClock;
  return { now: () => clock.now(), sampleSize, key };
}

function sampleEntry(row: Row, column: string | undefined, key: readonly string[]): unknown {
  const entry: Record<string, unknown> = {};
  if (key.length > 0) {
    const keyValues: Record<string, unknown> = {};
    for (const k of key) keyValues[k] = boundSample(cell(row, k));
    entry.key = keyValues;
  }
  if (column !== undefined) entry.value = boundSample(cell(row, column));
  return entry;
}

function timestampMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  return typeof value === 'number' ? value : Number.NaN;
}

function evaluate(check: Check, rows: readonly Row[], ctx: ReturnType<typeof normalizeRunOptions>): RawOutcome {
  const total = rows.length;
  switch (check.type) {
    case 'row_count':
      return rowCountOutcome(check, total);
    case 'custom_sql':
      throw new UnsupportedCheckError(check.name, 'in memory', 'custom SQL needs a table; use custom() for a batch');
    case 'freshness': {
      let latest: number | undefined;
      for (const row of rows) {
        const ms = timestampMs(cell(row, check.column));
        if (!Number.isNaN(ms) && (latest === undefined || ms > latest)) latest = ms;
      }
      return freshnessOutcome(check, latest, ctx.now(), total);
    }
    case 'volume_anomaly': {
      const { start, today, end } = volumeWindow(ctx.now(), check.days, check.dayOffset);
      let todayCount = 0;
      let history = 0;
      for (const row of rows) {
        const ms = timestampMs(cell(row, check.column));
        if (ms >= today && ms < end) todayCount++;
        else if (ms >= start && ms < today) history++;
      }
      return volumeOutcome(check, todayCount, history, total);
    }
    case 'unique': {
      // Sample the duplicated keys (with counts), not every duplicated row.
      const counts = duplicateCounts(rows, check.columns);
      let failing = 0;
      const sample: unknown[] = [];
      const seen = new Set<string>();
      for (const row of rows) {
        const key = compositeKey(row, check.columns);
        const n = key === undefined ? 0 : (counts.get(key) ?? 0);
        if (n < 2) continue;
        failing++;
        if (sample.length < ctx.sampleSize && !seen.has(key as string)) {
          seen.add(key as string);
          const value: Record<string, unknown> = {};
          for (const c of check.columns) value[c] = boundSample(cell(row, c));
          sample.push({ value: check.columns.length === 1 ? value[check.columns[0] as string] : value, count: n });
        }
      }
      return { total, failing, sample };
    }
    default: {
      const predicate = rowPredicate(check, rows);
      const column = 'column' in check ? check.column : undefined;
      let failing = 0;
      const sample: unknown[] = [];
      for (const row of rows) {
        if (predicate(row) === undefined) continue;
        failing++;
        if (sample.length < ctx.sampleSize) sample.push(sampleEntry(row, column, ctx.key));
      }
      return { total, failing, sample };
    }
  }
}

/**
 * Runs checks over a batch in memory. Same semantics and results as `runSqlChecks` on a table holding the same
 * rows (except `custom` here and `custom_sql`/relationships-to-a-table there).
 */
export function runChecks(rows: readonly Row[], checks: readonly Check[], options: RunOptions = {}): CheckResult[] {
  if (!Array.isArray(rows)) throw new InvalidOptionError('rows', 'an array of rows', rows);
  const ctx = normalizeRunOptions(options);
  return checks.map((check) => finalize(check, evaluate(check, rows, ctx)));
}
