// `npm run bench -- core`: classify() cost per call, and SqlClient.query overhead versus calling pg directly.
import { classify, createSqlClient } from '@pipewright/core';
import pg from 'pg';
import { benchRuns, benchScale, interleave, report } from './lib/harness.ts';

const scale = benchScale(100_000);
const runs = benchRuns();
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const errors: unknown[] = [
  Object.assign(new Error('deadlock'), { code: '40P01', severity: 'ERROR' }),
  Object.assign(new Error('dup'), { code: '23505', severity: 'ERROR' }),
  Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
  Object.assign(new Error('busy'), { status: 503, headers: { 'retry-after': '3' } }),
  new Error('mystery', { cause: new Error('deeper') }),
];

const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const sql = createSqlClient(pool);
const queries = Math.max(1000, Math.floor(scale / 10));
const concurrency = 4;

async function queryLoop(run: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < queries) await run(next++);
    }),
  );
  return queries;
}

try {
  const classifyCases = await interleave(
    [
      {
        name: 'classify',
        run: () => {
          let transient = 0;
          for (let i = 0; i < scale; i++) if (classify(errors[i % errors.length]).kind === 'transient') transient++;
          if (transient === 0) throw new Error('unexpected classification');
          return scale;
        },
      },
    ],
    runs,
  );
  const queryCases = await interleave(
    [
      { name: 'pg_pool_query', run: () => queryLoop((i) => pool.query('SELECT $1::int AS n', [i])) },
      { name: 'sqlclient_query', run: () => queryLoop((i) => sql.query('SELECT $1::int AS n', [i])) },
    ],
    runs,
  );
  const { rows } = await pool.query('SHOW server_version');
  const cases = { ...classifyCases, ...queryCases };
  report({
    name: 'core',
    scale,
    runs,
    env: { postgres: String(rows[0].server_version).split(' ')[0] as string },
    cases,
    ratios: {
      classify_ns_per_op: cases.classify!.ns_per_op!,
      sqlclient_query_vs_pg: cases.sqlclient_query!.per_s! / cases.pg_pool_query!.per_s!,
    },
  });
} finally {
  await pool.end();
}
