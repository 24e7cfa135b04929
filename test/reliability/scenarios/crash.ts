// Scenario 1, crash consistency: the sync job is SIGKILLed at seeded points (extraction, dead-lettering, COPY,
// merge, position write, COMMIT) while the source receives inserts, updates (equal timestamps) and malformed rows,
// then restarted. After every kill the watermark must not be ahead of the data; at the end every key is in the
// target at its latest version, none twice, every malformed row dead-lettered exactly once.
import { join } from 'node:path';
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import { createPostgresDeadLetterQueue, createRedisDeadLetterQueue, type DeadLetterQueue } from '@pipewright/dlq';
import { pgStateStore, redisStateStore, type StateStore } from '@pipewright/watermark';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PG_URL, REDIS_URL, uniqueName } from '../../helpers/env.ts';
import { type KillPlan, runJob } from '../lib/child.ts';
import { createRng } from '../lib/prng.ts';
import { deleteKeys } from '../lib/redis-keys.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { checkSync, SourceWriter, type SyncConfig, setupSql } from '../lib/sync-model.ts';

const JOB = join(import.meta.dirname, '..', 'jobs', 'sync-job.ts');
/** Where a kill may land; `copy`/`commit` are reported by the traced client right before the COPY / COMMIT. */
const PHASES = ['extract', 'validate', 'deadletter', 'copy', 'merge', 'release', 'position', 'commit'] as const;

export interface CrashOptions {
  mode: 'pg' | 'redis';
  kills: number;
  seed: number;
  pageSize?: number;
  log?: (line: string) => void;
  /** @default PG_URL (the shared server) */
  pgUrl?: string;
  /** @default REDIS_URL */
  redisUrl?: string;
  /** Runs a deliberately broken job (self-test of the harness). */
  broken?: SyncConfig['broken'];
}

export async function crashScenario(options: CrashOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const rng = createRng(options.seed);
  const schema = uniqueName('pw_rel_crash');
  const pool = new pg.Pool({ connectionString: options.pgUrl ?? PG_URL, max: 3 });
  const sql = createSqlClient(pool);
  const redis =
    options.mode === 'redis' ? new Redis(options.redisUrl ?? REDIS_URL, { maxRetriesPerRequest: 2 }) : undefined;
  const redisPrefix = `${schema}:`;
  const config: SyncConfig = {
    mode: options.mode,
    pgUrl: options.pgUrl ?? PG_URL,
    schema,
    applicationName: schema.slice(0, 60),
    pageSize: options.pageSize ?? 4,
    redisUrl: options.redisUrl ?? REDIS_URL,
    redisPrefix,
    broken: options.broken,
  };
  const notes: string[] = [];
  const problems: string[] = [];
  const byPhase: Record<string, number> = {};
  let kills = 0;
  let runs = 0;
  let checks = 0;
  let rowsChecked = 0;
  let lost = 0;
  let duplicated = 0;
  let unexpected = 0;
  try {
    await sql.exec(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    await sql.exec(setupSql(schema));
    let state: StateStore;
    let dlq: DeadLetterQueue;
    if (redis) {
      state = redisStateStore(redis, { prefix: `${redisPrefix}wm:` });
      dlq = createRedisDeadLetterQueue({ redis, name: 'dlq', prefix: `${redisPrefix}dlq:` });
    } else {
      const store = pgStateStore(sql, { schema });
      await store.migrate();
      state = store;
      dlq = createPostgresDeadLetterQueue({ sql, schema });
    }
    await dlq.setup();
    const source = new SourceWriter(sql, schema, rng);
    for (let i = 0; i < 3; i++) await source.mutate();

    const letters = async (): Promise<{ key: string; count: number }[]> => {
      const entries = await dlq.list({ limit: 1_000_000 });
      const byKey = new Map<string, number>();
      for (const e of entries) {
        const key = `src:${String(e.source?.key)}`;
        byKey.set(key, (byKey.get(key) ?? 0) + 1);
      }
      return [...byKey].map(([key, count]) => ({ key, count }));
    };
    const verify = async (label: string, position?: { cursor: string; key: string[] }): Promise<void> => {
      const result = await checkSync(sql, schema, await letters(), position);
      checks++;
      rowsChecked += result.rows;
      lost += result.lost + result.lostLetters;
      duplicated += result.duplicated;
      unexpected += result.unexpected;
      if (result.lost + result.lostLetters + result.duplicated + result.unexpected > 0) {
        problems.push(`${label}: ${result.details.join('; ')}`);
      }
    };

    const maxRuns = options.kills * 4 + 20;
    while (kills < options.kills && runs < maxRuns) {
      await source.mutate();
      const plan: KillPlan = { phase: rng.pick(PHASES), skip: rng.int(0, 2), delayMs: rng.pick([0, 0, 1, 2, 5]) };
      const concurrent = rng.chance(0.5) ? delayed(rng.int(0, 40), () => source.mutate()) : Promise.resolve();
      const outcome = await runJob(JOB, { args: [JSON.stringify(config)], kill: plan });
      await concurrent;
      runs++;
      if (outcome.hung || (!outcome.killed && outcome.code !== 0)) {
        problems.push(
          `run ${runs} (${plan.phase}) ${outcome.hung ? 'hung' : `failed ${outcome.code}`}: last events ${outcome.events.slice(-8).join(',')}; output ${outcome.lines.join(' | ')}; ${outcome.stderr.slice(0, 800)}`,
        );
        break;
      }
      if (!outcome.killed) continue;
      kills++;
      byPhase[plan.phase] = (byPhase[plan.phase] ?? 0) + 1;
      const stored = (await state.get('sync'))?.position as { cursor: string; key: string[] } | undefined;
      if (stored) await verify(`after kill ${kills} (${plan.phase}+${plan.skip}, ${plan.delayMs} ms)`, stored);
      if (kills % 50 === 0) options.log?.(`${options.mode}: ${kills} kills, ${runs} runs`);
    }
    // Quiesce: two clean runs; the second must find nothing new.
    for (let i = 0; i < 2; i++) {
      const outcome = await runJob(JOB, { args: [JSON.stringify(config)] });
      runs++;
      if (outcome.code !== 0) problems.push(`final run failed (${outcome.code}): ${outcome.stderr.slice(0, 800)}`);
    }
    await verify('final');
    if (kills < options.kills) problems.push(`only ${kills} kills landed in ${runs} runs`);
    const sent = await dlq.list({ limit: 1_000_000 });
    notes.push(
      `kills by phase ${JSON.stringify(byPhase)}; source: ${source.inserted} inserted, ${source.updated} updated, ` +
        `${source.malformed} malformed; ${checks} consistency checks; dead letters re-sent ${sent.reduce((n, e) => n + e.failureCount - 1, 0)} times (folded)`,
    );
    return {
      scenario: `crash_${options.mode}`,
      iterations: runs,
      faults: kills,
      rowsChecked,
      lost,
      duplicated,
      ok: lost === 0 && duplicated === 0 && unexpected === 0 && problems.length === 0,
      notes: [...problems, ...notes],
      seconds: (performance.now() - started) / 1000,
      extra: { unexpected, checks },
    };
  } finally {
    await sql.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`).catch(() => {});
    await pool.end();
    if (redis) {
      await deleteKeys(redis, redisPrefix).catch(() => {});
      await redis.quit();
    }
  }
}

function delayed(ms: number, fn: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    setTimeout(() => fn().then(resolve, reject), ms);
  });
}
