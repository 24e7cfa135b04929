// A connection dropped in the middle of sendMany: the call succeeds completely or rejects, never half-writes.
import { classify, createSqlClient } from '@pipewright/core';
import { createPostgresDeadLetterQueue, createRedisDeadLetterQueue, type DeadLetterInput } from '@pipewright/dlq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { PG_URL, REDIS_URL } from '../../../test/helpers/env.ts';
import { useTestRedis } from '../../../test/helpers/redis.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';

const db = useTestDatabase();
const r = useTestRedis();

function inputs(n: number): DeadLetterInput<{ i: number; pad: string }>[] {
  return Array.from({ length: n }, (_, i) => ({
    record: { i, pad: 'x'.repeat(200) },
    error: new Error(`failure ${i}`),
    pipeline: 'kill',
    source: { i },
  }));
}

describe('a connection dropped during sendMany', () => {
  it('PostgreSQL (pg_terminate_backend): the batch rejects and nothing was written; the retry writes it once', async () => {
    const N = 5_000;
    const table = 'dl_kill';
    await createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table }).setup();
    const batch = inputs(N).map((x, i) => ({ ...x, idempotencyKey: `kill-${i}` }));
    // An open transaction holds the batch's LAST key, so our INSERT writes every other row, then waits on it.
    const { promise: held, resolve: release } = Promise.withResolvers<void>();
    const { promise: ready, resolve: holding } = Promise.withResolvers<void>();
    const blocker = db.sql
      .transaction(async (tx) => {
        await createPostgresDeadLetterQueue({ sql: tx, schema: db.schema, table }).send(batch[N - 1] as never);
        holding();
        await held;
        throw new Error('roll the blocker back');
      })
      .catch(() => undefined);
    await ready;
    const client = new pg.Client({ connectionString: PG_URL });
    client.on('error', () => undefined); // the termination is expected
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid as number;
    const dlq = createPostgresDeadLetterQueue({ sql: createSqlClient(client), schema: db.schema, table });
    const outcome = dlq.sendMany(batch).then(
      () => 'resolved' as const,
      (error: unknown) => error,
    );
    await vi.waitFor(
      async () => {
        const { rows: activity } = await (db.pool as pg.Pool).query<{ wait: string }>(
          // The send statement names the queue's table early (pg_stat_activity keeps only its first 1 KB).
          `SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1 AND query LIKE $2`,
          [pid, `%${table}%`],
        );
        expect(activity[0]?.wait).toBe('Lock');
      },
      { interval: 10, timeout: 20_000 },
    );
    await (db.pool as pg.Pool).query('SELECT pg_terminate_backend($1)', [pid]);
    const result = await outcome;
    release();
    await blocker;
    const count = async (): Promise<number> => {
      const { rows: c } = await db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${db.qschema}.${table}`);
      return Number(c[0]?.n);
    };
    expect(result).toBeInstanceOf(Error);
    expect(classify(result).kind).toBe('transient'); // so the caller's retry policy retries it
    expect(await count()).toBe(0); // the N - 1 rows written before the kill were rolled back
    await client.end().catch(() => undefined);
    // The caller retries on a healthy connection: every entry exactly once.
    const retried = createPostgresDeadLetterQueue({ sql: db.sql, schema: db.schema, table });
    expect((await retried.sendMany(batch)).every((x) => x.created)).toBe(true);
    expect(await count()).toBe(N);
  });

  it('Redis (CLIENT KILL of our own client mid-MULTI): all or nothing, and the retry completes it exactly once', async () => {
    const N = 20_000;
    const batch = inputs(N);
    const client = new Redis(REDIS_URL, {
      connectionName: `pwdlqkill${process.pid}`,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    });
    client.on('error', () => undefined); // the kill is expected
    const id = String(await client.client('ID'));
    const dlq = createRedisDeadLetterQueue({ redis: client, prefix: r.prefix, name: 'kill', chunkSize: 500 });
    await dlq.setup();
    const outcome = dlq.sendMany(batch).then(
      () => 'resolved' as const,
      (error: unknown) => error,
    );
    // Wait until the server holds part of our MULTI (CLIENT LIST shows queued commands), then kill the client.
    let settled = false;
    void outcome.finally(() => {
      settled = true;
    });
    for (;;) {
      const info = String(await r.redis.client('LIST', 'ID', id));
      if (settled || Number(/ multi=(-?\d+)/.exec(info)?.[1]) > 0) break;
    }
    await r.redis.client('KILL', 'ID', id);
    const result = await outcome;
    const stored = await r.redis.hlen(`${r.prefix}{kill}:keys`);
    // The kill lands while the server is still reading the MULTI (nothing runs) or, rarely, just after EXEC
    // (everything ran, the reply was lost): either way all or nothing, and a rejection is retryable.
    if (result === 'resolved') expect(stored).toBe(N);
    else {
      expect(result).toMatchObject({ code: 'PW_DLQ_WRITE_INTERRUPTED' });
      expect(classify(result).kind).toBe('transient');
      expect([0, N]).toContain(stored);
    }
    client.disconnect();
    const retried = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'kill' });
    const again = await retried.sendMany(batch);
    expect(again.every((x) => x.created === (stored === 0))).toBe(true);
    expect(await r.redis.hlen(`${r.prefix}{kill}:keys`)).toBe(N);
  });
});
