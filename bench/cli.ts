// `npm run bench -- cli`: what the CLI adds on top of the package APIs.
//  - bin startup: spawning the built bin (`--version`) against a bare `node -e 0`;
//  - `dlq list --json` of `scale` entries through main() (connect, migration check, list, JSON) against the direct
//    calls an operator would otherwise script (an open pool, dlq.list, JSON.stringify).
// Needs `npx tsc -b packages/cli` first (the bin case spawns dist/bin.js).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '@pipewright/cli';
import { createSqlClient } from '@pipewright/core';
import { createPostgresDeadLetterQueue } from '@pipewright/dlq';
import pg from 'pg';
import { benchRuns, benchScale, interleave, report } from './lib/harness.ts';

const scale = benchScale(1000);
const runs = benchRuns();
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `bench_cli_${process.pid}`;
const bin = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'bin.js');

const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const sql = createSqlClient(pool);
const sink = { write: (_s: string) => true, isTTY: false };
const io = { stdout: sink, stderr: sink, stdin: process.stdin, env: { PG_URL } };

try {
  await sql.exec(`CREATE SCHEMA ${schema}`);
  const dlq = createPostgresDeadLetterQueue({ sql, schema });
  await dlq.setup();
  await dlq.sendMany(
    Array.from({ length: scale }, (_, i) => ({
      pipeline: 'bench',
      step: 'load',
      record: { id: i, email: `user${i}@example.com`, amount: i * 1.5 },
      error: Object.assign(new Error('duplicate key'), { code: '23505' }),
      source: { table: 'orders', key: i },
    })),
  );
  const spawnCases = await interleave(
    [
      { name: 'node_startup', run: () => (spawnSync(process.execPath, ['-e', '0']).status === 0 ? 1 : 0) },
      {
        name: 'bin_version',
        run: () => {
          const result = spawnSync(process.execPath, [bin, '--version']);
          if (result.status !== 0) throw new Error(`bin failed: ${result.stderr}`);
          return 1;
        },
      },
    ],
    runs,
  );
  const listCases = await interleave(
    [
      {
        name: 'api_list_json',
        run: async () => {
          const entries = await dlq.list({ limit: scale });
          JSON.stringify(entries);
          return entries.length;
        },
      },
      {
        name: 'cli_list_json',
        run: async () => {
          const code = await main(['--schema', schema, 'dlq', 'list', '--json', '--limit', String(scale)], io);
          if (code !== 0) throw new Error(`cli exited ${code}`);
          return scale;
        },
      },
    ],
    runs,
  );
  const cases = { ...spawnCases, ...listCases };
  report({
    name: 'cli',
    scale,
    runs,
    env: { load: (await import('node:os')).loadavg()[0]?.toFixed(2) ?? '?' },
    cases,
    ratios: {
      bin_startup_over_node_s: cases.bin_version!.median_s - cases.node_startup!.median_s,
      cli_list_vs_api: cases.cli_list_json!.median_s / cases.api_list_json!.median_s,
    },
  });
} finally {
  await sql.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
}
