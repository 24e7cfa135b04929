import { assertIdentifier, quoteIdentifier, type SqlClient } from '@pipewright/core';
import { rowHasher } from './hash.ts';
import { Batch, type RecordFailure, type StagedColumn, stagedColumn } from './internal/batch.ts';
import { codecFor } from './internal/encode.ts';
import { splitOnRecordFailure } from './internal/split.ts';
import { lockTable } from './internal/sql.ts';
import { createStage, loadRows, stageLayout } from './internal/stage.ts';
import { assertRows, atomically } from './internal/tx.ts';
import { type TableDefinition, toWriterTable, type WriterTable } from './table.ts';

export interface AppendDedupOptions<Row> {
  /** Run inside this transaction (a savepoint of it), so you commit your own state with the rows. */
  tx?: SqlClient;
  /** The bytea column, under a unique index, that stores the row hash. @default 'row_hash' */
  hashColumn?: string;
  /** Called once with the records PostgreSQL would refuse (or refused), before the call returns. */
  onRejected?: (failures: RecordFailure<Row>[]) => void | Promise<void>;
}

export interface AppendDedupResult<Row> {
  inserted: number;
  /** Rows whose hash was already stored, or repeated within the batch: skipped. */
  duplicates: number;
  rejected: RecordFailure<Row>[];
}

/**
 * Insert-only with de-duplication: each row carries the SHA-256 of a canonical encoding of its business key
 * (see `rowHash`) in a uniquely indexed column; rows whose hash is already there are skipped and counted. Safe
 * to re-run and to run concurrently (the unique index decides).
 */
export async function appendDedup<Row extends object>(
  sql: SqlClient,
  target: WriterTable | TableDefinition,
  rows: readonly Row[],
  options: AppendDedupOptions<Row> = {},
): Promise<AppendDedupResult<Row>> {
  const table = toWriterTable(target);
  assertRows(rows);
  const hashName = assertIdentifier(options.hashColumn ?? 'row_hash');
  const hashSql = quoteIdentifier(hashName);
  const bytea = codecFor('bytea');
  const hash = rowHasher(table.key);
  const hashColumn: StagedColumn = {
    name: hashName,
    sql: hashSql,
    type: 'bytea',
    encode: bytea?.encode ?? String,
    needsEscape: true,
    nullable: false,
    get: hash,
  };
  const columns = [...table.columns.filter((c) => c.name !== hashName).map(stagedColumn), hashColumn];
  const layout = stageLayout(columns, [hashName]);
  const names = columns.map((c) => c.sql).join(', ');
  const batch = new Batch(rows);
  const order = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) order[i] = i;

  const counts = await atomically(sql, options.tx, async (tx) => {
    await lockTable(tx, table, false);
    return splitOnRecordFailure(
      tx,
      batch,
      order,
      async (step, part) => {
        const stage = await createStage(step, columns);
        const loaded = await loadRows(step, stage, batch, part, layout);
        const { rowCount } = await step.query(
          `INSERT INTO ${table.sql} (${names}) SELECT ${names} FROM ${stage} ORDER BY ${hashSql}
           ON CONFLICT (${hashSql}) DO NOTHING`,
        );
        return { inserted: rowCount, duplicates: loaded - rowCount };
      },
      (a, b) => ({ inserted: a.inserted + b.inserted, duplicates: a.duplicates + b.duplicates }),
      { inserted: 0, duplicates: 0 },
    );
  });
  if (batch.failures.length > 0) await options.onRejected?.(batch.failures);
  return { ...counts, rejected: batch.failures };
}
