import { FakeClock } from '@pipewright/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { StaleLeaseError } from '../errors.ts';
import { keysetPages } from '../keyset/extract.ts';
import { type PgStateStore, pgStateStore } from '../state/postgres.ts';
import { partitionedPages } from './pages.ts';
import { type PgPartitions, pgPartitions } from './store.ts';

const db = useTestDatabase({ poolSize: 10 });
const clock = new FakeClock(1_700_000_000_000);
let state: PgStateStore;
let partitions: PgPartitions;
const source = (): { table: string } => ({ table: `${db.schema}.src` });
// 120 rows over 12 hours of 2026-01-01, 10 per hour, several per timestamp.
const windows = Array.from({ length: 6 }, (_, i) => ({
  start: `2026-01-01T${String(i * 2).padStart(2, '0')}:00:00Z`,
  end: `2026-01-01T${String(i * 2 + 2).padStart(2, '0')}:00:00Z`,
}));

beforeAll(async () => {
  state = pgStateStore(db.sql, { schema: db.schema, clock });
  await state.migrate();
  partitions = pgPartitions(db.sql, { schema: db.schema, clock });
  await db.sql.exec(`CREATE TABLE ${db.qschema}.src (id int PRIMARY KEY, updated_at timestamptz NOT NULL);
    INSERT INTO ${db.qschema}.src SELECT i, '2026-01-01T00:00:00Z'::timestamptz + (i / 2) * interval '12 minutes'
      FROM generate_series(0, 119) AS i;`);
});

describe('backfill windows', () => {
  it('read [start, end) in parallel without touching the main position', async () => {
    await state.commit('main', { cursor: '2026-01-01T05:00:00.000000Z', key: ['50'] });
    const read = async (window: { start: string; end: string }, stateKey: string): Promise<number[]> => {
      const ids: number[] = [];
      for await (const page of keysetPages<{ id: number }>(db.sql, {
        source: source(),
        cursor: 'updated_at',
        key: 'id',
        state,
        stateKey,
        pageSize: 4,
        window,
      })) {
        ids.push(...page.rows.map((r) => r.id));
        await page.commit();
      }
      return ids;
    };
    const [a, b] = await Promise.all([
      read({ start: '2026-01-01T01:00:00Z', end: '2026-01-01T02:00:00Z' }, 'bf-1'),
      read({ start: '2026-01-01T02:00:00+00:00', end: '2026-01-01T03:00:00Z' }, 'bf-2'),
    ]);
    expect(a).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    expect(b).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    expect((await state.get('main'))?.position).toEqual({ cursor: '2026-01-01T05:00:00.000000Z', key: ['50'] });
    await expect(read({ start: 1 as never, end: 'x' }, 'bad')).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
  });
});

describe('partitions claimed by many workers', () => {
  it('each partition is read by exactly one worker and the low-watermark follows contiguous completions', async () => {
    expect(await partitions.plan('all', windows)).toHaveLength(6);
    expect(await partitions.plan('all', windows)).toHaveLength(6); // idempotent
    await expect(partitions.plan('all', windows.slice(1))).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
    const seen = new Map<number, string>();
    const claimed = new Map<number, string>();
    await Promise.all(
      ['w1', 'w2', 'w3'].map(async (owner) => {
        for await (const page of partitionedPages<{ id: number }>(db.sql, {
          partitions,
          job: 'all',
          owner,
          source: source(),
          cursor: 'updated_at',
          key: 'id',
          state,
          pageSize: 7,
          clock,
        })) {
          claimed.set(page.partition.id, owner);
          for (const row of page.rows) {
            expect(seen.has(row.id)).toBe(false);
            seen.set(row.id, owner);
          }
          await page.commit();
        }
      }),
    );
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(claimed.size).toBe(6);
    expect(await partitions.lowWatermark('all')).toBe('2026-01-01T12:00:00Z');
    expect((await partitions.list('all')).every((p) => p.done)).toBe(true);
  });

  it('reclaims a dead worker partition after its lease, resumes from its position, and fences the dead worker', async () => {
    await partitions.plan('dead', windows.slice(0, 3));
    expect(await partitions.lowWatermark('dead')).toBeUndefined();
    // Worker A: its heartbeat clock never moves (the process is frozen after its first page).
    const frozen = new FakeClock(clock.now());
    const a = partitionedPages<{ id: number }>(db.sql, {
      partitions,
      job: 'dead',
      owner: 'a',
      source: source(),
      cursor: 'updated_at',
      key: 'id',
      state,
      pageSize: 15,
      clock: frozen,
      ttlMs: 1000,
    });
    const first = await a.next();
    if (first.done) throw new Error('expected a page');
    expect(first.value.partition.id).toBe(1);
    await first.value.commit();
    const second = await a.next(); // A holds its second page of partition 1, then freezes
    if (second.done) throw new Error('expected a page');

    await clock.advance(1001);
    const ids: number[] = [];
    const parts: number[] = [];
    for await (const page of partitionedPages<{ id: number }>(db.sql, {
      partitions,
      job: 'dead',
      owner: 'b',
      source: source(),
      cursor: 'updated_at',
      key: 'id',
      state,
      pageSize: 15,
      clock,
      ttlMs: 1000,
    })) {
      ids.push(...page.rows.map((r) => r.id));
      parts.push(page.partition.id);
      await page.commit();
    }
    expect(ids).toEqual(Array.from({ length: 45 }, (_, i) => i + 15)); // B resumed after A's committed page
    expect(parts[0]).toBe(1);
    await expect(second.value.commit()).rejects.toBeInstanceOf(StaleLeaseError);
    await a.return(undefined);
    expect(await partitions.lowWatermark('dead')).toBe('2026-01-01T06:00:00Z');
  });

  it('leaves a partition whose window reaches past the upper bound open, and stops there', async () => {
    await partitions.plan('open', [
      windows[0] as { start: string; end: string },
      { start: '2026-01-01T02:00:00Z', end: '2999-01-01T00:00:00Z' },
    ]);
    const ids: number[] = [];
    for await (const page of partitionedPages<{ id: number }>(db.sql, {
      partitions,
      job: 'open',
      owner: 'w',
      source: source(),
      cursor: 'updated_at',
      key: 'id',
      state,
      pageSize: 50,
      clock,
    })) {
      ids.push(...page.rows.map((r) => r.id));
      await page.commit();
    }
    expect(ids).toHaveLength(120); // everything up to the bound was read…
    expect((await partitions.list('open')).map((p) => p.done)).toEqual([true, false]); // …but rows may still arrive
    expect(await partitions.lowWatermark('open')).toBe('2026-01-01T02:00:00Z');
    expect((await state.get(partitions.stateKey('open', 2)))?.owner).toBeUndefined(); // lease released
  });

  it('reports the low-watermark of contiguous completions only', async () => {
    await partitions.plan('gaps', windows.slice(0, 3));
    const first = await partitions.claim('gaps', { owner: 'x' });
    const secondClaim = await partitions.claim('gaps', { owner: 'y' });
    if (!first || !secondClaim) throw new Error('expected two claims');
    expect([first.partition.id, secondClaim.partition.id]).toEqual([1, 2]);
    await partitions.complete(secondClaim);
    expect(await partitions.lowWatermark('gaps')).toBeUndefined(); // 2 is done, 1 is not
    await partitions.complete(first);
    expect(await partitions.lowWatermark('gaps')).toBe('2026-01-01T04:00:00Z');
    await state.rewind(first.lease.key, undefined, { actor: 't', reason: 'fence test' });
    await expect(partitions.complete(first)).rejects.toBeInstanceOf(StaleLeaseError);
  });
});
