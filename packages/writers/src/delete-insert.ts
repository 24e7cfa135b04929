import type { SqlClient } from '@pipewright/core';
import { Batch, type RecordFailure, stagedColumn } from './internal/batch.ts';
import { deduplicate } from './internal/dedupe.ts';
import { compilePredicate, keepMatching, type RowPredicate } from './internal/range.ts';
import { splitOnRecordFailure } from './internal/split.ts';
import { keyJoin, lockTable } from './internal/sql.ts';
import { createStage, loadRows, stageLayout } from './internal/stage.ts';
import { assertRows, atomically } from './internal/tx.ts';
import { type TableDefinition, toWriterTable, type WriterTable } from './table.ts';

export type { RowPredicate } from './internal/range.ts';

export interface DeleteInsertOptions<Row> {
  /** Run inside this transaction (a savepoint of it), so you commit your own state with the rows. */
  tx?: SqlClient;
  /**
   * Replace every row matching this predicate (`{ column, equals }` or `{ column, from, to }`, to exclusive)
   * instead of the rows whose keys are in the batch. Rows outside it are refused.
   */
  where?: RowPredicate;
  /** Called once with the records PostgreSQL would refuse (or refused), before the call returns. */
  onRejected?: (failures: RecordFailure<Row>[]) => void | Promise<void>;
}

export interface DeleteInsertResult<Row> {
  deleted: number;
  inserted: number;
  /** Rows dropped because a later row of the same batch had the same key. */
  superseded: number;
  rejected: RecordFailure<Row>[];
}

/**
 * Replaces rows in one transaction: deletes the stored rows with the batch's keys (or matching `where`), then
 * inserts the batch. Readers see the old rows or the new ones, never neither. Idempotent: a re-run leaves the
 * same table (it rewrites the rows, unlike `merge`).
 */
export async function deleteInsert<Row extends object>(
  sql: SqlClient,
  target: WriterTable | TableDefinition,
  rows: readonly Row[],
  options: DeleteInsertOptions<Row> = {},
): Promise<DeleteInsertResult<Row>> {
  const table = toWriterTable(target);
  assertRows(rows);
  const predicate = options.where === undefined ? undefined : compilePredicate(table, options.where, 'where');
  const batch = new Batch(rows);
  const deduplicated = deduplicate(batch, table.key, undefined);
  const order = predicate === undefined ? deduplicated.order : keepMatching(batch, deduplicated.order, predicate);
  const columns = table.columns.map(stagedColumn);
  const layout = stageLayout(
    columns,
    table.key.map((c) => c.name),
  );
  const names = table.columns.map((c) => c.sql).join(', ');
  const keys = table.key.map((c) => c.sql).join(', ');
  const sum = (a: { deleted: number; inserted: number }, b: { deleted: number; inserted: number }) => ({
    deleted: a.deleted + b.deleted,
    inserted: a.inserted + b.inserted,
  });
  const counts = await atomically(sql, options.tx, async (tx) => {
    await lockTable(tx, table, false);
    if (predicate !== undefined) {
      const removed = await tx.query(`DELETE FROM ${table.sql} WHERE ${predicate.sql('', 0)}`, predicate.params);
      // Straight into the target: nothing to compare with once the range is empty.
      const loaded = await splitOnRecordFailure(
        tx,
        batch,
        order,
        async (step, part) => ({ deleted: 0, inserted: await loadRows(step, table.sql, batch, part, layout) }),
        sum,
        { deleted: 0, inserted: 0 },
      );
      return { deleted: removed.rowCount, inserted: loaded.inserted };
    }
    return splitOnRecordFailure(
      tx,
      batch,
      order,
      async (step, part) => {
        const stage = await createStage(step, columns);
        await loadRows(step, stage, batch, part, layout);
        const removed = await step.query(
          `DELETE FROM ${table.sql} t USING ${stage} s WHERE ${keyJoin(table, 't', 's')}`,
        );
        const inserted = await step.query(
          `INSERT INTO ${table.sql} (${names}) SELECT ${names} FROM ${stage} ORDER BY ${keys}`,
        );
        return { deleted: removed.rowCount, inserted: inserted.rowCount };
      },
      sum,
      { deleted: 0, inserted: 0 },
    );
  });
  if (batch.failures.length > 0) await options.onRejected?.(batch.failures);
  return { ...counts, superseded: deduplicated.superseded, rejected: batch.failures };
}
