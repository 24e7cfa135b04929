// `npm run bench -- dlq`: sendMany of BENCH_SCALE failed standard records per backend, against the raw baseline
// in the same run: a hand-written unnest INSERT of the same rows (PostgreSQL) and pipelined XADD (Redis). The raw
// rows carry the same context a dead letter keeps (record, error class/code/message/stack, pipeline, step, run,
// source, attempt, time) with none of the machinery: no idempotency, no lossless encoding, no lifecycle indexes.
// BENCH_DLQ_BACKENDS=pg or =redis runs one backend's pair of cases; by default both run.
import { createSqlClient, RecordError } from '@pipewright/core';
import { createPostgresDeadLetterQueue, createRedisDeadLetterQueue, type DeadLetterInput } from '@pipewright/dlq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { benchRuns, benchScale, interleave, report } from './lib/harness.ts';
import { type StandardRecord, standardRecords } from './lib/records.ts';

const scale = benchScale(100_000);
const runs = benchRuns();
const BATCH = 5_000;
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BACKENDS = ['pg', 'redis'] as const;
const backends = process.env.BENCH_DLQ_BACKENDS?.split(',') ?? [...BACKENDS];
for (const name of backends) {
  if (!(BACKENDS as readonly string[]).includes(name)) throw new Error(`BENCH_DLQ_BACKENDS: unknown backend ${name}`);
}
const schema = `bench_dlq_${process.pid}`;
const prefix = `bench:dlq:${process.pid}:`;

// The failed records, built once (not timed): each with its own error and coordinates. By default the failures of
// a batch share pipeline, step, run, error class and failure time, as one batch's failures usually do;
// BENCH_DLQ_VARY=1 makes those vary from row to row (pipeline 2 values, step 5, run 3, class 2, attempt 4, time).
const vary = process.env.BENCH_DLQ_VARY === '1';
const inputs: DeadLetterInput<StandardRecord>[] = [];
for (const record of standardRecords(scale)) {
  const i = Number(record.id);
  const message = `amount ${record.amount} is not allowed for ${record.currency}`;
  inputs.push({
    record,
    error: vary && i % 2 === 1 ? new TypeError(message) : new RecordError(message),
    pipeline: vary ? `orders-sync-${i % 2}` : 'orders-sync',
    step: vary ? `validate-${i % 5}` : 'validate',
    runId: vary ? `bench-run-${i % 3}` : 'bench-run',
    source: { table: 'orders', key: record.id },
    attempt: vary ? 1 + (i % 4) : 1,
    ...(vary ? { failedAt: new Date(1_770_000_000_000 + i) } : {}),
  });
}
const bigintSafe = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const sql = createSqlClient(pool);
const redis = new Redis(REDIS_URL);

async function deleteKeys(): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

try {
  await sql.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}";
    CREATE TABLE "${schema}".raw_dead_letters (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, pipeline text,
      step text, run_id text, source json, record json, error_class text, error_code text, error_message text,
      error_stack text, attempt int, failed_at timestamptz);`);
  const pgQueue = createPostgresDeadLetterQueue({ sql, schema, table: 'dead_letters' });
  await pgQueue.setup();
  const redisQueue = createRedisDeadLetterQueue({ redis, prefix, name: 'bench' });
  await redisQueue.setup();

  const pgCases = [
    {
      name: 'pg_raw_insert',
      before: () => sql.exec(`TRUNCATE "${schema}".raw_dead_letters`),
      run: async () => {
        for (let start = 0; start < scale; start += BATCH) {
          const chunk = inputs.slice(start, start + BATCH);
          const now = new Date().toISOString();
          await sql.query(
            `INSERT INTO "${schema}".raw_dead_letters (pipeline, step, run_id, source, record, error_class, error_code,
                 error_message, error_stack, attempt, failed_at)
               SELECT p, s, r, src::json, rec::json, ec, eco, em, es, a, $11::timestamptz
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                 $8::text[], $9::text[], $10::int[]) AS u(p, s, r, src, rec, ec, eco, em, es, a)`,
            [
              chunk.map((x) => x.pipeline),
              chunk.map((x) => x.step),
              chunk.map((x) => x.runId),
              chunk.map((x) => JSON.stringify(x.source, bigintSafe)),
              chunk.map((x) => JSON.stringify(x.record, bigintSafe)),
              chunk.map((x) => (x.error as Error).name),
              chunk.map((x) => (x.error as { code?: string }).code ?? null),
              chunk.map((x) => (x.error as Error).message),
              chunk.map((x) => (x.error as Error).stack ?? null),
              chunk.map((x) => x.attempt),
              now,
            ],
          );
        }
        return scale;
      },
    },
    {
      name: 'pg_send',
      before: () => sql.exec(`TRUNCATE "${schema}".dead_letters, "${schema}".dead_letters_audit`),
      run: async () => {
        for (let start = 0; start < scale; start += BATCH) await pgQueue.sendMany(inputs.slice(start, start + BATCH));
        return scale;
      },
    },
  ];
  const redisCases = [
    {
      name: 'redis_raw_xadd',
      before: deleteKeys,
      run: async () => {
        const stream = `${prefix}{raw}:s`;
        for (let start = 0; start < scale; start += BATCH) {
          const pipeline = redis.pipeline();
          const now = String(Date.now());
          for (const x of inputs.slice(start, start + BATCH)) {
            const error = x.error as Error & { code?: string };
            pipeline.xadd(
              stream,
              '*',
              'pipeline',
              x.pipeline,
              'step',
              x.step as string,
              'run',
              x.runId as string,
              'source',
              JSON.stringify(x.source, bigintSafe),
              'record',
              JSON.stringify(x.record, bigintSafe),
              'class',
              error.name,
              'code',
              error.code ?? '',
              'message',
              error.message,
              'stack',
              error.stack ?? '',
              'attempt',
              String(x.attempt),
              'at',
              now,
            );
          }
          await pipeline.exec();
        }
        return scale;
      },
    },
    {
      name: 'redis_send',
      before: async () => {
        await deleteKeys();
        await redisQueue.setup();
      },
      run: async () => {
        for (let start = 0; start < scale; start += BATCH) {
          await redisQueue.sendMany(inputs.slice(start, start + BATCH));
        }
        return scale;
      },
    },
  ];
  const cases = await interleave(
    [...(backends.includes('pg') ? pgCases : []), ...(backends.includes('redis') ? redisCases : [])],
    runs,
  );
  if (backends.includes('pg') && (await pgQueue.count()) !== scale) {
    throw new Error('the PostgreSQL queue does not hold exactly BENCH_SCALE entries after the run');
  }
  if (backends.includes('redis') && (await redisQueue.count()) !== scale) {
    throw new Error('the Redis queue does not hold exactly BENCH_SCALE entries after the run');
  }
  const ratios: Record<string, number> = {};
  if (cases.pg_send) ratios.pg_send_vs_raw_insert = cases.pg_send.per_s! / cases.pg_raw_insert!.per_s!;
  if (cases.redis_send) ratios.redis_send_vs_raw_xadd = cases.redis_send.per_s! / cases.redis_raw_xadd!.per_s!;
  const { rows } = await pool.query('SHOW server_version');
  const info = await redis.info('server');
  report({
    name: 'dlq',
    scale,
    runs,
    env: {
      postgres: String(rows[0].server_version).split(' ')[0] as string,
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
      batch: BATCH,
      varying_columns: vary ? 'yes' : 'no',
    },
    cases,
    ratios,
  });
} finally {
  await sql.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await deleteKeys().catch(() => undefined);
  await pool.end();
  redis.disconnect();
}
