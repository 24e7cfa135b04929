import { FakeClock } from '@pipewright/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRecordError, LeaseHeldError, StaleLeaseError, UnorderedSourceError } from './errors.ts';
import { type IncrementalOptions, incremental } from './incremental.ts';
import { memoryStateStore } from './state/memory.ts';

interface Item {
  id: number;
  at: unknown;
  v?: number;
}

async function collect<T>(source: Iterable<T> | AsyncIterable<T>, options: IncrementalOptions<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of incremental(source, options)) {
    out.push(...page.rows);
    await page.commit();
  }
  return out;
}

describe('incremental over any iterable', () => {
  it('drops what the position covers, boundary repeats (">=" APIs) and in-run duplicates', async () => {
    const state = memoryStateStore();
    const options = { cursor: 'at', key: 'id', state, stateKey: 'api', pageSize: 2 };
    const first: Item[] = [
      { id: 1, at: '2026-01-01T00:00:00.000001Z' },
      { id: 2, at: '2026-01-01T00:00:00.000001Z' },
      { id: 2, at: '2026-01-01T01:00:00.000001+01:00' }, // the same instant and key, written with an offset
      { id: 3, at: '2026-01-01T00:00:00.000002Z' },
    ];
    expect((await collect(first, options)).map((r) => r.id)).toEqual([1, 2, 3]);
    expect((await state.get('api'))?.position).toEqual({ cursor: '2026-01-01T00:00:00.000002Z', key: ['3'] });
    // The API re-sends the boundary (>=) plus new rows; only the new ones pass.
    const second: Item[] = [
      first[3] as Item,
      { id: 0, at: '2026-01-01T00:00:00.000002Z' },
      { id: 4, at: new Date('2026-01-02T00:00:00Z') },
    ];
    expect((await collect(second, options)).map((r) => r.id)).toEqual([4]);
  });

  it('holds back records younger than the lag, on the injected clock', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:10:00Z'));
    const state = memoryStateStore();
    const records: Item[] = [
      { id: 1, at: '2026-01-01T00:00:00Z' },
      { id: 2, at: '2026-01-01T00:09:30Z' },
    ];
    const options = { cursor: 'at', key: 'id', state, stateKey: 'lag', lag: 60_000, clock };
    expect((await collect(records, options)).map((r) => r.id)).toEqual([1]);
    // A late record older than the held-back one arrives; it is not lost.
    records.push({ id: 3, at: '2026-01-01T00:09:00Z' });
    await clock.advance(60_000);
    expect((await collect(records, options)).map((r) => r.id).sort()).toEqual([2, 3]);
  });

  it('sends unusable records to onInvalid with the reason, or throws without it', async () => {
    const state = memoryStateStore();
    const bad: Item[] = [
      { id: 1, at: '2026-01-01 10:00' },
      { id: 2, at: 5 },
      { id: 3, at: 1.5 },
      { id: null as never, at: 6 },
    ];
    const dead: [unknown, string][] = [];
    const ok = await collect(bad, {
      cursor: 'at',
      key: 'id',
      state,
      stateKey: 'inv',
      onInvalid: (r, e) => void dead.push([r, e.message]),
    });
    expect(ok.map((r) => r.id)).toEqual([2]);
    expect(dead.map(([r]) => (r as Item).id)).toEqual([1, 3, null]);
    expect(dead[0]?.[1]).toMatch(/ISO-8601/);
    await expect(collect(bad, { cursor: 'at', key: 'id', state, stateKey: 'inv2' })).rejects.toBeInstanceOf(
      InvalidRecordError,
    );
  });

  it('checkpoints each page of an ordered source and refuses disorder', async () => {
    const commits: unknown[] = [];
    const inner = memoryStateStore();
    const state = {
      ...inner,
      commit: async (k: string, p: unknown) => {
        commits.push(p);
        await inner.commit(k, p);
      },
    };
    const records = Array.from({ length: 5 }, (_, i) => ({ id: i, at: BigInt(100 + i) }));
    await collect(records, { cursor: 'at', key: 'id', state, stateKey: 'o', ordered: true, pageSize: 2 });
    expect(commits).toEqual([
      { cursor: '101', key: ['1'] },
      { cursor: '103', key: ['3'] },
      { cursor: '104', key: ['4'] },
    ]);
    commits.length = 0;
    await collect(records, { cursor: 'at', key: 'id', state, stateKey: 'u', pageSize: 2 });
    expect(commits).toEqual([{ cursor: '104', key: ['4'] }]); // unordered: only after the last page
    await expect(
      collect([...records].reverse(), { cursor: 'at', key: 'id', state, stateKey: 'x', ordered: true }),
    ).rejects.toBeInstanceOf(UnorderedSourceError);
    await expect(
      collect(records, { cursor: 'at', key: 'id', state, stateKey: 'x', pageSize: 0 }),
    ).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
  });

  it('holds a fenced lease for the run when asked', async () => {
    const clock = new FakeClock(0);
    const state = memoryStateStore({ clock });
    const records = [
      { id: 1, at: 5 },
      { id: 2, at: 6 },
    ];
    const pages = incremental(records, {
      cursor: 'at',
      key: 'id',
      state,
      stateKey: 'l',
      lease: { owner: 'a', ttlMs: 1000 },
      clock,
    });
    const page = await pages.next();
    if (page.done) throw new Error('expected a page');
    await expect(state.acquire('l', { owner: 'b' })).rejects.toBeInstanceOf(LeaseHeldError);
    await state.rewind('l', undefined, { actor: 'ops', reason: 'test the fence' });
    await expect(page.value.commit()).rejects.toBeInstanceOf(StaleLeaseError);
    await pages.return(undefined);
  });

  it('property: repeated runs over a shuffled, overlapping API see every version exactly once', async () => {
    const record = fc.record({
      id: fc.integer({ min: 1, max: 15 }),
      at: fc.integer({ min: 0, max: 20 }), // seconds: many equal cursors
      delay: fc.integer({ min: 0, max: 5 }), // becomes visible late, within the lag
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        async (raw, pageSize, seed) => {
          // One version per (id, at): the latest cursor of an id is its latest version.
          const unique = [...new Map(raw.map((r) => [`${r.id}@${r.at}`, r])).values()];
          const clock = new FakeClock(0);
          const state = memoryStateStore();
          const got = new Set<string>();
          let rng = seed;
          for (let now = 0; now <= 30; now++) {
            await clock.advance(1000);
            const visible = unique.filter((r) => r.at + r.delay <= now);
            const next = (): number => {
              rng = (rng * 1103515245 + 12345) | 0;
              return rng & 1 ? 1 : -1;
            };
            const shuffled = [...visible, ...visible.slice(0, 3)].sort(next);
            for (const r of await collect(
              shuffled.map((r) => ({ id: r.id, at: new Date(r.at * 1000) })),
              { cursor: 'at', key: 'id', state, stateKey: 'p', lag: 6000, clock, pageSize },
            )) {
              const version = `${r.id}@${(r.at as Date).getTime() / 1000}`;
              expect(got.has(version)).toBe(false);
              got.add(version);
            }
          }
          expect([...got].sort()).toEqual(unique.map((r) => `${r.id}@${r.at}`).sort());
        },
      ),
      { numRuns: 50 },
    );
  });
});
