// Node project only (real PostgreSQL): several connections at once.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL } from '../../../test/helpers/env.ts';
import { useTestDatabase } from '../../../test/helpers/sql.ts';
import { createTable } from './create-table.ts';
import { merge } from './merge.ts';
import { replacePartition } from './replace-partition.ts';
import { defineTable } from './table.ts';

const db = useTestDatabase({ poolSize: 6 });
const readerPool = new pg.Pool({ connectionString: PG_URL, max: 1 });
afterAll(() => readerPool.end());

const keyed = (name: string) =>
  defineTable({ table: { schema: db.schema, name }, columns: { id: 'bigint', day: 'date', label: 'text' }, key: 'id' });

describe('concurrent writers', () => {
  it('two merges of overlapping keys, in opposite input orders, never deadlock', async () => {
    const target = keyed('overlap');
    await createTable(db.sql, target);
    const batch = (label: string, reverse: boolean) => {
      const list = Array.from({ length: 3000 }, (_, i) => ({ id: i + 1, day: '2026-01-01', label }));
      return reverse ? list.reverse() : list;
    };
    for (let round = 0; round < 4; round++) {
      const results = await Promise.allSettled([
        merge(db.sql, target, batch(`a${round}`, false)),
        merge(db.sql, target, batch(`b${round}`, true)),
        merge(db.sql, target, batch(`c${round}`, round % 2 === 0)),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    }
    const { rows } = await db.sql.query(
      `SELECT count(*)::int AS n, count(DISTINCT label)::int AS labels FROM ${db.qschema}.overlap`,
    );
    expect(rows[0]).toMatchObject({ n: 3000 });
  });

  it('two first loads (direct COPY path) of overlapping keys both succeed, one after the other', async () => {
    const target = keyed('firstloads');
    await createTable(db.sql, target);
    const batch = (label: string, reverse: boolean) => {
      const list = Array.from({ length: 12_000 }, (_, i) => ({ id: i + 1, day: '2026-01-01', label }));
      return reverse ? list.reverse() : list;
    };
    const [a, b] = await Promise.all([
      merge(db.sql, target, batch('a', false)),
      merge(db.sql, target, batch('b', true)),
    ]);
    expect(a.inserted + b.inserted).toBe(12_000);
    expect(a.updated + b.updated).toBe(12_000); // the later one found every key and updated it
    const { rows } = await db.sql.query(
      `SELECT count(*)::int AS n, count(DISTINCT label)::int AS labels FROM ${db.qschema}.firstloads`,
    );
    expect(rows[0]).toEqual({ n: 12_000, labels: 1 });
  });
});

describe('partition swap seen by a concurrent reader', () => {
  async function observe(read: string, swap: (label: string, count: number) => Promise<unknown>) {
    const seen = new Set<string>();
    let done = false;
    const reader = (async () => {
      while (!done) {
        const { rows } = await readerPool.query(read);
        seen.add(`${rows[0].n}:${rows[0].labels}`);
      }
    })();
    try {
      for (let i = 0; i < 6; i++) await swap(i % 2 === 0 ? 'B' : 'A', i % 2 === 0 ? 1500 : 1000);
    } finally {
      done = true;
      await reader;
    }
    return seen;
  }
  const read = (name: string) =>
    `SELECT count(*)::int AS n, string_agg(DISTINCT label, ',') AS labels FROM ${db.qschema}.${name} WHERE day = '2026-01-02'`;
  const rows = (label: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({ id: 10_000 + i, day: '2026-01-02', label }));

  it('native partitions: the reader sees the whole old partition or the whole new one, never a gap or a mix', async () => {
    await db.sql.exec(`
      CREATE TABLE ${db.qschema}.swapped (id bigint NOT NULL, day date NOT NULL, label text) PARTITION BY RANGE (day);
      CREATE TABLE ${db.qschema}.swapped_0102 PARTITION OF ${db.qschema}.swapped FOR VALUES FROM ('2026-01-02') TO ('2026-01-03');
      CREATE INDEX ON ${db.qschema}.swapped (id);`);
    const target = keyed('swapped');
    await replacePartition(db.sql, target, rows('A', 1000), { partition: 'swapped_0102' });
    const seen = await observe(read('swapped'), (label, count) =>
      replacePartition(db.sql, target, rows(label, count), { partition: 'swapped_0102' }),
    );
    expect([...seen].sort()).toEqual(['1000:A', '1500:B']);
  });

  it('plain tables: the same, through delete + load in one transaction', async () => {
    const target = keyed('plainswap');
    await createTable(db.sql, target);
    const range = { column: 'day', from: '2026-01-02', to: '2026-01-03' };
    await replacePartition(db.sql, target, rows('A', 1000), { range });
    const seen = await observe(read('plainswap'), (label, count) =>
      replacePartition(db.sql, target, rows(label, count), { range }),
    );
    expect([...seen].sort()).toEqual(['1000:A', '1500:B']);
  });
});
