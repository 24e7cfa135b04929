// `npm run bench -- watermark`: reading BENCH_SCALE standard records (default 1,000,000) three ways, each round in a
// fresh child process so that its peak RSS is its own: one server-side cursor over the whole table (the limit),
// keyset extraction through @pipewright/watermark (pages of 5,000, committed to a state store), and LIMIT/OFFSET
// pagination (the naive peer). Reports rows/s, peak RSS and ratios.keyset_vs_cursor_scan.
// BENCH_WATERMARK_CASES (comma-separated) selects cases; by default all three run. BENCH_WATERMARK_CLUSTER=1 stores
// the table in cursor order (as an append-mostly table is) instead of the standard record's random order.
import { spawnSync } from 'node:child_process';
import { createSqlClient, quoteIdentifier, type SqlClient } from '@pipewright/core';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { keysetPages, memoryStateStore } from '../packages/watermark/src/index.ts';
import { benchRuns, benchScale, type CaseResult, median, report } from './lib/harness.ts';
import { standardRecords } from './lib/records.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PAGE = 5000;
const ALL_CASES = ['cursor_scan', 'keyset', 'offset'] as const;
type CaseName = (typeof ALL_CASES)[number];
// OFFSET pagination is quadratic: `BENCH_WATERMARK_CASES=cursor_scan,keyset` leaves it out of large runs.
const CASES = (process.env.BENCH_WATERMARK_CASES?.split(',') ?? ALL_CASES).filter((name): name is CaseName =>
  (ALL_CASES as readonly string[]).includes(name),
);

async function runCase(name: CaseName, schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const sql = createSqlClient(pool);
  const table = `${quoteIdentifier(schema)}.orders`;
  const start = process.hrtime.bigint();
  let rows = 0;
  if (name === 'cursor_scan') {
    for await (const batch of sql.stream(`SELECT * FROM ${table}`, [], { batchSize: PAGE })) rows += batch.length;
  } else if (name === 'keyset') {
    const state = memoryStateStore();
    for await (const page of keysetPages(sql, {
      source: { table: { schema, name: 'orders' } },
      cursor: 'updated_at',
      key: 'id',
      state,
      stateKey: 'bench',
      pageSize: PAGE,
    })) {
      rows += page.rows.length;
      await page.commit();
    }
  } else {
    for (let offset = 0; ; offset += PAGE) {
      const result = await sql.query(`SELECT * FROM ${table} ORDER BY updated_at, id LIMIT ${PAGE} OFFSET $1`, [
        offset,
      ]);
      rows += result.rows.length;
      if (result.rows.length < PAGE) break;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await pool.end();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ seconds, rows, peakRssMb })}\n`);
}

async function load(sql: SqlClient, schema: string, scale: number): Promise<void> {
  const q = quoteIdentifier(schema);
  await sql.exec(`CREATE SCHEMA ${q};
    CREATE TABLE ${q}.orders (id bigint PRIMARY KEY, customer_id bigint, amount numeric(18,2), currency text,
      status text, updated_at timestamptz NOT NULL, payload jsonb);`);
  async function* lines(): AsyncGenerator<string> {
    let chunk = '';
    for (const r of standardRecords(scale)) {
      chunk += `${r.id}\t${r.customer_id}\t${r.amount}\t${r.currency}\t${r.status}\t${r.updated_at.toISOString()}\t${JSON.stringify(r.payload)}\n`;
      if (chunk.length > 65536) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await sql.copyFrom(`COPY ${q}.orders FROM STDIN`, lines());
  await sql.exec(`CREATE INDEX orders_cursor ON ${q}.orders (updated_at, id)`);
  // The standard record's updated_at is random with respect to id: reading in cursor order visits heap pages at
  // random, the worst case. Real incremental tables are mostly appended in cursor order; CLUSTER models that.
  if (process.env.BENCH_WATERMARK_CLUSTER === '1') await sql.exec(`CLUSTER ${q}.orders USING orders_cursor`);
  await sql.exec(`VACUUM ANALYZE ${q}.orders`);
}

async function main(): Promise<void> {
  const scale = benchScale(1_000_000);
  const runs = benchRuns();
  const schema = `bench_watermark_${process.pid}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const sql = createSqlClient(pool, { copyStreams });
  // A timeout or Ctrl-C must not leave a million-row schema behind.
  const dropOnSignal = (): void => {
    void sql
      .exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`)
      .finally(() => process.exit(130))
      .catch(() => undefined);
  };
  process.once('SIGTERM', dropOnSignal);
  process.once('SIGINT', dropOnSignal);
  try {
    await load(sql, schema, scale);
    const samples: Record<string, { seconds: number[]; rss: number[]; rows: number }> = {};
    for (let round = 0; round <= runs; round++) {
      for (const name of CASES) {
        const child = spawnSync(
          process.execPath,
          ['--conditions=@pipewright/source', import.meta.filename, '--case', name, schema],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        );
        if (child.status !== 0) throw new Error(`case ${name} failed: ${child.stderr}`);
        const result = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
          seconds: number;
          rows: number;
          peakRssMb: number;
        };
        if (result.rows !== scale) throw new Error(`case ${name} read ${result.rows} rows, expected ${scale}`);
        if (round === 0) continue; // warm-up
        const entry = samples[name] ?? { seconds: [] as number[], rss: [] as number[], rows: result.rows };
        entry.seconds.push(result.seconds);
        entry.rss.push(result.peakRssMb);
        samples[name] = entry;
      }
    }
    const cases: Record<string, CaseResult> = {};
    for (const [name, s] of Object.entries(samples)) {
      const median_s = median(s.seconds);
      cases[name] = { median_s, per_s: s.rows / median_s, peak_rss_mb: Math.max(...s.rss) };
    }
    const { rows } = await sql.query<{ server_version: string }>('SHOW server_version');
    report({
      name: 'watermark',
      scale,
      runs,
      env: {
        postgres: String(rows[0]?.server_version).split(' ')[0] as string,
        page_size: PAGE,
        heap_order: process.env.BENCH_WATERMARK_CLUSTER === '1' ? 'cursor' : 'random',
      },
      cases,
      ratios: {
        keyset_vs_cursor_scan: (cases.keyset?.per_s as number) / (cases.cursor_scan?.per_s as number),
        ...(cases.offset
          ? { offset_vs_cursor_scan: (cases.offset.per_s as number) / (cases.cursor_scan?.per_s as number) }
          : {}),
        keyset_peak_rss_vs_cursor_scan:
          (cases.keyset?.peak_rss_mb as number) / (cases.cursor_scan?.peak_rss_mb as number),
      },
    });
  } finally {
    await sql.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await pool.end();
  }
}

const caseIndex = process.argv.indexOf('--case');
if (caseIndex >= 0) await runCase(process.argv[caseIndex + 1] as CaseName, process.argv[caseIndex + 2] as string);
else await main();
