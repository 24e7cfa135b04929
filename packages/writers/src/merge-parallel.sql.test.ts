import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { merge } from './merge.ts';
import { defineTable } from './table.ts';

// From 100,000 rows (with COPY) merge stages into an UNLOGGED table that parallel workers can read, finds the rows
// to write in a CREATE TEMP TABLE … AS, and drops the stage before it returns: never committed, never left over.
const db = useTestDatabase();
const ROWS = 120_000;

interface Doc {
  id: number;
  v: string;
  doc: { n: number; tag: string };
  ver: number;
  gone?: boolean;
}

const docs = (count: number, from = 1, tag = 'a'): Doc[] =>
  Array.from({ length: count }, (_, i) => ({ id: from + i, v: `v${from + i}`, doc: { n: from + i, tag }, ver: 1 }));

async function bigTable(name: string, check = '') {
  await db.sql.exec(
    `CREATE TABLE ${db.qschema}.${name} (id bigint PRIMARY KEY, v text ${check}, doc jsonb, ver integer, gone boolean)`,
  );
  return defineTable({
    table: { schema: db.schema, name },
    columns: { id: 'bigint', v: 'text', doc: 'jsonb', ver: 'integer', gone: 'boolean' },
    key: 'id',
  });
}

async function leftovers(): Promise<number> {
  const { rows } = await db.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'pw_stage%' AND relpersistence = 'u'`,
  );
  return rows[0]?.n ?? -1;
}

async function locked(name: string): Promise<number> {
  const { rows } = await db.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${db.qschema}.${name} WHERE xmax::text <> '0'`,
  );
  return rows[0]?.n ?? -1;
}

describe('merge of a large batch (parallel compare over a shared stage)', () => {
  it('inserts, updates and leaves unchanged rows alone, without leaving a staging table behind', async () => {
    const table = await bigTable('big');
    const rows = docs(ROWS);
    expect(await merge(db.sql, table, rows, { directLoad: false })).toMatchObject({ inserted: ROWS, rejected: [] });
    expect(await leftovers()).toBe(0);
    const again = await merge(db.sql, table, rows);
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: ROWS, rejected: [] });
    expect(await locked('big')).toBe(0); // not even locked: no WAL, no dead tuple
    const changed = rows.map((row) => (row.id % 10 === 0 ? { ...row, doc: { ...row.doc, tag: 'b' } } : row));
    changed.push(...docs(1000, ROWS + 1));
    const third = await merge(db.sql, table, changed);
    expect(third).toMatchObject({ inserted: 1000, updated: ROWS / 10, unchanged: ROWS - ROWS / 10 });
    const { rows: stored } = await db.sql.query<{ n: number; b: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE doc->>'tag' = 'b')::int AS b FROM ${db.qschema}.big`,
    );
    expect(stored[0]).toEqual({ n: ROWS + 1000, b: ROWS / 10 });
    expect(await leftovers()).toBe(0);
  });

  it('with a version and hard deletes, writes only newer rows and deletes the marked ones', async () => {
    const table = await bigTable('versioned');
    await merge(db.sql, table, docs(ROWS), { version: 'ver' });
    const next = docs(ROWS, 1, 'new').map((row) => ({
      ...row,
      ver: row.id % 4 === 0 ? 0 : 2, // a quarter is older than stored
      gone: row.id % 5 === 1,
    }));
    const result = await merge(db.sql, table, next, { version: 'ver', delete: { field: 'gone' } });
    const deleted = next.filter((row) => row.gone && row.ver === 2).length;
    const updated = next.filter((row) => !row.gone && row.ver === 2).length;
    expect(result).toMatchObject({ inserted: 0, deleted, updated, unchanged: ROWS - deleted - updated });
    const { rows } = await db.sql.query<{ n: number; fresh: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE doc->>'tag' = 'new')::int AS fresh
       FROM ${db.qschema}.versioned`,
    );
    expect(rows[0]).toEqual({ n: ROWS - deleted, fresh: updated });
    expect(await leftovers()).toBe(0);
  });

  it('a failing write rolls everything back, shared stage included; so does a failed caller', async () => {
    const table = await bigTable('failing');
    await db.sql.exec(`CREATE FUNCTION ${db.qschema}.refuse() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN IF NEW.v = 'boom' THEN RAISE EXCEPTION 'refused by a trigger'; END IF; RETURN NEW; END $$`);
    await db.sql.exec(
      `CREATE TRIGGER refuse BEFORE UPDATE ON ${db.qschema}.failing FOR EACH ROW EXECUTE FUNCTION ${db.qschema}.refuse()`,
    );
    await merge(db.sql, table, docs(ROWS), { directLoad: false });
    const changed = docs(ROWS, 1, 'changed');
    (changed[ROWS - 1] as Doc).v = 'boom'; // the last row in key order: every other update ran before it
    await expect(merge(db.sql, table, changed)).rejects.toThrow('refused by a trigger');
    expect(await leftovers()).toBe(0);
    await expect(
      db.sql.transaction(async (tx) => {
        await merge(tx, table, docs(ROWS, 1, 'rolled back'));
        throw new Error('caller failed after the write');
      }),
    ).rejects.toThrow('caller failed');
    const { rows } = await db.sql.query<{ n: number; other: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE doc->>'tag' <> 'a')::int AS other FROM ${db.qschema}.failing`,
    );
    expect(rows[0]).toEqual({ n: ROWS, other: 0 });
    expect(await leftovers()).toBe(0);
  });

  it('stages into a TEMP table instead when parallel query is off (and always on PGlite, which has no COPY)', async () => {
    const table = await bigTable('fallback');
    const tempStages = async (tx: typeof db.sql) => {
      const { rows } = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'pw_stage%' AND relpersistence = 't'`,
      );
      return rows[0]?.n;
    };
    // A TEMP stage lives until commit; the shared one is already dropped when merge returns. Named without its
    // schema, the table is found (and the shared stage created) through the search path.
    const unqualified = defineTable({ ...table.toJSON(), table: 'fallback' });
    const shared = await db.sql.transaction(async (tx) => {
      const result = await merge(tx, unqualified, docs(ROWS), { directLoad: false });
      return { result, temp: await tempStages(tx) };
    });
    expect(shared).toMatchObject({ result: { inserted: ROWS }, temp: db.target === 'postgres' ? 0 : 1 });
    const serial = await db.sql.transaction(async (tx) => {
      await tx.exec('SET LOCAL max_parallel_workers_per_gather = 0');
      const result = await merge(tx, table, docs(ROWS, 1, 'b'));
      return { result, temp: await tempStages(tx) };
    });
    expect(serial).toMatchObject({ result: { updated: ROWS }, temp: 1 });
    expect(await leftovers()).toBe(0);
  });
});
