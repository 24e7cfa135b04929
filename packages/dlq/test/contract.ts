// The shared suite: every DeadLetterQueue backend must pass exactly these tests.

import { FakeClock, RecordError } from '@pipewright/core';
import {
  type DeadLetterEntry,
  DeadLetterNotFoundError,
  type DeadLetterQueue,
  type DeadLetterQueueOptions,
  DeadLetterStateError,
} from '@pipewright/dlq';
import { describe, expect, it, vi } from 'vitest';

/** Makes a fresh queue, or (given `shared`) another handle on the queue of that name, as a second worker would. */
export type QueueFactory = (options: DeadLetterQueueOptions, shared?: string) => Promise<DeadLetterQueue>;

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const DAY = 86_400_000;

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function deadLetterQueueContract(backend: string, make: QueueFactory): void {
  describe(`DeadLetterQueue contract: ${backend}`, () => {
    it('round-trips awkward values losslessly, with the full error context', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock });
      const record = {
        id: 9_007_199_254_740_993n,
        negative: -123456789012345678901234567890n,
        at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
        invalidDate: new Date(Number.NaN),
        bytes: Buffer.from([0, 1, 2, 254, 255]),
        u8: new Uint8Array([7, 8, 9]),
        numbers: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1.5, 0],
        missing: undefined,
        holes: [undefined, null, 'x'],
        text: 'emoji 🚀, accents é, quote " backslash \\ nul \u0000 end',
        loneSurrogate: 'a\uD800b',
        nested: { deep: { deeper: [{ $pw: 'looks like a tag', v: 1n }] } },
        map: new Map<unknown, unknown>([
          [1n, 'one'],
          ['k', { d: new Date(0) }],
        ]),
        set: new Set([1, 'a', 2n]),
        empty: {},
      };
      const error = pgError('23505', 'duplicate key value violates unique constraint "orders_pkey"');
      const { id, created } = await dlq.send({
        record,
        error,
        pipeline: 'orders-sync',
        step: 'load',
        runId: 'run-1',
        source: { table: 'public.orders', key: 42n },
        attempt: 3,
      });
      expect(created).toBe(true);
      const entry = (await dlq.get<typeof record>(id)) as DeadLetterEntry<typeof record>;
      expect(entry.record).toStrictEqual(record);
      expect(Object.is(entry.record.numbers[3], -0)).toBe(true);
      expect(Object.hasOwn(entry.record, 'missing')).toBe(true);
      expect(Buffer.isBuffer(entry.record.bytes)).toBe(true);
      expect(Buffer.isBuffer(entry.record.u8)).toBe(false);
      expect(entry.source).toStrictEqual({ table: 'public.orders', key: 42n });
      expect(entry).toMatchObject({
        state: 'pending',
        pipeline: 'orders-sync',
        step: 'load',
        runId: 'run-1',
        attempt: 3,
        failureCount: 1,
        redriveCount: 0,
      });
      expect(entry.error).toMatchObject({
        class: 'Error',
        code: '23505',
        message: error.message,
        kind: 'record',
        reason: expect.stringContaining('23505'),
      });
      expect(entry.error.stack).toBe(error.stack); // byte for byte, though stored without its header
      const odd = Object.assign(new Error('m'), { stack: 'a stack without the usual header' });
      const { id: oddId } = await dlq.send({ record: 1, error: odd, pipeline: 'odd' });
      expect((await dlq.get(oddId))?.error.stack).toBe('a stack without the usual header');
      // Headers that only nearly match, or match with no frames after them, are kept whole; the rest are cut.
      const stacks = [
        Object.assign(new Error(''), { stack: 'Error\n    at here (x.js:1:1)' }),
        Object.assign(new Error('two\nlines'), { stack: 'Error: two\nlines\n    at here (x.js:1:1)' }),
        Object.assign(new Error('m'), { stack: 'Error: m' }),
        Object.assign(new Error('m'), { stack: 'Error: mm\n    at here (x.js:1:1)' }),
        Object.assign(new TypeError('m'), { stack: 'Error: m\n    at here (x.js:1:1)' }),
      ];
      const sent = await dlq.sendMany(stacks.map((e, i) => ({ record: i, error: e, pipeline: 'stacks' })));
      for (const [i, { id }] of sent.entries()) {
        expect((await dlq.get(id))?.error.stack).toBe(stacks[i]?.stack);
      }
      expect(entry.firstFailedAt.getTime()).toBe(T0);
      expect(entry.lastFailedAt.getTime()).toBe(T0);
      expect(await dlq.get('999999')).toBeUndefined();
      expect(await dlq.get('not an id')).toBeUndefined();
    });

    it('keeps a record nested 20,000 deep beside ordinary ones in the same batch', async () => {
      const dlq = await make({ clock: new FakeClock(T0) });
      let deep: unknown = { bottom: 5n };
      for (let i = 0; i < 20_000; i++) deep = i % 2 ? [deep] : { down: deep };
      const results = await dlq.sendMany([
        { record: { id: 1 }, error: new RecordError('fine'), pipeline: 'deep' },
        { record: deep, error: new RecordError('too deep'), pipeline: 'deep' },
      ]);
      expect(results.map((r) => r.created)).toEqual([true, true]);
      let level = (await dlq.get(results[1]?.id as string))?.record;
      let depth = 0;
      while (typeof level === 'object' && level !== null && !('bottom' in level)) {
        level = Array.isArray(level) ? level[0] : (level as { down: unknown }).down;
        depth++;
      }
      expect(depth).toBe(20_000);
      expect(level).toStrictEqual({ bottom: 5n });
      expect((await dlq.get(results[0]?.id as string))?.record).toStrictEqual({ id: 1 });
    });

    it('updates one entry on an idempotent re-send instead of duplicating it', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock });
      const input = { record: { id: 1 }, error: new RecordError('bad amount'), pipeline: 'p', source: { key: 1 } };
      const first = await dlq.send(input);
      await clock.advance(60_000);
      const again = await dlq.send({ ...input, record: { id: 1, fixed: false }, error: new RecordError('still bad') });
      expect(again).toEqual({ id: first.id, created: false });
      // Duplicates inside one batch fold into the same entry; no source → a content hash is the key.
      const batch = await dlq.sendMany<unknown>([
        input,
        { record: { n: 5n }, error: new Error('x'), pipeline: 'p' },
        { record: { n: 5n }, error: new Error('x'), pipeline: 'p' },
        { record: { n: 6n }, error: new Error('x'), pipeline: 'p' },
      ]);
      expect(batch.map((r) => r.created)).toEqual([false, true, false, true]);
      expect(batch[0]?.id).toBe(first.id);
      expect(batch[2]?.id).toBe(batch[1]?.id);
      expect(await dlq.count()).toBe(3);
      const entry = (await dlq.get(first.id)) as DeadLetterEntry;
      expect(entry.failureCount).toBe(3);
      expect(entry.firstFailedAt.getTime()).toBe(T0);
      expect(entry.lastFailedAt.getTime()).toBe(T0 + 60_000);
      expect(entry.error.message).toBe('bad amount');
      expect((await dlq.get(batch[1]?.id as string))?.failureCount).toBe(2);
      // An explicit key wins over coordinates.
      const a = await dlq.send({ record: 1, error: 'e', pipeline: 'p', source: { key: 2 }, idempotencyKey: 'k1' });
      const b = await dlq.send({ record: 2, error: 'e', pipeline: 'p', source: { key: 3 }, idempotencyKey: 'k1' });
      expect(b.id).toBe(a.id);
      expect((await dlq.get(a.id))?.error).toMatchObject({ class: 'NonErrorThrownError', code: 'PW_NON_ERROR_THROWN' });
    });

    it('resolves on a successful redrive and keeps an audit trail of every transition', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock });
      const { id } = await dlq.send({ record: { n: 1 }, error: new Error('boom'), pipeline: 'p', step: 's' });
      const seen: unknown[] = [];
      await clock.advance(1000);
      const result = await dlq.redrive(
        (entry) => {
          seen.push(entry.record);
        },
        { by: 'alice' },
      );
      expect(result).toEqual({ processed: 1, resolved: 1, discarded: 0, failed: 0, parked: 0, leaseLost: 0 });
      expect(seen).toEqual([{ n: 1 }]);
      expect((await dlq.get(id))?.state).toBe('resolved');
      const trail = await dlq.history(id);
      expect(trail.map((e) => [e.from, e.to, e.by])).toEqual([
        [null, 'pending', 'send'],
        ['pending', 'replaying', 'alice'],
        ['replaying', 'resolved', 'alice'],
      ]);
      expect(trail[0]?.why).toBe('Error: boom');
      expect(trail[1]?.at.getTime()).toBe(T0 + 1000);
      expect(await dlq.history('123456')).toEqual([]);
      // Failing again after being resolved re-opens the same entry.
      const again = await dlq.send({ record: { n: 1 }, error: new Error('boom'), pipeline: 'p', step: 's' });
      expect(again).toEqual({ id, created: false });
      expect((await dlq.get(id))?.state).toBe('pending');
      expect((await dlq.history(id)).at(-1)).toMatchObject({ from: 'resolved', to: 'pending', why: 'failed again' });
      expect(await dlq.redrive(() => 'discard')).toMatchObject({ processed: 1, discarded: 1 });
      expect((await dlq.get(id))?.state).toBe('discarded');
    });

    it('returns failures to pending, parks poison after maxRedrives, and redrives a parked entry by id', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock, maxRedrives: 2 });
      const { id } = await dlq.send({ record: 'poison', error: new Error('e'), pipeline: 'p' });
      const fail = (): never => {
        throw new TypeError('still broken');
      };
      expect(await dlq.redrive(fail, { limit: 1 })).toMatchObject({ processed: 1, failed: 1 });
      expect(await dlq.get(id)).toMatchObject({ state: 'pending', redriveCount: 1 });
      expect(await dlq.redrive(fail)).toMatchObject({ processed: 1, parked: 1 });
      expect(await dlq.get(id)).toMatchObject({ state: 'parked', redriveCount: 2 });
      expect((await dlq.history(id)).at(-1)).toMatchObject({ to: 'parked', why: 'TypeError: still broken' });
      // Parked entries are left alone by bulk redrive…
      expect((await dlq.redrive(() => undefined)).processed).toBe(0);
      // …but an operator can redrive one by id, or requeue it.
      expect(await dlq.redriveOne(id, fail, { by: 'bob' })).toBe('parked');
      await dlq.requeue(id, { by: 'bob', why: 'fixed upstream' });
      expect(await dlq.get(id)).toMatchObject({ state: 'pending', redriveCount: 0 });
      expect(await dlq.redriveOne(id, () => undefined)).toBe('resolved');
      await expect(dlq.redriveOne(id, () => undefined)).rejects.toBeInstanceOf(DeadLetterStateError);
      await expect(dlq.redriveOne('424242', () => undefined)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
      await expect(dlq.discard(id)).rejects.toMatchObject({ code: 'PW_DLQ_STATE', state: 'resolved' });
      await expect(dlq.requeue('424242')).rejects.toMatchObject({ code: 'PW_DLQ_NOT_FOUND' });
      const other = await dlq.send({ record: 'other', error: new Error('e'), pipeline: 'p' });
      await dlq.discard(other.id, { by: 'carol', why: 'test data' });
      expect((await dlq.history(other.id)).at(-1)).toMatchObject({ from: 'pending', to: 'discarded', by: 'carol' });
      expect((await dlq.redrive(() => undefined)).processed).toBe(0);
    });

    it('never hands one entry to two concurrent workers', async () => {
      const clock = new FakeClock(T0);
      const workers = await Promise.all([1, 2, 3].map(() => make({ clock }, 'concurrent')));
      const inputs = Array.from({ length: 60 }, (_, i) => ({ record: { i }, error: new Error('e'), pipeline: 'p' }));
      await (workers[0] as DeadLetterQueue).sendMany(inputs);
      const calls = new Map<string, number>();
      let inFlight = 0;
      let maxInFlight = 0;
      const handler = async (entry: DeadLetterEntry): Promise<void> => {
        calls.set(entry.id, (calls.get(entry.id) ?? 0) + 1);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
      };
      const results = await Promise.all(workers.map((w) => w.redrive(handler, { concurrency: 4 })));
      expect(results.reduce((sum, r) => sum + r.resolved, 0)).toBe(60);
      expect(calls.size).toBe(60);
      expect([...calls.values()].every((n) => n === 1)).toBe(true);
      expect(maxInFlight).toBeGreaterThan(1);
      expect(await (workers[1] as DeadLetterQueue).count({ state: 'resolved' })).toBe(60);
    });

    it('reclaims the entries of a dead worker after the visibility timeout, fencing the late one out', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock, visibilityTimeoutMs: 30_000 });
      const { id } = await dlq.send({ record: 'r', error: new Error('e'), pipeline: 'p' });
      const stuck = deferred();
      const claimed = deferred();
      const dead = dlq.redrive(
        async () => {
          claimed.resolve();
          await stuck.promise;
        },
        { by: 'worker-a', limit: 1 },
      );
      await claimed.promise;
      expect(await dlq.get(id)).toMatchObject({ state: 'replaying' });
      // Before the timeout nobody else may take it.
      await clock.advance(29_999);
      expect((await dlq.redrive(() => undefined, { by: 'worker-b' })).processed).toBe(0);
      await clock.advance(2);
      const seen: string[] = [];
      const rescue = await dlq.redrive((e) => void seen.push(e.id), { by: 'worker-b' });
      expect(rescue).toMatchObject({ processed: 1, resolved: 1 });
      expect(seen).toEqual([id]);
      // The "dead" worker wakes up: its late outcome is refused.
      stuck.resolve();
      expect(await dead).toMatchObject({ processed: 1, resolved: 0, leaseLost: 1 });
      expect((await dlq.get(id))?.state).toBe('resolved');
      const trail = await dlq.history(id);
      expect(trail.map((e) => `${e.to}:${e.by}`)).toEqual([
        'pending:send',
        'replaying:worker-a',
        'replaying:worker-b',
        'resolved:worker-b',
      ]);
      expect(trail[2]?.why).toBe('lease expired: reclaimed');
    });

    it('redrives by filter, limit and rate', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock });
      await dlq.sendMany([
        ...Array.from({ length: 4 }, (_, i) => ({
          record: i,
          error: pgError('22P02', 'bad'),
          pipeline: 'a',
          step: 'x',
        })),
        ...Array.from({ length: 3 }, (_, i) => ({
          record: i,
          error: pgError('23505', 'dup'),
          pipeline: 'a',
          step: 'y',
        })),
        { record: 0, error: new Error('other'), pipeline: 'b', step: 'x' },
      ]);
      const stepY = await dlq.redrive(() => undefined, { filter: { pipeline: 'a', errorCode: '23505' } });
      expect(stepY.resolved).toBe(3);
      expect(await dlq.count({ state: 'pending', pipeline: 'a' })).toBe(4);
      expect((await dlq.redrive(() => undefined, { filter: { step: 'x' }, limit: 2 })).processed).toBe(2);
      const startedAt: number[] = [];
      let done = false;
      const paced = dlq
        .redrive(() => void startedAt.push(clock.now()), { ratePerSecond: 2 })
        .finally(() => {
          done = true;
        });
      // Each pause is a timer on the fake clock: move time exactly when the worker is waiting on one.
      while (!done) {
        await vi.waitFor(() => expect(done || clock.pendingTimers > 0).toBe(true));
        if (!done) await clock.advance(500);
      }
      expect((await paced).processed).toBe(3);
      expect(startedAt.map((t) => t - startedAt[0]!)).toEqual([0, 500, 1000]);
      await expect(dlq.redrive(() => undefined, { concurrency: 0 })).rejects.toMatchObject({
        code: 'PW_INVALID_OPTION',
      });
      await dlq.send({ record: 'late', error: 'e', pipeline: 'c' });
      const stopped = new AbortController();
      stopped.abort();
      expect((await dlq.redrive(() => undefined, { signal: stopped.signal })).processed).toBe(0);
      expect(await dlq.count({ pipeline: 'c', state: 'pending' })).toBe(1);
    });

    it('lists, counts and summarises by pipeline, step, error code, state and age; reports a run rate', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock });
      await dlq.sendMany([
        { record: 1, error: pgError('22P02', 'x'), pipeline: 'orders', step: 'parse', runId: 'r1' },
        { record: 2, error: pgError('22P02', 'x'), pipeline: 'orders', step: 'parse', runId: 'r1' },
      ]);
      await clock.advance(3 * DAY);
      await dlq.sendMany([
        { record: 3, error: pgError('23505', 'x'), pipeline: 'orders', step: 'load', runId: 'r2' },
        { record: 4, error: new Error('x'), pipeline: 'users', step: 'load', runId: 'r2' },
      ]);
      const all = await dlq.list();
      expect(all.map((e) => e.record)).toEqual([1, 2, 3, 4]);
      const page = await dlq.list({ limit: 2, after: all[1]?.id });
      expect(page.map((e) => e.record)).toEqual([3, 4]);
      expect(await dlq.count({ pipeline: 'orders' })).toBe(3);
      expect(await dlq.count({ step: 'load', pipeline: 'orders' })).toBe(1);
      expect(await dlq.count({ errorCode: '22P02' })).toBe(2);
      expect(await dlq.count({ failedBefore: new Date(T0 + DAY) })).toBe(2);
      expect(await dlq.count({ failedAfter: new Date(T0 + DAY) })).toBe(2);
      expect(await dlq.count({ state: ['resolved', 'parked'] })).toBe(0);
      const stats = await dlq.stats(['pipeline', 'errorCode']);
      const key = (r: { pipeline?: string; errorCode?: string | null }): string => `${r.pipeline}/${r.errorCode}`;
      expect(stats.map((r) => [key(r), r.entries, r.failures]).sort()).toEqual([
        ['orders/22P02', 2, 2],
        ['orders/23505', 1, 1],
        ['users/null', 1, 1],
      ]);
      const byState = await dlq.stats(['state'], { pipeline: 'orders' });
      expect(byState).toHaveLength(1);
      expect(byState[0]).toMatchObject({ state: 'pending', entries: 3 });
      expect(byState[0]?.oldestFailureAt.getTime()).toBe(T0);
      expect(byState[0]?.newestFailureAt.getTime()).toBe(T0 + 3 * DAY);
      expect(await dlq.runRate('r1', 100)).toEqual({ runId: 'r1', deadLettered: 2, total: 100, rate: 0.02 });
      expect((await dlq.runRate('nope', 0)).rate).toBe(0);
      await expect(dlq.count({ state: 'lost' as never })).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
      await expect(dlq.stats(['colour' as never])).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
    });

    it('purges old resolved and discarded entries, never pending or parked unless asked', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock, maxRedrives: 1 });
      const ids = (
        await dlq.sendMany(
          ['resolve', 'discard', 'park', 'keep'].map((r) => ({ record: r, error: 'e', pipeline: 'p' })),
        )
      ).map((r) => r.id) as [string, string, string, string];
      await dlq.redriveOne(ids[0], () => undefined);
      await dlq.discard(ids[1]);
      await dlq.redriveOne(ids[2], () => {
        throw new Error('again');
      });
      expect((await dlq.get(ids[2]))?.state).toBe('parked');
      await clock.advance(31 * DAY);
      expect(await dlq.purge({ olderThanDays: 32 })).toBe(0);
      expect(await dlq.purge({ olderThanDays: 30 })).toBe(2);
      expect(await dlq.get(ids[0])).toBeUndefined();
      expect(await dlq.history(ids[1])).toEqual([]);
      expect((await dlq.list()).map((e) => e.state).sort()).toEqual(['parked', 'pending']);
      // The same failure can come back after its entry was purged: it is a new entry.
      expect((await dlq.send({ record: 'resolve', error: 'e', pipeline: 'p' })).created).toBe(true);
      expect(await dlq.purge({ olderThanDays: 30, states: ['parked'] })).toBe(1);
      expect(await dlq.count({ state: 'pending' })).toBe(2);
      await expect(dlq.purge({ olderThanDays: -1 })).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
    });

    it('replaces redacted fields by a keyed hash before storage', async () => {
      const clock = new FakeClock(T0);
      const dlq = await make({ clock, redact: { paths: ['customer.email', 'cards.*.number'], key: 'k-1' } });
      const record = {
        id: 1n,
        customer: { email: 'ann@example.com', name: 'Ann' },
        cards: [{ number: '4111111111111111' }, { number: '5500000000000004' }],
      };
      const { id } = await dlq.send({ record, error: 'e', pipeline: 'p', source: { id: 1 } });
      const { id: id2 } = await dlq.send({
        record: { customer: { email: 'ann@example.com' } },
        error: 'e',
        pipeline: 'p',
        source: { id: 2 },
      });
      expect(record.customer.email).toBe('ann@example.com'); // the caller's object is untouched
      const stored = (await dlq.get<typeof record>(id))?.record as typeof record;
      expect(stored.customer.email).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      expect(stored.customer.name).toBe('Ann');
      expect(stored.cards[0]?.number).toMatch(/^hmac-sha256:/);
      expect(stored.cards[0]?.number).not.toBe(stored.cards[1]?.number);
      expect(
        JSON.stringify(
          (await dlq.list()).map((e) => e.record),
          (_k, v) => (typeof v === 'bigint' ? 0 : v),
        ),
      ).not.toContain('ann@example.com');
      const other = (await dlq.get<typeof record>(id2))?.record as typeof record;
      expect(other.customer.email).toBe(stored.customer.email); // equal values still match
      const rekeyed = await make({ clock, redact: { paths: ['customer.email'], key: 'k-2' } });
      const { id: id3 } = await rekeyed.send({ record, error: 'e', pipeline: 'p' });
      const rehashed = (await rekeyed.get<typeof record>(id3)) as DeadLetterEntry<typeof record>;
      expect(rehashed.record.customer.email).not.toBe(stored.customer.email);
    });
  });
}
