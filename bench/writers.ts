// `npm run bench -- writers`: idempotent writers versus raw COPY (the limit) and naive multi-row INSERTs, with
// the WAL bytes (server-wide LSN difference: includes other sessions' WAL on a shared server), dead tuples and
// rows written (per-table statistics) each case leaves behind. BENCH_SCALE rows (default 1,000,000).
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import { appendDedup, createTable, defineTable, merge, replacePartition } from '@pipewright/writers';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { type BenchCase, benchRuns, benchScale, interleave, report } from './lib/harness.ts';
import { STANDARD_TABLE_COLUMNS, type StandardRecord, standardRecords } from './lib/records.ts';

const scale = benchScale(1_000_000);
const runs = benchRuns();
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `pw_bench_writers_${process.pid}`;
const q = quoteIdentifier(schema);

// One connection for the writer, so its statistics can be flushed before each reading; one for measuring.
const pool = new pg.Pool({ connectionString: PG_URL, max: 1, application_name: 'pw-bench-writers' });
const meter = new pg.Client({ connectionString: PG_URL });
const sql = createSqlClient(pool, { copyStreams });

const records = [...standardRecords(scale)];
const changed10 = records.map((r, i) =>
  i % 10 === 0 ? { ...r, status: `${r.status}*`, updated_at: new Date(r.updated_at.getTime() + 1000) } : r,
);

const table = (name: string) =>
  defineTable({
    table: { schema, name },
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

function* rawCopyText(rows: readonly StandardRecord[]): Generator<string> {
  let chunk = '';
  for (const r of rows) {
    chunk += `${r.id}\t${r.customer_id}\t${r.amount}\t${r.currency}\t${r.status}\t${r.updated_at.toISOString()}\t${JSON.stringify(r.payload)}\n`;
    if (chunk.length >= 65536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

async function naiveInsert(rows: readonly StandardRecord[]): Promise<number> {
  for (let start = 0; start < rows.length; start += 1000) {
    const part = rows.slice(start, start + 1000);
    const values: unknown[] = [];
    const tuples = part.map((r, i) => {
      values.push(r.id, r.customer_id, r.amount, r.currency, r.status, r.updated_at, JSON.stringify(r.payload));
      const b = i * 7;
      return `($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7})`;
    });
    await sql.query(
      `INSERT INTO ${q}.naive (id, customer_id, amount, currency, status, updated_at, payload) VALUES ${tuples.join(',')}`,
      values,
    );
  }
  return rows.length;
}

interface Cost {
  wal_bytes: number;
  dead_tuples: number;
  rows_written: number;
}
const costs = new Map<string, Cost[]>();

async function counters(relation: string): Promise<{ lsn: string; dead: number; written: number }> {
  await sql.query('SELECT pg_stat_force_next_flush()');
  await meter.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await meter.query(
    `SELECT pg_current_wal_lsn()::text AS lsn,
            coalesce(s.n_dead_tup, 0)::bigint AS dead,
            coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0)::bigint AS written
     FROM (SELECT 1) one LEFT JOIN pg_stat_user_tables s ON s.relid = $1::regclass`,
    [`${q}.${quoteIdentifier(relation)}`],
  );
  return { lsn: rows[0].lsn, dead: Number(rows[0].dead), written: Number(rows[0].written) };
}

/** Wraps a case to record the WAL it wrote and the dead tuples it left in `relation`. */
function measured(name: string, relation: string, run: () => Promise<number>, before?: () => Promise<void>): BenchCase {
  return {
    name,
    before,
    run: async () => {
      const start = await counters(relation);
      const ops = await run();
      const end = await counters(relation);
      const { rows } = await meter.query('SELECT pg_wal_lsn_diff($1, $2)::bigint AS bytes', [end.lsn, start.lsn]);
      const list = costs.get(name) ?? [];
      list.push({
        wal_bytes: Number(rows[0].bytes),
        dead_tuples: end.dead - start.dead,
        rows_written: end.written - start.written,
      });
      costs.set(name, list);
      return ops;
    },
  };
}

const truncate = (name: string) => async () => {
  await sql.exec(`TRUNCATE ${q}.${quoteIdentifier(name)}`);
};

try {
  await meter.connect();
  await sql.exec(`CREATE SCHEMA ${q}`);
  for (const name of ['raw', 'naive', 'merged']) {
    await sql.exec(`CREATE TABLE ${q}.${name} (${STANDARD_TABLE_COLUMNS}) WITH (autovacuum_enabled = false)`);
  }
  const merged = table('merged');
  // replacePartition: a range-partitioned copy of the records, 100,000 ids per partition; p0 is replaced.
  const partitionRows = Math.min(100_000, scale);
  await sql.exec(`CREATE TABLE ${q}.parted (${STANDARD_TABLE_COLUMNS}) PARTITION BY RANGE (id)`);
  for (let p = 0; p * 100_000 < scale; p++) {
    await sql.exec(
      `CREATE TABLE ${q}.parted_p${p} PARTITION OF ${q}.parted FOR VALUES FROM (${p * 100_000 + 1}) TO (${(p + 1) * 100_000 + 1}) WITH (autovacuum_enabled = false)`,
    );
  }
  await merge(sql, table('parted'), records, { directLoad: true });
  const partitionVersions = [records.slice(0, partitionRows), changed10.slice(0, partitionRows)];
  let partitionRound = 0;
  // appendDedup: the hash of the business key (id) in a uniquely indexed bytea column.
  const appended = table('appended');
  await createTable(sql, appended, { hashColumn: 'row_hash' });
  await sql.exec(`ALTER TABLE ${q}.appended SET (autovacuum_enabled = false)`);
  const appendAll = async (expectInserted: number) => {
    const result = await appendDedup(sql, appended, records);
    if (result.inserted !== expectInserted || result.rejected.length > 0) {
      throw new Error(`appendDedup inserted ${result.inserted}, expected ${expectInserted}`);
    }
    return records.length;
  };
  const expectZeroUpdates = async (rows: readonly StandardRecord[], expected: number) => {
    const result = await merge(sql, merged, rows);
    if (result.updated !== expected || result.rejected.length > 0) {
      throw new Error(`merge reported ${result.updated} updates, expected ${expected}`);
    }
    return rows.length;
  };
  const cases: BenchCase[] = [
    measured('raw_copy', 'raw', () => sql.copyFrom(`COPY ${q}.raw FROM STDIN`, rawCopyText(records)), truncate('raw')),
    measured('naive_insert', 'naive', () => naiveInsert(records), truncate('naive')),
    measured('merge_first_load', 'merged', () => expectZeroUpdates(records, 0), truncate('merged')),
    measured('merge_rerun_unchanged', 'merged', () => expectZeroUpdates(records, 0)),
    measured('merge_10pct_changed', 'merged', () => expectZeroUpdates(changed10, Math.ceil(scale / 10))),
    measured('replace_partition', 'parted_p0', async () => {
      const rows = partitionVersions[partitionRound++ % 2] as StandardRecord[];
      const result = await replacePartition(sql, table('parted'), rows, { partition: 'parted_p0' });
      if (result.inserted !== rows.length) throw new Error(`replacePartition inserted ${result.inserted}`);
      return rows.length;
    }),
    measured('append_dedup', 'appended', () => appendAll(scale), truncate('appended')),
    measured('append_dedup_rerun', 'appended', () => appendAll(0)),
  ];
  const results = await interleave(cases, runs);
  for (const [name, list] of costs) {
    const counted = list.slice(1); // drop the warm-up round, as interleave does
    const result = results[name];
    if (result === undefined) continue;
    result.wal_bytes = counted.reduce((s, c) => s + c.wal_bytes, 0) / counted.length;
    result.dead_tuples = counted.reduce((s, c) => s + c.dead_tuples, 0) / counted.length;
    result.rows_written = counted.reduce((s, c) => s + c.rows_written, 0) / counted.length;
  }
  const perS = (name: string) => results[name]?.per_s ?? Number.NaN;
  const { rows } = await meter.query('SHOW server_version');
  report({
    name: 'writers',
    scale,
    runs,
    env: { postgres: String(rows[0].server_version).split(' ')[0] as string },
    cases: results,
    ratios: {
      merge_first_load_vs_raw_copy: perS('merge_first_load') / perS('raw_copy'),
      merge_rerun_unchanged_vs_raw_copy: perS('merge_rerun_unchanged') / perS('raw_copy'),
      merge_10pct_changed_vs_raw_copy: perS('merge_10pct_changed') / perS('raw_copy'),
      merge_first_load_vs_naive_insert: perS('merge_first_load') / perS('naive_insert'),
    },
  });
} finally {
  await sql.exec(`DROP SCHEMA IF EXISTS ${q} CASCADE`).catch(() => {});
  await meter.end();
  await pool.end();
}
