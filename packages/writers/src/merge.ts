import { InvalidOptionError, type SqlClient } from '@pipewright/core';
import { Batch, copyStats, type RecordFailure, type StagedColumn, stagedColumn } from './internal/batch.ts';
import { NotBinary } from './internal/binary.ts';
import { canonicalJson } from './internal/canonical-json.ts';
import { deduplicate } from './internal/dedupe.ts';
import { applyStatement, changedQuery, type DeleteOption, deletePlan } from './internal/merge-sql.ts';
import {
  compareInParallel,
  createSharedStage,
  PARALLEL_MIN_ROWS,
  sharedStagePrefix,
} from './internal/parallel-apply.ts';
import { Rejection } from './internal/reject.ts';
import { isRecordFailure, splitOnRecordFailure } from './internal/split.ts';
import { lockTable } from './internal/sql.ts';
import { createStage, loadRows, type StageLayout, stageLayout } from './internal/stage.ts';
import { assertRows, atomically } from './internal/tx.ts';
import { raiseWorkMem, restoreWorkMem, WORK_MEM_PATTERN, type WorkMemOption } from './internal/work-mem.ts';
import type { TableDefinition, WriterTable } from './table.ts';
import { toWriterTable } from './table.ts';

export interface MergeOptions<Row> {
  /** Run inside this transaction (a savepoint of it), so you commit your own state with the rows. */
  tx?: SqlClient;
  /**
   * A column that orders versions of a record (a timestamp, a sequence, an LSN as bigint). A row is written only
   * when it is newer than the stored one, so replays and out-of-order deliveries are harmless.
   */
  version?: string;
  /**
   * A boolean field that marks a record as deleted. `soft`: the field is a column of the table and the row is
   * kept as a tombstone (its version still guards against older replays). `hard`: the stored row is deleted;
   * the field need not be a column.
   */
  delete?: DeleteOption;
  /**
   * Load straight into the target, without staging, when a sample of the batch's keys is absent from it (a
   * first load); falls back to staging if any key turns out to exist. @default true
   */
  directLoad?: boolean;
  /**
   * `work_mem` for the apply statement of a large batch (≥ 50,000 rows), so its hash join stays in memory; the
   * previous value is restored right after. `'auto'` sizes it from the staged rows (twice their size divided by
   * `hash_mem_multiplier`, between 64 MB and 1 GB: ~130 MB for 1M standard records); a size such as `'256MB'` sets
   * it; `null` keeps the session's setting. @default 'auto'
   */
  workMem?: WorkMemOption;
  /** Called once with the records PostgreSQL would refuse (or refused), before the call returns. */
  onRejected?: (failures: RecordFailure<Row>[]) => void | Promise<void>;
}

export interface MergeResult<Row> {
  inserted: number;
  updated: number;
  /** Rows already identical to the stored row, or older than it (with `version`). */
  unchanged: number;
  deleted: number;
  /** Rows dropped because a later or newer row of the same batch had the same key. */
  superseded: number;
  rejected: RecordFailure<Row>[];
}

interface Counts {
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

const ZERO: Counts = { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
const add = (a: Counts, b: Counts): Counts => ({
  inserted: a.inserted + b.inserted,
  updated: a.updated + b.updated,
  unchanged: a.unchanged + b.unchanged,
  deleted: a.deleted + b.deleted,
});

/** Below this many rows staging costs little, and the direct load's exclusive lock is not worth it. */
const DIRECT_MIN_ROWS = 10_000;
const PROBE_KEYS = 64;
const WORK_MEM_MIN_ROWS = 50_000;
const FREEZE_MIN_ROWS = 10_000;
// invalid_transaction_state (prior activity, open cursors), object_not_in_prerequisite_state
const FREEZE_REFUSED = new Set(['25000', '55000']);

/**
 * Upserts `rows` by the table's business key in one transaction: stage (COPY or array parameters), then one
 * statement that inserts new keys, updates changed rows, deletes marked ones, and does not touch unchanged
 * rows at all (no lock, no WAL, no dead tuple), in key order so concurrent writers cannot deadlock.
 */
export async function merge<Row extends object>(
  sql: SqlClient,
  target: WriterTable | TableDefinition,
  rows: readonly Row[],
  options: MergeOptions<Row> = {},
): Promise<MergeResult<Row>> {
  const table = toWriterTable(target);
  assertRows(rows);
  const version = options.version === undefined ? undefined : table.column(options.version, 'version');
  if (version !== undefined && table.key.includes(version)) {
    throw new InvalidOptionError('version', 'a column that is not part of the key', options.version);
  }
  const plan = deletePlan(table, options.delete);
  const staged: StagedColumn[] = table.columns.map((column) => ({
    ...stagedColumn(column),
    nullable: column === version ? false : column.nullable,
  }));
  if (plan.mode === 'hard') staged.push(plan.column);
  // jsonb values are staged as jsonb's own text output: unchanged rows are compared as text and never parsed.
  const asText = new Set(table.values.filter((c) => c.type === 'jsonb' && c !== version).map((c) => c.name));
  const stagedAsText = staged.map((c) =>
    asText.has(c.name) ? { ...c, type: 'text', encode: canonicalJson, needsEscape: true } : c,
  );
  const batch = new Batch(rows);
  const keyNames = table.key.map((c) => c.name);
  const layout = stageLayout(stagedAsText, keyNames);
  const statement = applyStatement(table, version, plan, asText);
  const changedRows = changedQuery(table, version, plan, asText);
  const fromChanged = applyStatement(table, version, plan, asText, 'SELECT * FROM $CHANGED');
  const direct = (options.directLoad ?? true) && plan.mode === 'none';
  // A direct load writes jsonb columns as jsonb (the target's type); with none staged as text it is the same layout.
  const directLayout = direct && asText.size > 0 ? stageLayout(staged, keyNames) : layout;
  const workMem = options.workMem === undefined ? 'auto' : options.workMem;
  if (workMem !== null && (typeof workMem !== 'string' || !WORK_MEM_PATTERN.test(workMem))) {
    throw new InvalidOptionError('workMem', "'auto', a size such as '64MB' (kB, MB or GB), or null", workMem);
  }

  const write = async (tx: SqlClient, order: Uint32Array, detect: boolean): Promise<Counts> => {
    if (direct && order.length >= DIRECT_MIN_ROWS) {
      const loaded = await tryDirectLoad(tx, table, batch, order, directLayout);
      if (loaded !== undefined) return loaded;
    }
    await lockTable(tx, table, false);
    return splitOnRecordFailure(
      tx,
      batch,
      order,
      async (step, part) => {
        const shared = part.length >= PARALLEL_MIN_ROWS ? sharedPrefix : undefined;
        const stage =
          shared === undefined
            ? await createStage(step, stagedAsText)
            : await createSharedStage(step, stagedAsText, shared);
        const stats = detect ? copyStats() : undefined;
        let loaded: number;
        try {
          loaded = await loadRows(step, stage, batch, part, layout, stats, freeze, binary);
        } catch (error) {
          if (error instanceof NotBinary) throw error;
          // De-duplicate before splitting on a bad record, so a duplicate pair is never torn apart.
          if (stats?.duplicateKeys) throw new DuplicateKeys();
          if (freeze && FREEZE_REFUSED.has((error as { code?: string }).code ?? '')) throw new FreezeRefused();
          throw error;
        }
        if (stats?.duplicateKeys) throw new DuplicateKeys();
        const previous =
          workMem !== null && part.length >= WORK_MEM_MIN_ROWS ? await raiseWorkMem(step, stage, workMem) : undefined;
        let result: Counts[] = [ZERO];
        if (shared !== undefined) {
          const changed = await compareInParallel(step, stage, changedRows);
          if (changed.rows > 0)
            result = (await step.query<Counts>(fromChanged.replaceAll('$CHANGED', changed.table))).rows;
        } else result = (await step.query<Counts>(statement.replaceAll('$STAGE', stage))).rows;
        if (previous !== undefined) await restoreWorkMem(step, previous);
        const applied = result[0] ?? ZERO;
        return {
          inserted: applied.inserted,
          updated: applied.updated,
          deleted: applied.deleted,
          unchanged: loaded - applied.inserted - applied.updated - applied.deleted,
        };
      },
      add,
      ZERO,
    );
  };

  let superseded = 0;
  let freeze = false;
  let sharedPrefix: string | undefined;
  let binary = true;
  const counts = await atomically(sql, options.tx, async (tx) => {
    if (rows.length === 0) return ZERO;
    freeze = tx.capabilities.copy && rows.length >= FREEZE_MIN_ROWS && (await readCommitted(tx));
    if (tx.capabilities.copy && rows.length >= PARALLEL_MIN_ROWS)
      sharedPrefix = await sharedStagePrefix(tx, table.schema);
    // Optimistic: most batches have unique keys, noticed while streaming; only a batch with duplicates pays for
    // a de-duplication pass and a second staging.
    let order = identity(rows.length);
    let detect = true;
    for (;;) {
      try {
        return await tx.transaction((attempt) => write(attempt, order, detect));
      } catch (error) {
        if (error instanceof NotBinary) {
          binary = false; // a value with no binary form here (e.g. a timestamp given as text)
        } else if (error instanceof FreezeRefused) {
          freeze = false; // e.g. a cursor is open in the caller's transaction
        } else if (error instanceof DuplicateKeys) {
          const deduplicated = deduplicate(batch, table.key, version);
          superseded = deduplicated.superseded;
          order = deduplicated.order;
          detect = false;
        } else throw error;
      }
    }
  });
  if (batch.failures.length > 0) await options.onRejected?.(batch.failures);
  return { ...counts, superseded, rejected: batch.failures };
}

/** Two records of the batch share a key: de-duplicate, then write again. */
class DuplicateKeys extends Error {}

/** The server refused COPY FREEZE (prior activity in the caller's transaction): write again without it. */
class FreezeRefused extends Error {}

/** COPY FREEZE is refused under a transaction snapshot (repeatable read, serializable). */
async function readCommitted(tx: SqlClient): Promise<boolean> {
  const { rows } = await tx.query<{ level: string }>(`SELECT current_setting('transaction_isolation') AS level`);
  return rows[0]?.level === 'read committed';
}

function identity(length: number): Uint32Array {
  const order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  return order;
}

/**
 * The first-load fast path: when none of a sample of keys exists in the target, COPY straight into it (one
 * pass instead of two). Any conflict or refused value rolls the attempt back to its savepoint and returns
 * undefined, so the caller stages as usual.
 */
async function tryDirectLoad<Row>(
  tx: SqlClient,
  table: WriterTable,
  batch: Batch<Row>,
  order: Uint32Array,
  layout: StageLayout,
): Promise<Counts | undefined> {
  if (!tx.capabilities.copy) return undefined;
  if (await anyKeyExists(tx, table, batch, order)) return undefined;
  await lockTable(tx, table, true);
  try {
    // No duplicate tracking here: the unique index refuses a repeated key, and staging then sorts it out.
    const inserted = await tx.transaction((savepoint) => loadRows(savepoint, table.sql, batch, order, layout));
    return { ...ZERO, inserted };
  } catch (error) {
    if (isRecordFailure(error)) return undefined;
    throw error;
  }
}

async function anyKeyExists<Row>(
  tx: SqlClient,
  table: WriterTable,
  batch: Batch<Row>,
  order: Uint32Array,
): Promise<boolean> {
  const step = Math.max(1, Math.floor(order.length / PROBE_KEYS));
  const arrays: string[][] = table.key.map(() => []);
  for (let i = 0; i < order.length; i += step) {
    const row = batch.rows[order[i] as number] as Record<string, unknown>;
    let texts: string[];
    try {
      texts = table.key.map((column) => column.codec.encode(row[column.name]));
    } catch (error) {
      if (error instanceof Rejection) continue; // refused (and reported) when the rows are encoded
      throw error;
    }
    texts.forEach((text, c) => {
      (arrays[c] as string[]).push(text);
    });
  }
  const params = table.key.map((_, i) => `$${i + 1}::text[]`).join(', ');
  const aliases = table.key.map((_, i) => `c${i}`).join(', ');
  const on = table.key.map((c, i) => `t.${c.sql} = p.c${i}::${c.type}`).join(' AND ');
  const { rows } = await tx.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM unnest(${params}) AS p(${aliases}) JOIN ${table.sql} t ON ${on}) AS found`,
    arrays,
  );
  return rows[0]?.found === true;
}
