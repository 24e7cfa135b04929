import { hasErrorCode } from '@pipewright/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { CursorTypeError, UncommittedPageError } from '../errors.ts';
import { memoryStateStore } from '../state/memory.ts';
import { pgStateStore } from '../state/postgres.ts';
import type { StateStore } from '../state/types.ts';
import { keysetPages } from './extract.ts';
import type { KeysetOptions } from './types.ts';

const db = useTestDatabase({ poolSize: 8 });

async function drain(options: KeysetOptions): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let pages = 0;
  for await (const page of keysetPages<{ id: number }>(db.sql, options)) {
    for (const row of page.rows) ids.push(row.id);
    pages++;
    await page.commit();
  }
  return { ids, pages };
}

describe('keyset extraction on a timestamptz cursor', () => {
  let t: string;
  beforeAll(async () => {
    t = `${db.qschema}.events`;
    await db.sql.exec(`CREATE TABLE ${t} (id int PRIMARY KEY, updated_at timestamptz NOT NULL);
      CREATE INDEX ON ${t} (updated_at, id);`);
    // 60 rows over 6 distinct instants that differ only in microseconds: a JS Date would merge them.
    await db.sql.query(
      `INSERT INTO ${t} SELECT i, '2026-03-01T10:00:00.123000Z'::timestamptz + ((i % 6) * interval '1 microsecond')
       FROM generate_series(1, 60) AS i`,
    );
  });

  it('reads every row exactly once across pages that split runs of equal timestamps', async () => {
    const state = memoryStateStore();
    const options: KeysetOptions = {
      source: { table: `${db.schema}.events` },
      cursor: 'updated_at',
      key: 'id',
      state,
      stateKey: 'e',
      pageSize: 7,
    };
    const first = await drain(options);
    expect(first.ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(first.pages).toBe(9);
    expect((await state.get('e'))?.position).toEqual({ cursor: '2026-03-01T10:00:00.123005Z', key: ['59'] });
    expect((await drain(options)).ids).toEqual([]);
    await db.sql.query(
      `INSERT INTO ${t} VALUES (61, '2026-03-01T10:00:00.123005Z'), (62, '2026-03-01T10:00:00.123004Z'), (0, now())`,
    );
    // 61 sorts after the position (same instant, larger key), 0 has a later instant; 62 is behind the position.
    expect((await drain(options)).ids).toEqual([61, 0]);
  });

  it('keeps microseconds whatever the session time zone is', async () => {
    const state = memoryStateStore();
    const source = { query: `SELECT * FROM ${t} WHERE id BETWEEN 1 AND $1`, params: [12] };
    await db.sql.transaction(async (tx) => {
      await tx.query(`SET LOCAL TimeZone = 'America/Los_Angeles'`);
      const pages = keysetPages<{ id: number }>(tx, {
        source,
        waitFor: [{ schema: db.schema, name: 'events' }],
        cursor: 'updated_at',
        key: ['id'],
        state,
        stateKey: 'tz',
        pageSize: 5,
      });
      for await (const page of pages) {
        expect(page.position.cursor).toMatch(/^2026-03-01T10:00:00\.12300\dZ$/);
        await page.commit();
      }
    });
    expect((await state.get('tz'))?.position).toEqual({ cursor: '2026-03-01T10:00:00.123005Z', key: ['11'] });
  });

  it('refuses to fetch the next page before the previous one is committed', async () => {
    const state = memoryStateStore();
    const pages = keysetPages(db.sql, {
      source: { table: `${db.schema}.events` },
      cursor: 'updated_at',
      key: 'id',
      state,
      stateKey: 'u',
      pageSize: 10,
    });
    await pages.next();
    const error = await pages.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UncommittedPageError);
    expect(await state.get('u')).toBeUndefined();
  });

  it('checkpoints every N pages, always after the last page, and on an early break', async () => {
    const commits: unknown[] = [];
    const inner = memoryStateStore();
    const state: StateStore = {
      ...inner,
      commit: async (k, p, o) => {
        commits.push(p);
        await inner.commit(k, p, o);
      },
    };
    const options: KeysetOptions = {
      source: { table: `${db.schema}.events` },
      cursor: 'updated_at',
      key: 'id',
      state,
      stateKey: 'c',
      pageSize: 10,
      checkpointEvery: 3,
    };
    await drain({ ...options, stateKey: 'c' });
    expect(commits).toHaveLength(3); // 7 pages: after the 3rd, the 6th and the last
    commits.length = 0;
    for await (const page of keysetPages(db.sql, { ...options, stateKey: 'd' })) {
      await page.commit();
      if (page.index === 1) break;
    }
    expect(commits).toHaveLength(1);
    expect((await inner.get('d'))?.position).toMatchObject({ key: [expect.any(String)] });
  });

  it('leaves no read-ahead running once the caller stops early', async () => {
    const ids: number[] = [];
    for await (const page of keysetPages<{ id: number }>(db.sql, {
      source: { table: `${db.schema}.events` },
      cursor: 'updated_at',
      key: 'id',
      state: memoryStateStore(),
      stateKey: 'r',
      pageSize: 10,
    })) {
      ids.push(...page.rows.map((row) => row.id));
      await page.commit();
      if (page.index === 1) break;
    }
    expect(new Set(ids).size).toBe(20);
    // On a pool the third page was being read ahead; the generator waited for it, so no connection is still busy.
    if (db.pool) expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
  });

  it('writes the position inside the caller transaction with the PostgreSQL store', async () => {
    const state = pgStateStore(db.sql, { schema: db.schema });
    await state.migrate();
    await db.sql.exec(`CREATE TABLE ${db.qschema}.copy (id int PRIMARY KEY)`);
    const options: KeysetOptions = {
      source: { table: `${db.schema}.events` },
      cursor: 'updated_at',
      key: 'id',
      state,
      stateKey: 'tx',
      pageSize: 25,
    };
    let failed = false;
    try {
      for await (const page of keysetPages<{ id: number }>(db.sql, options)) {
        await db.sql.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${db.qschema}.copy SELECT unnest($1::int[])`, [page.rows.map((r) => r.id)]);
          await page.commit(tx);
          if (page.index === 1) throw new Error('the writer fails after commit(tx), before COMMIT');
        });
      }
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    const position = (await state.get('tx'))?.position as { key: string[] };
    const { rows } = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.qschema}.copy`);
    expect(rows[0]?.n).toBe(25); // only the first page, and the state says so
    const rest = await drain(options);
    const total = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
    expect(rest.ids).toHaveLength((total.rows[0]?.n as number) - 25);
    expect(position.key).toHaveLength(1);
  });
});

describe('cursor types', () => {
  it('supports date and bigint cursors; refuses lag on integers and unsupported types', async () => {
    await db.sql.exec(
      `CREATE TABLE ${db.qschema}.typed (id bigint PRIMARY KEY, day date, seq bigint, label text, local timestamp)`,
    );
    await db.sql.query(
      `INSERT INTO ${db.qschema}.typed SELECT i, DATE '2026-01-01' + (i % 3), i * 10, 'x', TIMESTAMP '2026-01-01 12:00' + i * interval '1 second'
       FROM generate_series(1, 20) AS i`,
    );
    const table = { table: { schema: db.schema, name: 'typed' } };
    const state = memoryStateStore();
    expect(
      (await drain({ source: table, cursor: 'day', key: 'id', state, stateKey: 'day', pageSize: 4 })).ids,
    ).toHaveLength(20);
    expect((await state.get('day'))?.position).toEqual({ cursor: '2026-01-03', key: ['20'] });
    expect(
      (await drain({ source: table, cursor: 'seq', key: 'id', state, stateKey: 'seq', pageSize: 6 })).ids,
    ).toHaveLength(20);
    expect((await state.get('seq'))?.position).toEqual({ cursor: '200', key: ['20'] });
    await expect(
      drain({ source: table, cursor: 'seq', key: 'id', state, stateKey: 'lag', lag: 10 }),
    ).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
    const text = await drain({ source: table, cursor: 'label', key: 'id', state, stateKey: 'l' }).catch(
      (e: unknown) => e,
    );
    expect(text).toBeInstanceOf(CursorTypeError);
    const local = await drain({ source: table, cursor: 'local', key: 'id', state, stateKey: 'loc' }).catch(
      (e: unknown) => e,
    );
    expect(hasErrorCode(local, 'PW_WATERMARK_CURSOR_TYPE')).toBe(true);
    expect((local as Error).message).toMatch(/timeZone/);
    await expect(
      drain({ source: table, cursor: 'local', key: 'id', state, stateKey: 'bad', timeZone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
    // 2026-01-01 12:00:20 in Paris is 11:00:20 UTC.
    expect(
      (
        await drain({
          source: table,
          cursor: 'local',
          key: 'id',
          state,
          stateKey: 'paris',
          timeZone: 'Europe/Paris',
          pageSize: 7,
        })
      ).ids,
    ).toHaveLength(20);
    expect((await state.get('paris'))?.position).toEqual({ cursor: '2026-01-01T11:00:20.000000Z', key: ['20'] });
  });

  it('validates options up front', async () => {
    const state = memoryStateStore();
    const base = { source: { table: 'x' }, cursor: 'c', key: 'id', state, stateKey: 'k' };
    for (const bad of [
      { pageSize: 0 },
      { key: [] },
      { stateKey: '' },
      { lag: -1 },
      { checkpointEvery: 1.5 },
      { source: { query: ' ' } },
      { lease: { owner: '' } },
    ]) {
      await expect(drain({ ...base, ...bad } as KeysetOptions)).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
    }
    await expect(drain({ ...base, source: { table: 'bad;name' } })).rejects.toMatchObject({
      code: 'PW_INVALID_IDENTIFIER',
    });
  });

  it('applies statement_timeout to each read', async () => {
    const state = memoryStateStore();
    const source = { query: `SELECT id, seq, pg_sleep(0.2) AS slow FROM ${db.qschema}.typed` };
    const error = await drain({ source, cursor: 'seq', key: 'id', state, stateKey: 'st', statementTimeout: 50 }).catch(
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('57014');
  });
});
