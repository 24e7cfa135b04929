// Scenario 5, connection faults: the retrying sync runs through a TCP fault proxy while the harness terminates its
// backends (pg_terminate_backend by application_name), resets and black-holes its connections, adds latency, and
// restarts a private PostgreSQL (immediate stop = crash recovery) and a private Redis (AOF). Each run must end with
// `done` and the full expected state, or fail loudly with a classified error; the watermark is never ahead.
import { join } from 'node:path';
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import { createPostgresDeadLetterQueue, createRedisDeadLetterQueue, type DeadLetterQueue } from '@pipewright/dlq';
import { pgStateStore, redisStateStore, type StateStore } from '@pipewright/watermark';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PG_URL, uniqueName } from '../../helpers/env.ts';
import { runJob } from '../lib/child.ts';
import { startFaultProxy } from '../lib/fault-proxy.ts';
import { createRng } from '../lib/prng.ts';
import { deleteKeys } from '../lib/redis-keys.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { type PrivatePostgres, type PrivateRedis, startPrivateRedis } from '../lib/servers.ts';
import { checkSync, SourceWriter, type SyncConfig, setupSql } from '../lib/sync-model.ts';

const JOB = join(import.meta.dirname, '..', 'jobs', 'faulty-sync-job.ts');

export interface FaultsOptions {
  mode: 'pg' | 'redis';
  /** Child runs; each gets 1–3 faults. */
  runs: number;
  seed: number;
  /** Private PostgreSQL: enables the PostgreSQL restart fault. */
  server?: PrivatePostgres;
}

type Fault = 'terminate' | 'reset' | 'latency' | 'blackhole' | 'pg-restart' | 'redis-restart';

export async function faultsScenario(options: FaultsOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const rng = createRng(options.seed);
  const pgUrl = new URL(options.server?.url ?? PG_URL);
  const schema = uniqueName('pw_rel_fault');
  const appName = `${schema.slice(0, 50)}_job`;
  const pool = new pg.Pool({ connectionString: pgUrl.toString(), max: 3 });
  pool.on('error', () => {});
  const sql = createSqlClient(pool);
  const pgProxy = await startFaultProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  let redisServer: PrivateRedis | undefined;
  let redis: Redis | undefined;
  let redisProxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;
  const problems: string[] = [];
  const injected: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  let effective = 0;
  let rowsChecked = 0;
  let lost = 0;
  let duplicated = 0;
  try {
    const proxied = new URL(pgUrl.toString());
    proxied.port = String(pgProxy.port);
    const config: SyncConfig = {
      mode: options.mode,
      pgUrl: proxied.toString(),
      schema,
      applicationName: appName,
      pageSize: 4,
    };
    await sql.exec(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    await sql.exec(setupSql(schema));
    let state: StateStore;
    let dlq: DeadLetterQueue;
    if (options.mode === 'redis') {
      redisServer = await startPrivateRedis();
      redisProxy = await startFaultProxy({ host: '127.0.0.1', port: redisServer.port });
      config.redisUrl = `redis://127.0.0.1:${redisProxy.port}`;
      config.redisPrefix = `${schema}:`;
      redis = new Redis(redisServer.url, { maxRetriesPerRequest: 5 });
      redis.on('error', () => {});
      state = redisStateStore(redis, { prefix: `${config.redisPrefix}wm:` });
      dlq = createRedisDeadLetterQueue({ redis, name: 'dlq', prefix: `${config.redisPrefix}dlq:` });
    } else {
      const store = pgStateStore(sql, { schema });
      await store.migrate();
      state = store;
      dlq = createPostgresDeadLetterQueue({ sql, schema });
    }
    await dlq.setup();
    const source = new SourceWriter(sql, schema, rng);
    const letters = async () => {
      const byKey = new Map<string, number>();
      for (const e of await dlq.list({ limit: 1_000_000 })) {
        const key = `src:${String(e.source?.key)}`;
        byKey.set(key, (byKey.get(key) ?? 0) + 1);
      }
      return [...byKey].map(([key, count]) => ({ key, count }));
    };
    const kinds: Fault[] = ['terminate', 'terminate', 'reset', 'reset', 'latency', 'blackhole'];
    if (options.server) kinds.push(options.mode === 'pg' ? 'pg-restart' : 'terminate');
    if (redisServer) kinds.push('redis-restart', 'redis-restart');

    const inject = async (fault: Fault): Promise<boolean> => {
      injected[fault] = (injected[fault] ?? 0) + 1;
      switch (fault) {
        case 'terminate': {
          const { rows } = await sql.query<{ n: number }>(
            `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1`,
            [appName],
          );
          return (rows[0]?.n ?? 0) > 0;
        }
        case 'reset':
          return pgProxy.reset() + (redisProxy?.reset() ?? 0) > 0;
        case 'latency':
          pgProxy.latency(rng.int(5, 40));
          await new Promise((r) => setTimeout(r, rng.int(200, 800)));
          pgProxy.latency(0);
          return true;
        case 'blackhole':
          return (await pgProxy.blackhole(rng.int(300, 5000))) > 0;
        case 'pg-restart':
          await options.server?.restart('immediate');
          return true;
        case 'redis-restart':
          await redisServer?.restart();
          return true;
      }
    };

    for (let run = 0; run < options.runs; run++) {
      for (let i = rng.int(4, 8); i > 0; i--) await source.mutate();
      const plan = Array.from({ length: rng.int(1, 3) }, () => ({ fault: rng.pick(kinds), at: rng.int(0, 900) }));
      let firstEvent: (() => void) | undefined;
      const begun = new Promise<void>((resolve) => {
        firstEvent = resolve;
      });
      const child = runJob(JOB, { args: [JSON.stringify(config)], timeoutMs: 120_000, onEvent: () => firstEvent?.() });
      const faults = (async () => {
        await Promise.race([begun, child]);
        for (const { fault, at } of plan.sort((a, b) => a.at - b.at)) {
          await new Promise((r) => setTimeout(r, at / plan.length));
          if (await inject(fault).catch(() => false)) effective++;
        }
      })();
      const outcome = await child;
      await faults;
      const status = outcome.lines.find((l) => l === 'done' || l.startsWith('fatal'));
      const retries = outcome.lines.filter((l) => l.startsWith('retry')).length;
      const key =
        status === 'done'
          ? retries > 0
            ? 'completed after retries'
            : 'completed'
          : status
            ? 'failed loudly'
            : 'died silently';
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (!status || outcome.hung) {
        problems.push(
          `run ${run}: no outcome (exit ${outcome.code} ${outcome.signal ?? ''}, hung ${outcome.hung}): ${outcome.stderr.slice(0, 400)}`,
        );
      } else if (status.startsWith('fatal')) {
        const kind = status.split(' ')[1];
        if (kind !== 'transient' && kind !== 'fatal') problems.push(`run ${run}: unclassified failure: ${status}`);
        if (outcomes[`fatal ${status.split(' ')[2]}`] === undefined) problems.push(`note: run ${run} ${status}`);
        outcomes[`fatal ${status.split(' ')[2]}`] = (outcomes[`fatal ${status.split(' ')[2]}`] ?? 0) + 1;
      }
      // Done means everything up to now is there; a loud failure must still leave the watermark behind the data.
      const position =
        status === 'done'
          ? undefined
          : ((await state.get('sync'))?.position as { cursor: string; key: string[] } | undefined);
      if (status !== 'done' && !position) continue;
      const r = await checkSync(sql, schema, await letters(), position);
      rowsChecked += r.rows;
      lost += r.lost + r.lostLetters;
      duplicated += r.duplicated;
      if (r.lost + r.lostLetters + r.duplicated + r.unexpected > 0) {
        problems.push(`run ${run} (${plan.map((p) => p.fault).join(', ')}; ${status}): ${r.details.join('; ')}`);
      }
    }
    const realProblems = problems.filter((p) => !p.startsWith('note:'));
    return {
      scenario: `faults_${options.mode}`,
      iterations: options.runs,
      faults: effective,
      rowsChecked,
      lost,
      duplicated,
      ok: realProblems.length === 0 && lost === 0 && duplicated === 0,
      notes: [...problems, `injected ${JSON.stringify(injected)}; outcomes ${JSON.stringify(outcomes)}`],
      seconds: (performance.now() - started) / 1000,
      extra: { injected: Object.values(injected).reduce((a, b) => a + b, 0) },
    };
  } finally {
    await sql.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`).catch(() => {});
    await pool.end().catch(() => {});
    await pgProxy.close();
    await redisProxy?.close();
    if (redis) {
      await deleteKeys(redis, `${schema}:`).catch(() => {});
      redis.disconnect();
    }
    await redisServer?.stop();
  }
}
