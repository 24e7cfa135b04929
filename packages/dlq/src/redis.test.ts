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
