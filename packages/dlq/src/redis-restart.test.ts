// The Redis backend survives a restart only with AOF on. A PRIVATE redis-server (own port, own temp dir) is
// crashed and restarted here; the shared server is never touched.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@pipewright/core';
import { createRedisDeadLetterQueue } from '@pipewright/dlq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/free-port.ts';
import { killServer, spawnRedisServer } from '../../../test/helpers/redis-server.ts';

const dirs: string[] = [];
const servers = new Set<ChildProcess>();

afterAll(() => {
  for (const server of servers) server.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(dir: string, port: number, aof: boolean): Promise<{ server: ChildProcess; redis: Redis }> {
  const server = spawnRedisServer(port, dir, ['--appendonly', aof ? 'yes' : 'no', '--appendfsync', 'always']);
  servers.add(server);
  // Commands wait in ioredis' offline queue until the new process listens; no timing guess involved.
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: () => 20 });
  redis.on('error', () => undefined);
  await redis.ping();
  return { server, redis };
}

async function crash(server: ChildProcess, redis: Redis): Promise<void> {
  redis.disconnect();
  await killServer(server); // no clean shutdown: only what is already in the AOF survives
  servers.delete(server);
}

describe.each([
  { aof: true, survives: true },
  { aof: false, survives: false },
])('Redis restart with appendonly=$aof', ({ aof, survives }) => {
  it(`${survives ? 'keeps' : 'loses'} entries, audit trails and the consumer group`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-dlq-redis-'));
    dirs.push(dir);
    const port = await freePort();
    const clock = new FakeClock(Date.UTC(2026, 10, 1));
    let { server, redis } = await start(dir, port, aof);
    let dlq = createRedisDeadLetterQueue({ redis, clock });
    await dlq.setup();
    const sent = await dlq.sendMany(['a', 'b', 'c'].map((record) => ({ record, error: 'e', pipeline: 'p' })));
    expect(await dlq.redriveOne(sent[0]?.id as string, () => undefined)).toBe('resolved');
    await crash(server, redis);

    ({ server, redis } = await start(dir, port, aof));
    dlq = createRedisDeadLetterQueue({ redis, clock });
    if (!survives) {
      expect(await dlq.count()).toBe(0);
    } else {
      expect(await dlq.count()).toBe(3);
      expect(await dlq.count({ state: 'pending' })).toBe(2);
      expect((await dlq.history(sent[0]?.id as string)).map((e) => e.to)).toEqual(['pending', 'replaying', 'resolved']);
      // The consumer group survived too: the remaining entries redrive without setup().
      expect(await dlq.redrive(() => undefined)).toMatchObject({ processed: 2, resolved: 2 });
      // An idempotent re-send still finds its entry.
      expect((await dlq.send({ record: 'b', error: 'e', pipeline: 'p' })).created).toBe(false);
    }
    await crash(server, redis);
  });
});
