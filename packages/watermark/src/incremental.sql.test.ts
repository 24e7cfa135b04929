import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { incremental } from './incremental.ts';
import { pgStateStore } from './state/postgres.ts';

const db = useTestDatabase();

const records = [
  { id: 1, at: '2026-01-01T00:00:00Z' },
  { id: 2, at: '2026-01-01T00:00:01Z' },
];

describe('incremental() with the PostgreSQL store', () => {
  it('commits the position inside the caller transaction: a rollback keeps data and state together', async () => {
    const state = pgStateStore(db.sql, { schema: db.schema });
    await state.migrate();
    await db.sql.exec(`CREATE TABLE ${db.qschema}.api_items (id int PRIMARY KEY)`);
    const failure = new Error('the load failed after the position was written');
    const run = async (fail: boolean): Promise<void> => {
      for await (const page of incremental(records, {
        cursor: 'at',
        key: 'id',
        state,
        stateKey: 'api',
        ordered: true,
      })) {
        await db.sql.transaction(async (tx) => {
          for (const row of page.rows) await tx.query(`INSERT INTO ${db.qschema}.api_items VALUES ($1)`, [row.id]);
          await page.commit(tx);
          if (fail) throw failure;
        });
      }
    };
    await expect(run(true)).rejects.toBe(failure);
    expect((await state.get('api'))?.position).toBeUndefined();
    expect((await db.sql.query(`SELECT * FROM ${db.qschema}.api_items`)).rowCount).toBe(0);
    await run(false);
    expect((await state.get('api'))?.position).toEqual({ cursor: '2026-01-01T00:00:01.000000Z', key: ['2'] });
    expect((await db.sql.query(`SELECT * FROM ${db.qschema}.api_items`)).rowCount).toBe(2);
  });
});
