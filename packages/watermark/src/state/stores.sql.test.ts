import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, hasErrorCode } from '@pipewright/core';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../../test/helpers/redis.ts';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '../../../../test/helpers/redis-cluster.ts';
import { useTestDatabase } from '../../../../test/helpers/sql.ts';
import { LeaseHeldError, StaleLeaseError } from '../errors.ts';
import { fileStateStore } from './file.ts';
import { memoryStateStore } from './memory.ts';
import { pgStateStore } from './postgres.ts';
import { redisStateStore } from './redis.ts';
import type { StateStore } from './types.ts';

const db = useTestDatabase();
const redis = useTestRedis();
let dir: string;
// A private three-master Redis Cluster: the store's keys for one state key share a hash slot.
let cluster: PrivateRedisCluster;
let clusterClient: Cluster;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-watermark-'));
  cluster = await startPrivateRedisCluster();
  clusterClient = cluster.connect();
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await clusterClient?.quit();
  await cluster?.stop();
});

let n = 0;
const factories: Record<string, (clock: FakeClock) => Promise<StateStore>> = {
  memory: async (clock) => memoryStateStore({ clock }),
  file: async (clock) => fileStateStore({ path: join(dir, `state-${++n}.json`), clock }),
  redis: async (clock) => redisStateStore(redis.redis, { prefix: `${redis.prefix}${++n}:`, clock }),
  'redis cluster': async (clock) => redisStateStore(clusterClient, { prefix: `cluster${++n}:`, clock }),
  postgres: async (clock) => {
    const store = pgStateStore(db.sql, { schema: db.schema, clock });
    await store.migrate();
    return store;
  },
};

describe.each(Object.keys(factories))('%s state store', (kind) => {
  const make = async (): Promise<{ store: StateStore; clock: FakeClock }> => {
    const clock = new FakeClock(1_700_000_000_000);
    return { store: await (factories[kind] as (c: FakeClock) => Promise<StateStore>)(clock), clock };
  };
  let seq = 0;
  const key = (): string => `${kind}-key-${++seq}`;

  it('returns undefined before the first commit, then the committed JSON position', async () => {
    const { store } = await make();
    const k = key();
    expect(await store.get(k)).toBeUndefined();
    const position = { cursor: '2026-01-01T00:00:00.123456Z', key: ['42'], nested: { a: [1, null] } };
    await store.commit(k, position);
    expect((await store.get(k))?.position).toEqual(position);
    await store.commit(k, { cursor: 'later', key: ['1'] });
    expect((await store.get(k))?.position).toEqual({ cursor: 'later', key: ['1'] });
  });

  it('refuses a Date position and a bad key with a typed error', async () => {
    const { store } = await make();
    await expect(store.commit(key(), new Date())).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
    await expect(store.commit('', { a: 1 })).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
    await expect(store.acquire(key(), { owner: '' })).rejects.toMatchObject({ code: 'PW_INVALID_OPTION' });
  });

  it('fences: a second acquire is refused until the lease expires, then the old token is stale', async () => {
    const { store, clock } = await make();
    const k = key();
    const first = await store.acquire(k, { owner: 'worker-a', ttlMs: 1000 });
    expect(first.token).toBe(1);
    await store.commit(k, { at: 1 }, { token: first.token });
    const held = await store.acquire(k, { owner: 'worker-b', ttlMs: 1000 }).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(LeaseHeldError);
    expect((held as LeaseHeldError).owner).toBe('worker-a');
    await clock.advance(1001);
    const second = await store.acquire(k, { owner: 'worker-b', ttlMs: 1000 });
    expect(second.token).toBe(2);
    // worker-a wakes up from a pause and tries to write: rejected, state unchanged.
    const stale = await store.commit(k, { at: 99 }, { token: first.token }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(StaleLeaseError);
    expect(hasErrorCode(stale, 'PW_WATERMARK_STALE_LEASE')).toBe(true);
    expect((stale as StaleLeaseError).currentToken).toBe(2);
    await expect(store.renew(first, 1000)).rejects.toBeInstanceOf(StaleLeaseError);
    expect((await store.get(k))?.position).toEqual({ at: 1 });
    await store.commit(k, { at: 2 }, { token: second.token });
    expect(await store.get(k)).toMatchObject({ position: { at: 2 }, token: 2, owner: 'worker-b' });
  });

  it('refuses a token-less commit while a lease is held, and allows it after release', async () => {
    const { store } = await make();
    const k = key();
    const lease = await store.acquire(k, { owner: 'w', ttlMs: 1000 });
    await expect(store.commit(k, { at: 1 })).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await store.release(lease)).toBe(true);
    expect(await store.release(lease)).toBe(false);
    await store.commit(k, { at: 1 });
    expect((await store.get(k))?.position).toEqual({ at: 1 });
  });

  it('heartbeats extend the lease past its first expiry', async () => {
    const { store, clock } = await make();
    const k = key();
    const lease = await store.acquire(k, { owner: 'w', ttlMs: 1000 });
    await clock.advance(800);
    const renewed = await store.renew(lease, 1000);
    expect(renewed.expiresAt).toBe(clock.now() + 1000);
    await clock.advance(800);
    await expect(store.acquire(k, { owner: 'other' })).rejects.toBeInstanceOf(LeaseHeldError);
    await store.commit(k, { at: 3 }, { token: renewed.token });
  });

  it('rewinds with an audit record and fences the runner that held the lease', async () => {
    const { store, clock } = await make();
    const k = key();
    const lease = await store.acquire(k, { owner: 'w', ttlMs: 60_000 });
    await store.commit(k, { at: 10 }, { token: lease.token });
    await clock.advance(5);
    await store.rewind(k, { at: 4 }, { actor: 'alice', reason: 'reprocess after bad deploy' });
    await expect(store.commit(k, { at: 11 }, { token: lease.token })).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await store.get(k)).toMatchObject({ position: { at: 4 }, token: 2, owner: undefined });
    await store.rewind(k, undefined, { actor: 'bob', reason: 'full reload' });
    expect((await store.get(k))?.position).toBeUndefined();
    const audit = await store.audit(k);
    expect(audit).toEqual([
      {
        key: k,
        action: 'rewind',
        before: { at: 10 },
        after: { at: 4 },
        actor: 'alice',
        reason: 'reprocess after bad deploy',
        at: clock.now(),
      },
      {
        key: k,
        action: 'rewind',
        before: { at: 4 },
        after: undefined,
        actor: 'bob',
        reason: 'full reload',
        at: clock.now(),
      },
    ]);
    await expect(store.rewind(k, { at: 1 }, { actor: 'x', reason: '' })).rejects.toMatchObject({
      code: 'PW_INVALID_OPTION',
    });
    expect(await store.audit(key())).toEqual([]);
  });
});

describe('postgres state store inside the caller transaction', () => {
  it('writes the position with the data, or not at all', async () => {
    const store = pgStateStore(db.sql, { schema: db.schema });
    await store.migrate();
    await store.migrate(); // idempotent
    await db.sql.exec(`CREATE TABLE ${db.qschema}.target (id int PRIMARY KEY)`);
    await db.sql
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO ${db.qschema}.target VALUES (1)`);
        await store.commit('tx-key', { at: 1 }, { tx });
        throw new Error('the write failed after the state was written');
      })
      .catch(() => undefined);
    expect(await store.get('tx-key')).toBeUndefined();
    await db.sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${db.qschema}.target VALUES (2)`);
      await store.commit('tx-key', { at: 2 }, { tx });
    });
    expect((await store.get('tx-key'))?.position).toEqual({ at: 2 });
    const { rows } = await db.sql.query<{ id: number }>(`SELECT id FROM ${db.qschema}.target`);
    expect(rows).toEqual([{ id: 2 }]);
  });
});

describe('file state store', () => {
  it('persists across instances and leaves no temporary files', async () => {
    const path = join(dir, 'persist.json');
    await fileStateStore({ path }).commit('k', { at: 7 });
    expect((await fileStateStore({ path }).get('k'))?.position).toEqual({ at: 7 });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
