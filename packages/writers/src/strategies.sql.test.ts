import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { appendDedup } from './append-dedup.ts';
import { createTable } from './create-table.ts';
import { deleteInsert } from './delete-insert.ts';
import { replacePartition } from './replace-partition.ts';
import { defineTable } from './table.ts';

const db = useTestDatabase();

const events = (name: string) =>
  defineTable({
    table: { schema: db.schema, name },
    columns: { id: 'bigint', day: 'date', label: 'text', tags: 'text[]' },
    key: 'id',
  });
const event = (id: number, day: string, label = `e${id}`) => ({ id, day, label, tags: ['x', 'a "quoted", {odd}'] });

async function contents(name: string) {
  const { rows } = await db.sql.query(`SELECT id::int, day::text, label, tags FROM ${db.qschema}.${name} ORDER BY id`);
  return rows;
}

describe('createTable', () => {
  it('creates the table once, with the key as primary key; a second call does nothing', async () => {
    const table = events('created');
    expect(await createTable(db.sql, table)).toBe(true);
    expect(await createTable(db.sql, table)).toBe(false);
    await expect(
      db.sql.query(`INSERT INTO ${db.qschema}.created (id, day) VALUES (1, NULL), (1, NULL)`),
    ).rejects.toThrow(/duplicate key/);
  });
});

describe('deleteInsert', () => {
  it('replaces the rows of the batch keys in one transaction; re-running gives the same table', async () => {
    const table = events('di');
    await createTable(db.sql, table);
    await deleteInsert(db.sql, table, [event(1, '2026-01-01'), event(2, '2026-01-01')]);
    const result = await deleteInsert(db.sql, table, [event(2, '2026-01-02', 'new'), event(3, '2026-01-02')]);
    expect(result).toMatchObject({ deleted: 1, inserted: 2, rejected: [] });
    const once = await contents('di');
    await deleteInsert(db.sql, table, [event(2, '2026-01-02', 'new'), event(3, '2026-01-02')]);
    expect(await contents('di')).toEqual(once);
    expect(once.map((r) => r.label)).toEqual(['e1', 'new', 'e3']);
    expect(once[0]?.tags).toEqual(['x', 'a "quoted", {odd}']);
  });

  it('replaces every row matching a predicate and refuses rows outside it', async () => {
    const table = events('dipred');
    await createTable(db.sql, table);
    await deleteInsert(db.sql, table, [event(1, '2026-01-01'), event(2, '2026-01-02'), event(3, '2026-01-02')]);
    const result = await deleteInsert(db.sql, table, [event(4, '2026-01-02'), event(5, '2026-01-03')], {
      where: { column: 'day', equals: '2026-01-02' },
    });
    expect(result).toMatchObject({ deleted: 2, inserted: 1 });
    expect(result.rejected).toMatchObject([{ index: 1, reason: 'day: outside the replaced range' }]);
    expect((await contents('dipred')).map((r) => r.id)).toEqual([1, 4]);
  });
});

describe('replacePartition', () => {
  it('replaces a range of a plain table atomically', async () => {
    const table = events('plain');
    await createTable(db.sql, table);
    await deleteInsert(db.sql, table, [event(1, '2026-01-01'), event(2, '2026-01-02')]);
    const result = await replacePartition(db.sql, table, [event(3, '2026-01-02'), event(4, '2026-01-02')], {
      range: { column: 'day', from: '2026-01-02', to: '2026-01-03' },
    });
    expect(result).toMatchObject({ deleted: 1, inserted: 2, swapped: false });
    expect((await contents('plain')).map((r) => r.id)).toEqual([1, 3, 4]);
  });

  it('swaps a native partition for a freshly loaded table, refusing rows outside its bound', async () => {
    await db.sql.exec(`
      CREATE TABLE ${db.qschema}.parted (id bigint NOT NULL, day date NOT NULL, label text, tags text[],
        PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
      CREATE TABLE ${db.qschema}.parted_0101 PARTITION OF ${db.qschema}.parted FOR VALUES FROM ('2026-01-01') TO ('2026-01-02');
      CREATE TABLE ${db.qschema}.parted_0102 PARTITION OF ${db.qschema}.parted FOR VALUES FROM ('2026-01-02') TO ('2026-01-03');
      INSERT INTO ${db.qschema}.parted VALUES (1, '2026-01-01', 'a', NULL), (2, '2026-01-02', 'b', NULL), (3, '2026-01-02', 'c', NULL);`);
    const table = defineTable({
      table: { schema: db.schema, name: 'parted' },
      columns: { id: 'bigint', day: 'date', label: 'text', tags: 'text[]' },
      key: ['id', 'day'],
    });
    const rows = [event(7, '2026-01-02'), event(8, '2026-01-05'), event(9, '2026-01-02')];
    const result = await replacePartition(db.sql, table, rows, { partition: 'parted_0102' });
    expect(result).toMatchObject({ deleted: 2, inserted: 2, swapped: true });
    expect(result.rejected).toMatchObject([{ index: 1, code: '23514' }]); // the database's bound check
    expect((await contents('parted')).map((r) => r.id)).toEqual([1, 7, 9]);
    const { rows: parts } = await db.sql.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = '${db.schema}.parted'::regclass ORDER BY 1`,
    );
    expect(parts.map((p) => p.name)).toEqual(['parted_0101', 'parted_0102']);
    await expect(
      replacePartition(db.sql, table, rows, { partition: 'parted_0101', tx: undefined as never }),
    ).resolves.toMatchObject({ swapped: true });
  });
});

describe('appendDedup', () => {
  it('skips and counts rows whose business-key hash is stored or repeated, however the key is spelled', async () => {
    const table = defineTable({
      table: { schema: db.schema, name: 'appended' },
      columns: { source: 'text', seq: 'bigint', amount: 'numeric(10,2)', body: 'jsonb' },
      key: ['source', 'seq', 'amount'],
    });
    await createTable(db.sql, table, { hashColumn: 'row_hash' });
    const first = await appendDedup(db.sql, table, [
      { source: 'a', seq: 1n, amount: '1.50', body: { x: 1, y: 2 } },
      { source: 'a', seq: 2n, amount: '2.00', body: {} },
      { seq: 1, amount: '1.5', source: 'a', body: { y: 2, x: 1 } }, // same key, spelled differently
    ]);
    expect(first).toMatchObject({ inserted: 2, duplicates: 1, rejected: [] });
    const again = await appendDedup(db.sql, table, [
      { source: 'a', seq: 2n, amount: '2', body: {} },
      { source: 'b', seq: 1n, amount: '1.50', body: null },
      { source: 'c\u0000', seq: 1n, amount: '1', body: null },
    ]);
    expect(again).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(again.rejected).toMatchObject([{ index: 2, column: 'source' }]);
    const { rows } = await db.sql.query(`SELECT count(*)::int AS n FROM ${db.qschema}.appended`);
    expect(rows).toEqual([{ n: 3 }]);
  });
});
