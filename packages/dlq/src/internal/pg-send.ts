import type { SqlClient } from '@pipewright/core';
import type { SendResult } from '../types.ts';
import { copyRows, dedupeStacks, pgBatchDocument } from './batch-encoding.ts';
import type { CapturedRow } from './capture.ts';
import type { PgNames } from './pg-schema.ts';

/** The columns of one send, in COPY order; the same shape `json_to_recordset` is given. */
const STAGE_COLUMNS = `k text, p text, s text, r text, src json, rec json, ec text, eco text, em text, sh text,
  ek text, er text, a int, c int, ff timestamptz, lf timestamptz`;

/**
 * A session-local staging table for COPY: created once per connection, emptied at commit. The DO block keeps
 * `CREATE … IF NOT EXISTS` from sending a notice on every send; the DELETE clears what an earlier send inside the
 * same (caller's) transaction left.
 */
const STAGE = 'pg_temp.pw_dlq_stage_v1';
const PREPARE_STAGE = `DO $$ BEGIN
  IF to_regclass('${STAGE}') IS NULL THEN
    CREATE TEMP TABLE pw_dlq_stage_v1 (${STAGE_COLUMNS}) ON COMMIT DELETE ROWS;
  END IF;
END $$; DELETE FROM ${STAGE};`;

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
 * plain INSERT, which costs a third less than `ON CONFLICT`'s speculative insertion; known keys are upserted (a
 * re-send adds to the count and moves the last failure time; a resolved or discarded entry re-opens as pending,
 * with an audit row). A concurrent sender inserting the same new key makes the plain INSERT fail with a unique
 * violation; the caller then repeats the send in `upsert` mode. `$P` are the distinct stacks' hashes and texts,
 * `$P+2` now.
 */
export function sendStatement(n: PgNames, source: 'json' | 'stage', mode: Mode): string {
  const first = source === 'json' ? 2 : 1; // $1 is the JSON document
  const [hashes, stacks, now] = [`$${first}::text[]`, `$${first + 1}::text[]`, `$${first + 2}::timestamptz`];
  const rows = source === 'json' ? 'u' : STAGE;
  // A scalar subquery is probed through the key index row by row; an EXISTS would be planned as a hash join that
  // reads the whole queue table on every send (the staging table has no statistics).
  const entry = `(SELECT e.id FROM ${n.table} AS e WHERE e.idempotency_key = v.k)`;
  const values = `v.k, v.p, v.s, v.r, v.src, v.rec, v.ec, v.eco, v.em, v.sh, v.ek, v.er, v.a, v.c, v.ff, v.lf, ${now}`;
  const columns = `idempotency_key, pipeline, step, run_id, source, record, error_class, error_code, error_message,
    stack_hash, error_kind, error_reason, attempt, failure_count, first_failed_at, last_failed_at, updated_at`;
  return `WITH ${source === 'json' ? `u AS MATERIALIZED (SELECT * FROM json_to_recordset($1::json) AS j(${STAGE_COLUMNS})), ` : ''}stacks AS (
    INSERT INTO ${n.stacks} (hash, stack) SELECT * FROM unnest(${hashes}, ${stacks}) ON CONFLICT (hash) DO NOTHING
  ), fresh AS (
    INSERT INTO ${n.table} (${columns})
    SELECT ${values} FROM ${rows} AS v WHERE ${mode === 'optimistic' ? `${entry} IS NULL` : 'false'}
    RETURNING id, idempotency_key
  ), again AS (
    INSERT INTO ${n.table} AS d (${columns})
    SELECT ${values} FROM ${rows} AS v${mode === 'optimistic' ? ` WHERE ${entry} IS NOT NULL` : ''}
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

/** One captured chunk of a send, ready to write. */
export interface SendChunk {
  rows: readonly CapturedRow[];
  /** Per input of the chunk, the index of its row in `rows` (inputs with one key share a row). */
  slots: readonly number[];
}

/** Inputs per COPY chunk: the server writes one while the next is captured. */
const CHUNK = 1_000;

function isKeyConflict(error: unknown, n: PgNames): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' && (e.constraint === undefined || n.keyIndex === e.constraint);
}

/** Maps a chunk's written rows back to its inputs; a second input with the same key did not create its entry. */
function resultsOf(chunk: SendChunk, written: readonly SentRow[]): SendResult[] {
  const byKey = new Map<string, SentRow>();
  for (const row of written) byKey.set(row.idempotency_key, row);
  const seen = new Set<number>();
  return chunk.slots.map((slot) => {
    const row = byKey.get((chunk.rows[slot] as CapturedRow).key) as SentRow;
    const created = row.inserted && !seen.has(slot);
    seen.add(slot);
    return { id: row.id, created };
  });
}

async function writeChunk(tx: SqlClient, n: PgNames, chunk: SendChunk, mode: Mode, now: string): Promise<SentRow[]> {
  const { hashes, stacks, rowHash } = dedupeStacks(chunk.rows);
  await tx.copyFrom(`COPY ${STAGE} FROM STDIN`, copyRows(chunk.rows, rowHash));
  return (await tx.query<SentRow>(sendStatement(n, 'stage', mode), [hashes, stacks, now])).rows;
}

/**
 * Writes `count` inputs in one transaction (a savepoint inside the caller's), all or nothing. With COPY, the
 * inputs go in chunks streamed into the staging table, and `capture(start, end)` of the next chunk runs while
 * the server writes the current one; without, as one JSON document in one statement.
 */
export async function sendRows(
  sql: SqlClient,
  n: PgNames,
  count: number,
  capture: (start: number, end: number) => SendChunk,
  now: string,
): Promise<SendResult[]> {
  const viaCopy = async (mode: Mode): Promise<SendResult[]> =>
    sql.transaction(async (tx) => {
      await tx.exec(PREPARE_STAGE);
      const results: SendResult[] = [];
      let chunk = capture(0, Math.min(CHUNK, count));
      for (let start = 0; start < count; start += CHUNK) {
        const writing = writeChunk(tx, n, chunk, mode, now);
        const end = Math.min(start + 2 * CHUNK, count);
        // Capture the next chunk while the server writes this one (a capture error still rolls everything back).
        const next = end > start + CHUNK ? await overlap(writing, () => capture(start + CHUNK, end)) : undefined;
        for (const result of resultsOf(chunk, await writing)) results.push(result);
        if (next === undefined) break;
        await tx.exec(`DELETE FROM ${STAGE}`);
        chunk = next;
      }
      return results;
    });
  const viaJson = async (mode: Mode): Promise<SendResult[]> => {
    const chunk = capture(0, count);
    const { hashes, stacks, rowHash } = dedupeStacks(chunk.rows);
    const statement = sendStatement(n, 'json', mode);
    const params = [pgBatchDocument(chunk.rows, rowHash), hashes, stacks, now];
    // One statement is atomic on its own; inside the caller's transaction a savepoint keeps a conflict from
    // aborting it.
    const written = sql.inTransaction
      ? await sql.transaction(async (tx) => (await tx.query<SentRow>(statement, params)).rows)
      : (await sql.query<SentRow>(statement, params)).rows;
    return resultsOf(chunk, written);
  };
  const send = sql.capabilities.copy ? viaCopy : viaJson;
  try {
    return await send('optimistic');
  } catch (error) {
    if (!isKeyConflict(error, n)) throw error;
    return send('upsert');
  }
}

/** Runs `work` after yielding once, so the query just sent is on its way to the server; keeps `pending` handled. */
async function overlap<T>(pending: Promise<unknown>, work: () => T): Promise<T> {
  pending.catch(() => undefined); // awaited by the caller; this only keeps it from being reported unhandled
  await new Promise<void>((resolve) => setImmediate(resolve));
  return work();
}
