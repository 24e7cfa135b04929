// The data model of the sync scenarios: source, target, truth tables, the zod schema of a valid row, and the
// checks that compare the target and the dead letters with the source.
import { quoteIdentifier, type SqlClient } from '@pipewright/core';
import { bigintId, decimalString } from '@pipewright/quality';
import { defineTable, type WriterTable } from '@pipewright/writers';
import { z } from 'zod';
import type { Rng } from './prng.ts';

export interface SyncConfig {
  mode: 'pg' | 'redis';
  pgUrl: string;
  schema: string;
  applicationName: string;
  pageSize: number;
  redisUrl?: string;
  redisPrefix?: string;
  /** A deliberately broken job, to prove the harness sees what it is meant to see. */
  broken?: 'position-first';
}

export const STATUSES = ['new', 'paid', 'shipped'] as const;

/** A valid source row (strict: an unknown column is a rejection). */
export const sourceRow = z.object({
  id: bigintId(),
  version: z.number().int().nonnegative(),
  updated_at: z.date(),
  amount: decimalString({ precision: 18, scale: 2 }),
  status: z.enum(STATUSES),
  note: z.string().max(200),
});

export function targetTable(schema: string): WriterTable {
  return defineTable({
    table: { schema, name: 'tgt' },
    columns: {
      id: 'bigint',
      version: 'integer',
      updated_at: 'timestamptz',
      amount: 'numeric(18,2)',
      status: 'text',
      note: 'text',
    },
    key: 'id',
  });
}

/**
 * Source, target, the harness's truth (`malformed`: ids inserted malformed on purpose) and `apply_log`: a trigger
 * records every row version the target actually wrote, so a version applied twice is seen even when the final
 * table looks right.
 */
export function setupSql(schema: string): string {
  const s = quoteIdentifier(schema);
  return `
    CREATE TABLE ${s}.src (id bigint PRIMARY KEY, version int NOT NULL, updated_at timestamptz NOT NULL,
      amount text NOT NULL, status text NOT NULL, note text NOT NULL);
    CREATE INDEX ON ${s}.src (updated_at, id);
    CREATE TABLE ${s}.malformed (id bigint PRIMARY KEY);
    CREATE TABLE ${s}.tgt (id bigint PRIMARY KEY, version int NOT NULL, updated_at timestamptz,
      amount numeric(18,2), status text, note text);
    CREATE TABLE ${s}.apply_log (id bigint NOT NULL, version int NOT NULL, app text);
    CREATE FUNCTION ${s}.log_apply() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO ${s}.apply_log VALUES (NEW.id, NEW.version, current_setting('application_name'));
      RETURN NEW; END $$;
    CREATE TRIGGER log_apply AFTER INSERT OR UPDATE ON ${s}.tgt FOR EACH ROW EXECUTE FUNCTION ${s}.log_apply();`;
}

/** Values a careless loader would break on: SQL, quotes, comments, unicode. Stored verbatim or the check fails. */
const NOTES = [
  'plain',
  "'); DROP TABLE tgt; --",
  'Robert"); DELETE FROM src; /*',
  "O'Brien \\ backslash",
  'tab\tnew\nline',
  'emoji 🚚 ünïcödé',
  '',
];

/** One malformed row per kind: each must be dead-lettered, never loaded. */
const MALFORMED: readonly { amount: string; status: string; note: string }[] = [
  { amount: 'abc', status: 'new', note: 'amount not a number' },
  { amount: '1e3', status: 'paid', note: 'exponent' },
  { amount: '12.345', status: 'new', note: 'too many decimals' },
  { amount: '10.00', status: 'BROKEN', note: 'unknown status' },
  { amount: '10.00', status: 'new', note: 'x'.repeat(201) },
  { amount: 'NaN', status: 'shipped', note: 'NaN' },
];

/** The harness side of the source: inserts and updates in one transaction, so they share `now()` (equal timestamps). */
export class SourceWriter {
  #nextId = 1;
  readonly #valid: number[] = [];
  readonly #sql: SqlClient;
  readonly #s: string;
  readonly #rng: Rng;
  inserted = 0;
  updated = 0;
  malformed = 0;

  constructor(sql: SqlClient, schema: string, rng: Rng) {
    this.#sql = sql;
    this.#s = quoteIdentifier(schema);
    this.#rng = rng;
  }

  async mutate(): Promise<void> {
    const rng = this.#rng;
    const ids: number[] = [];
    const amounts: string[] = [];
    const statuses: string[] = [];
    const notes: string[] = [];
    const bad: number[] = [];
    for (let i = rng.int(1, 4); i > 0; i--) {
      const id = this.#nextId++;
      ids.push(id);
      amounts.push(`${rng.int(0, 99999)}.${String(rng.int(0, 99)).padStart(2, '0')}`);
      statuses.push(rng.pick(STATUSES));
      notes.push(rng.pick(NOTES));
      this.#valid.push(id);
    }
    if (rng.chance(0.35)) {
      const id = this.#nextId++;
      const m = rng.pick(MALFORMED);
      ids.push(id);
      amounts.push(m.amount);
      statuses.push(m.status);
      notes.push(m.note);
      bad.push(id);
    }
    const updates = new Set<number>();
    for (let i = rng.int(0, 3); i > 0 && this.#valid.length > 4; i--) updates.add(rng.pick(this.#valid));
    for (const id of ids) updates.delete(id);
    await this.#sql.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${this.#s}.src (id, version, updated_at, amount, status, note)
         SELECT id, 1, now(), a, st, n FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(id, a, st, n)`,
        [ids, amounts, statuses, notes],
      );
      if (bad.length > 0) await tx.query(`INSERT INTO ${this.#s}.malformed SELECT unnest($1::bigint[])`, [bad]);
      if (updates.size > 0) {
        await tx.query(
          `UPDATE ${this.#s}.src SET version = version + 1, updated_at = now(),
             amount = (amount::numeric + 1)::text, note = $2 WHERE id = ANY($1::bigint[])`,
          [[...updates], rng.pick(NOTES)],
        );
      }
    });
    this.inserted += ids.length - bad.length;
    this.malformed += bad.length;
    this.updated += updates.size;
  }
}

export interface SyncCheck {
  /** Source rows compared. */
  rows: number;
  /** Valid source rows (at or below `position` when given) missing from the target or not at their latest version. */
  lost: number;
  /** Malformed rows (at or below `position`) missing from the dead letters. */
  lostLetters: number;
  /** Row versions the target wrote more than once, target keys held twice, dead letters per key beyond one. */
  duplicated: number;
  /** Target rows or dead letters that should not exist (a malformed row loaded, a valid row dead-lettered). */
  unexpected: number;
  details: string[];
}

/**
 * Compares target and dead letters with the source. With a position, only rows at or below it are required
 * (the watermark must never be ahead of the data); without, every row is.
 */
export async function checkSync(
  sql: SqlClient,
  schema: string,
  letters: readonly { key: string; count: number }[],
  position?: { cursor: string; key: string[] },
): Promise<SyncCheck> {
  const s = quoteIdentifier(schema);
  const upTo = position ? `(s.updated_at, s.id) <= ($1::timestamptz, $2::bigint)` : 'true';
  const params = position ? [position.cursor, position.key[0]] : [];
  const { rows } = await sql.query<{
    n: number;
    lost: number;
    dup_applied: number;
    dup_keys: number;
    loaded_bad: number;
    orphans: number;
    details: string[] | null;
  }>(
    `WITH cmp AS (
       SELECT s.id, s.version AS sv, t.version AS tv, m.id IS NOT NULL AS bad, ${upTo} AS required,
         t.id IS NOT NULL AND (t.amount, t.status, t.note) IS NOT DISTINCT FROM (s.amount::numeric, s.status, s.note) AS same
       FROM ${s}.src s LEFT JOIN ${s}.malformed m USING (id) LEFT JOIN ${s}.tgt t USING (id))
     SELECT (SELECT count(*) FROM cmp WHERE required)::int AS n,
       (SELECT count(*) FROM cmp WHERE required AND NOT bad AND (tv IS DISTINCT FROM sv OR NOT same))::int AS lost,
       (SELECT count(*) FROM (SELECT 1 FROM ${s}.apply_log GROUP BY id, version HAVING count(*) > 1) d)::int AS dup_applied,
       (SELECT count(*) - count(DISTINCT id) FROM ${s}.tgt)::int AS dup_keys,
       (SELECT count(*) FROM cmp WHERE bad AND tv IS NOT NULL)::int AS loaded_bad,
       (SELECT count(*) FROM ${s}.tgt t WHERE NOT EXISTS (SELECT 1 FROM ${s}.src s WHERE s.id = t.id))::int AS orphans,
       (SELECT array_agg(format('id %s: source v%s, target v%s', id, sv, tv)) FROM
         (SELECT * FROM cmp WHERE required AND NOT bad AND (tv IS DISTINCT FROM sv OR NOT same) LIMIT 5) x) AS details`,
    params,
  );
  const r = rows[0] as NonNullable<(typeof rows)[0]>;
  const { rows: bad } = await sql.query<{ id: string }>(
    `SELECT s.id::text AS id FROM ${s}.src s JOIN ${s}.malformed m USING (id) WHERE ${upTo}`,
    params,
  );
  const badIds = new Set(bad.map((b) => `src:${b.id}`));
  const { rows: all } = await sql.query<{ id: string }>(`SELECT id::text AS id FROM ${s}.malformed`);
  const allBad = new Set(all.map((b) => `src:${b.id}`));
  const lettered = new Map(letters.map((l) => [l.key, l.count]));
  let lostLetters = 0;
  const details = [...(r.details ?? [])];
  for (const key of badIds) {
    if (!lettered.has(key)) {
      lostLetters++;
      if (details.length < 10) details.push(`${key} malformed but not dead-lettered`);
    }
  }
  let dupLetters = 0;
  let wrongLetters = 0;
  for (const { key, count } of letters) {
    if (count > 1) dupLetters += count - 1;
    if (!allBad.has(key)) {
      wrongLetters++;
      if (details.length < 10) details.push(`${key} dead-lettered but valid`);
    }
  }
  if (r.dup_applied > 0) details.push(`${r.dup_applied} row versions applied more than once`);
  return {
    rows: r.n,
    lost: r.lost,
    lostLetters,
    duplicated: r.dup_applied + r.dup_keys + dupLetters,
    unexpected: r.loaded_bad + r.orphans + wrongLetters,
    details,
  };
}
