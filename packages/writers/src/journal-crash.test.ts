// Node project only (real PostgreSQL): the journal's writer is killed in each state, then recover() runs.
import { createSqlClient, type SqlClient } from '@pipewright/core';
import type pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KillablePool, killablePool } from '../../../test/helpers/pg-kill.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { createTable } from './create-table.ts';
import { batchJournal } from './journal.ts';
import { defineTable } from './table.ts';

const db = useTestDatabase();
let killable: KillablePool;
let writer: SqlClient;

beforeAll(async () => {
  killable = killablePool({ searchPath: db.schema });
  writer = createSqlClient(killable.pool, { copyStreams });
  await batchJournal(db.sql, { schema: db.schema }).install();
  await createTable(db.sql, table());
});
afterAll(() => killable.end());

const table = () =>
  defineTable({ table: { schema: db.schema, name: 'jc' }, columns: { id: 'bigint', label: 'text' }, key: 'id' });

interface Row {
  id: number;
  label: string;
}
const rows = (from: number, count: number, label: string): Row[] =>
  Array.from({ length: count }, (_, i) => ({ id: from + i, label }));

async function count(from: number, to: number): Promise<number> {
  const { rows: found } = await db.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${db.qschema}.jc WHERE id BETWEEN $1 AND $2`,
    [from, to],
  );
  return found[0]?.n ?? -1;
}

describe('journal recovery after a kill', () => {
  it('killed while STARTED (staging): nothing applied; recover() re-runs it from the rows', async () => {
    const journal = batchJournal(writer, { schema: db.schema });
    const batch = rows(1, 40_000, 'x');
    const killing = [...batch];
    let fired = false;
    killing[1000] = {
      id: 1001,
      get label() {
        if (!fired) {
          fired = true;
          // Blocking: the backend is gone before the next row is encoded (an async kill could land too late).
          expect(killable.terminateSync()).toBe(1);
        }
        return 'x';
      },
    };
    await expect(journal.merge('started', table(), killing)).rejects.toThrow();
    const recovering = batchJournal(db.sql, { schema: db.schema });
    expect(await recovering.get('started')).toMatchObject({ state: 'STARTED' });
    expect(await count(1, 40_000)).toBe(0);
    const report = await recovering.recover({ rerun: async () => batch });
    expect(report).toEqual({ completed: [], rerun: ['started'], abandoned: [] });
    expect(await count(1, 40_000)).toBe(40_000);
  });

  it('killed while STAGED (applying): nothing applied; recover() applies the whole staged batch', async () => {
    const journal = batchJournal(writer, { schema: db.schema });
    const blocker = (await db.pool?.connect()) as pg.PoolClient;
    let outcome: Promise<unknown>;
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE ${db.qschema}.jc IN SHARE MODE`);
      outcome = journal.merge('staged', table(), rows(50_001, 500, 'y')).catch((error: unknown) => error);
      await killable.terminateWhenWaiting();
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    expect(await outcome).toBeInstanceOf(Error);
    const recovering = batchJournal(db.sql, { schema: db.schema });
    expect(await recovering.get('staged')).toMatchObject({ state: 'STAGED', stagedRows: 500 });
    expect(await count(50_001, 50_500)).toBe(0);
    expect(await recovering.recover()).toEqual({ completed: ['staged'], rerun: [], abandoned: [] });
    expect(await count(50_001, 50_500)).toBe(500);
    // COMPLETED: submitting the batch again (say after a crash before the caller learned) does nothing.
    expect(await recovering.merge('staged', table(), rows(50_001, 500, 'other'))).toMatchObject({
      status: 'already-completed',
    });
    const { rows: labels } = await db.sql.query(`SELECT DISTINCT label FROM ${db.qschema}.jc WHERE id > 50000`);
    expect(labels).toEqual([{ label: 'y' }]);
  });
});
