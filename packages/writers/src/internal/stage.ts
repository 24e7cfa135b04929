import { quoteIdentifier, type SqlClient } from '@pipewright/core';
import { type Batch, type CopyStats, copyText, type StagedColumn, textArrays } from './batch.ts';
import { compileRowEncoder, copyBinary, type RowEncoder } from './binary.ts';
import { compileLineEncoder, type LineEncoder } from './line.ts';

/** The staged columns of one call, with their compiled line encoder. */
export interface StageLayout {
  columns: readonly StagedColumn[];
  encode: LineEncoder;
  /** The binary COPY row encoder, when every staged type has a binary form. */
  binary: RowEncoder | undefined;
  /** Positions of the key columns among `columns`. */
  keyPositions: readonly number[];
  /** The key text of a row, as the line encoder reports it. */
  keyOf: (row: Record<string, unknown>) => string;
}

export function stageLayout(columns: readonly StagedColumn[], keyNames: readonly string[]): StageLayout {
  return {
    columns,
    encode: compileLineEncoder(columns, keyNames),
    binary: compileRowEncoder(columns, keyNames),
    keyPositions: keyNames.map((name) => columns.findIndex((c) => c.name === name)),
    keyOf: (row) =>
      keyNames
        .map((name) => {
          const column = columns.find((c) => c.name === name) as StagedColumn;
          return column.encode(column.get === undefined ? row[name] : column.get(row));
        })
        .join('\u0001'),
  };
}

let stageSequence = 0;

/** A fresh, unique name for a temporary or helper relation (safe: built from fixed characters only). */
export function uniqueRelationName(prefix: string): string {
  stageSequence = (stageSequence + 1) % 1_000_000;
  return `${prefix}_${process.pid}_${stageSequence}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Rows per statement on the array-parameter path: large enough to amortise a round trip. @default 5000 */
export const ARRAY_CHUNK_ROWS = 5000;

/**
 * Creates a temporary staging table (dropped at commit) with the staged columns' types; types come from the
 * validated type pattern, names from core's quoting.
 */
export async function createStage(tx: SqlClient, columns: readonly StagedColumn[]): Promise<string> {
  const name = quoteIdentifier(uniqueRelationName('pw_stage'));
  const list = columns.map((c) => `${c.sql} ${c.type}`).join(', ');
  await tx.exec(`CREATE TEMP TABLE ${name} (${list}) ON COMMIT DROP`);
  return name;
}

/**
 * Loads the rows at `order` into `relation` (a staging table or the target itself): COPY when the client can,
 * array parameters with `unnest` otherwise. Returns the number of rows written. `binary` only for a table whose
 * column types are exactly the staged ones (a staging table we created): binary input is not converted, so a
 * target column declared `bigint` but created `integer` would refuse every row; may throw `NotBinary`.
 */
export async function loadRows<Row>(
  tx: SqlClient,
  relation: string,
  batch: Batch<Row>,
  order: Uint32Array,
  layout: StageLayout,
  stats?: CopyStats,
  freeze = false,
  binary = false,
): Promise<number> {
  const { columns } = layout;
  const names = columns.map((c) => c.sql).join(', ');
  if (tx.capabilities.copy) {
    // FREEZE (only for a table created in this subtransaction): its rows need no hint bits set on first read.
    const options = [
      ...(binary && layout.binary !== undefined ? ['FORMAT binary'] : []),
      ...(freeze ? ['FREEZE'] : []),
    ];
    const copy = `COPY ${relation} (${names}) FROM STDIN${options.length > 0 ? ` WITH (${options.join(', ')})` : ''}`;
    if (binary && layout.binary !== undefined) {
      return tx.copyFrom(copy, copyBinary(batch, order, columns, layout.binary, stats, layout.keyOf));
    }
    return tx.copyFrom(copy, copyText(batch, order, columns, layout.encode, stats, layout.keyOf));
  }
  const params = columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
  const aliases = columns.map((_, i) => `c${i}`).join(', ');
  const casts = columns.map((c, i) => `u.c${i}::${c.type}`).join(', ');
  const statement = `INSERT INTO ${relation} (${names}) SELECT ${casts} FROM unnest(${params}) AS u(${aliases})`;
  let written = 0;
  for (const arrays of textArrays(batch, order, columns, ARRAY_CHUNK_ROWS, layout.keyPositions, stats)) {
    written += (await tx.query(statement, arrays)).rowCount;
  }
  return written;
}
