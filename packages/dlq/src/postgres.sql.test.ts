import { createSqlClient, migrate } from '@pipewright/core';
import { createPostgresDeadLetterQueue, type DeadLetterInput } from '@pipewright/dlq';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { deadLetterQueueContract } from '../test/contract.ts';
import { pgMigrations } from './internal/pg-schema.ts';

const db = useTestDatabase({ poolSize: 6 });
let tables = 0;

deadLetterQueueContract('postgres', async (options, shared) => {
  const dlq = createPostgresDeadLetterQueue({
    ...options,
    sql: db.sql,
    schema: db.schema,
    table: shared ? `dl_${shared}` : `dl_${++tables}`,
  });
  await dlq.setup();
  return dlq;
});

describe('PostgreSQL backend', () => {
  it('migrates once, idempotently, into its own table and indexes', async () => {
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table: 'dl_migrated' });
    await dlq.setup();
    await dlq.setup();
    const again = await migrate(db.sql, {
      schema: db.schema,
      component: 'dlq:dl_migrated',
      migrations: pgMigrations('dl_migrated'),
    });
    expect(again.applied).toEqual([]);
    const { rows } = await db.sql.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname',
      [db.schema, 'dl_migrated'],
    );
    expect(rows.map((r) => r.indexname)).toEqual([
      'dl_migrated_age',
      'dl_migrated_key',
      'dl_migrated_pending',
      'dl_migrated_pkey',
      'dl_migrated_replaying',
      'dl_migrated_run',
      'dl_migrated_state',
    ]);
    expect(createSqlClient(db.sql)).toBe(db.sql);
  });

  it('sends new keys by plain insert and known keys by upsert, whichever came last, in any order', async () => {
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table: 'dl_paths' });
    await dlq.setup();
    const batch = (keys: string[]) =>
      keys.map((key) => ({ record: { key }, error: new Error(`bad ${key}`), pipeline: 'paths', idempotencyKey: key }));
    const created = async (keys: string[]) => (await dlq.sendMany(batch(keys))).map((r) => r.created);
    expect(await created(['a', 'b'])).toEqual([true, true]); // insert
    expect(await created(['c', 'a'])).toEqual([true, false]); // insert meets 'a': repeated as an upsert
    expect(await created(['a', 'b', 'a'])).toEqual([false, false, false]); // upsert first (the last met a key)
    expect(await created(['d', 'e', 'd'])).toEqual([true, true, false]); // upsert first, all new: back to insert
    expect(await created(['f'])).toEqual([true]); // insert
    const entries = await dlq.list({ pipeline: 'paths' });
    expect(Object.fromEntries(entries.map((e) => [e.idempotencyKey, e.failureCount]))).toEqual({
      a: 4,
      b: 2,
      c: 1,
      d: 2,
      e: 1,
      f: 1,
    });
    const ids = (await dlq.sendMany(batch(['g', 'h', 'g', 'i']))).map((r) => r.id);
    expect(ids[0]).toBe(ids[2]);
    expect(new Set(ids).size).toBe(3);
    expect((await dlq.get(ids[3] as string))?.idempotencyKey).toBe('i');
  });

  it('stores every column right whether it varies across the batch or not, NULLs included', async () => {
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table: 'dl_columns' });
    await dlq.setup();
    const coded = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
    const inputs: DeadLetterInput[] = [
      { record: 1, error: coded('a', 'E1'), pipeline: 'cols', step: 'x', runId: undefined, attempt: 1 },
      { record: { n: 2n }, error: coded('b'), pipeline: 'cols', step: 'y', runId: 'r', attempt: 1, source: { k: 2 } },
      { record: null, error: new TypeError('c'), pipeline: 'cols', step: 'x', attempt: 3, failedAt: new Date(5) },
    ];
    const ids = (await dlq.sendMany(inputs)).map((r) => r.id);
    const got = await Promise.all(ids.map((id) => dlq.get(id)));
    expect(
      got.map((e) => [e?.step, e?.runId, e?.error.code, e?.error.class, e?.attempt, e?.record, e?.source]),
    ).toEqual([
      ['x', null, 'E1', 'Error', 1, 1, null],
      ['y', 'r', null, 'Error', 1, { n: 2n }, { k: 2 }],
      ['x', null, null, 'TypeError', 3, null, null],
    ]);
    expect(got[2]?.lastFailedAt.getTime()).toBe(5);
    expect(got[0]?.lastFailedAt.getTime()).toBe(got[1]?.lastFailedAt.getTime());
    const single = await dlq.sendMany([{ record: 'only', error: coded('d', 'E2'), pipeline: 'cols', runId: 'r1' }]);
    expect(await dlq.get(single[0]?.id as string)).toMatchObject({
      record: 'only',
      runId: 'r1',
      error: { code: 'E2' },
    });
  });

  it('claims and lists through the partial state indexes, never reading the rest of the table', async () => {
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table: 'dl_plan' });
    await dlq.setup();
    await db.sql.query(
      `INSERT INTO ${db.qschema}.dl_plan (idempotency_key, state, pipeline, record, error_class, error_message,
         error_kind, error_reason, attempt, first_failed_at, last_failed_at, updated_at)
       SELECT 'k' || i, CASE i % 1000 WHEN 0 THEN 'pending' WHEN 500 THEN 'parked' ELSE 'resolved' END, 'plan', '{}', 'Error', 'x',
         'record', 'r', 1, now(), now(), now()
       FROM generate_series(1, 20000) AS i`,
    );
    await db.sql.exec(`ANALYZE ${db.qschema}.dl_plan`);
    const { claimStatement } = await import('./internal/pg-statements.ts');
    const { pgNames } = await import('./internal/pg-schema.ts');
    const { rows } = await db.sql.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN ${claimStatement(pgNames(db.schema, 'dl_plan'), '', false)}`,
      [new Date().toISOString(), new Date().toISOString(), 't', 'test'],
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Scan using dl_plan_replaying/);
    expect(plan).toMatch(/Index Scan using dl_plan_pending/);
    expect(plan).not.toMatch(/Seq Scan on dl_plan\b|Sort/);
    for (const [state, index] of [
      ['pending', 'dl_plan_pending'],
      ['parked', 'dl_plan_state'],
    ]) {
      const { rows: list } = await db.sql.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM ${db.qschema}.dl_plan WHERE state = ANY($1::text[]) ORDER BY id LIMIT 50`,
        [[state]],
      );
      expect(list.map((r) => r['QUERY PLAN']).join('\n')).toMatch(new RegExp(`Index (Only )?Scan using ${index}`));
    }
  });

  it('refuses bad options and identifiers up front', () => {
    expect(() => createPostgresDeadLetterQueue({ sql: undefined as never })).toThrow(/Expected `sql`/);
    expect(() => createPostgresDeadLetterQueue({ sql: db.sql, table: 'x; drop table y' })).toThrow(
      expect.objectContaining({ code: 'PW_INVALID_IDENTIFIER' }),
    );
    expect(() => createPostgresDeadLetterQueue({ sql: db.sql, maxRedrives: 0 })).toThrow(/maxRedrives/);
    expect(() => createPostgresDeadLetterQueue({ sql: db.sql, visibilityTimeoutMs: 1.5 })).toThrow(
      /visibilityTimeoutMs/,
    );
  });

  it('stores records as JSON that a review query can read', async () => {
    const dlq = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table: 'dl_review' });
    await dlq.setup();
    await dlq.send({ record: { id: 7n, status: 'paid' }, error: new Error('bad'), pipeline: 'orders', step: 'load' });
    const { rows } = await db.sql.query<{ status: string; id: string }>(
      `SELECT record->>'status' AS status, record->'id'->>'v' AS id FROM ${db.qschema}.dl_review`,
    );
    expect(rows).toEqual([{ status: 'paid', id: '7' }]);
    // Stack texts are stored once however many entries share them.
    const errors = [1, 2, 3].map((i) => new Error(`bad ${i}`));
    await dlq.sendMany(errors.map((error, i) => ({ record: i, error, pipeline: 'orders' })));
    const { rows: stacks } = await db.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${db.qschema}.dl_review_stacks`,
    );
    expect(Number(stacks[0]?.n)).toBe(2); // the first send's stack, and one for the three thrown at one site
    expect((await dlq.list({ pipeline: 'orders' })).every((e) => e.error.stack?.includes('postgres.sql.test.ts'))).toBe(
      true,
    );
  });
});
