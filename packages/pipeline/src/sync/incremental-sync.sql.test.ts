import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import { bigintId, decimalString, isoTimestamp } from '@pipewright/quality';
import { pgStateStore } from '@pipewright/watermark';
import { defineTable } from '@pipewright/writers';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { LeaseLostError } from '../errors.ts';
import type { StepContext } from '../types.ts';
import { incrementalSync } from './incremental-sync.ts';

const db = useTestDatabase();
const Order = z.object({
  id: bigintId(),
  amount: decimalString({ scale: 2 }),
  status: z.enum(['new', 'paid', 'shipped']),
  updated_at: isoTimestamp(),
});

let options: Parameters<typeof incrementalSync>[0];
let dlq: ReturnType<typeof createPostgresDeadLetterQueue>;

async function targetRows(): Promise<string[]> {
  const { rows } = await db.sql.query<{ line: string }>(
    `SELECT id::text || ':' || amount::text || ':' || status AS line FROM ${db.qschema}.orders_wh ORDER BY id`,
  );
  return rows.map((r) => r.line);
}

async function expectedRows(): Promise<string[]> {
  const { rows } = await db.sql.query<{ line: string }>(
    `SELECT id::text || ':' || amount::text || ':' || status AS line FROM ${db.qschema}.orders_src
     WHERE status IN ('new', 'paid', 'shipped') ORDER BY id`,
  );
  return rows.map((r) => r.line);
}

beforeAll(async () => {
  await db.sql.exec(`
    CREATE TABLE ${db.qschema}.orders_src (id bigint PRIMARY KEY, amount numeric(18,2) NOT NULL, status text NOT NULL,
      updated_at timestamptz NOT NULL);
    CREATE TABLE ${db.qschema}.orders_wh (id bigint PRIMARY KEY, amount numeric(18,2) NOT NULL, status text NOT NULL,
      updated_at timestamptz NOT NULL);
    INSERT INTO ${db.qschema}.orders_src
      SELECT i, (i * 1.25)::numeric(18,2), CASE WHEN i % 10 = 3 THEN 'lost' ELSE 'new' END,
             timestamptz '2026-11-01 00:00:00+00' + i * interval '1 minute'
      FROM generate_series(1, 25) AS i;`);
  const state = pgStateStore(db.sql, { schema: db.schema });
  await state.migrate();
  dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema });
  await dlq.setup();
  options = {
    sql: db.sql,
    name: 'orders',
    source: { table: { schema: db.schema, name: 'orders_src' } },
    target: defineTable({
      table: { schema: db.schema, name: 'orders_wh' },
      columns: { id: 'bigint', amount: 'numeric(18,2)', status: 'text', updated_at: 'timestamptz' },
      key: 'id',
    }),
    schema: Order,
    key: 'id',
    cursor: 'updated_at',
    state,
    pageSize: 10,
    deadLetters: dlq,
  };
});

describe('incrementalSync', () => {
  it('loads valid rows, dead-letters the rest with their reason, then finds nothing to do', async () => {
    const pages: number[] = [];
    const first = await incrementalSync({ ...options, onPage: (p) => pages.push(p.index) });
    expect(first).toMatchObject({
      pages: 3,
      read: 25,
      valid: 22,
      rejected: 3,
      deadLettered: 3,
      inserted: 22,
      updated: 0,
    });
    expect(first.checksum).toMatch(/^rows:22:/);
    expect(pages).toEqual([0, 1, 2]);
    expect(await targetRows()).toEqual(await expectedRows());
    const letters = await dlq.list({ pipeline: 'orders' });
    expect(letters.map((l) => String((l.record as { id: unknown }).id)).sort()).toEqual(['13', '23', '3']);
    expect(letters[0]?.error.message).toMatch(/status/);

    const again = await incrementalSync(options);
    expect(again).toMatchObject({ pages: 0, read: 0, inserted: 0, updated: 0, deadLettered: 0 });
    expect(await dlq.count({ pipeline: 'orders' })).toBe(3);
  });

  it('picks up updated rows only, and a crash before the commit loses and duplicates nothing', async () => {
    await db.sql.query(
      `UPDATE ${db.qschema}.orders_src SET status = 'paid', updated_at = timestamptz '2026-11-02 00:00:00+00' + id * interval '1 second'
       WHERE id BETWEEN 5 AND 16`,
    );
    const crash = new Error('simulated crash before commit');
    await expect(
      incrementalSync({
        ...options,
        pageSize: 5,
        beforeCommit: async (_tx, page) => {
          if (page.index === 1) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    // Page 0 (5 rows) committed with its watermark; page 1 rolled back with its watermark.
    const { rows } = await db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${db.qschema}.orders_wh WHERE status = 'paid'`,
    );
    expect(rows[0]?.n).toBe(5);

    const recovered = await incrementalSync({ ...options, pageSize: 5 });
    // Order 13 was invalid (status 'lost'); now 'paid', it is loaded. Its old dead letter stays for review.
    expect(recovered).toMatchObject({ read: 7, valid: 7, updated: 6, rejected: 0, inserted: 1 });
    expect(await targetRows()).toEqual(await expectedRows());
    expect(await dlq.count({ pipeline: 'orders' })).toBe(3);
  });

  it('commits nothing when the job lease was lost, and reports counts to the step', async () => {
    await db.sql.query(
      `UPDATE ${db.qschema}.orders_src SET amount = amount + 1, updated_at = timestamptz '2026-11-03 00:00:00+00' WHERE id = 1`,
    );
    const counted: unknown[] = [];
    const lost = new LeaseLostError('orders', 7n, 'another holder took it over');
    const context = {
      pipeline: 'nightly',
      runId: '00000000-0000-4000-8000-000000000000',
      signal: new AbortController().signal,
      checkLease: async () => {
        throw lost;
      },
      count: (c: unknown) => counted.push(c),
      setChecksum: () => {},
      logger: { warn() {} },
    } as unknown as StepContext;
    await expect(incrementalSync({ ...options, context })).rejects.toBe(lost);
    const { rows } = await db.sql.query<{ amount: string }>(
      `SELECT amount::text FROM ${db.qschema}.orders_wh WHERE id = 1`,
    );
    expect(rows[0]?.amount).toBe('1.25');
    // Counts cover committed pages only: the one page read was rolled back.
    expect(counted).toEqual([{ in: 0, out: 0, rejected: 0, deadLettered: 0 }]);
    const done = await incrementalSync(options);
    expect(done).toMatchObject({ read: 1, updated: 1 });
  });

  it('fails loudly on schema drift by default, after dead-lettering the drifting records', async () => {
    await db.sql.exec(`ALTER TABLE ${db.qschema}.orders_src ADD COLUMN channel text;
      UPDATE ${db.qschema}.orders_src SET channel = 'web', updated_at = timestamptz '2026-11-04 00:00:00+00' + id * interval '1 second' WHERE id <= 2`);
    await expect(incrementalSync(options)).rejects.toThrow(/channel/);
    const quarantined = await incrementalSync({ ...options, drift: 'quarantine' });
    expect(quarantined).toMatchObject({ read: 2, rejected: 2, valid: 0 });
    expect(quarantined.drift.newFields.map((f) => f.name)).toEqual(['channel']);
  });

  it('validates its options', async () => {
    await expect(incrementalSync({ ...options, deadLetters: undefined })).rejects.toThrow(
      'Expected `deadLetters` to be a dead-letter queue (or an onReject callback): rejects must go somewhere',
    );
    await expect(incrementalSync({ ...options, name: '' })).rejects.toThrow('`name`');
  });
});
