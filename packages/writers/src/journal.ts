import {
  assertIdentifier,
  classify,
  InvalidOptionError,
  migrate,
  qualifiedName,
  type SqlClient,
} from '@pipewright/core';
import { JournalError } from './errors.ts';
import { Batch, type RecordFailure, type StagedColumn, stagedColumn } from './internal/batch.ts';
import { deduplicate } from './internal/dedupe.ts';
import { applyStatement, type DeleteOption, deletePlan } from './internal/merge-sql.ts';
import { splitOnRecordFailure } from './internal/split.ts';
import { lockTable } from './internal/sql.ts';
import { loadRows, stageLayout, uniqueRelationName } from './internal/stage.ts';
import { assertRows } from './internal/tx.ts';
import { journalMigrations } from './journal-schema.ts';
import { defineTable, type TableDefinition, toWriterTable, type WriterTable } from './table.ts';

export type BatchState = 'STARTED' | 'STAGED' | 'COMPLETED' | 'FAILED';

export interface JournalEntry {
  batchId: string;
  state: BatchState;
  /** The target table definition, as stored. */
  target: ReturnType<WriterTable['toJSON']>;
  options: { version?: string; delete?: DeleteOption };
  /** The durable staging table of the current attempt (in the journal's schema), while one exists. */
  stageTable: string | null;
  stagedRows: number | null;
  result: JournalCounts | null;
  error: string | null;
  attempts: number;
}

export interface JournalCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

export interface JournalMergeOptions<Row> {
  /** As in `merge`: the column ordering versions of a record. */
  version?: string;
  /** As in `merge`: the soft or hard delete marker. */
  delete?: DeleteOption;
  /** Runs in the transaction that applies the batch and marks it COMPLETED: commit your own state here. */
  onApply?: (tx: SqlClient) => Promise<void>;
  /** Called once with the records PostgreSQL would refuse, before the call returns. */
  onRejected?: (failures: RecordFailure<Row>[]) => void | Promise<void>;
}

export interface JournalResult<Row> {
  /** `applied`: this call wrote the batch; `already-completed`: it was written before, nothing was done. */
  status: 'applied' | 'already-completed';
  counts: JournalCounts;
  rejected: RecordFailure<Row>[];
}

export interface RecoveryReport {
  /** STAGED batches whose staging survived: applied now. */
  completed: string[];
  /** STARTED batches the `rerun` callback gave rows for: written again. */
  rerun: string[];
  /** Batches that cannot be finished (no rows to re-run, or staging lost): marked FAILED. */
  abandoned: string[];
}

export interface RecoverOptions {
  /** Gives the rows of an interrupted STARTED batch again (from its deterministic id), or undefined. */
  rerun?: (entry: JournalEntry) => Promise<readonly object[] | undefined>;
}

export interface BatchJournal {
  /** Creates or upgrades the journal table (numbered migrations through core's `migrate`). */
  install(): Promise<void>;
  /** `merge` through the journal: STARTED → STAGED → COMPLETED (or FAILED); a COMPLETED batch is a no-op. */
  merge<Row extends object>(
    batchId: string,
    target: WriterTable | TableDefinition,
    rows: readonly Row[],
    options?: JournalMergeOptions<Row>,
  ): Promise<JournalResult<Row>>;
  /** The journal entry of a batch, if any. */
  get(batchId: string): Promise<JournalEntry | undefined>;
  /** On start-up: finishes STAGED batches, re-runs or abandons STARTED ones, and says what it did. */
  recover(options?: RecoverOptions): Promise<RecoveryReport>;
}

export interface BatchJournalOptions {
  /** Schema of the journal table and of the durable staging tables. @default 'public' */
  schema?: string;
}

const ZERO: JournalCounts = { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
const TABLE = 'pipewright_write_batches';

/**
 * A write-ahead journal of batches. Each batch is staged into a durable (unlogged) table and recorded as
 * STAGED in one transaction, then applied and recorded as COMPLETED in another, so a crash at any point leaves
 * a state `recover()` can finish or report.
 */
export function batchJournal(sql: SqlClient, options: BatchJournalOptions = {}): BatchJournal {
  const schemaName = assertIdentifier(options.schema ?? 'public');
  const journal = qualifiedName(schemaName, TABLE);
  const stageSql = (name: string) => qualifiedName(schemaName, name);

  async function get(batchId: string, tx: SqlClient = sql, lock = false): Promise<JournalEntry | undefined> {
    const { rows } = await tx.query<Record<string, unknown>>(
      `SELECT batch_id, state, target, options, stage_table, staged_rows::int AS staged_rows, result, error, attempts
       FROM ${journal} WHERE batch_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [batchId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      batchId: row.batch_id as string,
      state: row.state as BatchState,
      target: row.target as JournalEntry['target'],
      options: row.options as JournalEntry['options'],
      stagedRows: row.staged_rows as number | null,
      result: row.result as JournalCounts | null,
      error: row.error as string | null,
      attempts: row.attempts as number,
      stageTable: row.stage_table as string | null,
    };
  }

  async function markFailed(batchId: string, stage: string, error: unknown): Promise<void> {
    await sql.transaction(async (tx) => {
      await tx.query(
        `UPDATE ${journal} SET state = 'FAILED', error = $3, updated_at = now()
         WHERE batch_id = $1 AND stage_table = $2 AND state IN ('STARTED', 'STAGED')`,
        [batchId, stage, error instanceof Error ? error.message : String(error)],
      );
      await tx.exec(`DROP TABLE IF EXISTS ${stageSql(stage)}`);
    });
  }

  /** Applies a STAGED batch from its staging table and marks it COMPLETED, in one transaction. */
  async function apply(batchId: string, stage: string, onApply?: (tx: SqlClient) => Promise<void>) {
    return sql.transaction(async (tx) => {
      const entry = await get(batchId, tx, true);
      if (entry?.state === 'COMPLETED') return { status: 'already-completed' as const, counts: entry.result ?? ZERO };
      if (entry === undefined || entry.state !== 'STAGED' || entry.stageTable !== stage) {
        throw new JournalError(
          batchId,
          `expected state STAGED with staging ${stage}, found ${entry?.state ?? 'nothing'}`,
        );
      }
      const table = defineTable(entry.target);
      const version = entry.options.version === undefined ? undefined : table.column(entry.options.version, 'version');
      const plan = deletePlan(table, entry.options.delete);
      const { rows: present } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${stageSql(stage)}`);
      if (present[0]?.n !== entry.stagedRows) {
        throw new JournalError(
          batchId,
          `staging ${stage} holds ${present[0]?.n} rows, ${entry.stagedRows} were staged (lost in a server crash?)`,
        );
      }
      await lockTable(tx, table, false);
      const statement = applyStatement(table, version, plan).replaceAll('$STAGE', stageSql(stage));
      const { rows } = await tx.query<JournalCounts>(statement);
      const applied = rows[0] ?? ZERO;
      const counts: JournalCounts = {
        inserted: applied.inserted,
        updated: applied.updated,
        deleted: applied.deleted,
        unchanged: (entry.stagedRows ?? 0) - applied.inserted - applied.updated - applied.deleted,
      };
      await onApply?.(tx);
      await tx.query(
        `UPDATE ${journal} SET state = 'COMPLETED', result = $2, stage_table = NULL, updated_at = now() WHERE batch_id = $1`,
        [batchId, JSON.stringify(counts)],
      );
      await tx.exec(`DROP TABLE ${stageSql(stage)}`);
      return { status: 'applied' as const, counts };
    });
  }

  async function write<Row extends object>(
    batchId: string,
    target: WriterTable | TableDefinition,
    rows: readonly Row[],
    options: JournalMergeOptions<Row> = {},
  ): Promise<JournalResult<Row>> {
    if (typeof batchId !== 'string' || batchId.length === 0) {
      throw new InvalidOptionError('batchId', 'a non-empty string (see batchId())', batchId);
    }
    assertRows(rows);
    const table = toWriterTable(target);
    const version = options.version === undefined ? undefined : table.column(options.version, 'version');
    const plan = deletePlan(table, options.delete);
    const stored = { version: options.version, delete: options.delete };
    const stage = uniqueRelationName('pw_stage');

    // STARTED (or finish/skip what an earlier attempt left).
    const previous = await sql.transaction(async (tx) => {
      const entry = await get(batchId, tx, true);
      if (entry?.state === 'COMPLETED' || entry?.state === 'STAGED') return entry;
      const old = entry === undefined ? null : entry.stageTable;
      if (old !== null) await tx.exec(`DROP TABLE IF EXISTS ${stageSql(old)}`);
      await tx.query(
        `INSERT INTO ${journal} (batch_id, state, target, options, stage_table)
         VALUES ($1, 'STARTED', $2, $3, $4)
         ON CONFLICT (batch_id) DO UPDATE SET state = 'STARTED', target = EXCLUDED.target, options = EXCLUDED.options,
           stage_table = EXCLUDED.stage_table, staged_rows = NULL, error = NULL,
           attempts = ${journal}.attempts + 1, updated_at = now()`,
        [batchId, JSON.stringify(table.toJSON()), JSON.stringify(stored), stage],
      );
      return undefined;
    });
    if (previous?.state === 'COMPLETED')
      return { status: 'already-completed', counts: previous.result ?? ZERO, rejected: [] };
    if (previous?.state === 'STAGED') {
      const finished = await apply(batchId, previous.stageTable as string, options.onApply);
      return { ...finished, rejected: [] };
    }

    const batch = new Batch(rows);
    try {
      // STAGED: the staging table is complete and durable, recorded in the same transaction.
      await sql.transaction(async (tx) => {
        const staged: StagedColumn[] = table.columns.map((column) => ({
          ...stagedColumn(column),
          nullable: column === version ? false : column.nullable,
        }));
        if (plan.mode === 'hard') staged.push(plan.column);
        await tx.exec(
          `CREATE UNLOGGED TABLE ${stageSql(stage)} (${staged.map((c) => `${c.sql} ${c.type}`).join(', ')})`,
        );
        const layout = stageLayout(
          staged,
          table.key.map((c) => c.name),
        );
        const { order } = deduplicate(batch, table.key, version);
        const loaded = await splitOnRecordFailure(
          tx,
          batch,
          order,
          (step, part) => loadRows(step, stageSql(stage), batch, part, layout),
          (a, b) => a + b,
          0,
        );
        const { rowCount } = await tx.query(
          `UPDATE ${journal} SET state = 'STAGED', staged_rows = $3, updated_at = now()
           WHERE batch_id = $1 AND stage_table = $2 AND state = 'STARTED'`,
          [batchId, stage, loaded],
        );
        if (rowCount !== 1) throw new JournalError(batchId, 'another writer took over this batch while it was staging');
      });
      const finished = await apply(batchId, stage, options.onApply);
      if (batch.failures.length > 0) await options.onRejected?.(batch.failures);
      return { ...finished, rejected: batch.failures };
    } catch (error) {
      // A lost connection leaves the state for recover(); anything else is a definite failure.
      if (classify(error).kind !== 'transient') await markFailed(batchId, stage, error).catch(() => {});
      throw error;
    }
  }

  return {
    async install() {
      await migrate(sql, { schema: schemaName, component: 'writers.journal', migrations: journalMigrations });
    },
    merge: write,
    get: (batchId) => get(batchId),
    async recover(recoverOptions = {}) {
      const report: RecoveryReport = { completed: [], rerun: [], abandoned: [] };
      const { rows } = await sql.query<{ batch_id: string }>(
        `SELECT batch_id FROM ${journal} WHERE state IN ('STARTED', 'STAGED') ORDER BY started_at, batch_id`,
      );
      for (const { batch_id: batchId } of rows) {
        const entry = await get(batchId);
        if (entry === undefined) continue;
        const stage = entry.stageTable;
        if (entry.state === 'STAGED' && stage !== null) {
          try {
            await apply(batchId, stage);
            report.completed.push(batchId);
          } catch (error) {
            if (!(error instanceof JournalError)) throw error;
            await markFailed(batchId, stage, error);
            report.abandoned.push(batchId);
          }
          continue;
        }
        const again = await recoverOptions.rerun?.(entry);
        if (again !== undefined) {
          await write(batchId, defineTable(entry.target), again, entry.options);
          report.rerun.push(batchId);
        } else {
          await markFailed(
            batchId,
            stage ?? '',
            new Error('abandoned: interrupted while staging and no rows to re-run'),
          );
          report.abandoned.push(batchId);
        }
      }
      return report;
    },
  };
}
