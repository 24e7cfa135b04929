import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { createTable } from './create-table.ts';
import { batchId } from './hash.ts';
import { batchJournal } from './journal.ts';
import { defineTable } from './table.ts';

const db = useTestDatabase();

const target = () =>
  defineTable({
    table: { schema: db.schema, name: 'journaled' },
    columns: { id: 'bigint', label: 'text', version: 'bigint' },
    key: 'id',
  });
const rows = (label: string, count = 20) => Array.from({ length: count }, (_, i) => ({ id: i + 1, label, version: 1 }));

describe('batch journal', () => {
  it('moves a batch to COMPLETED, makes a re-submission a no-op, and commits the caller state with it', async () => {
    const journal = batchJournal(db.sql, { schema: db.schema });
    await journal.install();
    await journal.install(); // idempotent
    await createTable(db.sql, target());
    await db.sql.exec(`CREATE TABLE ${db.qschema}.cursor (position int)`);
    const id = batchId('orders', { from: 1, to: 20 });
    const first = await journal.merge(id, target(), rows('a'), {
      version: 'version',
      onApply: async (tx) => {
        await tx.query(`INSERT INTO ${db.qschema}.cursor VALUES (20)`);
      },
    });
    expect(first).toMatchObject({ status: 'applied', counts: { inserted: 20, updated: 0, unchanged: 0, deleted: 0 } });
    expect(await journal.get(id)).toMatchObject({ state: 'COMPLETED', stagedRows: 20, stageTable: null, attempts: 1 });
    const again = await journal.merge(id, target(), rows('changed'), { version: 'version' });
    expect(again).toMatchObject({ status: 'already-completed', counts: { inserted: 20 } });
    const { rows: stored } = await db.sql.query(`SELECT DISTINCT label FROM ${db.qschema}.journaled`);
    expect(stored).toEqual([{ label: 'a' }]);
    const { rows: cursor } = await db.sql.query(`SELECT position FROM ${db.qschema}.cursor`);
    expect(cursor).toEqual([{ position: 20 }]);
  });

  it('records FAILED with the reason, and a re-submission runs the batch again', async () => {
    const journal = batchJournal(db.sql, { schema: db.schema });
    await db.sql.exec(
      `CREATE TABLE ${db.qschema}.strict (id bigint PRIMARY KEY, label text CHECK (label <> 'bad'), version bigint)`,
    );
    const strict = defineTable({
      table: { schema: db.schema, name: 'strict' },
      columns: target().toJSON().columns,
      key: 'id',
    });
    await expect(journal.merge('b1', strict, rows('bad', 3))).rejects.toThrow(/check constraint/);
    expect(await journal.get('b1')).toMatchObject({
      state: 'FAILED',
      error: expect.stringMatching(/check constraint/),
    });
    const retried = await journal.merge('b1', strict, rows('good', 3));
    expect(retried).toMatchObject({ status: 'applied', counts: { inserted: 3 } });
    expect(await journal.get('b1')).toMatchObject({ state: 'COMPLETED', attempts: 2 });
    const { rows: leftovers } = await db.sql.query(
      `SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relname LIKE 'pw\\_stage%'`,
      [db.schema],
    );
    expect(leftovers).toEqual([]);
  });

  it('reports refused records and stages the rest', async () => {
    const journal = batchJournal(db.sql, { schema: db.schema });
    const result = await journal.merge('b2', target(), [
      { id: 100, label: 'ok', version: 1 },
      { id: 101, label: 'nul\u0000', version: 1 },
    ]);
    expect(result.counts.inserted).toBe(1);
    expect(result.rejected).toMatchObject([{ index: 1, column: 'label' }]);
  });

  it('recover() finishes a STAGED batch and abandons a STARTED one it cannot re-run', async () => {
    const journal = batchJournal(db.sql, { schema: db.schema });
    // Simulate the states a crash leaves: a STAGED batch with its durable staging, and a STARTED one.
    await db.sql.exec(`
      CREATE UNLOGGED TABLE ${db.qschema}.pw_stage_manual (id bigint, label text, version bigint);
      INSERT INTO ${db.qschema}.pw_stage_manual VALUES (500, 'staged', 1), (501, 'staged', 1);`);
    const spec = JSON.stringify(target().toJSON());
    await db.sql.query(
      `INSERT INTO ${db.qschema}.pipewright_write_batches (batch_id, state, target, options, stage_table, staged_rows)
       VALUES ('staged', 'STAGED', $1, '{}', 'pw_stage_manual', 2), ('started', 'STARTED', $1, '{}', 'pw_stage_gone', NULL),
              ('rerun', 'STARTED', $1, '{}', NULL, NULL)`,
      [spec],
    );
    const report = await journal.recover({
      rerun: async (entry) => (entry.batchId === 'rerun' ? [{ id: 600, label: 'rerun', version: 1 }] : undefined),
    });
    expect(report).toEqual({ completed: ['staged'], rerun: ['rerun'], abandoned: ['started'] });
    expect(await journal.get('started')).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/abandoned/) });
    const { rows: stored } = await db.sql.query(
      `SELECT id::int, label FROM ${db.qschema}.journaled WHERE id >= 500 ORDER BY id`,
    );
    expect(stored).toEqual([
      { id: 500, label: 'staged' },
      { id: 501, label: 'staged' },
      { id: 600, label: 'rerun' },
    ]);
    expect(await journal.recover()).toEqual({ completed: [], rerun: [], abandoned: [] });
  });
});
