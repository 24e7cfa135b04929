// Scenario 3, hostile input: generated records go through validateBatch → dead letters (with a reason) or
// merge → the database's refusals → dead letters. Every record must end up loaded or dead-lettered; loaded rows
// must be stored exactly as validated; nothing may crash; no prototype may be polluted.
import { createSqlClient, quoteIdentifier } from '@pipewright/core';
import { createPostgresDeadLetterQueue, type DeadLetterInput } from '@pipewright/dlq';
import { bigintId, decimalString, isoTimestamp, validateBatch } from '@pipewright/quality';
import { defineTable, merge } from '@pipewright/writers';
import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { z } from 'zod';
import { PG_URL, uniqueName } from '../../helpers/env.ts';
import { hostileRecords } from '../lib/hostile-records.ts';
import type { ScenarioResult } from '../lib/report.ts';

const Order = z.object({
  id: bigintId(),
  amount: decimalString({ precision: 18, scale: 2 }),
  status: z.enum(['new', 'paid', 'shipped']),
  placed_at: isoTimestamp(),
  note: z.string().max(10_000),
  payload: z.record(z.string(), z.json()),
});

export interface HostileOptions {
  records: number;
  seed: number;
  batchSize?: number;
  pgUrl?: string;
}

const prototypes = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const snapshot = (): string => prototypes.map((p) => Object.getOwnPropertyNames(p).sort().join(',')).join('|');

export async function hostileScenario(options: HostileOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const schema = uniqueName('pw_rel_hostile');
  const pool = new pg.Pool({ connectionString: options.pgUrl ?? PG_URL, max: 3 });
  const sql = createSqlClient(pool, { copyStreams });
  const q = quoteIdentifier(schema);
  const target = defineTable({
    table: { schema, name: 'hostile_tgt' },
    columns: {
      id: 'bigint',
      amount: 'numeric(18,2)',
      status: 'text',
      placed_at: 'timestamptz',
      note: 'text',
      payload: 'jsonb',
    },
    key: 'id',
  });
  const problems: string[] = [];
  const before = snapshot();
  const expected = new Map<
    string,
    { amount: string; status: string; placed_at: number; note: string; payload: string }
  >();
  let total = 0;
  let crashed = 0;
  let validRejectedByDb = 0;
  let lostLetters = 0;
  try {
    await sql.exec(`CREATE SCHEMA ${q}; CREATE TABLE ${q}.hostile_tgt (id bigint PRIMARY KEY, amount numeric(18,2),
      status text, placed_at timestamptz, note text, payload jsonb)`);
    const dlq = createPostgresDeadLetterQueue({ sql, schema });
    await dlq.setup();
    const batchSize = options.batchSize ?? 2000;
    const thrown = new Set<string>();
    // Bisects a chunk the queue refuses, down to the records it cannot take: each of them is a lost dead letter.
    const sendSafely = async (chunk: DeadLetterInput[]): Promise<void> => {
      try {
        await dlq.sendMany(chunk);
      } catch (error) {
        const what = `${(error as Error).name}: ${(error as Error).message.slice(0, 100)}`;
        if (chunk.length > 1) {
          const half = chunk.length >> 1;
          await sendSafely(chunk.slice(0, half));
          await sendSafely(chunk.slice(half));
          return;
        }
        lostLetters++;
        if (!thrown.has(what)) {
          thrown.add(what);
          problems.push(`the dead-letter queue refused a record (${what}): ${describe(chunk[0]?.record)}`);
        }
      }
    };
    for (let offset = 0; offset < options.records; offset += batchSize) {
      const n = Math.min(batchSize, options.records - offset);
      const batch = hostileRecords(n, options.seed + offset, 1_000_000 + offset);
      total += n;
      const letter = (index: number, record: unknown, reason: string): DeadLetterInput => ({
        record,
        error: new Error(reason),
        pipeline: 'hostile',
        step: 'load',
        idempotencyKey: `hostile:${offset + index}`,
      });
      try {
        const letters: DeadLetterInput[] = [];
        const { valid, rejected } = await validateBatch(batch, Order, { drift: 'quarantine' });
        for (const r of rejected) letters.push(letter(r.index, r.record, r.reason));
        const validIndex = new Map<unknown, number>();
        const validSet = new Set(rejected.map((r) => r.index));
        let v = 0;
        for (let i = 0; i < batch.length; i++) if (!validSet.has(i)) validIndex.set(valid[v++], i);
        const written = await merge(sql, target, valid as Record<string, unknown>[]);
        for (const f of written.rejected) {
          letters.push(
            letter(validIndex.get(f.record) ?? -1 - f.index, f.record, `refused by the database: ${f.reason}`),
          );
        }
        validRejectedByDb += written.rejected.length;
        const refused = new Set(written.rejected.map((f) => f.record));
        for (const row of valid) {
          if (refused.has(row)) continue;
          expected.set(String(row.id), {
            amount: normaliseDecimal(row.amount),
            status: row.status,
            placed_at: row.placed_at.getTime(),
            note: row.note,
            payload: canonicalJson(row.payload),
          });
        }
        for (let i = 0; i < letters.length; i += 500) await sendSafely(letters.slice(i, i + 500));
      } catch (error) {
        crashed += n;
        problems.push(`batch at ${offset} crashed: ${(error as Error).stack?.slice(0, 600)}`);
      }
    }
    // Loaded rows, read back and compared with what validation produced.
    let changed = 0;
    let unexpectedRows = 0;
    const changes: string[] = [];
    for await (const rows of sql.stream<{
      id: string;
      amount: string;
      status: string;
      placed_at: Date;
      note: string;
      payload: string;
    }>(
      `SELECT id::text AS id, amount::text AS amount, status, placed_at, note, payload::text AS payload FROM ${q}.hostile_tgt`,
      [],
      { batchSize: 5000 },
    )) {
      for (const row of rows) {
        const want = expected.get(row.id);
        if (!want) {
          unexpectedRows++;
          continue;
        }
        const got = {
          amount: normaliseDecimal(row.amount),
          status: row.status,
          placed_at: row.placed_at.getTime(),
          note: row.note,
          payload: canonicalJson(JSON.parse(row.payload)),
        };
        for (const k of Object.keys(want) as (keyof typeof want)[]) {
          if (want[k] !== got[k]) {
            changed++;
            if (changes.length < 5)
              changes.push(
                `id ${row.id} ${k}: sent ${JSON.stringify(want[k]).slice(0, 80)}, stored ${JSON.stringify(got[k]).slice(0, 80)}`,
              );
            break;
          }
        }
      }
    }
    const { rows: counts } = await sql.query<{
      loaded: number;
      letters: number;
      reasonless: number;
      distinct_letters: number;
    }>(
      `SELECT (SELECT count(*) FROM ${q}.hostile_tgt)::int AS loaded,
              (SELECT count(*) FROM ${q}.dead_letters)::int AS letters,
              (SELECT count(DISTINCT idempotency_key) FROM ${q}.dead_letters)::int AS distinct_letters,
              (SELECT count(*) FROM ${q}.dead_letters WHERE coalesce(error_message, '') = '')::int AS reasonless`,
    );
    const c = counts[0] as NonNullable<(typeof counts)[0]>;
    const lost = Math.max(0, total - c.loaded - c.letters);
    if (lostLetters > 0) problems.push(`${lostLetters} records neither loaded nor dead-lettered`);
    const duplicated = Math.max(0, c.loaded + c.letters - total);
    if (c.loaded + c.letters !== total) problems.push(`in ${total} ≠ loaded ${c.loaded} + dead-lettered ${c.letters}`);
    if (c.reasonless > 0) problems.push(`${c.reasonless} dead letters without a reason`);
    if (changed > 0) problems.push(`${changed} loaded rows differ from the validated record: ${changes.join('; ')}`);
    if (unexpectedRows > 0) problems.push(`${unexpectedRows} loaded rows nobody validated`);
    const after = snapshot();
    if (after !== before || ({} as Record<string, unknown>).polluted !== undefined)
      problems.push('a prototype was polluted');
    return {
      scenario: 'hostile_input',
      iterations: total,
      faults: total - c.loaded,
      rowsChecked: c.loaded + c.letters,
      lost: lost + crashed,
      duplicated,
      ok: problems.length === 0,
      notes: [
        ...problems,
        `${c.loaded} loaded, ${c.letters} dead-lettered (${validRejectedByDb} refused by the database after validation)`,
      ],
      seconds: (performance.now() - started) / 1000,
      extra: { loaded: c.loaded, dead_lettered: c.letters, refused_by_database: validRejectedByDb, changed },
    };
  } finally {
    await sql.exec(`DROP SCHEMA IF EXISTS ${q} CASCADE`).catch(() => {});
    await pool.end();
  }
}

function describe(record: unknown): string {
  try {
    const text = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(record);
    return text.length > 160 ? `${text.slice(0, 160)}… (${text.length} chars)` : text;
  } catch (error) {
    return `(unprintable: ${(error as Error).message})`;
  }
}

function normaliseDecimal(text: string): string {
  const negative = text.startsWith('-');
  const [int = '0', frac = ''] = text.replace(/^[-+]/, '').split('.');
  const i = int.replace(/^0+(?=\d)/, '');
  const f = frac.padEnd(2, '0');
  return `${negative && /[1-9]/.test(i + f) ? '-' : ''}${i}.${f}`;
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}
