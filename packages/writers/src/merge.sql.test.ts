import { hasErrorCode } from '@pipewright/core';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { merge } from './merge.ts';
import { defineTable } from './table.ts';

const db = useTestDatabase();

interface Order {
  id: bigint | number;
  amount: string;
  status: string;
  updated_at: Date;
  payload: unknown;
  deleted?: boolean;
}

async function ordersTable(name: string, extra = '') {
  await db.sql.exec(`CREATE TABLE ${db.qschema}.${name} (
    id bigint PRIMARY KEY, amount numeric(8,2) NOT NULL, status text NOT NULL, updated_at timestamptz NOT NULL,
    payload jsonb${extra})`);
  return defineTable({
    table: { schema: db.schema, name },
    columns: [
      { name: 'id', type: 'bigint' },
      { name: 'amount', type: 'numeric(8,2)' },
      { name: 'status', type: 'text' },
      { name: 'updated_at', type: 'timestamptz' },
      { name: 'payload', type: 'jsonb' },
      ...(extra ? [{ name: 'deleted', type: 'boolean' }] : []),
    ],
    key: 'id',
  });
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const order = (id: number, minute = 0, status = 'new'): Order => ({
  id: BigInt(id),
  amount: `${id}.50`,
  status,
  updated_at: at(minute),
  payload: { n: id, tags: ['a', 'b\tc'], big: 12345678901234567890n },
});

async function snapshot(name: string) {
  const { rows } = await db.sql.query(
    `SELECT id::text, amount::text, status, updated_at, payload::text, xmin::text, xmax::text, ctid::text
     FROM ${db.qschema}.${name} ORDER BY id`,
  );
  return rows;
}

describe('merge', () => {
  it('applies the same batch N times: an identical table, and no row rewritten or locked after the first', async () => {
    const table = await ordersTable('rerun');
    const rows = Array.from({ length: 50 }, (_, i) => order(i + 1));
    const first = await merge(db.sql, table, rows);
    expect(first).toMatchObject({ inserted: 50, updated: 0, unchanged: 0, deleted: 0, rejected: [] });
    const before = await snapshot('rerun');
    for (let run = 0; run < 3; run++) {
      const again = await merge(db.sql, table, rows);
      expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 50, deleted: 0 });
    }
    // Same xmin, xmax and ctid: the rows were not rewritten and not even locked (no WAL, no dead tuple).
    expect(await snapshot('rerun')).toEqual(before);
    expect(before[0]).toMatchObject({ amount: '1.50', payload: expect.stringContaining('12345678901234567890') });
  });

  it('updates only changed rows, inserts new keys, and counts each', async () => {
    const table = await ordersTable('changes');
    await merge(db.sql, table, [order(1), order(2), order(3)]);
    const before = await snapshot('changes');
    const result = await merge(db.sql, table, [order(1), order(2, 5, 'paid'), order(4)]);
    expect(result).toMatchObject({ inserted: 1, updated: 1, unchanged: 1, deleted: 0 });
    const after = await snapshot('changes');
    expect(after.map((r) => r.status)).toEqual(['new', 'paid', 'new', 'new']);
    expect(after[0]).toEqual(before[0]); // untouched
    expect(after[2]).toEqual(before[2]);
  });

  it('never lets an older version overwrite a newer one, in any delivery order', async () => {
    const table = await ordersTable('versions');
    const versions = [order(1, 1, 'v1'), order(1, 3, 'v3'), order(1, 2, 'v2')];
    for (const permutation of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
    ]) {
      await db.sql.exec(`TRUNCATE ${db.qschema}.versions`);
      for (const i of permutation) await merge(db.sql, table, [versions[i] as Order], { version: 'updated_at' });
      const { rows } = await db.sql.query(`SELECT status FROM ${db.qschema}.versions`);
      expect(rows).toEqual([{ status: 'v3' }]);
    }
    const stale = await merge(db.sql, table, [order(1, 2, 'v2')], { version: 'updated_at' });
    expect(stale).toMatchObject({ updated: 0, unchanged: 1 });
  });

  it('keeps one row per key within a batch: the newest version, or the last one', async () => {
    const table = await ordersTable('dedupe');
    const newest = await merge(db.sql, table, [order(1, 5, 'newest'), order(1, 1, 'older'), order(2, 0, 'x')], {
      version: 'updated_at',
    });
    expect(newest).toMatchObject({ inserted: 2, superseded: 1 });
    const last = await merge(db.sql, table, [order(2, 0, 'first'), order(2, 0, 'last')]);
    expect(last).toMatchObject({ updated: 1, superseded: 1 });
    const { rows } = await db.sql.query(`SELECT id::int, status FROM ${db.qschema}.dedupe ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, status: 'newest' },
      { id: 2, status: 'last' },
    ]);
  });

  it('soft delete keeps a tombstone that an older replay cannot resurrect', async () => {
    const table = await ordersTable('soft', ', deleted boolean NOT NULL DEFAULT false');
    const options = { version: 'updated_at', delete: { field: 'deleted', mode: 'soft' as const } };
    await merge(
      db.sql,
      table,
      [
        { ...order(1, 1), deleted: false },
        { ...order(2, 1), deleted: false },
      ],
      options,
    );
    const removed = await merge(db.sql, table, [{ ...order(1, 2), deleted: true }], options);
    expect(removed).toMatchObject({ deleted: 1, updated: 0, inserted: 0 });
    const replay = await merge(db.sql, table, [{ ...order(1, 1), deleted: false }], options);
    expect(replay).toMatchObject({ updated: 0, unchanged: 1 });
    const { rows } = await db.sql.query(`SELECT id::int, deleted FROM ${db.qschema}.soft ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, deleted: true },
      { id: 2, deleted: false },
    ]);
  });

  it('hard delete removes the row when the marker is newer, and ignores unknown keys', async () => {
    const table = await ordersTable('hard');
    const options = { version: 'updated_at', delete: { field: 'deleted' } };
    await merge(db.sql, table, [order(1, 1), order(2, 1)], options);
    const result = await merge(
      db.sql,
      table,
      [
        { ...order(1, 2), deleted: true },
        { ...order(2, 0), deleted: true }, // older than the stored row: ignored
        { ...order(3, 2), deleted: true }, // never existed
      ],
      options,
    );
    expect(result).toMatchObject({ deleted: 1, inserted: 0, updated: 0, unchanged: 2 });
    const { rows } = await db.sql.query(`SELECT id::int FROM ${db.qschema}.hard ORDER BY id`);
    expect(rows).toEqual([{ id: 2 }]);
  });

  it('returns the records PostgreSQL would refuse, with the reason, and loads the rest', async () => {
    const table = await ordersTable('bad');
    const rows: Order[] = [
      order(1),
      { ...order(2), status: 'nul\u0000byte' },
      { ...order(3), amount: '123456789.00' }, // numeric(8,2) overflow
      { ...order(4), updated_at: new Date(Number.NaN) },
      { ...order(5), amount: 'twelve' },
      { ...order(6), status: 42 as unknown as string },
      { ...order(7), updated_at: '2026-02-30T00:00:00Z' as unknown as Date }, // only the database knows
      order(8),
    ];
    const seen: unknown[] = [];
    const result = await merge(db.sql, table, rows, { onRejected: (failures) => void seen.push(...failures) });
    expect(result.inserted).toBe(2);
    const reasons = Object.fromEntries(result.rejected.map((f) => [f.index, f.reason]));
    expect(Object.keys(reasons).map(Number).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reasons[1]).toMatch(/status: .*0x00/);
    expect(reasons[2]).toMatch(/amount: numeric field overflow/);
    expect(reasons[3]).toMatch(/updated_at: invalid Date/);
    expect(reasons[4]).toMatch(/invalid input syntax for type numeric/);
    expect(reasons[5]).toMatch(/expected a string, got number/);
    expect(reasons[6]).toMatch(/date\/time field value out of range/); // the database's own message
    expect(result.rejected.find((f) => f.index === 6)).toMatchObject({ code: '22008', record: rows[6] });
    expect(seen).toHaveLength(6);
    const { rows: stored } = await db.sql.query(`SELECT id::int FROM ${db.qschema}.bad ORDER BY id`);
    expect(stored).toEqual([{ id: 1 }, { id: 8 }]);
  });

  it('a large first load with duplicate keys and a bad row still loads once per key (direct path falls back)', async () => {
    const table = await ordersTable('bigfirst');
    const rows = Array.from({ length: 12_000 }, (_, i) => order(i + 1));
    rows[0] = { ...order(1), id: null as never }; // a refused key inside the sampled keys
    rows.push({ ...order(5, 9, 'later duplicate') }, { ...order(12_001), updated_at: '2026-13-01' as unknown as Date });
    const result = await merge(db.sql, table, rows, { version: 'updated_at' });
    expect(result).toMatchObject({ inserted: 11_999, updated: 0, superseded: 1 });
    expect(result.rejected).toMatchObject([{ index: 0, column: 'id' }, { index: 12_001 }]);
    const { rows: five } = await db.sql.query(`SELECT status FROM ${db.qschema}.bigfirst WHERE id = 5`);
    expect(five).toEqual([{ status: 'later duplicate' }]);
    const rerun = await merge(db.sql, table, rows.slice(1, 12_000), { version: 'updated_at' });
    expect(rerun).toMatchObject({ inserted: 0, updated: 0, unchanged: 11_999 });
  });

  it('stages a large batch inside a caller transaction with an open cursor, or under repeatable read', async () => {
    const table = await ordersTable('frozen');
    const rows = Array.from({ length: 10_500 }, (_, i) => order(i + 1));
    await merge(db.sql, table, rows.slice(0, 10));
    const result = await db.sql.transaction(async (tx) => {
      await tx.query('DECLARE open_cursor CURSOR FOR SELECT 1'); // COPY FREEZE is refused with a cursor open
      return merge(db.sql, table, rows, { tx });
    });
    expect(result).toMatchObject({ inserted: 10_490, unchanged: 10 });
    const again = await db.sql.transaction((tx) => merge(tx, table, rows), { isolation: 'repeatable read' });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 10_500 });
  });

  it('commits with the caller: a rolled-back transaction leaves nothing', async () => {
    const table = await ordersTable('withtx');
    await expect(
      db.sql.transaction(async (tx) => {
        await merge(db.sql, table, [order(1)], { tx });
        throw new Error('caller failed after the write');
      }),
    ).rejects.toThrow('caller failed');
    await db.sql.transaction(async (tx) => merge(tx, table, [order(2)]));
    const { rows } = await db.sql.query(`SELECT id::int FROM ${db.qschema}.withtx`);
    expect(rows).toEqual([{ id: 2 }]);
    await expect(merge(db.sql, table, [], { tx: db.sql })).rejects.toThrow(/Expected `tx`/);
    await expect(merge(db.sql, table, [], { workMem: 'lots' })).rejects.toThrow(/Expected `workMem`/);
    await expect(merge(db.sql, table, [], { version: 'id' })).rejects.toThrow(/Expected `version`/);
    await expect(merge(db.sql, table, [], { delete: { field: 'status', mode: 'soft' } })).rejects.toThrow(
      /boolean column/,
    );
  });

  it('refuses a hostile column name with a typed error before any SQL runs', () => {
    let caught: unknown;
    try {
      defineTable({ table: 'x', columns: { 'id"; drop table x;--': 'bigint' }, key: 'id"; drop table x;--' });
    } catch (error) {
      caught = error;
    }
    expect(hasErrorCode(caught, 'PW_INVALID_IDENTIFIER')).toBe(true);
  });
});
