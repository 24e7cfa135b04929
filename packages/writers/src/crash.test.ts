// Node project only (real PostgreSQL): connections are killed with pg_terminate_backend mid-write.
import { createSqlClient, type SqlClient } from '@pipewright/core';
import type pg from 'pg';
import * as copyStreams from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KillablePool, killablePool } from '../../../test/helpers/pg-kill.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { appendDedup } from './append-dedup.ts';
import { createTable } from './create-table.ts';
import { deleteInsert } from './delete-insert.ts';
import { merge } from './merge.ts';
import { replacePartition } from './replace-partition.ts';
import { defineTable, type WriterTable } from './table.ts';

const db = useTestDatabase();
let killable: KillablePool;
let writer: SqlClient;

beforeAll(() => {
  killable = killablePool({ searchPath: db.schema });
  writer = createSqlClient(killable.pool, { copyStreams });
});
afterAll(() => killable.end());

const table = (name: string): WriterTable =>
  defineTable({
    table: { schema: db.schema, name },
    columns: { id: 'bigint', day: 'date', label: 'text' },
    key: 'id',
  });

interface Row {
  id: number;
  day: string;
  label: string;
}

function rows(count: number, label: string, day = '2026-01-02', from = 1): Row[] {
  return Array.from({ length: count }, (_, i) => ({ id: from + i, day, label }));
}

/** The same rows, but reading row `at` fires the termination of the writer's backend, mid-stream. */
function killedWhileStreaming(source: Row[], at: number): Row[] {
  const copy = [...source];
  const row = source[at] as Row;
  let fired = false;
  copy[at] = {
    id: row.id,
    day: row.day,
    get label() {
      if (!fired) {
        fired = true;
        killable.terminateSync(); // blocking: the kill lands before the next row is encoded
      }
      return row.label;
    },
  };
  return copy;
}

/** Holds a SHARE lock on the table so the writer blocks at its first write to it, then kills the writer. */
async function killedAtApply(name: string, write: () => Promise<unknown>): Promise<unknown> {
  const blocker = (await db.pool?.connect()) as pg.PoolClient;
  try {
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${db.qschema}.${name} IN SHARE MODE`);
    const outcome = write().then(
      () => 'committed',
      (error: unknown) => error,
    );
    await killable.terminateWhenWaiting();
    return await outcome;
  } finally {
    await blocker.query('ROLLBACK');
    blocker.release();
  }
}

async function snapshot(name: string) {
  const { rows: stored } = await db.sql.query(
    `SELECT id::int, day::text, label FROM ${db.qschema}.${name} ORDER BY id`,
  );
  return stored;
}

async function prepared(name: string, initial: Row[]): Promise<WriterTable> {
  const target = table(name);
  await createTable(db.sql, target);
  if (initial.length > 0) await merge(db.sql, target, initial);
  return target;
}

const terminated = expect.objectContaining({ message: expect.stringMatching(/terminat|Connection|ECONNRESET|EPIPE/i) });

describe('a writer whose connection is killed mid-write leaves all of the batch or none of it', () => {
  it('merge, killed while streaming rows into staging (update path)', async () => {
    const target = await prepared('m_stage', rows(3000, 'old'));
    const before = await snapshot('m_stage');
    const batch = rows(40_000, 'new');
    await expect(merge(writer, target, killedWhileStreaming(batch, 2000))).rejects.toEqual(terminated);
    expect(await snapshot('m_stage')).toEqual(before);
    await merge(db.sql, target, batch);
    expect((await snapshot('m_stage')).every((r) => r.label === 'new')).toBe(true);
  });

  it('merge, killed during the direct first load', async () => {
    const target = await prepared('m_direct', []);
    await expect(merge(writer, target, killedWhileStreaming(rows(40_000, 'new'), 2000))).rejects.toEqual(terminated);
    expect(await snapshot('m_direct')).toEqual([]);
  });

  it('merge, killed while applying', async () => {
    const target = await prepared('m_apply', rows(100, 'old'));
    const before = await snapshot('m_apply');
    expect(await killedAtApply('m_apply', () => merge(writer, target, rows(500, 'new')))).toEqual(terminated);
    expect(await snapshot('m_apply')).toEqual(before);
  });

  it('deleteInsert, killed while streaming and while deleting', async () => {
    const target = await prepared('di', rows(100, 'old'));
    const before = await snapshot('di');
    await expect(deleteInsert(writer, target, killedWhileStreaming(rows(40_000, 'new'), 2000))).rejects.toEqual(
      terminated,
    );
    expect(await killedAtApply('di', () => deleteInsert(writer, target, rows(500, 'new')))).toEqual(terminated);
    expect(await snapshot('di')).toEqual(before);
  });

  it('replacePartition of a plain table, killed while loading', async () => {
    const target = await prepared('rp', [...rows(100, 'old', '2026-01-01'), ...rows(100, 'old', '2026-01-02', 101)]);
    const before = await snapshot('rp');
    const range = { column: 'day', from: '2026-01-02', to: '2026-01-03' };
    await expect(
      replacePartition(writer, target, killedWhileStreaming(rows(40_000, 'new'), 2000), { range }),
    ).rejects.toEqual(terminated);
    expect(await snapshot('rp')).toEqual(before);
  });

  it('replacePartition of a native partition, killed while loading and while swapping', async () => {
    await db.sql.exec(`
      CREATE TABLE ${db.qschema}.np (id bigint NOT NULL, day date NOT NULL, label text) PARTITION BY LIST (day);
      CREATE TABLE ${db.qschema}.np_0102 PARTITION OF ${db.qschema}.np FOR VALUES IN ('2026-01-02');
      INSERT INTO ${db.qschema}.np SELECT g, '2026-01-02', 'old' FROM generate_series(1, 100) g;`);
    const target = table('np');
    const before = await snapshot('np');
    await expect(
      replacePartition(writer, target, killedWhileStreaming(rows(40_000, 'new'), 2000), { partition: 'np_0102' }),
    ).rejects.toEqual(terminated);
    expect(
      await killedAtApply('np', () => replacePartition(writer, target, rows(500, 'new'), { partition: 'np_0102' })),
    ).toEqual(terminated);
    expect(await snapshot('np')).toEqual(before);
    const { rows: leftovers } = await db.sql.query(
      `SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relname LIKE 'pw\\_%'`,
      [db.schema],
    );
    expect(leftovers).toEqual([]);
  });

  it('appendDedup, killed while streaming and while inserting', async () => {
    const target = table('ad');
    await createTable(db.sql, target, { hashColumn: 'row_hash' });
    await appendDedup(db.sql, target, rows(100, 'old'));
    const before = await snapshot('ad');
    await expect(
      appendDedup(writer, target, killedWhileStreaming(rows(40_000, 'new', '2026-01-02', 101), 2000)),
    ).rejects.toEqual(terminated);
    expect(await killedAtApply('ad', () => appendDedup(writer, target, rows(500, 'new', '2026-01-02', 101)))).toEqual(
      terminated,
    );
    expect(await snapshot('ad')).toEqual(before);
  });
});
