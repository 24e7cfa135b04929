// A private three-master Redis Cluster for tests of Cluster support: started from the machine's redis-server in a
// temp dir on free ports, and stopped (processes killed, directory removed) by the caller. Nothing shared is touched.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './free-port.ts';
import { killServer, spawnRedisServer } from './redis-server.ts';

const run = promisify(execFile);

export interface PrivateRedisCluster {
  ports: number[];
  /** A new ioredis Cluster client on the private cluster (the caller quits it). */
  connect(): Cluster;
  stop(): Promise<void>;
}

async function untilReady(port: number, check: (redis: Redis) => Promise<boolean>): Promise<void> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    for (let i = 0; i < 400; i++) {
      if (await check(redis).catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`private Redis Cluster node on port ${port} did not become ready`);
  } finally {
    redis.disconnect();
  }
}

export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const processes = ports.map((port) =>
    spawnRedisServer(port, dir, [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--appendonly',
      'no',
    ]),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map(killServer));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await untilReady(port, async (r) => (await r.ping()) === 'PONG');
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of ports) {
      await untilReady(port, async (r) => /cluster_state:ok/.test(String(await r.call('CLUSTER', 'INFO'))));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ports,
    connect: () =>
      new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { redisOptions: { maxRetriesPerRequest: 2 } },
      ),
    stop,
  };
}
