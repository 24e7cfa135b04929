import type { CapturedRow } from './capture.ts';
import { binaryInt4Array, binaryTextArray, binaryTimestamptzArray } from './pg-binary-array.ts';

/** How a PostgreSQL send column travels: as text (JSON text for `json`), a 32-bit integer, or epoch ms. */
export type PgSendType = 'text' | 'json' | 'int' | 'timestamptz';

/** One column of a PostgreSQL send: its name in the statement, its type, and its value for a row. */
export interface PgSendColumn {
  name: string;
  type: PgSendType;
  value: (row: CapturedRow, stackHash: string | null) => string | number | null;
}

/** The columns of a send, in the order of the statement's `unnest` and of the encoded arrays. */
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

/** The SQL array type each column arrives as (JSON travels as text and is cast once, in the statement). */
export const PG_ARRAY_TYPES: Record<PgSendType, string> = {
  text: 'text[]',
  json: 'text[]',
  int: 'int[]',
  timestamptz: 'timestamptz[]',
};

function columnValues(rows: readonly CapturedRow[], stackHash: readonly (string | null)[], column: PgSendColumn) {
  const values = new Array<string | number | null>(rows.length);
  for (let i = 0; i < rows.length; i++) values[i] = column.value(rows[i] as CapturedRow, stackHash[i] ?? null);
  return values;
}

/**
 * The batch as one binary array per column (`PG_SEND_COLUMNS`), for node-postgres: the server takes each element
 * by its length prefix, with nothing to parse but the records' JSON.
 */
export function pgBinaryColumns(rows: readonly CapturedRow[], stackHash: readonly (string | null)[]): Buffer[] {
  return PG_SEND_COLUMNS.map((column) => {
    const values = columnValues(rows, stackHash, column);
    if (column.type === 'int') return binaryInt4Array(values as number[]);
    if (column.type === 'timestamptz') return binaryTimestamptzArray(values as number[]);
    return binaryTextArray(values as (string | null)[]);
  });
}

/** The same columns as plain arrays (timestamps as ISO text), for drivers that serialize arrays themselves. */
export function pgArrayColumns(
  rows: readonly CapturedRow[],
  stackHash: readonly (string | null)[],
): (string | number | null)[][] {
  return PG_SEND_COLUMNS.map((column) => {
    const values = columnValues(rows, stackHash, column);
    if (column.type === 'timestamptz') {
      for (let i = 0; i < values.length; i++) values[i] = new Date(values[i] as number).toISOString();
    }
    return values;
  });
}
