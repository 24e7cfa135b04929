import type { WriterColumn } from '../table.ts';
import type { Batch } from './batch.ts';
import { Rejection } from './reject.ts';

/** Orders two version values of the same column: numbers, bigints, Dates, or strings. */
export function compareVersions(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const left = a instanceof Date ? a.toISOString() : String(a);
  const right = b instanceof Date ? b.toISOString() : String(b);
  const leftTime = Date.parse(left);
  const rightTime = Date.parse(right);
  if (!Number.isNaN(leftTime) && !Number.isNaN(rightTime) && leftTime !== rightTime) return leftTime - rightTime;
  return left < right ? -1 : left > right ? 1 : 0;
}

export interface Deduplicated {
  /** Indexes of the rows to write, in input order: one per key, the winner. */
  order: Uint32Array;
  /** Rows dropped because a later (or newer) row in the batch has the same key. */
  superseded: number;
}

/**
 * Keeps one row per business key: the one with the highest `version` (ties: the later one), or simply the
 * later one. A row whose key PostgreSQL would refuse is reported and dropped here.
 */
export function deduplicate<Row>(
  batch: Batch<Row>,
  key: readonly WriterColumn[],
  version: WriterColumn | undefined,
): Deduplicated {
  const rows = batch.rows as readonly Record<string, unknown>[];
  const winners = new Map<string, number>();
  const single = key.length === 1 ? (key[0] as WriterColumn) : undefined;
  let superseded = 0;
  for (let i = 0; i < rows.length; i++) {
    if (batch.rejected[i] === 1) continue;
    const row = rows[i] as Record<string, unknown>;
    let keyText: string;
    try {
      keyText = single !== undefined ? keyPart(single, row) : key.map((column) => keyPart(column, row)).join('\u0001');
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      batch.reject(i, error.message, error.column === undefined ? undefined : { column: error.column });
      continue;
    }
    const previous = winners.get(keyText);
    if (previous === undefined) {
      winners.set(keyText, i);
      continue;
    }
    superseded++;
    if (version === undefined) {
      winners.set(keyText, i);
      continue;
    }
    const before = (rows[previous] as Record<string, unknown>)[version.name];
    const now = row[version.name];
    if (
      now !== null &&
      now !== undefined &&
      (before === null || before === undefined || compareVersions(now, before) >= 0)
    ) {
      winners.set(keyText, i);
    }
  }
  const order = new Uint32Array(winners.size);
  let n = 0;
  for (const index of winners.values()) order[n++] = index;
  if (superseded > 0) order.sort(); // input order, so the reported and staged order stays predictable
  return { order, superseded };
}

function keyPart(column: WriterColumn, row: Record<string, unknown>): string {
  const value = row[column.name];
  if (value === null || value === undefined) {
    throw new Rejection(`${column.name}: the business key must not be null`, column.name);
  }
  try {
    return column.codec.encode(value);
  } catch (error) {
    if (error instanceof Rejection) throw new Rejection(`${column.name}: ${error.message}`, column.name);
    throw error;
  }
}
