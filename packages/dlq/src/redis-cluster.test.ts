// The shared suite on a real Redis Cluster (three private masters): every key of a queue carries the hash tag
// `{name}`, so its Lua scripts and MULTI/EXEC run on one node whichever node the name hashes to.
import { createRedisDeadLetterQueue } from '@pipewright/dlq';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '../../../test/helpers/redis-cluster.ts';
import { deadLetterQueueContract } from '../test/contract.ts';

let cluster: PrivateRedisCluster;
let redis: Cluster;
beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  redis = cluster.connect();
}, 60_000);
afterAll(async () => {
  await redis?.quit();
  await cluster?.stop();
});

let queues = 0;
deadLetterQueueContract('redis cluster', async (options, shared) => {
  const dlq = createRedisDeadLetterQueue({ ...options, redis, name: shared ? `c-${shared}` : `c-${++queues}` });
  await dlq.setup();
  return dlq;
});

describe('Redis Cluster', () => {
  it('spreads queues over the masters, each queue whole on one of them', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `spread-${i}`);
    for (const name of names) {
      const dlq = createRedisDeadLetterQueue({ redis, name });
      await dlq.setup();
      await dlq.sendMany([1, 2, 3].map((i) => ({ record: { i }, error: 'e', pipeline: 'spread', source: { i } })));
      expect(await dlq.count()).toBe(3);
    }
    const holders = await Promise.all(
      redis
        .nodes('master')
        .map(async (node) => (await node.keys('pw:dlq:{spread-*')).map((k) => /\{(.*)\}/.exec(k)?.[1])),
    );
    const nonEmpty = holders.filter((keys) => keys.length > 0);
    expect(nonEmpty.length).toBeGreaterThan(1);
    // No queue is split across masters.
    const seen = nonEmpty.map((keys) => new Set(keys));
    for (const name of names) expect(seen.filter((s) => s.has(name))).toHaveLength(1);
  });
});
