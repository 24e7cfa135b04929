// `npm run bench -- pipeline`: what wrapping costs. Per-call overhead of step() over a bare async call (with and
// without retry and hooks), a job's scheduling cost per step, and what the run audit and the lock add per run
// on PostgreSQL. BENCH_SCALE = step calls (default 200,000); job runs are scaled down from it.
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import { createLeaseStore, createRunAudit, job, type StepContext, step } from '@pipewright/pipeline';
import pg from 'pg';
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
const sql = createSqlClient(pool);
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
  const { rows } = await pool.query('SHOW server_version');
  const cases = { ...callCases, ...jobCases };
  const ns = (name: string): number => cases[name]?.ns_per_op ?? Number.NaN;
  report({
    name: 'pipeline',
    scale,
    runs,
    env: { postgres: rows[0].server_version, job_runs: jobRuns, pg_job_runs: pgRuns },
    cases,
    ratios: {
      step_call_overhead_ns: ns('step_call') - ns('bare_call'),
      step_retry_hooks_overhead_ns: ns('step_retry_hooks_call') - ns('bare_call'),
      job_scheduling_us_per_step: ns('job_run_10_steps') / STEPS / 1000,
      audit_ms_per_run: (ns('job_run_10_steps_audited') - ns('job_run_10_steps')) / 1e6,
      lock_ms_per_run: (ns('job_run_10_steps_audited_locked') - ns('job_run_10_steps_audited')) / 1e6,
    },
  });
  if (sink === 0) console.log('');
} finally {
  await sql.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await pool.end();
}
