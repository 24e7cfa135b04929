// Two senders of the same NEW key at once: the plain-INSERT fast path of the second meets the first's uncommitted
// entry, fails with a unique violation once the first commits, and the send is repeated as an upsert.
import { RecordError } from '@pipewright/core';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import type pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';

const db = useTestDatabase({ poolSize: 4 });

describe('a new key sent by two senders at once', () => {
  it('ends as one entry counted twice, the other keys of the batch written once', async () => {
    const table = 'dl_race';
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table });
    await dlq.setup();
    const input = (key: string) => ({
      record: { key, note: 'tab\there, newline\nthere, backslash \\ and "quotes"' },
      error: new RecordError(`bad\t${key}\r\nsecond line \\`),
      pipeline: 'race',
      idempotencyKey: key,
    });
    const { promise: held, resolve: release } = Promise.withResolvers<void>();
    const { promise: ready, resolve: holding } = Promise.withResolvers<void>();
    const first = db.sql.transaction(async (tx) => {
      await createPostgresDeadLetterQueue({ sql: tx, schema: db.schema, table }).send(input('k\t1'));
      holding();
      await held;
    });
    await ready;
    const second = dlq.sendMany([input('k\t0'), input('k\t1'), input('k\t2')]);
    await vi.waitFor(
      async () => {
        const { rows } = await (db.pool as pg.Pool).query<{ n: number }>(
          // This file's schema is in the send statement's first 1 KB (all pg_stat_activity keeps).
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
          [`%${db.schema}%`],
        );
        expect(rows[0]?.n).toBeGreaterThan(0);
      },
      { interval: 10, timeout: 20_000 },
    );
    release();
    await first;
    const results = await second;
    expect(results.map((r) => r.created)).toEqual([true, false, true]);
    const entries = await dlq.list({ pipeline: 'race' });
    expect(entries.map((e) => [e.idempotencyKey, e.failureCount])).toEqual([
      ['k\t1', 2],
      ['k\t0', 1],
      ['k\t2', 1],
    ]);
    expect(entries[1]?.error.message).toBe('bad\tk\t0\r\nsecond line \\');
    expect(entries[1]?.record).toEqual(input('k\t0').record);
  });
});

it('sends inside the caller transaction each write only their own rows, upserting a known key', async () => {
  const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table: 'dl_race_tx' });
  await dlq.setup();
  const input = { record: 1, error: new Error('x'), pipeline: 'tx', idempotencyKey: 'same' };
  await dlq.send(input);
  const counted = await db.sql.transaction(async (tx) => {
    const inTx = createPostgresDeadLetterQueue({ sql: tx, schema: db.schema, table: 'dl_race_tx' });
    await inTx.sendMany([input, { ...input, idempotencyKey: 'other' }]);
    await inTx.send({ ...input, idempotencyKey: 'third' });
    return inTx.count({ pipeline: 'tx' });
  });
  expect(counted).toBe(3);
  expect((await dlq.list({ pipeline: 'tx' })).map((e) => [e.idempotencyKey, e.failureCount])).toEqual([
    ['same', 2],
    ['other', 1],
    ['third', 1],
  ]);
});

it('a batch of 2,500 folds a key repeated far apart into one entry, created once', async () => {
  const table = 'dl_fold';
  const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table });
  await dlq.setup();
  const inputs = Array.from({ length: 2500 }, (_, i) => ({
    record: { i },
    error: new RecordError(`bad ${i}`),
    pipeline: 'fold',
    idempotencyKey: i === 2400 ? 'key-0' : `key-${i}`,
  }));
  const results = await dlq.sendMany(inputs);
  expect(results.filter((r) => r.created)).toHaveLength(2499);
  expect(results[2400]).toEqual({ id: results[0]?.id, created: false });
  expect(await dlq.count({ pipeline: 'fold' })).toBe(2499);
  const folded = await dlq.get<{ i: number }>(results[0]?.id as string);
  expect(folded).toMatchObject({ failureCount: 2, record: { i: 2400 } });
});
