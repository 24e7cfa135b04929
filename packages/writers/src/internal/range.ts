import { InvalidOptionError } from '@pipewright/core';
import type { WriterColumn, WriterTable } from '../table.ts';
import type { Batch } from './batch.ts';
import { compareVersions } from './dedupe.ts';
import { Rejection } from './reject.ts';

/** Rows whose `column` lies in [from, to) (or equals `equals`). Values are bound as parameters, never inlined. */
export type RowPredicate = { column: string; equals: unknown } | { column: string; from: unknown; to: unknown };

export interface CompiledPredicate {
  column: WriterColumn;
  /** SQL text with `$offset+1`… placeholders, e.g. `"day" >= $1::date AND "day" < $2::date`. */
  sql: (alias: string, offset: number) => string;
  params: string[];
  matches: (value: unknown) => boolean;
}

export function compilePredicate(table: WriterTable, predicate: RowPredicate, option: string): CompiledPredicate {
  if (predicate === null || typeof predicate !== 'object') {
    throw new InvalidOptionError(option, '{ column, equals } or { column, from, to }', predicate);
  }
  const column = table.column(predicate.column, `${option}.column`);
  const encode = (value: unknown, name: string): string => {
    try {
      return column.codec.encode(value);
    } catch (error) {
      if (error instanceof Rejection)
        throw new InvalidOptionError(`${option}.${name}`, `a ${column.type} value (${error.message})`, value);
      throw error;
    }
  };
  const ref = (alias: string) => (alias === '' ? column.sql : `${alias}.${column.sql}`);
  if ('equals' in predicate) {
    const value = predicate.equals;
    return {
      column,
      params: [encode(value, 'equals')],
      sql: (alias, offset) => `${ref(alias)} = $${offset + 1}::${column.type}`,
      matches: (candidate) => candidate !== null && candidate !== undefined && compareVersions(candidate, value) === 0,
    };
  }
  const { from, to } = predicate;
  const params = [encode(from, 'from'), encode(to, 'to')];
  if (compareVersions(from, to) >= 0)
    throw new InvalidOptionError(`${option}.to`, `greater than from (${params[0]})`, to);
  return {
    column,
    params,
    sql: (alias, offset) =>
      `${ref(alias)} >= $${offset + 1}::${column.type} AND ${ref(alias)} < $${offset + 2}::${column.type}`,
    matches: (candidate) =>
      candidate !== null &&
      candidate !== undefined &&
      compareVersions(candidate, from) >= 0 &&
      compareVersions(candidate, to) < 0,
  };
}

/** Reports the rows at `order` that fall outside the predicate and returns the others. */
export function keepMatching<Row>(batch: Batch<Row>, order: Uint32Array, predicate: CompiledPredicate): Uint32Array {
  const kept: number[] = [];
  for (const index of order) {
    const value = (batch.rows[index] as Record<string, unknown>)[predicate.column.name];
    if (predicate.matches(value)) kept.push(index);
    else batch.reject(index, `${predicate.column.name}: outside the replaced range`, { column: predicate.column.name });
  }
  return Uint32Array.from(kept);
}
