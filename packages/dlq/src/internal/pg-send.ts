import type { SqlClient } from '@pipewright/core';
import type { SendResult } from '../types.ts';
import { dedupeStacks, PG_SEND_COLUMNS, pgBatchColumns } from './batch-encoding.ts';
import type { CapturedRow } from './capture.ts';
import type { PgNames } from './pg-schema.ts';

/** Parameters after the batch's columns: the distinct stacks' hashes and texts, then now. */
const HASHES = `$${PG_SEND_COLUMNS.length + 1}`;
const STACKS = `$${PG_SEND_COLUMNS.length + 2}`;
const NOW = `$${PG_SEND_COLUMNS.length + 3}`;

/** The batch's rows: one JSON array parameter per column (`$1…$16`), read side by side. */
const BATCH = (() => {
  const reads = PG_SEND_COLUMNS.map(({ kind }, i) =>
    kind === 'json' ? `json_array_elements($${i + 1}::json)` : `json_array_elements_text($${i + 1}::json)`,
  );
  const values = PG_SEND_COLUMNS.map(({ name, kind, type }) => {
    // An element is a JSON value even when it is null; the column holds SQL NULL for "no source".
    if (kind === 'json') return `CASE WHEN json_typeof(b.${name}) <> 'null' THEN b.${name} END AS ${name}`;
    return type === undefined ? `b.${name}` : `b.${name}::${type} AS ${name}`;
  });
  const names = PG_SEND_COLUMNS.map(({ name }) => name).join(', ');
  return `SELECT ${values.join(', ')} FROM ROWS FROM (${reads.join(', ')}) AS b(${names})`;
})();

/** One written entry: its id, key, and whether this send created it. */
export interface SentRow {
  id: string;
  idempotency_key: string;
  inserted: boolean;
}

/** `optimistic`: plain INSERT of keys absent from the snapshot; `upsert`: every row through ON CONFLICT. */
type Mode = 'optimistic' | 'upsert';

/**
 * One statement for a whole batch. Keys absent at the statement's snapshot (the usual case: a new failure) take a
 * plain INSERT (measured ~20 ms cheaper per 5,000 rows than `ON CONFLICT`'s speculative insertion); known keys are
 * upserted (a re-send adds to the count and moves the last failure time; a resolved or discarded entry re-opens as
 * pending, with an audit row). A concurrent sender inserting the same new key makes the plain INSERT fail with a
 * unique violation; the caller then repeats the send in `upsert` mode. `$1…$16` are the batch's columns
 * (`pgBatchColumns`), `$17`/`$18` the hashes and texts of its distinct stacks, `$19` now.
 */
export function sendStatement(n: PgNames, mode: Mode): string {
  const now = `${NOW}::timestamptz`;
  const values = `v.k, v.p, v.s, v.r, v.src, v.rec, v.ec, v.eco, v.em, v.sh, v.ek, v.er, v.a, v.c, v.ff, v.lf, ${now}`;
  const columns = `idempotency_key, pipeline, step, run_id, source, record, error_class, error_code, error_message,
    stack_hash, error_kind, error_reason, attempt, failure_count, first_failed_at, last_failed_at, updated_at`;
  // Each key is probed once, here, and the two inserts read the answer. A scalar subquery is probed through the key
  // index row by row; an EXISTS would be planned as a hash join that reads the whole queue table on every send (the
  // batch has no statistics to plan with).
  return `WITH u AS MATERIALIZED (
    SELECT j.*, (SELECT e.id FROM ${n.table} AS e WHERE e.idempotency_key = j.k) AS known FROM (${BATCH}) AS j
  ), stacks AS (
    INSERT INTO ${n.stacks} (hash, stack) SELECT * FROM unnest(${HASHES}::text[], ${STACKS}::text[]) ON CONFLICT (hash) DO NOTHING
  ), fresh AS (
    INSERT INTO ${n.table} (${columns})
    SELECT ${values} FROM u AS v WHERE ${mode === 'optimistic' ? 'v.known IS NULL' : 'false'}
    RETURNING id, idempotency_key
  ), again AS (
    INSERT INTO ${n.table} AS d (${columns})
    SELECT ${values} FROM u AS v${mode === 'optimistic' ? ' WHERE v.known IS NOT NULL' : ''}
    ON CONFLICT (idempotency_key) DO UPDATE SET
      failure_count = d.failure_count + excluded.failure_count,
      first_failed_at = least(d.first_failed_at, excluded.first_failed_at),
      last_failed_at = greatest(d.last_failed_at, excluded.last_failed_at),
      run_id = excluded.run_id, record = excluded.record, source = excluded.source, attempt = excluded.attempt,
      error_class = excluded.error_class, error_code = excluded.error_code, error_message = excluded.error_message,
      stack_hash = excluded.stack_hash, error_kind = excluded.error_kind, error_reason = excluded.error_reason,
      state = CASE WHEN d.state IN ('resolved', 'discarded') THEN 'pending' ELSE d.state END,
      prev_state = d.state,
      updated_at = excluded.updated_at
    RETURNING id, idempotency_key, state, prev_state, (xmax = 0) AS inserted
  ), audit AS (
    INSERT INTO ${n.audit} (entry_id, at, from_state, to_state, actor, why)
    SELECT id, ${now}, prev_state, 'pending', 'send', 'failed again'
    FROM again WHERE NOT inserted AND prev_state IN ('resolved', 'discarded')
  )
  SELECT id::text AS id, idempotency_key, true AS inserted FROM fresh
  UNION ALL SELECT id::text, idempotency_key, inserted FROM again`;
}

/** A captured batch: `slots[i]` is the index in `rows` of input i (inputs with one key share a row). */
export interface CapturedBatch {
  rows: readonly CapturedRow[];
  slots: readonly number[];
}

function isKeyConflict(error: unknown, n: PgNames): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' && (e.constraint === undefined || n.keyIndex === e.constraint);
}

/** Maps the written rows back to the inputs; a second input with the same key did not create its entry. */
function resultsOf(batch: CapturedBatch, written: readonly SentRow[]): SendResult[] {
  const byKey = new Map<string, SentRow>();
  for (const row of written) byKey.set(row.idempotency_key, row);
  const seen = new Uint8Array(batch.rows.length);
  return batch.slots.map((slot) => {
    const row = byKey.get((batch.rows[slot] as CapturedRow).key) as SentRow;
    const created = row.inserted && seen[slot] === 0;
    seen[slot] = 1;
    return { id: row.id, created };
  });
}

/**
 * Writes a captured batch in one statement — one round trip, all or nothing — as one JSON array per column
 * (`pgBatchColumns`). Inside the caller's transaction a savepoint keeps a conflict from aborting it.
 */
export async function sendRows(sql: SqlClient, n: PgNames, batch: CapturedBatch, now: string): Promise<SendResult[]> {
  const { hashes, stacks, rowHash } = dedupeStacks(batch.rows);
  const params = [...pgBatchColumns(batch.rows, rowHash), hashes, stacks, now];
  const send = async (mode: Mode): Promise<SentRow[]> => {
    const statement = sendStatement(n, mode);
    if (!sql.inTransaction) return (await sql.query<SentRow>(statement, params)).rows;
    return sql.transaction(async (tx) => (await tx.query<SentRow>(statement, params)).rows);
  };
  try {
    return resultsOf(batch, await send('optimistic'));
  } catch (error) {
    if (!isKeyConflict(error, n)) throw error;
    return resultsOf(batch, await send('upsert'));
  }
}
