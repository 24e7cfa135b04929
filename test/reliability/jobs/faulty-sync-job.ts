// The sync of sync-job.ts, made to survive connection faults: client-side timeouts (a black-holed connection must
// not hang the job) and @pipewright/retry around each whole pass (a pass resumes from the committed watermark).
// Prints `retry <kind> <code>` per retried failure, then `done`, or `fatal <kind> <code>` and exits 3.
import { classify, createSqlClient } from '@pipewright/core';
import { createPostgresDeadLetterQueue, createRedisDeadLetterQueue, type DeadLetterInput } from '@pipewright/dlq';
import { validateBatch } from '@pipewright/quality';
import { retry } from '@pipewright/retry';
import { keysetPages, pgStateStore, redisStateStore, type StateStore } from '@pipewright/watermark';
import { merge } from '@pipewright/writers';
import { Redis } from 'ioredis';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { type SyncConfig, sourceRow, targetTable } from '../lib/sync-model.ts';
import { enter, traced } from '../lib/traced-sql.ts';

const config = JSON.parse(process.argv[2] as string) as SyncConfig;
const target = targetTable(config.schema);
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const codeOf = (error: unknown): string => String((error as { code?: unknown }).code ?? (error as Error).name);

async function pass(): Promise<void> {
  const pool = new pg.Pool({
    connectionString: config.pgUrl,
    max: 2,
    application_name: config.applicationName,
    connectionTimeoutMillis: 3000,
    query_timeout: 4000,
    keepAlive: true,
  });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const redis =
    config.mode === 'redis'
      ? new Redis(config.redisUrl as string, { maxRetriesPerRequest: 1, connectTimeout: 3000, commandTimeout: 4000 })
      : undefined;
  redis?.on('error', () => {});
  try {
    const sql = traced(createSqlClient(pool, { copyStreams }));
    const state: StateStore = redis
      ? redisStateStore(redis, { prefix: `${config.redisPrefix}wm:` })
      : pgStateStore(sql, { schema: config.schema });
    const redisDlq = redis
      ? createRedisDeadLetterQueue({ redis, name: 'dlq', prefix: `${config.redisPrefix}dlq:` })
      : undefined;
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
    enter('extract');
    for await (const page of keysetPages<Record<string, unknown>>(sql, {
      source: { table: { schema: config.schema, name: 'src' } },
      cursor: 'updated_at',
      key: 'id',
      state,
      stateKey: 'sync',
      pageSize: config.pageSize,
      inFlightTimeout: 5000,
    })) {
      let rejected: { record: unknown; reason: string }[] = [];
      const { valid } = await validateBatch(page.rows, sourceRow, {
        onReject: (r) => {
          rejected = r.map((x) => ({ record: x.record, reason: x.reason }));
        },
      });
      if (!redis) {
        await sql.transaction(async (tx) => {
          if (rejected.length > 0)
            await createPostgresDeadLetterQueue({ sql: tx, schema: config.schema }).sendMany(letters(rejected));
          await merge(tx, target, valid as Record<string, unknown>[], { tx, version: 'version' });
          await page.commit(tx);
        });
      } else {
        if (rejected.length > 0) await redisDlq?.sendMany(letters(rejected));
        await sql.transaction((tx) =>
          merge(tx, target, valid as Record<string, unknown>[], { tx, version: 'version' }),
        );
        await page.commit();
      }
      enter('extract');
    }
  } finally {
    redis?.disconnect();
    // A black-holed connection may never answer the goodbye: do not wait for it.
    void pool.end().catch(() => {});
  }
}

// Workaround: core's systemClock unrefs its timers, so a retry backoff alone does not keep Node alive and the
// process would exit mid-retry (silently, exit 0, without top-level await). See docs/reliability.md.
const keepAlive = setInterval(() => {}, 1 << 30);
try {
  await retry(
    async () => {
      try {
        await pass();
      } catch (error) {
        say(`retry ${classify(error).kind} ${codeOf(error)}`);
        throw error;
      }
    },
    { maxAttempts: 12, initialDelay: 100, maxDelay: 1500, maxElapsed: 60_000 },
  );
  say('done');
  clearInterval(keepAlive);
  process.exit(0);
} catch (error) {
  say(`fatal ${classify(error).kind} ${codeOf(error)} ${(error as Error).message.slice(0, 200).replaceAll('\n', ' ')}`);
  process.exit(3);
}
