import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { UncommittedPageError } from '../errors.ts';
import { pgStateStore } from '../state/postgres.ts';
import { type SnapshotChange, type SnapshotDiffOptions, snapshotDiff } from './snapshot.ts';

const db = useTestDatabase({ poolSize: 4 });
let options: SnapshotDiffOptions;

beforeAll(async () => {
  await pgStateStore(db.sql, { schema: db.schema }).migrate();
  await db.sql.exec(`CREATE TABLE ${db.qschema}.items (id int PRIMARY KEY, name text, price numeric, seen timestamptz);
    INSERT INTO ${db.qschema}.items SELECT i, 'item ' || i, i * 1.5, '2026-01-01T00:00:00.000001Z' FROM generate_series(1, 50) AS i;
    CREATE TABLE ${db.qschema}.mirror (id int PRIMARY KEY, name text, price numeric, seen timestamptz);`);
  options = { source: { table: `${db.schema}.items` }, key: 'id', job: 'items', schema: db.schema, pageSize: 8 };
});

type Item = { id: number; name: string; price: number; seen: string };

/** Applies every change to `mirror` in the same transaction as the signatures. */
async function sync(diffOptions: SnapshotDiffOptions): Promise<SnapshotChange<Item>[]> {
  const all: SnapshotChange<Item>[] = [];
  for await (const page of snapshotDiff<Item>(db.sql, diffOptions)) {
    all.push(...page.changes);
    await db.sql.transaction(async (tx) => {
      const rows = page.changes.filter((c) => c.op !== 'delete').map((c) => c.row);
      await tx.query(
        `INSERT INTO ${db.qschema}.mirror SELECT * FROM jsonb_populate_recordset(NULL::${db.qschema}.mirror, $1::jsonb)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price, seen = EXCLUDED.seen`,
        [JSON.stringify(rows)],
      );
      const gone = page.changes.filter((c) => c.op === 'delete').map((c) => (JSON.parse(c.key) as number[])[0]);
      await tx.query(`DELETE FROM ${db.qschema}.mirror WHERE id = ANY($1::int[])`, [gone]);
      await page.commit(tx);
    });
  }
  return all;
}

async function mirrored(): Promise<boolean> {
  const { rows } = await db.sql.query(
    `SELECT * FROM ${db.qschema}.items i FULL JOIN ${db.qschema}.mirror m USING (id) WHERE i IS DISTINCT FROM m`,
  );
  return rows.length === 0;
}

describe('snapshot diff in SQL', () => {
  it('yields inserts first time, then exactly the updates, deletes and inserts since', async () => {
    const first = await sync(options);
    expect(first).toHaveLength(50);
    expect(first.every((c) => c.op === 'insert')).toBe(true);
    expect(first.find((c) => c.key === '[7]')?.row).toMatchObject({
      id: 7,
      name: 'item 7',
      seen: '2026-01-01T00:00:00.000001+00:00',
    });
    expect(await mirrored()).toBe(true);
    expect(await sync(options)).toEqual([]);

    await db.sql.exec(`UPDATE ${db.qschema}.items SET price = price + 1 WHERE id IN (3, 4);
      UPDATE ${db.qschema}.items SET seen = '2026-01-01T00:00:00.000002Z' WHERE id = 5;
      UPDATE ${db.qschema}.items SET name = name WHERE id = 6;
      DELETE FROM ${db.qschema}.items WHERE id IN (10, 11);
      INSERT INTO ${db.qschema}.items VALUES (51, 'new', 1, now());`);
    const changes = await sync(options);
    const summary = changes.map((c) => `${c.op}${c.key}`).sort();
    expect(summary).toEqual(['delete[10]', 'delete[11]', 'insert[51]', 'update[3]', 'update[4]', 'update[5]']);
    expect(await mirrored()).toBe(true);
  });

  it('keeps the signatures unchanged when the writer fails, so the next run yields the same changes', async () => {
    await db.sql.exec(`UPDATE ${db.qschema}.items SET name = 'renamed' WHERE id = 1`);
    await expect(
      (async () => {
        for await (const page of snapshotDiff(db.sql, options)) {
          await db.sql.transaction(async (tx) => {
            await page.commit(tx);
            throw new Error('the write failed');
          });
        }
      })(),
    ).rejects.toThrow('the write failed');
    expect((await sync(options)).map((c) => `${c.op}${c.key}`)).toEqual(['update[1]']);
    const pages = snapshotDiff(db.sql, { ...options, job: 'other', pageSize: 5 });
    await pages.next();
    await expect(pages.next()).rejects.toBeInstanceOf(UncommittedPageError);
  });
});
