import type { Clock } from '@pipewright/core';
import type { AcquireOptions, AuditEntry, Lease, Position, RewindOptions, StateRecord } from '../state/types.ts';
import { checkAcquire, checkCommit, encodePosition, validAcquire, validKey, validRewind, validTtl } from './rules.ts';

/** The state of every key as plain data: what the memory store keeps and the file store persists. */
export interface RecordsData {
  records: Record<string, StateRecord>;
  audit: AuditEntry[];
}

/** Pure operations on `RecordsData`; each returns its result after mutating `data` in place. */
export const recordOps = {
  commit(data: RecordsData, clock: Clock, key: string, position: Position, token: number | undefined): void {
    validKey(key);
    const stored = JSON.parse(encodePosition(position)) as Position;
    const now = clock.now();
    const record = data.records[key];
    checkCommit(key, record, token, now);
    data.records[key] = {
      position: stored,
      token: record?.token ?? 0,
      owner: record?.owner,
      leaseExpiresAt: record?.leaseExpiresAt,
      updatedAt: now,
    };
  },

  acquire(data: RecordsData, clock: Clock, key: string, options: AcquireOptions): Lease {
    validKey(key);
    const { owner, ttlMs } = validAcquire(options);
    const now = clock.now();
    const record = data.records[key];
    checkAcquire(key, record, now);
    const token = (record?.token ?? 0) + 1;
    const expiresAt = now + ttlMs;
    data.records[key] = {
      position: record?.position,
      token,
      owner,
      leaseExpiresAt: expiresAt,
      updatedAt: record?.updatedAt ?? now,
    };
    return { key, owner, token, expiresAt };
  },

  renew(data: RecordsData, clock: Clock, lease: Lease, ttlMs: number): Lease {
    validTtl(ttlMs);
    const record = data.records[lease.key];
    checkCommit(lease.key, record, lease.token, clock.now());
    const expiresAt = clock.now() + ttlMs;
    (record as StateRecord).owner = lease.owner;
    (record as StateRecord).leaseExpiresAt = expiresAt;
    return { ...lease, expiresAt };
  },

  release(data: RecordsData, lease: Lease): boolean {
    const record = data.records[lease.key];
    if (record?.token !== lease.token || record.owner === undefined) return false;
    record.owner = undefined;
    record.leaseExpiresAt = undefined;
    return true;
  },

  rewind(data: RecordsData, clock: Clock, key: string, position: Position | undefined, options: RewindOptions): void {
    validKey(key);
    validRewind(options);
    const after = position === undefined ? undefined : (JSON.parse(encodePosition(position)) as Position);
    const now = clock.now();
    const record = data.records[key];
    data.records[key] = {
      position: after,
      token: (record?.token ?? 0) + 1,
      owner: undefined,
      leaseExpiresAt: undefined,
      updatedAt: now,
    };
    data.audit.push({
      key,
      action: 'rewind',
      before: record?.position,
      after,
      actor: options.actor,
      reason: options.reason,
      at: now,
    });
  },
};

/** Runs async operations one at a time (the file store's read-modify-write must not interleave). */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
