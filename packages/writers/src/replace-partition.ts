import { InvalidOptionError, qualifiedName, quoteIdentifier, type SqlClient } from '@pipewright/core';
import { type DeleteInsertResult, deleteInsert } from './delete-insert.ts';
import { Batch, type RecordFailure, stagedColumn } from './internal/batch.ts';
import { deduplicate } from './internal/dedupe.ts';
import type { RowPredicate } from './internal/range.ts';
import { splitOnRecordFailure } from './internal/split.ts';
import { loadRows, stageLayout, uniqueRelationName } from './internal/stage.ts';
import { assertRows, atomically } from './internal/tx.ts';
import { type TableDefinition, toWriterTable, type WriterTable } from './table.ts';

export interface ReplacePartitionOptions<Row> {
  /** Run inside this transaction, so you commit your own state with the swap. */
  tx?: SqlClient;
  /**
   * The name of the native partition (of the target, in the target's schema) to replace: the rows are loaded
   * into a fresh table carrying a CHECK constraint equal to the partition bound, which is then swapped in with
   * DETACH/ATTACH (no scan, no gap).
   */
  partition?: string;
  /** For a plain table: the range (or value) whose rows are replaced, e.g. `{ column: 'day', from, to }`. */
  range?: RowPredicate;
  /** Called once with the records PostgreSQL would refuse (or refused), before the call returns. */
  onRejected?: (failures: RecordFailure<Row>[]) => void | Promise<void>;
}

export interface ReplacePartitionResult<Row> extends DeleteInsertResult<Row> {
  /** True when a native partition was swapped (DETACH/ATTACH); false for delete + load. */
  swapped: boolean;
}

/**
 * Atomically replaces every row of one partition. Readers see the old partition or the new one, never a gap
 * or a half: on a plain table by delete + load in one transaction, on a natively partitioned table by loading
 * a fresh table and swapping it in with DETACH/ATTACH in the same transaction.
 */
export async function replacePartition<Row extends object>(
  sql: SqlClient,
  target: WriterTable | TableDefinition,
  rows: readonly Row[],
  options: ReplacePartitionOptions<Row>,
): Promise<ReplacePartitionResult<Row>> {
  const table = toWriterTable(target);
  if (options?.partition === undefined) {
    if (options?.range === undefined) {
      throw new InvalidOptionError(
        'range',
        'a { column, from, to } range (or `partition` for a native partition)',
        undefined,
      );
    }
    const replaced = await deleteInsert(sql, table, rows, {
      where: options.range,
      ...(options.tx === undefined ? {} : { tx: options.tx }),
      ...(options.onRejected === undefined ? {} : { onRejected: options.onRejected }),
    });
    return { ...replaced, swapped: false };
  }
  assertRows(rows);
  const partition = quoteIdentifier(options.partition);
  const partitionSql = table.schema === undefined ? partition : qualifiedName(table.schema, options.partition);
  const batch = new Batch(rows);
  const { order, superseded } = deduplicate(batch, table.key, undefined);
  const columns = table.columns.map(stagedColumn);
  const layout = stageLayout(
    columns,
    table.key.map((c) => c.name),
  );

  const counts = await atomically(sql, options.tx, async (tx) => {
    const { rows: found } = await tx.query<{ bound: string; check: string; count: string }>(
      `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound, pg_get_partition_constraintdef(c.oid) AS check,
              (SELECT count(*) FROM ${partitionSql})::text AS count
       FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
       WHERE c.oid = $1::regclass AND i.inhparent = $2::regclass`,
      [partitionSql, table.sql],
    );
    const info = found[0];
    if (info === undefined) {
      throw new InvalidOptionError('partition', `a partition attached to ${table.sql}`, options.partition);
    }
    // The bound and its constraint text come from the server's own catalog, never from user input.
    const fresh = uniqueRelationName('pw_new');
    const freshSql = table.schema === undefined ? quoteIdentifier(fresh) : qualifiedName(table.schema, fresh);
    const old = uniqueRelationName('pw_old');
    await tx.exec(
      `CREATE TABLE ${freshSql} (LIKE ${table.sql} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING INDEXES);
       ALTER TABLE ${freshSql} ADD CONSTRAINT pw_partition_bound CHECK (${info.check});`,
    );
    const loaded = await splitOnRecordFailure(
      tx,
      batch,
      order,
      (step, part) => loadRows(step, freshSql, batch, part, layout),
      (a, b) => a + b,
      0,
    );
    await tx.exec(
      `ALTER TABLE ${table.sql} DETACH PARTITION ${partitionSql};
       ALTER TABLE ${partitionSql} RENAME TO ${quoteIdentifier(old)};
       ALTER TABLE ${table.sql} ATTACH PARTITION ${freshSql} ${info.bound};
       ALTER TABLE ${freshSql} DROP CONSTRAINT pw_partition_bound;
       ALTER TABLE ${freshSql} RENAME TO ${partition};
       DROP TABLE ${table.schema === undefined ? quoteIdentifier(old) : qualifiedName(table.schema, old)};`,
    );
    return { deleted: Number(info.count), inserted: loaded };
  });
  if (batch.failures.length > 0) await options.onRejected?.(batch.failures);
  return { ...counts, superseded, rejected: batch.failures, swapped: true };
}
