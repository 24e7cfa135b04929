import { InvalidOptionError, systemClock } from '@pipewright/core';
import { LeaseHeldError, StaleLeaseError } from '../errors.ts';
import { encodePosition, validAcquire, validKey, validRewind, validTtl } from '../internal/rules.ts';
import type {
  AcquireOptions,
  AuditEntry,
  CommitOptions,
  Lease,
  Position,
  RewindOptions,
  StateRecord,
  StateStore,
  StoreOptions,
} from './types.ts';
import { DEFAULT_TTL_MS } from './types.ts';

/** The part of an ioredis client (standalone or Cluster) this store uses. */
export interface RedisLike {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
}

export interface RedisStateStoreOptions extends StoreOptions {
  /** Prefix of every key this store writes. @default 'pipewright:watermark:' */
  prefix?: string;
}

// Each script checks the fencing token and writes in one atomic step. Hash fields: p position (JSON),
// t token, o owner, e lease expiry (epoch ms), u updated at (epoch ms).
const COMMIT = `
local t = redis.call('HGET', KEYS[1], 't')
local o = redis.call('HGET', KEYS[1], 'o')
local e = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if ARGV[2] == '' then
  if o and e > tonumber(ARGV[3]) then return t end
elseif t ~= ARGV[2] then
  return t or '-1'
end
redis.call('HSET', KEYS[1], 'p', ARGV[1], 'u', ARGV[3])
if not t then redis.call('HSET', KEYS[1], 't', '0') end
return 'ok'`;

const ACQUIRE = `
local o = redis.call('HGET', KEYS[1], 'o')
local e = redis.call('HGET', KEYS[1], 'e')
if o and tonumber(e) > tonumber(ARGV[3]) then return {0, o, e} end
local t = redis.call('HINCRBY', KEYS[1], 't', 1)
redis.call('HSET', KEYS[1], 'o', ARGV[1], 'e', ARGV[2])
if redis.call('HEXISTS', KEYS[1], 'u') == 0 then redis.call('HSET', KEYS[1], 'u', ARGV[3]) end
return {1, tostring(t)}`;

const RENEW = `
local t = redis.call('HGET', KEYS[1], 't')
if t ~= ARGV[1] then return t or '-1' end
redis.call('HSET', KEYS[1], 'o', ARGV[2], 'e', ARGV[3])
return 'ok'`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] or redis.call('HEXISTS', KEYS[1], 'o') == 0 then return 0 end
redis.call('HDEL', KEYS[1], 'o', 'e')
return 1`;

const REWIND = `
local before = redis.call('HGET', KEYS[1], 'p') or 'null'
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'p') else redis.call('HSET', KEYS[1], 'p', ARGV[1]) end
redis.call('HINCRBY', KEYS[1], 't', 1)
redis.call('HDEL', KEYS[1], 'o', 'e')
redis.call('HSET', KEYS[1], 'u', ARGV[2])
redis.call('RPUSH', KEYS[2], '{"before":' .. before .. ',"entry":' .. ARGV[3] .. '}')
return 1`;

/**
 * State in the user's Redis (ioredis, standalone or Cluster: a key's state and audit list share a hash slot).
 * Every check-and-write is one Lua script, so a stale token can never slip a write in between.
 */
export function redisStateStore(redis: RedisLike, options: RedisStateStoreOptions = {}): StateStore {
  if (typeof redis?.eval !== 'function') {
    throw new InvalidOptionError('redis', 'an ioredis client', redis);
  }
  const prefix = options.prefix ?? 'pipewright:watermark:';
  const clock = options.clock ?? systemClock;
  const hashKey = (key: string): string => `${prefix}{${validKey(key)}}`;
  const auditKey = (key: string): string => `${prefix}{${key}}:audit`;

  const get = async (key: string): Promise<StateRecord | undefined> => {
    const hash = await redis.hgetall(hashKey(key));
    if (hash.t === undefined) return undefined;
    return {
      position: hash.p === undefined ? undefined : (JSON.parse(hash.p) as Position),
      token: Number(hash.t),
      owner: hash.o,
      leaseExpiresAt: hash.e === undefined ? undefined : Number(hash.e),
      updatedAt: Number(hash.u ?? 0),
    };
  };

  const stale = (key: string, token: number | undefined, current: unknown): StaleLeaseError =>
    new StaleLeaseError(key, token, current === null || current === '-1' ? undefined : Number(current));

  return {
    kind: 'redis',
    transactional: false,
    get,
    async commit(key: string, position: Position, commitOptions?: CommitOptions): Promise<void> {
      const token = commitOptions?.token;
      const result = await redis.eval(COMMIT, 1, hashKey(key), encodePosition(position), token ?? '', clock.now());
      if (result !== 'ok') throw stale(key, token, result);
    },
    async acquire(key: string, acquireOptions: AcquireOptions): Promise<Lease> {
      const { owner, ttlMs } = validAcquire(acquireOptions);
      const now = clock.now();
      const result = (await redis.eval(ACQUIRE, 1, hashKey(key), owner, now + ttlMs, now)) as [number, string, string?];
      if (result[0] === 1) return { key, owner, token: Number(result[1]), expiresAt: now + ttlMs };
      throw new LeaseHeldError(key, result[1], Number(result[2]));
    },
    async renew(lease: Lease, ttlMs: number = DEFAULT_TTL_MS): Promise<Lease> {
      validTtl(ttlMs);
      const expiresAt = clock.now() + ttlMs;
      const result = await redis.eval(RENEW, 1, hashKey(lease.key), lease.token, lease.owner, expiresAt);
      if (result !== 'ok') throw stale(lease.key, lease.token, result);
      return { ...lease, expiresAt };
    },
    async release(lease: Lease): Promise<boolean> {
      return (await redis.eval(RELEASE, 1, hashKey(lease.key), lease.token)) === 1;
    },
    async rewind(key: string, position: Position | undefined, rewindOptions: RewindOptions): Promise<void> {
      validRewind(rewindOptions);
      const now = clock.now();
      const after = position === undefined ? '' : encodePosition(position);
      const entry = JSON.stringify({
        after: position ?? null,
        actor: rewindOptions.actor,
        reason: rewindOptions.reason,
        at: now,
      });
      await redis.eval(REWIND, 2, hashKey(key), auditKey(key), after, now, entry);
    },
    async audit(key: string): Promise<AuditEntry[]> {
      const items = await redis.lrange(auditKey(validKey(key)), 0, -1);
      return items.map((item) => {
        const { before, entry } = JSON.parse(item) as {
          before: Position | null;
          entry: { after: Position | null; actor: string; reason: string; at: number };
        };
        return {
          key,
          action: 'rewind' as const,
          before: before ?? undefined,
          after: entry.after ?? undefined,
          actor: entry.actor,
          reason: entry.reason,
          at: entry.at,
        };
      });
    },
  };
}
