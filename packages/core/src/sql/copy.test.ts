import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PG_URL } from '../../../../test/helpers/env.ts';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { classify } from '../classify/classify.ts';
import { CapabilityError } from '../errors.ts';
import { createSqlClient } from './client.ts';

// COPY is a node-postgres capability (with pg-copy-streams); PGlite reports copy: false.
const db = useTestDatabase();

describe('COPY on node-postgres', () => {
  it('copies rows in and out, inside and outside a transaction', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.copied (id int, label text)`);
    async function* rows(): AsyncIterable<string> {
      for (let i = 1; i <= 1000; i++) yield `${i}\tlabel ${i}\n`;
    }
    expect(await db.sql.copyFrom(`COPY ${db.qschema}.copied FROM STDIN`, rows())).toBe(1000);
    const inTx = await db.sql.transaction((tx) =>
      tx.copyFrom(`COPY ${db.qschema}.copied FROM STDIN`, ['1001\tlast\n']),
    );
    expect(inTx).toBe(1);
    const chunks: Buffer[] = [];
    for await (const chunk of db.sql.copyTo(`COPY (SELECT id FROM ${db.qschema}.copied ORDER BY id) TO STDOUT`)) {
      chunks.push(Buffer.from(chunk));
    }
    const ids = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    expect(ids).toHaveLength(1001);
    expect(ids.at(-1)).toBe('1001');
  });

  it('rolls back a transaction whose COPY fails, leaving the pool healthy', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.strict (id int NOT NULL)`);
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.copyFrom(`COPY ${db.qschema}.strict FROM STDIN`, ['1\n', 'not-a-number\n']);
      }),
    ).rejects.toMatchObject({ code: '22P02' });
    expect((await db.sql.query(`SELECT * FROM ${db.qschema}.strict`)).rowCount).toBe(0);
    await expect(db.sql.copyFrom(`COPY ${db.qschema}.strict FROM STDIN`, ['x\n'])).rejects.toMatchObject({
      code: '22P02',
    });
    expect(await db.sql.copyFrom(`COPY ${db.qschema}.strict FROM STDIN`, ['7\n'])).toBe(1);
  });

  it('needs pg-copy-streams to be passed explicitly', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    try {
      const plain = createSqlClient(pool);
      expect(plain.capabilities.copy).toBe(false);
      await expect(plain.copyFrom('COPY x FROM STDIN', [])).rejects.toThrow(CapabilityError);
    } finally {
      await pool.end();
    }
  });
});

describe('single-connection clients', () => {
  it('adapts a pg.Client and a pg.PoolClient, serialising transactions on one connection', async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const sql = createSqlClient(client);
      expect(sql.kind).toBe('pg-client');
      await sql.exec(`CREATE TABLE ${db.qschema}.serial (id int)`);
      // Two concurrent transactions on one connection must not interleave.
      const order: string[] = [];
      await Promise.all(
        [1, 2].map((n) =>
          sql.transaction(async (tx) => {
            order.push(`begin ${n}`);
            await tx.query(`INSERT INTO ${db.qschema}.serial VALUES ($1)`, [n]);
            await tx.query('SELECT pg_sleep(0.01)');
            order.push(`end ${n}`);
          }),
        ),
      );
      expect(order).toEqual(['begin 1', 'end 1', 'begin 2', 'end 2']);
      await expect(sql.transaction(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
      expect((await sql.query(`SELECT * FROM ${db.qschema}.serial`)).rowCount).toBe(2);
    } finally {
      await client.end();
    }
    const poolClient = await db.pool!.connect();
    try {
      const sql = createSqlClient(poolClient);
      expect(sql.kind).toBe('pg-client');
      expect((await sql.query<{ n: number }>('SELECT 2 AS n')).rows[0]?.n).toBe(2);
    } finally {
      poolClient.release();
    }
  });
});

describe('a pooled connection whose backend dies', () => {
  it('rejects the transaction as transient without crashing the process, and the pool recovers', async () => {
    const failure = await db.sql
      .transaction(async (tx) => {
        await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(Error);
    expect(classify(failure).kind).toBe('transient');
    // Let pg deliver its 'error' event; an unlistened one would fail this test file as an uncaught error.
    await new Promise((resolve) => setImmediate(resolve));
    expect((await db.sql.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n).toBe(1);
  });
});
