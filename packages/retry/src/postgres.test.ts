// Real PostgreSQL failures through the default classification: a lock timeout is retried (and its rolled-back
// attempt leaves no trace), a constraint violation and a syntax error fail on the first attempt.
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { RetryPolicy } from './retry.ts';
import type { RetryEvent } from './types.ts';

const db = useTestDatabase();

beforeAll(async () => {
  await db.sql.exec(`CREATE TABLE ${db.qschema}.counter (id int PRIMARY KEY, n int NOT NULL)`);
  await db.sql.query(`INSERT INTO ${db.qschema}.counter (id, n) VALUES ($1, $2)`, [1, 0]);
});

describe('retry on real PostgreSQL errors', () => {
  it('retries 55P03 lock_not_available, and the failed attempt changed nothing', async () => {
    const pool = db.pool!;
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT n FROM ${db.qschema}.counter WHERE id = $1 FOR UPDATE`, [1]);
      const policy = new RetryPolicy({ initialDelay: 0, maxAttempts: 3 });
      const retries: RetryEvent[] = [];
      policy.onRetry((e) => retries.push(e));
      const updated = await policy.execute(async ({ attempt }) => {
        // The lock holder lets go before the second attempt.
        if (attempt === 2) await holder.query('COMMIT');
        return db.sql.transaction(async (tx) => {
          await tx.query(`SET LOCAL lock_timeout = '100ms'`);
          const { rowCount } = await tx.query(`UPDATE ${db.qschema}.counter SET n = n + 1 WHERE id = $1`, [1]);
          return rowCount;
        });
      });
      expect(updated).toBe(1);
      expect(retries).toHaveLength(1);
      expect(retries[0]?.error).toMatchObject({ code: '55P03' });
      const { rows } = await db.sql.query<{ n: number }>(`SELECT n FROM ${db.qschema}.counter WHERE id = $1`, [1]);
      expect(rows[0]?.n).toBe(1); // exactly once
    } finally {
      holder.release();
    }
  });

  it('does not retry a unique violation (a bad record) or a syntax error (fatal)', async () => {
    const policy = new RetryPolicy({ initialDelay: 0 });
    let attempts = 0;
    const duplicate = await policy
      .execute(() => {
        attempts++;
        return db.sql.query(`INSERT INTO ${db.qschema}.counter (id, n) VALUES ($1, $2)`, [1, 0]);
      })
      .catch((e: unknown) => e);
    expect(duplicate).toMatchObject({ code: '23505' });
    expect(attempts).toBe(1);
    const syntax = await policy
      .execute(() => {
        attempts++;
        return db.sql.query('SELEC 1');
      })
      .catch((e: unknown) => e);
    expect(syntax).toMatchObject({ code: '42601' });
    expect(attempts).toBe(2);
  });
});
