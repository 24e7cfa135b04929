import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { InFlightTimeoutError } from '../errors.ts';
import { memoryStateStore } from '../state/memory.ts';
import type { StateStore } from '../state/types.ts';
import { keysetPages } from './extract.ts';
import type { KeysetOptions } from './types.ts';

// Database time cannot be faked: the few sleeps here let real transactions interleave on the server.
const db = useTestDatabase({ poolSize: 12 });

async function drain(options: KeysetOptions): Promise<number[]> {
  const ids: number[] = [];
  for await (const page of keysetPages<{ id: number }>(db.sql, options)) {
    for (const row of page.rows) ids.push(row.id);
    await page.commit();
  }
  return ids.sort((a, b) => a - b);
}

let tables = 0;
async function freshTable(): Promise<{ name: string; sql: string }> {
  const name = `src_${++tables}`;
  const sql = `${db.qschema}.${name}`;
  await db.sql.exec(`CREATE TABLE ${sql} (id int PRIMARY KEY, version int NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()); CREATE INDEX ON ${sql} (updated_at, id);`);
  return { name, sql };
}

async function connect(): Promise<pg.PoolClient> {
  return (db.pool as pg.Pool).connect();
}

describe('late commits', () => {
  it('waits for transactions in flight at the upper bound, so an out-of-order commit is not missed', async () => {
    const t = await freshTable();
    const options = (state: StateStore, waitForInFlight: boolean): KeysetOptions => ({
      source: { table: `${db.schema}.${t.name}` },
      cursor: 'updated_at',
      key: 'id',
      state,
      stateKey: 'k',
      waitForInFlight,
    });
    const a = await connect();
    const b = await connect();
    try {
      // A starts first (older timestamp) and commits last.
      await a.query('BEGIN');
      await a.query(`INSERT INTO ${t.sql} (id) VALUES (1)`);
      await b.query(`INSERT INTO ${t.sql} (id) VALUES (2)`);
      const state = memoryStateStore();
      let finished = false;
      const run = drain(options(state, true)).finally(() => {
        finished = true;
      });
      await sleep(150);
      expect(finished).toBe(false); // still waiting for A
      await a.query('COMMIT');
      expect(await run).toEqual([1, 2]);
      expect(await drain(options(state, true))).toEqual([]);

      // The same race without the wait loses A's row for good: what this option prevents.
      await a.query('BEGIN');
      await a.query(`INSERT INTO ${t.sql} (id) VALUES (3)`);
      await b.query(`INSERT INTO ${t.sql} (id) VALUES (4)`);
      const unsafe = memoryStateStore();
      await unsafe.commit('k', (await state.get('k'))?.position);
      expect(await drain(options(unsafe, false))).toEqual([4]);
      await a.query('COMMIT');
      expect(await drain(options(unsafe, false))).toEqual([]);
      expect(await drain(options(state, true))).toEqual([3, 4]);
    } finally {
      a.release();
      b.release();
    }
  });

  it('gives up with a transient InFlightTimeoutError when a writer stays open past inFlightTimeout', async () => {
    const t = await freshTable();
    const a = await connect();
    try {
      await db.sql.query(`INSERT INTO ${t.sql} (id) VALUES (2)`);
      await a.query('BEGIN');
      await a.query(`INSERT INTO ${t.sql} (id) VALUES (1)`);
      const { rows } = await a.query<{ xid: string; vxid: string }>(
        `SELECT pg_current_xact_id()::text AS xid, virtualxid AS vxid FROM pg_locks
         WHERE locktype = 'virtualxid' AND pid = pg_backend_pid()`,
      );
      const base = {
        cursor: 'updated_at',
        key: 'id',
        state: memoryStateStore(),
        stateKey: 'k',
        inFlightTimeout: 100,
        pollInterval: 20,
      };
      // A table source waits for the writers of that table (their virtual transaction ids)…
      const byTable = await drain({ ...base, source: { table: `${db.schema}.${t.name}` } }).catch((e: unknown) => e);
      expect(byTable).toBeInstanceOf(InFlightTimeoutError);
      expect((byTable as InFlightTimeoutError).xids).toEqual([rows[0]?.vxid]);
      expect((byTable as InFlightTimeoutError).kind).toBe('transient');
      // …a query source, for every older transaction id of the cluster.
      const byFence = await drain({ ...base, source: { query: `SELECT * FROM ${t.sql}` } }).catch((e: unknown) => e);
      expect(byFence).toBeInstanceOf(InFlightTimeoutError);
      expect((byFence as InFlightTimeoutError).xids).toContain(rows[0]?.xid);
      // Naming the tables of a query narrows the wait to their writers.
      const named = await drain({
        ...base,
        source: { query: `SELECT * FROM ${t.sql}` },
        waitFor: [`${db.schema}.${t.name}`],
      }).catch((e: unknown) => e);
      expect((named as InFlightTimeoutError).xids).toEqual([rows[0]?.vxid]);
    } finally {
      await a.query('ROLLBACK');
      a.release();
    }
  });

  it('holds the bound `lag` ms behind the database clock for transactions that write late', async () => {
    const t = await freshTable();
    const a = await connect();
    try {
      // A's timestamp is fixed when it begins, but it gets a transaction id only when it first writes.
      await a.query('BEGIN');
      await a.query('SELECT now()');
      await sleep(20);
      await db.sql.query(`INSERT INTO ${t.sql} (id) VALUES (2)`);
      const state = memoryStateStore();
      const options: KeysetOptions = {
        source: { table: `${db.schema}.${t.name}` },
        cursor: 'updated_at',
        key: 'id',
        state,
        stateKey: 'k',
        lag: 400,
      };
      expect(await drain(options)).toEqual([]); // row 2 is younger than the lag
      await a.query(`INSERT INTO ${t.sql} (id) VALUES (1)`);
      await a.query('COMMIT');
      await sleep(450);
      expect(await drain(options)).toEqual([1, 2]);
    } finally {
      a.release();
    }
  });
});

describe('property: concurrent writers, equal timestamps, late commits', () => {
  const writer = fc.record({
    inserts: fc.integer({ min: 0, max: 6 }),
    updates: fc.uniqueArray(fc.integer({ min: 1, max: 20 }), { maxLength: 4 }),
    writeDelay: fc.integer({ min: 0, max: 30 }),
    commitDelay: fc.integer({ min: 0, max: 80 }),
    rollback: fc.boolean(),
  });

  it('extracts exactly the source at its latest version, each version once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(writer, { minLength: 2, maxLength: 7 }),
        fc.integer({ min: 1, max: 9 }),
        async (writers, pageSize) => {
          const t = await freshTable();
          // 20 rows that share one timestamp.
          await db.sql.query(`INSERT INTO ${t.sql} (id) SELECT generate_series(1, 20)`);
          let nextId = 21;
          const state = memoryStateStore();
          const target = new Map<number, number>();
          const seen = new Set<string>();
          const options: KeysetOptions = {
            source: { table: `${db.schema}.${t.name}` },
            cursor: 'updated_at',
            key: 'id',
            state,
            stateKey: 'p',
            pageSize,
            lag: 150,
          };
          const runOnce = async (): Promise<void> => {
            for await (const page of keysetPages<{ id: number; version: number }>(db.sql, options)) {
              for (const row of page.rows) {
                const version = `${row.id}@${row.version}`;
                expect(seen.has(version)).toBe(false);
                seen.add(version);
                target.set(row.id, row.version);
              }
              await page.commit();
            }
          };
          let writing = true;
          const extractor = (async () => {
            while (writing) await runOnce();
          })();
          await Promise.all(
            writers.map(async (w) => {
              const client = await connect();
              try {
                await client.query('BEGIN');
                await client.query('SELECT now()');
                await sleep(w.writeDelay);
                const ids = Array.from({ length: w.inserts }, () => nextId++);
                // Every row of one transaction carries the same now(): equal timestamps again.
                if (ids.length > 0) await client.query(`INSERT INTO ${t.sql} (id) SELECT unnest($1::int[])`, [ids]);
                const updates = [...w.updates].sort((x, y) => x - y);
                if (updates.length > 0) {
                  await client.query(
                    `UPDATE ${t.sql} SET version = version + 1, updated_at = now() WHERE id = ANY($1::int[])`,
                    [updates],
                  );
                }
                await sleep(w.commitDelay);
                await client.query(w.rollback ? 'ROLLBACK' : 'COMMIT');
              } finally {
                client.release();
              }
            }),
          );
          writing = false;
          await extractor;
          await sleep(160); // let the last commits age past the lag
          await runOnce();
          const { rows } = await db.sql.query<{ id: number; version: number }>(`SELECT id, version FROM ${t.sql}`);
          expect(new Map(rows.map((r) => [r.id, r.version]))).toEqual(target);
        },
      ),
      { numRuns: 8 },
    );
  });
});
