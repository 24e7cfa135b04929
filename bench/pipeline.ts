// `npm run bench -- pipeline`: what wrapping costs. Per-call overhead of step() over a bare async call (with and
// without retry and hooks), a job's scheduling cost per step, and what the run audit and the lock add per run
// on PostgreSQL. BENCH_SCALE = step calls (default 200,000); job runs are scaled down from it.
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import { createLeaseStore, createRunAudit, incrementalSync, job, type StepContext, step } from '@pipewright/pipeline';
import { bigintId, decimalString, isoTimestamp } from '@pipewright/quality';
import { pgStateStore } from '@pipewright/watermark';
import { defineTable, merge } from '@pipewright/writers';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { z } from 'zod';
import { benchRuns, benchScale, interleave, report } from './lib/harness.ts';

const scale = benchScale(200_000);
const runs = benchRuns();
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let sink = 0;
const work = async (n: number): Promise<number> => n + 1;
const plain = step('plain', work);
const retried = step('retried', work, { retry: true });
const observed = step('observed', work, {
  retry: true,
  hooks: {
    onStepEnd: (e) => {
      sink += e.durationMs;
    },
  },
});

async function calls(fn: (n: number) => Promise<number>): Promise<number> {
  for (let i = 0; i < scale; i++) sink += await fn(i);
  return scale;
}

const STEPS = 10;
const chain = Array.from({ length: STEPS }, (_, i) =>
  step(`s${i}`, async (ctx: StepContext) => ctx.count({ in: 1, out: 1 }), { dependsOn: i > 0 ? [`s${i - 1}`] : [] }),
);
const memoryJob = job('bench-memory', chain);
const jobRuns = Math.max(100, Math.floor(scale / 200));
const pgRuns = Math.max(50, Math.floor(scale / 2000));

const schema = `pw_bench_pipeline_${process.pid}`;
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const sql = createSqlClient(pool, { copyStreams });
await sql.exec(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
try {
  const audit = createRunAudit({ sql, schema });
  const leases = createLeaseStore({ sql, schema });
  await audit.migrate();
  const auditedJob = job('bench-audited', chain, { audit });
  const lockedJob = job('bench-locked', chain, { audit, lock: { leases } });

  const callCases = await interleave(
    [
      { name: 'bare_call', run: () => calls(work) },
      { name: 'step_call', run: () => calls(plain) },
      { name: 'step_retry_call', run: () => calls(retried) },
      { name: 'step_retry_hooks_call', run: () => calls(observed) },
    ],
    runs,
  );
  const runJobs = async (j: typeof memoryJob, n: number): Promise<number> => {
    for (let i = 0; i < n; i++) {
      const result = await j.run();
      if (result.status !== 'succeeded') throw new Error(`bench job failed: ${result.error?.message}`);
    }
    return n;
  };
  const jobCases = await interleave(
    [
      { name: 'job_run_10_steps', run: () => runJobs(memoryJob, jobRuns) },
      { name: 'job_run_10_steps_audited', run: () => runJobs(auditedJob, pgRuns) },
      { name: 'job_run_10_steps_audited_locked', run: () => runJobs(lockedJob, pgRuns) },
    ],
    runs,
  );
  // incrementalSync (keyset pages + zod validation + merge + watermark commit per page) against merge alone.
  const q = quoteIdentifier(schema);
  const syncRows = Math.max(10_000, Math.floor(scale / 2));
  const columns = `id bigint PRIMARY KEY, customer_id bigint NOT NULL, amount numeric(18,2) NOT NULL, currency text NOT NULL,
    status text NOT NULL, updated_at timestamptz NOT NULL, payload jsonb NOT NULL`;
  await sql.exec(`CREATE TABLE ${q}.src (${columns}); CREATE INDEX ON ${q}.src (updated_at, id);
    CREATE TABLE ${q}.dst (${columns});
    INSERT INTO ${q}.src SELECT i, 1 + i % 1000, (i % 100000) / 100.0, 'EUR', 'paid',
      timestamptz '2026-01-01 00:00:00+00' + i * interval '1 millisecond',
      jsonb_build_object('channel', 'web', 'items', 1 + i % 9, 'note', 'order ' || i)
    FROM generate_series(1, ${syncRows}) AS i;`);
  const dst = defineTable({
    table: { schema, name: 'dst' },
    columns: {
      id: 'bigint',
      customer_id: 'bigint',
      amount: 'numeric(18,2)',
      currency: 'text',
      status: 'text',
      updated_at: 'timestamptz',
      payload: 'jsonb',
    },
    key: 'id',
  });
  const Order = z.object({
    id: bigintId(),
    customer_id: bigintId(),
    amount: decimalString({ scale: 2 }),
    currency: z.string().length(3),
    status: z.string(),
    updated_at: isoTimestamp(),
    payload: z.object({ channel: z.string(), items: z.number().int(), note: z.string() }),
  });
  const state = pgStateStore(sql, { schema });
  await state.migrate();
  const { rows: srcRows } = await sql.query<Record<string, unknown>>(`SELECT * FROM ${q}.src ORDER BY updated_at, id`);
  const reset = async (): Promise<void> => {
    await sql.exec(`TRUNCATE ${q}.dst; DELETE FROM ${q}.pipewright_watermark_state`);
  };
  const syncCases = await interleave(
    [
      {
        name: 'merge_only',
        before: reset,
        run: async () => {
          for (let i = 0; i < srcRows.length; i += 5000) await merge(sql, dst, srcRows.slice(i, i + 5000));
          return srcRows.length;
        },
      },
      {
        name: 'incremental_sync',
        before: reset,
        run: async () => {
          const r = await incrementalSync({
            sql,
            name: 'bench',
            source: { table: { schema, name: 'src' } },
            target: dst,
            schema: Order,
            key: 'id',
            cursor: 'updated_at',
            state,
            pageSize: 5000,
            onReject: () => {
              throw new Error('unexpected reject');
            },
          });
          if (r.valid !== syncRows) throw new Error(`synced ${r.valid} of ${syncRows}`);
          return r.read;
        },
      },
      {
        name: 'incremental_sync_no_in_flight_wait',
        before: reset,
        run: async () => {
          const r = await incrementalSync({
            sql,
            name: 'bench',
            source: { table: { schema, name: 'src' } },
            target: dst,
            schema: Order,
            key: 'id',
            cursor: 'updated_at',
            state,
            pageSize: 5000,
            waitForInFlight: false,
            onReject: () => {
              throw new Error('unexpected reject');
            },
          });
          if (r.valid !== syncRows) throw new Error(`synced ${r.valid} of ${syncRows}`);
          return r.read;
        },
      },
    ],
    runs,
  );
  const { rows } = await pool.query('SHOW server_version');
  const cases = { ...callCases, ...jobCases, ...syncCases };
  const ns = (name: string): number => cases[name]?.ns_per_op ?? Number.NaN;
  report({
    name: 'pipeline',
    scale,
    runs,
    env: { postgres: rows[0].server_version, job_runs: jobRuns, pg_job_runs: pgRuns, sync_rows: syncRows },
    cases,
    ratios: {
      step_call_overhead_ns: ns('step_call') - ns('bare_call'),
      step_retry_hooks_overhead_ns: ns('step_retry_hooks_call') - ns('bare_call'),
      job_scheduling_us_per_step: ns('job_run_10_steps') / STEPS / 1000,
      audit_ms_per_run: (ns('job_run_10_steps_audited') - ns('job_run_10_steps')) / 1e6,
      lock_ms_per_run: (ns('job_run_10_steps_audited_locked') - ns('job_run_10_steps_audited')) / 1e6,
      incremental_sync_vs_merge: (cases['incremental_sync']?.per_s ?? 0) / (cases['merge_only']?.per_s ?? 1),
      incremental_sync_no_wait_vs_merge:
        (cases['incremental_sync_no_in_flight_wait']?.per_s ?? 0) / (cases['merge_only']?.per_s ?? 1),
    },
  });
  if (sink === 0) console.log('');
} finally {
  await sql.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await pool.end();
}
