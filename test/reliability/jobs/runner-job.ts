// A worker of the concurrent-runners scenario: the same sync as sync-job.ts (PostgreSQL state, one transaction
// per page), guarded either by the pipeline's one-active-run lock (fencing token checked in each commit) or by the
// watermark's own lease. Waits at a barrier (a shared advisory lock the harness holds) so that all workers race
// for the lock at once. Prints one of: `acquired`, `held <who>`, `fenced <code>`, then `done` or exits non-zero
// on anything unexpected.
import { createSqlClient, type SqlClient } from '@pipewright/core';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import { createLeaseStore, job, type StepContext, step } from '@pipewright/pipeline';
import { validateBatch } from '@pipewright/quality';
import { keysetPages, pgStateStore } from '@pipewright/watermark';
import { merge } from '@pipewright/writers';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { type SyncConfig, sourceRow, targetTable } from '../lib/sync-model.ts';
import { emit, enter, traced } from '../lib/traced-sql.ts';

const config = JSON.parse(process.argv[2] as string) as SyncConfig & {
  lock: 'pipeline' | 'watermark';
  owner: string;
  ttlMs: number;
  barrier: number;
  freeze?: boolean;
};
const pool = new pg.Pool({ connectionString: config.pgUrl, max: 3, application_name: config.applicationName });
pool.on('error', () => {});
const sql = traced(createSqlClient(pool, { copyStreams }));
const target = targetTable(config.schema);
const state = pgStateStore(sql, { schema: config.schema });
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function sync(ctx: StepContext | undefined): Promise<void> {
  let first = true;
  for await (const page of keysetPages<Record<string, unknown>>(sql, {
    source: { table: { schema: config.schema, name: 'src' } },
    cursor: 'updated_at',
    key: 'id',
    state,
    stateKey: 'sync',
    pageSize: config.pageSize,
    ...(config.lock === 'watermark'
      ? { lease: { owner: config.owner, ttlMs: config.ttlMs, heartbeatMs: Math.floor(config.ttlMs / 3) } }
      : {}),
  })) {
    if (first && config.lock === 'watermark') say('acquired');
    first = false;
    if (page.index === 1 && config.freeze) {
      // Between transactions, after one committed page: the harness freezes the process (SIGSTOP) in this sleep.
      emit('freeze-me');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    enter('validate');
    const rejected: { record: unknown; reason: string }[] = [];
    const { valid } = await validateBatch(page.rows, sourceRow, {
      onReject: (r) => {
        for (const x of r) rejected.push({ record: x.record, reason: x.reason });
      },
    });
    await sql.transaction(async (tx: SqlClient) => {
      if (rejected.length > 0) {
        await createPostgresDeadLetterQueue({ sql: tx, schema: config.schema }).sendMany(
          rejected.map(({ record, reason }) => {
            const id = String((record as { id?: unknown }).id);
            return {
              record,
              error: new Error(reason),
              pipeline: 'reliability',
              step: 'sync',
              source: { table: 'src', key: id },
              idempotencyKey: `src:${id}`,
            };
          }),
        );
      }
      enter('merge');
      await merge(tx, target, valid as Record<string, unknown>[], { tx, version: 'version' });
      enter('position');
      await ctx?.checkLease(tx);
      await page.commit(tx);
    });
  }
}

// The barrier: blocks until the harness releases its exclusive advisory lock.
await pool.query('SELECT pg_advisory_lock_shared($1)', [config.barrier]);
await pool.query('SELECT pg_advisory_unlock_shared($1)', [config.barrier]);
enter('go');
try {
  if (config.lock === 'pipeline') {
    const leases = createLeaseStore({ sql, schema: config.schema });
    const result = await job('reliability-sync', [step('sync', (ctx: StepContext) => sync(ctx))], {
      lock: { leases, ttlMs: config.ttlMs, heartbeatMs: Math.floor(config.ttlMs / 3), holder: config.owner },
      hooks: { onStepStart: () => say('acquired') },
    }).run();
    if (result.status === 'already_running') say(`held by ${result.heldBy?.holder}`);
    else if (result.status === 'failed') {
      const code = (result.error as { code?: string } | undefined)?.code ?? 'unknown';
      if (code === 'PW_LEASE_LOST' || code === 'PW_RUN_ABORTED') say(`fenced ${code}`);
      else throw result.error;
    } else say('done');
  } else {
    await sync(undefined);
    say('done');
  }
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'PW_WATERMARK_LEASE_HELD') say(`held ${(error as Error).message}`);
  else if (code === 'PW_WATERMARK_STALE_LEASE') say(`fenced ${code}`);
  else throw error;
} finally {
  await pool.end();
}
