import { InvalidOptionError } from '@pipewright/core';
import { LeaseHeldError, StaleLeaseError } from '../errors.ts';
import { type AcquireOptions, DEFAULT_TTL_MS, type StateRecord } from '../state/types.ts';

/** Lease and fencing rules, applied in memory by the memory and file stores (PG and Redis do it server side). */
export function checkCommit(
  key: string,
  record: StateRecord | undefined,
  token: number | undefined,
  now: number,
): void {
  if (token === undefined) {
    if (record?.owner !== undefined && (record.leaseExpiresAt ?? 0) > now) {
      throw new StaleLeaseError(key, undefined, record.token);
    }
    return;
  }
  if (record === undefined || record.token !== token) throw new StaleLeaseError(key, token, record?.token);
}

export function checkAcquire(key: string, record: StateRecord | undefined, now: number): void {
  if (record?.owner !== undefined && (record.leaseExpiresAt ?? 0) > now) {
    throw new LeaseHeldError(key, record.owner, record.leaseExpiresAt);
  }
}

export function validKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
    throw new InvalidOptionError('key', 'a non-empty string of at most 512 characters', key);
  }
  return key;
}

export function validAcquire(options: AcquireOptions): { owner: string; ttlMs: number } {
  if (typeof options?.owner !== 'string' || options.owner.length === 0) {
    throw new InvalidOptionError('owner', 'a non-empty string', options?.owner);
  }
  return { owner: options.owner, ttlMs: validTtl(options.ttlMs ?? DEFAULT_TTL_MS) };
}

export function validTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1) {
    throw new InvalidOptionError('ttlMs', 'a positive integer of milliseconds', ttlMs);
  }
  return ttlMs;
}

export function validRewind(options: { actor: string; reason: string }): void {
  if (typeof options?.actor !== 'string' || options.actor.length === 0) {
    throw new InvalidOptionError('actor', 'a non-empty string naming who rewinds', options?.actor);
  }
  if (typeof options.reason !== 'string' || options.reason.length === 0) {
    throw new InvalidOptionError('reason', 'a non-empty string saying why', options.reason);
  }
}

/** Positions are stored as JSON: refuse what would not round-trip (functions, bigint, Date objects). */
export function encodePosition(position: unknown): string {
  if (position === undefined) throw new InvalidOptionError('position', 'a JSON value', position);
  let text: string | undefined;
  try {
    text = JSON.stringify(position);
  } catch (error) {
    throw new InvalidOptionError('position', `a JSON value (${(error as Error).message})`, position);
  }
  if (text === undefined || position instanceof Date) {
    throw new InvalidOptionError('position', 'a JSON value (a Date loses microseconds: use text)', position);
  }
  return text;
}
