import type { WriterColumn } from '../table.ts';
import type { LineEncoder } from './line.ts';
import { Rejection } from './reject.ts';

/** A record PostgreSQL would refuse (or did refuse), with the reason; the rest of the batch still loads. */
export interface RecordFailure<Row = Record<string, unknown>> {
  /** Position of the record in the batch you passed. */
  index: number;
  record: Row;
  /** Why it was refused: the database's message when the database refused it. */
  reason: string;
  /** SQLSTATE when the database refused it, e.g. `22003`. */
  code?: string;
  column?: string;
}

/** A column to stage: a table column, or a synthetic one (e.g. the hard-delete flag) read by `get`. */
export interface StagedColumn {
  name: string;
  sql: string;
  type: string;
  encode: (value: unknown) => string;
  needsEscape: boolean;
  nullable: boolean;
  get?: (row: Record<string, unknown>) => unknown;
}

export function stagedColumn(column: WriterColumn): StagedColumn {
  return {
    name: column.name,
    sql: column.sql,
    type: column.type,
    encode: column.codec.encode,
    needsEscape: column.codec.needsEscape,
    nullable: column.nullable,
  };
}

/**
 * The rows of one call plus what we learned about them: which are refused (a mask, so a record is reported
 * once however often a subset is re-encoded) and the failures list handed back to the caller.
 */
export class Batch<Row> {
  readonly rows: readonly Row[];
  readonly rejected: Uint8Array;
  readonly failures: RecordFailure<Row>[] = [];

  constructor(rows: readonly Row[]) {
    this.rows = rows;
    this.rejected = new Uint8Array(rows.length);
  }

  reject(index: number, reason: string, extra?: { code?: string; column?: string }): void {
    if (this.rejected[index] === 1) return;
    this.rejected[index] = 1;
    const failure: RecordFailure<Row> = { index, record: this.rows[index] as Row, reason };
    if (extra?.code !== undefined) failure.code = extra.code;
    if (extra?.column !== undefined) failure.column = extra.column;
    this.failures.push(failure);
  }

  /** Encodes one value, turning a refusal into a per-record failure. Returns undefined when refused. */
  encodeRow(index: number, columns: readonly StagedColumn[], out: (string | null)[]): boolean {
    const row = this.rows[index] as Record<string, unknown>;
    let column: StagedColumn | undefined;
    try {
      for (let c = 0; c < columns.length; c++) {
        column = columns[c] as StagedColumn;
        const value = column.get === undefined ? row[column.name] : column.get(row);
        if (value === null || value === undefined) {
          if (!column.nullable)
            throw new Rejection(`null value in column "${column.name}" violates not-null constraint`);
          out[c] = null;
        } else out[c] = column.encode(value);
      }
      return true;
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      this.reject(
        index,
        `${column?.name}: ${error.message}`,
        column === undefined ? undefined : { column: column.name },
      );
      return false;
    }
  }
}

const CHUNK_CHARS = 1 << 16;

/** What a COPY pass learned: rows sent, and whether two of them shared a key. */
export interface CopyStats {
  rows: number;
  duplicateKeys: boolean;
}

export function copyStats(): CopyStats {
  return { rows: 0, duplicateKeys: false };
}

/** A strict total order on key texts (length, then code units): increasing keys are necessarily distinct. */
function after(key: string, last: string): boolean {
  return key.length > last.length || (key.length === last.length && key > last);
}

/**
 * Notices repeated keys in one pass. While keys keep increasing (the usual case for extracts read in key order)
 * this costs one comparison per row and no memory; at the first step back it indexes the keys seen so far.
 */
export class DuplicateWatch {
  readonly #keyOf: (row: Record<string, unknown>) => string;
  #last: string | undefined;
  #seen: Set<string> | undefined;
  #emitted: number[] = [];

  constructor(keyOf: (row: Record<string, unknown>) => string) {
    this.#keyOf = keyOf;
  }

  /** Returns true when `key` was already seen in this pass. */
  check(key: string, index: number, rows: readonly Record<string, unknown>[]): boolean {
    if (this.#seen === undefined) {
      if (this.#last === undefined || after(key, this.#last)) {
        this.#last = key;
        this.#emitted.push(index);
        return false;
      }
      this.#seen = new Set(this.#emitted.map((i) => this.#keyOf(rows[i] as Record<string, unknown>)));
      this.#emitted = [];
    }
    return this.#seen.size === this.#seen.add(key).size;
  }
}

/**
 * COPY text-format data for the rows at `order`, skipping (and reporting) refused ones, in ~64 KiB chunks.
 * When `stats` is given, keys are remembered to notice duplicates while the server is busy with earlier chunks.
 */
export function* copyText<Row>(
  batch: Batch<Row>,
  order: Uint32Array,
  columns: readonly StagedColumn[],
  encode: LineEncoder,
  stats?: CopyStats,
  keyOf?: (row: Record<string, unknown>) => string,
): Generator<string> {
  const rows = batch.rows as readonly Record<string, unknown>[];
  const watch = stats === undefined || keyOf === undefined ? undefined : new DuplicateWatch(keyOf);
  const out = { key: '' };
  let chunk = '';
  for (let i = 0; i < order.length; i++) {
    const index = order[i] as number;
    if (batch.rejected[index] === 1) continue;
    let line: string;
    try {
      line = encode(rows[index] as Record<string, unknown>, out);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      // The slow path names the column; it records the failure.
      if (batch.encodeRow(index, columns, new Array(columns.length))) batch.reject(index, error.message);
      continue;
    }
    chunk += line;
    if (watch !== undefined && stats !== undefined) {
      stats.rows++;
      if (watch.check(out.key, index, rows)) stats.duplicateKeys = true;
    }
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Column-wise text arrays for the array-parameter path, `size` rows at a time. */
export function* textArrays<Row>(
  batch: Batch<Row>,
  order: Uint32Array,
  columns: readonly StagedColumn[],
  size: number,
  keyPositions: readonly number[],
  stats?: CopyStats,
): Generator<(string | null)[][]> {
  const values: (string | null)[] = new Array(columns.length);
  const seen = new Set<string>();
  let arrays = columns.map((): (string | null)[] => []);
  let count = 0;
  for (let i = 0; i < order.length; i++) {
    const index = order[i] as number;
    if (batch.rejected[index] === 1 || !batch.encodeRow(index, columns, values)) continue;
    for (let c = 0; c < columns.length; c++) (arrays[c] as (string | null)[]).push(values[c] as string | null);
    if (stats !== undefined) {
      stats.rows++;
      const key = keyPositions.map((p) => values[p]).join('\u0001');
      if (seen.size === seen.add(key).size) stats.duplicateKeys = true;
    }
    if (++count === size) {
      yield arrays;
      arrays = columns.map((): (string | null)[] => []);
      count = 0;
    }
  }
  if (count > 0) yield arrays;
}
