import { createSqlClient, migrate } from '@pipewright/core';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
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
      'dl_migrated_pkey',
      'dl_migrated_run',
      'dl_migrated_state',
    ]);
    expect(createSqlClient(db.sql)).toBe(db.sql);
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
