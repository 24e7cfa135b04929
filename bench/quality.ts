// `npm run bench -- quality`: validateBatch versus a raw `safeParse` loop (its limit) and a hand-written type
// check, over BENCH_SCALE standard records with 1% invalid; then SQL-pushed `unique` + `not_null` on a
// BENCH_SCALE-row table versus the same checks done by streaming the rows into Node.
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import { notNull, runSqlChecks, unique, validateBatch } from '@pipewright/quality';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { z } from 'zod';
import { benchRuns, benchScale, interleave, report } from './lib/harness.ts';
import { type StandardRecord, standardRecords } from './lib/records.ts';

const scale = benchScale(1_000_000);
const runs = benchRuns();
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const STATUSES = ['new', 'paid', 'shipped', 'cancelled', 'refunded'] as const;
const schema = z.object({
  id: z.bigint(),
  customer_id: z.bigint(),
  amount: z.string().regex(/^\d+\.\d{2}$/),
  currency: z.string().length(3),
  status: z.enum(STATUSES),
  updated_at: z.date(),
  payload: z.strictObject({ channel: z.string(), items: z.number().int(), note: z.string() }),
});
// validateBatch makes the top level strict itself; the raw loop gets the same strict schema, for a fair limit.
const strictSchema = schema.strict();

// 1% invalid: the amount arrives as a float, the classic upstream regression.
const records: unknown[] = [];
for (const record of standardRecords(scale)) {
  records.push(record.id % 100n === 0n ? { ...record, amount: Number(record.amount) } : record);
}

const AMOUNT = /^\d+\.\d{2}$/;
const STATUS_SET = new Set<string>(STATUSES);
const KEYS = 7;
function handWritten(value: unknown): value is StandardRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  let keys = 0;
  for (const _k in r) keys++;
  const p = r.payload as Record<string, unknown> | null;
  return (
    keys === KEYS &&
    typeof r.id === 'bigint' &&
    typeof r.customer_id === 'bigint' &&
    typeof r.amount === 'string' &&
    AMOUNT.test(r.amount) &&
    typeof r.currency === 'string' &&
    r.currency.length === 3 &&
    typeof r.status === 'string' &&
    STATUS_SET.has(r.status) &&
    r.updated_at instanceof Date &&
    !Number.isNaN(r.updated_at.getTime()) &&
    typeof p === 'object' &&
    p !== null &&
    typeof p.channel === 'string' &&
    Number.isInteger(p.items) &&
    typeof p.note === 'string'
  );
}

const expectedInvalid = Math.floor(scale / 100);
function expectCounts(valid: number, invalid: number): void {
  if (invalid !== expectedInvalid || valid !== scale - expectedInvalid) {
    throw new Error(`unexpected counts: ${valid} valid, ${invalid} invalid`);
  }
}

const validation = await interleave(
  [
    {
      name: 'raw_zod_safeparse',
      run: () => {
        const valid: unknown[] = [];
        const invalid: unknown[] = [];
        for (const record of records) {
          const result = strictSchema.safeParse(record);
          if (result.success) valid.push(result.data);
          else invalid.push({ record, issues: result.error.issues });
        }
        expectCounts(valid.length, invalid.length);
        return scale;
      },
    },
    {
      name: 'validate_batch',
      run: async () => {
        const result = await validateBatch(records, schema);
        expectCounts(result.valid.length, result.rejected.length);
        return scale;
      },
    },
    {
      name: 'hand_written',
      run: () => {
        const valid: unknown[] = [];
        const invalid: unknown[] = [];
        for (const record of records) {
          if (handWritten(record)) valid.push(record);
          else invalid.push(record);
        }
        expectCounts(valid.length, invalid.length);
        return scale;
      },
    },
  ],
  runs,
);
records.length = 0;

// SQL: the table has no primary key, so `unique` must really be computed.
const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const sql = createSqlClient(pool, { copyStreams });
const schemaName = `bench_quality_${process.pid}`;
const qschema = quoteIdentifier(schemaName);
const table = { schema: schemaName, name: 'orders' };
try {
  await sql.exec(`CREATE SCHEMA ${qschema};
    CREATE TABLE ${qschema}.orders (id bigint, customer_id bigint, amount numeric(18,2), currency text,
      status text, updated_at timestamptz, payload jsonb)`);
  function* copyLines(): Generator<string> {
    let chunk = '';
    for (const r of standardRecords(scale)) {
      chunk += `${r.id}\t${r.customer_id}\t${r.amount}\t${r.currency}\t${r.status}\t${r.updated_at.toISOString()}\t${JSON.stringify(r.payload)}\n`;
      if (chunk.length > 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await sql.copyFrom(`COPY ${qschema}.orders FROM STDIN`, copyLines());
  await sql.exec(`ANALYZE ${qschema}.orders`);

  const checks = [unique('id'), notNull('customer_id')];
  const sqlChecks = await interleave(
    [
      {
        name: 'sql_unique_not_null',
        run: async () => {
          const results = await runSqlChecks(sql, table, checks);
          if (results.some((r) => r.status !== 'pass' || r.total !== scale)) throw new Error('unexpected SQL result');
          return scale;
        },
      },
      {
        name: 'in_memory_unique_not_null',
        run: async () => {
          // The best a loader can do in Node: stream only the two columns, count nulls and duplicates as it goes.
          const seen = new Set<string>();
          let duplicates = 0;
          let nulls = 0;
          let total = 0;
          for await (const batch of sql.stream<{ id: string | null; customer_id: string | null }>(
            `SELECT id, customer_id FROM ${qschema}.orders`,
            [],
            { batchSize: 10_000 },
          )) {
            for (const row of batch) {
              total++;
              if (row.customer_id === null) nulls++;
              if (row.id === null) continue;
              if (seen.has(row.id)) duplicates++;
              else seen.add(row.id);
            }
          }
          if (total !== scale || nulls !== 0 || duplicates !== 0) throw new Error('unexpected in-memory result');
          return scale;
        },
      },
    ],
    runs,
  );
  const { rows } = await sql.query<{ server_version: string }>('SHOW server_version');
  const cases = { ...validation, ...sqlChecks };
  report({
    name: 'quality',
    scale,
    runs,
    env: { postgres: String(rows[0]?.server_version).split(' ')[0] as string },
    cases,
    ratios: {
      validatebatch_vs_raw_zod: cases.validate_batch!.per_s! / cases.raw_zod_safeparse!.per_s!,
      validatebatch_vs_hand_written: cases.validate_batch!.per_s! / cases.hand_written!.per_s!,
      sql_checks_vs_in_memory: cases.sql_unique_not_null!.per_s! / cases.in_memory_unique_not_null!.per_s!,
    },
  });
} finally {
  await sql.exec(`DROP SCHEMA IF EXISTS ${qschema} CASCADE`);
  await pool.end();
}
