import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { InvalidOptionError, UnsupportedClientError } from '../errors.ts';
import { createSqlClient } from './client.ts';

const db = useTestDatabase();

describe(`SqlClient on ${process.env.PW_SQL_TARGET}`, () => {
  it('reports its kind and capabilities', () => {
    expect(db.sql.kind).toBe(db.target === 'pglite' ? 'pglite' : 'pg-pool');
    expect(db.sql.capabilities.copy).toBe(db.target === 'postgres');
    expect(db.sql.inTransaction).toBe(false);
    expect(createSqlClient(db.sql)).toBe(db.sql);
  });

  it('runs parameterised queries and counts rows', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.items (id int PRIMARY KEY, label text)`);
    const inserted = await db.sql.query(
      `INSERT INTO ${db.qschema}.items SELECT g, 'item ' || g FROM generate_series(1, $1::int) g`,
      [5],
    );
    expect(inserted.rowCount).toBe(5);
    const { rows, rowCount } = await db.sql.query<{ id: number; label: string }>(
      `SELECT id, label FROM ${db.qschema}.items WHERE id > $1 ORDER BY id`,
      [3],
    );
    expect(rowCount).toBe(2);
    expect(rows).toEqual([
      { id: 4, label: 'item 4' },
      { id: 5, label: 'item 5' },
    ]);
    // A value that looks like SQL is stored verbatim.
    const hostile = "x'); DROP TABLE items; --";
    await db.sql.query(`INSERT INTO ${db.qschema}.items VALUES (6, $1)`, [hostile]);
    const back = await db.sql.query<{ label: string }>(`SELECT label FROM ${db.qschema}.items WHERE id = 6`);
    expect(back.rows[0]?.label).toBe(hostile);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.tx (id int PRIMARY KEY)`);
    const value = await db.sql.transaction(async (tx) => {
      expect(tx.inTransaction).toBe(true);
      await tx.query(`INSERT INTO ${db.qschema}.tx VALUES (1)`);
      return 'done';
    });
    expect(value).toBe('done');
    const failure = new Error('step failed');
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${db.qschema}.tx VALUES (2)`);
        throw failure;
      }),
    ).rejects.toBe(failure);
    const { rows } = await db.sql.query<{ id: number }>(`SELECT id FROM ${db.qschema}.tx ORDER BY id`);
    expect(rows.map((row) => row.id)).toEqual([1]);
  });

  it('nests transactions as savepoints', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.nested (id int PRIMARY KEY)`);
    await db.sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${db.qschema}.nested VALUES (1)`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.query(`INSERT INTO ${db.qschema}.nested VALUES (2)`);
          await inner.query(`INSERT INTO ${db.qschema}.nested VALUES (1)`); // duplicate key
        }),
      ).rejects.toMatchObject({ code: '23505' });
      await tx.transaction(async (inner) => {
        await inner.query(`INSERT INTO ${db.qschema}.nested VALUES (3)`);
      });
    });
    const { rows } = await db.sql.query<{ id: number }>(`SELECT id FROM ${db.qschema}.nested ORDER BY id`);
    expect(rows.map((row) => row.id)).toEqual([1, 3]);
  });

  it('applies isolation level and read-only settings', async () => {
    const isolation = await db.sql.transaction(
      async (tx) =>
        (await tx.query<{ level: string }>('SELECT current_setting($1) AS level', ['transaction_isolation'])).rows[0]
          ?.level,
      { isolation: 'serializable' },
    );
    expect(isolation).toBe('serializable');
    await expect(
      db.sql.transaction((tx) => tx.query(`CREATE TABLE ${db.qschema}.nope (id int)`), { readOnly: true }),
    ).rejects.toMatchObject({ code: '25006' });
    await expect(db.sql.transaction(async () => 1, { isolation: 'chaos' as never })).rejects.toThrow(
      InvalidOptionError,
    );
  });

  it('streams a large result in bounded batches', async () => {
    const sizes: number[] = [];
    let total = 0;
    let sum = 0;
    for await (const batch of db.sql.stream<{ n: number }>('SELECT g AS n FROM generate_series(1, $1::int) g', [2500], {
      batchSize: 1000,
    })) {
      sizes.push(batch.length);
      total += batch.length;
      for (const row of batch) sum += row.n;
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(total).toBe(2500);
    expect(sum).toBe((2500 * 2501) / 2);
  });

  it('releases the cursor when the caller stops early, and streams inside a transaction', async () => {
    let seen = 0;
    for await (const batch of db.sql.stream('SELECT g FROM generate_series(1, 10000) g', [], { batchSize: 10 })) {
      seen += batch.length;
      if (seen >= 20) break;
    }
    expect(seen).toBe(20);
    // The connection is usable afterwards (no dangling transaction on a pooled connection).
    expect((await db.sql.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    const counted = await db.sql.transaction(async (tx) => {
      let count = 0;
      for await (const batch of tx.stream('SELECT g FROM generate_series(1, 25) g', undefined, { batchSize: 10 })) {
        count += batch.length;
      }
      return count;
    });
    expect(counted).toBe(25);
  });

  it('refuses a bad batch size', async () => {
    const iterate = async (): Promise<void> => {
      for await (const _ of db.sql.stream('SELECT 1', [], { batchSize: 0 })) {
        // unreachable
      }
    };
    await expect(iterate()).rejects.toThrow('Expected `batchSize` to be a positive integer, got 0');
  });

  it('runs multi-statement scripts with exec', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.script (id int); INSERT INTO ${db.qschema}.script VALUES (1), (2);`);
    expect((await db.sql.query(`SELECT * FROM ${db.qschema}.script`)).rowCount).toBe(2);
  });
});

describe('createSqlClient input checks', () => {
  it.each([[null], [42], [{}], [{ query: 'not a function' }], [{ query() {} }]])('refuses %j', (value) => {
    expect(() => createSqlClient(value)).toThrow(UnsupportedClientError);
  });
});
