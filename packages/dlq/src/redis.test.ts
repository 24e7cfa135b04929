import { FakeClock } from '@pipewright/core';
import { createRedisDeadLetterQueue } from '@pipewright/dlq';
import { describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../test/helpers/redis.ts';
import { deadLetterQueueContract } from '../test/contract.ts';

const r = useTestRedis();
let queues = 0;

deadLetterQueueContract('redis', async (options, shared) => {
  const dlq = createRedisDeadLetterQueue({
    ...options,
    redis: r.redis,
    prefix: r.prefix,
    name: shared ? `q-${shared}` : `q-${++queues}`,
  });
  await dlq.setup();
  return dlq;
});

describe('Redis backend', () => {
  it('keeps every key of a queue under one hash tag (one Cluster slot)', async () => {
    const dlq = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'tagged' });
    await dlq.setup();
    const { id } = await dlq.send({ record: 1, error: 'e', pipeline: 'p' });
    await dlq.redrive(() => undefined);
    const keys = await r.redis.keys(`${r.prefix}{tagged}*`);
    expect(keys.sort()).toEqual(
      [
        `${r.prefix}{tagged}:e:${id}`,
        `${r.prefix}{tagged}:h:${id}`,
        `${r.prefix}{tagged}:keys`,
        `${r.prefix}{tagged}:s`,
        `${r.prefix}{tagged}:stacks`,
      ].sort(),
    );
    const slots = await Promise.all(keys.map((k) => r.redis.call('CLUSTER', 'KEYSLOT', k).catch(() => null)));
    if (slots[0] !== null) expect(new Set(slots).size).toBe(1);
  });

  it('writes a new entry as one stream message and one idempotency-map field; changes go to a small hash', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 1));
    const dlq = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'layout', clock });
    await dlq.setup();
    const base = `${r.prefix}{layout}:`;
    const record = { id: 1, note: 'x'.repeat(600) }; // a payload far above hash-max-listpack-value (64 bytes)
    const { id } = await dlq.send({ record, error: new Error('bad'), pipeline: 'p', source: { id: 1 } });
    expect(await r.redis.exists(`${base}e:${id}`)).toBe(0);
    const [[messageId, fields] = ['', []]] = await r.redis.xrange(`${base}s`, id, id);
    expect(messageId).toBe(id);
    expect(fields.filter((_, i) => i % 2 === 0)).toEqual(['e', 'k', 'h', 'd']); // e '', key, head, data
    expect(fields[1]).toBe('');
    expect((await dlq.get<typeof record>(id))?.record).toStrictEqual(record);
    // A redrive that fails records its lifecycle fields in e:<id>, which stays a listpack.
    expect(await dlq.redriveOne(id, () => Promise.reject(new Error('again')))).toBe('failed');
    expect(await r.redis.object('ENCODING', `${base}e:${id}`)).toBe('listpack');
    expect(await dlq.get(id)).toMatchObject({ state: 'pending', redriveCount: 1, record });
    // A re-send replaces the payload in e:<id>; the creation message keeps the first one.
    const resent = { id: 1, note: 'fixed?' };
    expect(await dlq.send({ record: resent, error: new Error('worse'), pipeline: 'p', source: { id: 1 } })).toEqual({
      id,
      created: false,
    });
    expect(await dlq.get(id)).toMatchObject({ record: resent, failureCount: 2, error: { message: 'worse' } });
    expect(await dlq.redriveOne(id, () => undefined)).toBe('resolved');
    // Purge removes the creation message too.
    await clock.advance(1000);
    expect(await dlq.purge({ olderThanDays: 0 })).toBe(1);
    expect(await r.redis.xlen(`${base}s`)).toBe(0);
    expect((await r.redis.keys(`${base}*`)).sort()).toEqual([`${base}s`, `${base}stacks`]); // stacks are shared
  });

  it('reads, updates, redrives and purges an entry stored by an earlier version (every field in e:<id>)', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 1));
    const dlq = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'old', clock });
    await dlq.setup();
    const base = `${r.prefix}{old}:`;
    // The earlier layout: a creation message without fields, the whole entry in the hash.
    const model = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'old-model' });
    await model.setup();
    const input = { record: { id: 7n }, error: new Error('old'), pipeline: 'p', source: { id: 7 } };
    const { id: modelId } = await model.send(input);
    const [[, [, , , key, , head, , data] = []] = ['', []]] = await r.redis.xrange(
      `${r.prefix}{old-model}:s`,
      modelId,
      modelId,
    );
    const [pipeline, step, runId, code, count, first, last, updated] = JSON.parse(head as string) as string[];
    const id = String(await r.redis.xadd(`${base}s`, '*', 'e', ''));
    await r.redis.hset(`${base}e:${id}`, {
      state: 'pending',
      idempotency_key: key,
      pipeline,
      step,
      run_id: runId,
      error_code: code,
      data,
      failure_count: count,
      redrive_count: 0,
      first_failed_at: first,
      last_failed_at: last,
      updated_at: updated,
      msg: id,
    });
    await r.redis.hset(`${base}keys`, key as string, id);
    expect(await dlq.get(id)).toMatchObject({ id, state: 'pending', record: { id: 7n }, failureCount: 1 });
    expect(await dlq.send(input)).toEqual({ id, created: false });
    expect((await dlq.get(id))?.failureCount).toBe(2);
    expect(await dlq.redrive(() => undefined)).toMatchObject({ processed: 1, resolved: 1 });
    await clock.advance(1000);
    expect(await dlq.purge({ olderThanDays: 0 })).toBe(1);
    expect(await dlq.count()).toBe(0);
    expect(await r.redis.xlen(`${base}s`)).toBe(0);
  });

  it('keeps awkward coordinates through the packed head, on a re-send and in a claim filter', async () => {
    const dlq = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'awkward' });
    await dlq.setup();
    const runId = 'run \\ud800 "quoted" \u0000 é 🚀 \\';
    const input = { record: 1, error: 'e', pipeline: 'p\uD800q', step: 's\u001ft', runId, idempotencyKey: 'k' };
    const { id } = await dlq.send(input);
    // A lone surrogate cannot travel as UTF-8: it arrives as U+FFFD, as in any other Redis argument.
    const expected = { pipeline: 'p\uFFFDq', step: 's\u001ft', runId };
    expect(await dlq.get(id)).toMatchObject(expected);
    expect(await dlq.send({ ...input, runId: `${runId}2` })).toEqual({ id, created: false });
    expect(await dlq.get(id)).toMatchObject({ ...expected, runId: `${runId}2`, failureCount: 2 });
    await dlq.send({ ...input, idempotencyKey: 'other' }); // same coordinates but the first run id: not redriven
    const seen: string[] = [];
    const filter = { pipeline: 'p\uFFFDq', step: 's\u001ft', runId: `${runId}2` };
    expect(await dlq.redrive((entry) => void seen.push(entry.id), { filter })).toMatchObject({ processed: 1 });
    expect(seen).toEqual([id]);
  });

  it('encodes each row with its own coordinates and error when they change from row to row', async () => {
    const dlq = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'rows' });
    await dlq.setup();
    const errors = [new TypeError('t'), Object.assign(new Error('c'), { code: 'E1' }), new RangeError('r')];
    const inputs = Array.from({ length: 12 }, (_, i) => ({
      record: { i },
      error: errors[i % 3] as Error,
      pipeline: `p${i % 2}`,
      step: i % 4 < 2 ? 'a' : 'b',
      runId: i % 5 === 0 ? undefined : `run-${i % 3}`,
      failedAt: new Date(Date.UTC(2026, 0, 1) - i * 1000),
    }));
    const results = await dlq.sendMany(inputs);
    for (const [i, { id }] of results.entries()) {
      const input = inputs[i] as (typeof inputs)[number];
      expect(await dlq.get(id)).toMatchObject({
        pipeline: input.pipeline,
        step: input.step,
        runId: input.runId ?? null,
        record: { i },
        error: { class: input.error.name, message: input.error.message, code: i % 3 === 1 ? 'E1' : null },
        lastFailedAt: input.failedAt,
      });
    }
  });

  it('looks keys up and records new ones in slices inside a large chunk, mixing new and existing entries', async () => {
    const dlq = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'slices', chunkSize: 1_300 });
    await dlq.setup();
    const input = (i: number) => ({ record: { i }, error: 'e', pipeline: 'p', idempotencyKey: `k${i}` });
    const first = await dlq.sendMany(Array.from({ length: 1_100 }, (_, i) => input(2 * i))); // even keys
    expect(first.every((x) => x.created)).toBe(true);
    const mixed = await dlq.sendMany(Array.from({ length: 1_250 }, (_, i) => input(i))); // evens exist, odds are new
    expect(mixed.map((x) => x.created)).toEqual(Array.from({ length: 1_250 }, (_, i) => i % 2 === 1));
    expect(mixed.filter((_, i) => i % 2 === 0).map((x) => x.id)).toEqual(first.slice(0, 625).map((x) => x.id));
    expect(await r.redis.hlen(`${r.prefix}{slices}:keys`)).toBe(1_100 + 625);
    const again = await dlq.sendMany(Array.from({ length: 1_250 }, (_, i) => input(i)));
    expect(again.map((x) => x.id)).toEqual(mixed.map((x) => x.id));
    expect(again.some((x) => x.created)).toBe(false);
    expect((await dlq.get(mixed[0]?.id as string))?.failureCount).toBe(3);
  });

  it('refuses bad options up front', () => {
    expect(() => createRedisDeadLetterQueue({ redis: {} as never })).toThrow(/Expected `redis`/);
    expect(() => createRedisDeadLetterQueue({ redis: r.redis, name: 'a{b}' })).toThrow(/name/);
    expect(() => createRedisDeadLetterQueue({ redis: r.redis, chunkSize: 0 })).toThrow(/chunkSize/);
  });

  it('writes a sendMany larger than one chunk atomically in MULTI/EXEC', async () => {
    const dlq = createRedisDeadLetterQueue({ redis: r.redis, prefix: r.prefix, name: 'chunks', chunkSize: 7 });
    await dlq.setup();
    const results = await dlq.sendMany(
      Array.from({ length: 30 }, (_, i) => ({ record: { i }, error: 'e', pipeline: 'p', source: { i: i % 25 } })),
    );
    expect(results.filter((x) => x.created)).toHaveLength(25);
    expect(results[27]?.id).toBe(results[2]?.id);
    expect(await dlq.count()).toBe(25);
    expect(await r.redis.hlen(`${r.prefix}{chunks}:stacks`)).toBe(1); // 30 errors thrown at one site, one stack
    expect((await dlq.get(results[2]?.id as string))?.failureCount).toBe(2);
  });
});
