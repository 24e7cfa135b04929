import type { CapturedRow } from './capture.ts';
import { binaryInt4Array, binaryTextArray, binaryTimestamptzArray } from './pg-binary-array.ts';
import { isoString } from './tagged-json.ts';

/** How a PostgreSQL send column travels: as text (JSON text for `json`), a 32-bit integer, or epoch ms. */
export type PgSendType = 'text' | 'json' | 'int' | 'timestamptz';

/** One column of a PostgreSQL send: its name in the statement, its type, and its value for a row. */
export interface PgSendColumn {
  name: string;
  type: PgSendType;
  value: (row: CapturedRow, stackHash: string | null) => string | number | null;
}

/**
 * The columns of a send, in the order of the statement's `unnest` and of the encoded arrays. The key comes first
 * and always travels as an array: it is what gives the batch its rows.
 */
export const PG_SEND_COLUMNS: readonly PgSendColumn[] = [
  { name: 'k', type: 'text', value: (row) => row.key },
  { name: 'p', type: 'text', value: (row) => row.pipeline },
  { name: 's', type: 'text', value: (row) => row.step },
  { name: 'r', type: 'text', value: (row) => row.runId },
  { name: 'src', type: 'json', value: (row) => row.sourceJson },
  { name: 'rec', type: 'json', value: (row) => row.recordJson },
  { name: 'ec', type: 'text', value: (row) => row.errorClass },
  { name: 'eco', type: 'text', value: (row) => row.errorCode },
  { name: 'em', type: 'text', value: (row) => row.errorMessage },
  { name: 'sh', type: 'text', value: (_row, stackHash) => stackHash },
  { name: 'ek', type: 'text', value: (row) => row.errorKind },
  { name: 'er', type: 'text', value: (row) => row.errorReason },
  { name: 'a', type: 'int', value: (row) => row.attempt },
  { name: 'c', type: 'int', value: (row) => row.count },
  { name: 'ff', type: 'timestamptz', value: (row) => row.firstFailedAt },
  { name: 'lf', type: 'timestamptz', value: (row) => row.failedAt },
];

/** The SQL type of a column's single value (JSON travels as text and is cast once, in the statement). */
export const PG_SCALAR_TYPES: Record<PgSendType, string> = {
  text: 'text',
  json: 'text',
  int: 'int',
  timestamptz: 'timestamptz',
};

/**
 * A batch's columns as statement parameters: for each column an array of its values, or — when every row holds
 * the same value, as pipeline, step, run, error class and kind, attempt and failure time usually do — no array
 * and that one value (the statement reads `coalesce(array element, value)`). Constant columns cost neither the
 * encoding nor the server's unnesting of 5,000 copies.
 */
export interface PgBatchParams {
  arrays: unknown[];
  scalars: unknown[];
}

function columnValues(rows: readonly CapturedRow[], stackHash: readonly (string | null)[], column: PgSendColumn) {
  const values = new Array<string | number | null>(rows.length);
  for (let i = 0; i < rows.length; i++) values[i] = column.value(rows[i] as CapturedRow, stackHash[i] ?? null);
  return values;
}

function isConstant(values: readonly (string | number | null)[]): boolean {
  const first = values[0];
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return false;
  return true;
}

/** A value as a text-format parameter: timestamps as ISO text, the rest as they are. */
function textParam(value: string | number | null, type: PgSendType): string | number | null {
  return type === 'timestamptz' ? isoString(value as number) : value;
}

/**
 * Splits the columns into arrays and constants; `encode` turns a varying column into its array parameter and
 * `scalar` a constant into its value parameter.
 */
function batchParams(
  rows: readonly CapturedRow[],
  stackHash: readonly (string | null)[],
  encode: (values: (string | number | null)[], type: PgSendType) => unknown,
  scalar: (value: string | number | null, type: PgSendType) => unknown,
): PgBatchParams {
  const arrays: unknown[] = [];
  const scalars: unknown[] = [];
  PG_SEND_COLUMNS.forEach((column, i) => {
    const values = columnValues(rows, stackHash, column);
    if (i > 0 && isConstant(values)) {
      arrays.push(null);
      scalars.push(scalar(values[0] ?? null, column.type));
    } else {
      arrays.push(encode(values, column.type));
      scalars.push(null);
    }
  });
  return { arrays, scalars };
}

/**
 * For node-postgres: varying columns as binary arrays, which the server takes element by element by their length
 * prefixes, with nothing to parse but the records' JSON.
 */
export function pgBinaryParams(rows: readonly CapturedRow[], stackHash: readonly (string | null)[]): PgBatchParams {
  return batchParams(
    rows,
    stackHash,
    (values, type) => {
      if (type === 'int') return binaryInt4Array(values as number[]);
      if (type === 'timestamptz') return binaryTimestamptzArray(values as number[]);
      return binaryTextArray(values as (string | null)[]);
    },
    textParam,
  );
}

/** The same as plain arrays (timestamps as ISO text), for drivers that serialize arrays themselves (PGlite). */
export function pgArrayParams(rows: readonly CapturedRow[], stackHash: readonly (string | null)[]): PgBatchParams {
  return batchParams(rows, stackHash, (values, type) => values.map((value) => textParam(value, type)), textParam);
}
