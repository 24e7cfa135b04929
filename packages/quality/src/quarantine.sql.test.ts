import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { acceptedValues, freshness, notNull, outliers, pattern, unique } from './checks/define.ts';
import { UnsupportedCheckError } from './errors.ts';
import { quarantineTable, splitBatch } from './quarantine.ts';

const db = useTestDatabase();

const rows = [
  { id: 1, email: 'a@x', status: 'new' },
  { id: 2, email: null, status: 'new' },
  { id: 3, email: 'c@x', status: 'lost' },
  { id: 4, email: null, status: 'gone' },
  { id: 5, email: 'e@x', status: 'paid' },
  { id: 5, email: 'f@x', status: 'paid' },
];
const checks = [
  notNull('email'),
  acceptedValues('status', ['new', 'paid']),
  unique('id'),
  pattern('email', /@/, { severity: 'warn' }),
];

describe('splitBatch', () => {
  it('splits a batch into good rows and quarantined rows with one reason per failed check', async () => {
    const handed: unknown[] = [];
    const result = await splitBatch(rows, checks, { onQuarantine: (q) => void handed.push(...q) });
    expect(result.good).toEqual([rows[0]]);
    expect(result.quarantined.map((q) => [q.index, q.reasons])).toEqual([
      [1, ['not_null(email): email is null']],
      [2, ['accepted_values(status): status "lost" is not an accepted value']],
      [3, ['not_null(email): email is null', 'accepted_values(status): status "gone" is not an accepted value']],
      [4, ['unique(id): id appears 2 times']],
      [5, ['unique(id): id appears 2 times']],
    ]);
    expect(handed).toEqual(result.quarantined);
    expect(result.good.length + result.quarantined.length).toBe(rows.length);
    expect(result.results.map((r) => r.status)).toEqual(['fail', 'fail', 'fail', 'pass']);
  });

  it('uses warn checks for the report only', async () => {
    const result = await splitBatch([{ id: 1, email: 'no-at', status: 'new' }], checks);
    expect(result.good).toHaveLength(1);
    expect(result.results[3]).toMatchObject({ status: 'warn', failing: 1 });
  });

  it('refuses table-level checks and bad options', async () => {
    await expect(splitBatch(rows, [freshness('at', { warnAfterMs: 1 })])).rejects.toThrow(UnsupportedCheckError);
    await expect(splitBatch(rows, checks, { onQuarantine: 'x' as never })).rejects.toThrow(/onQuarantine/);
    await expect(splitBatch('x' as never, checks)).rejects.toThrow(/rows/);
  });
});

describe('quarantineTable', () => {
  it('moves failing rows into pipewright_quarantine in one statement, with reasons', async () => {
    await db.sql.exec(`CREATE TABLE ${db.qschema}.orders (id int, email text, status text, amount float8)`);
    await db.sql.query(
      `INSERT INTO ${db.qschema}.orders SELECT * FROM jsonb_populate_recordset(null::${db.qschema}.orders, $1::jsonb)`,
      [JSON.stringify(rows.map((r, i) => ({ ...r, amount: i === 0 ? 1000 : 10 })))],
    );
    const result = await quarantineTable(db.sql, { schema: db.schema, name: 'orders' }, checks, { schema: db.schema });
    expect(result).toEqual({
      moved: 5,
      byCheck: { 'not_null(email)': 2, 'accepted_values(status)': 2, 'unique(id)': 2 },
    });
    const left = await db.sql.query<{ id: number }>(`SELECT id FROM ${db.qschema}.orders ORDER BY id`);
    expect(left.rows).toEqual([{ id: 1 }]);
    const moved = await db.sql.query<{ source_table: string; row: Record<string, unknown>; reasons: string[] }>(
      `SELECT source_table, row, reasons FROM ${db.qschema}.pipewright_quarantine ORDER BY (row->>'id')::int, row->>'email'`,
    );
    expect(moved.rows).toHaveLength(5);
    expect(moved.rows[0]).toEqual({
      source_table: `${db.schema}.orders`,
      row: { id: 2, email: null, status: 'new', amount: 10 },
      reasons: ['not_null(email)'],
    });
    expect(moved.rows[2]?.reasons).toEqual(['not_null(email)', 'accepted_values(status)']);

    // Running again finds nothing more to move; outlier bounds are measured before the move.
    expect(await quarantineTable(db.sql, `${db.schema}.orders`, checks, { schema: db.schema })).toEqual({
      moved: 0,
      byCheck: {},
    });
    await db.sql.query(`INSERT INTO ${db.qschema}.orders VALUES (7, 'g@x', 'new', 10), (8, 'h@x', 'new', 10),
      (9, 'i@x', 'new', 11), (10, 'j@x', 'new', 12)`);
    const outlier = await quarantineTable(db.sql, `${db.schema}.orders`, [outliers('amount', { method: 'iqr' })], {
      schema: db.schema,
    });
    expect(outlier).toEqual({ moved: 1, byCheck: { 'outliers(amount)': 1 } });
  });

  it('does nothing without error-severity checks and refuses table-level ones', async () => {
    expect(await quarantineTable(db.sql, 'nowhere', [notNull('x', { severity: 'warn' })])).toEqual({
      moved: 0,
      byCheck: {},
    });
    await expect(quarantineTable(db.sql, 'nowhere', [freshness('at', { errorAfterMs: 1 })])).rejects.toThrow(
      UnsupportedCheckError,
    );
  });
});
