// The incremental sync under test, run as a child process by the reliability harness (see ../README in
// docs/reliability.md). Composed from the public APIs only: watermark keyset pages → quality validateBatch →
// dlq for rejects → writers merge → watermark commit (in the same transaction with PostgreSQL state; after the
// idempotent writes with Redis state). Reports `@<phase>` events on stdout; prints `done <pages> <rows>` at the end.
import { createSqlClient } from '@pipewright/core';
import { createPostgresDeadLetterQueue, createRedisDeadLetterQueue, type DeadLetterInput } from '@pipewright/dlq';
import { validateBatch } from '@pipewright/quality';
import { keysetPages, pgStateStore, redisStateStore, type StateStore } from '@pipewright/watermark';
import { merge } from '@pipewright/writers';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { type SyncConfig, sourceRow, targetTable } from '../lib/sync-model.ts';
import { enter, traced } from '../lib/traced-sql.ts';

const config = JSON.parse(process.argv[2] as string) as SyncConfig;
const pool = new pg.Pool({ connectionString: config.pgUrl, max: 2, application_name: config.applicationName });
const sql = traced(createSqlClient(pool, { copyStreams }));
const target = targetTable(config.schema);
let redis: import('ioredis').Redis | undefined;
let state: StateStore;
let redisDlq: ReturnType<typeof createRedisDeadLetterQueue> | undefined;
if (config.mode === 'redis') {
  const { Redis } = await import('ioredis');
  redis = new Redis(config.redisUrl as string, { maxRetriesPerRequest: 1 });
  state = redisStateStore(redis, { prefix: `${config.redisPrefix}wm:` });
  redisDlq = createRedisDeadLetterQueue({ redis, name: 'dlq', prefix: `${config.redisPrefix}dlq:` });
} else {
  state = pgStateStore(sql, { schema: config.schema });
}

const letters = (rejects: { record: unknown; reason: string }[]): DeadLetterInput[] =>
  rejects.map(({ record, reason }) => {
    const id = String((record as { id?: unknown }).id);
    return {
      record,
      error: new Error(reason),
      pipeline: 'reliability',
      step: 'sync',
      source: { table: 'src', key: id },
      idempotencyKey: `src:${id}`,
    };
  });

let pages = 0;
let rows = 0;
enter('extract');
for await (const page of keysetPages<Record<string, unknown>>(sql, {
  source: { table: { schema: config.schema, name: 'src' } },
  cursor: 'updated_at',
  key: 'id',
  state,
  stateKey: 'sync',
  pageSize: config.pageSize,
})) {
  enter('validate');
  let rejected: { record: unknown; reason: string }[] = [];
  const { valid } = await validateBatch(page.rows, sourceRow, {
    onReject: (r) => {
      rejected = r.map((x) => ({ record: x.record, reason: x.reason }));
    },
  });
  if (config.broken === 'position-first') {
    // Deliberately wrong (the harness's self-test): the position commits before the data is written.
    enter('position');
    await page.commit();
    enter('merge');
    await sql.transaction((tx) => merge(tx, target, valid as Record<string, unknown>[], { tx, version: 'version' }));
    if (rejected.length > 0) {
      enter('deadletter');
      await (redisDlq ?? createPostgresDeadLetterQueue({ sql, schema: config.schema })).sendMany(letters(rejected));
    }
  } else if (config.mode === 'pg') {
    await sql.transaction(async (tx) => {
      if (rejected.length > 0) {
        enter('deadletter');
        // The queue writes through the page's transaction: the letters commit with the data and the position.
        await createPostgresDeadLetterQueue({ sql: tx, schema: config.schema }).sendMany(letters(rejected));
      }
      enter('merge');
      await merge(tx, target, valid as Record<string, unknown>[], { tx, version: 'version' });
      enter('position');
      await page.commit(tx);
    });
  } else {
    if (rejected.length > 0) {
      enter('deadletter');
      await redisDlq?.sendMany(letters(rejected));
    }
    enter('merge');
    await sql.transaction((tx) => merge(tx, target, valid as Record<string, unknown>[], { tx, version: 'version' }));
    enter('position');
    await page.commit();
  }
  pages++;
  rows += page.rows.length;
  enter('extract');
}
process.stdout.write(`done ${pages} ${rows}\n`);
await pool.end();
await redis?.quit();
