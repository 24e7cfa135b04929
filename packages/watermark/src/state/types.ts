import type { Clock, SqlClient } from '@pipewright/core';

/** A JSON-serialisable position (a keyset position, an LSN, a partition's progress…). */
export type Position = unknown;

/** What a store holds for one state key. */
export interface StateRecord {
  /** The committed position, or `undefined` before the first commit. */
  position: Position | undefined;
  /** The fencing token: bumped by every `acquire` and every `rewind`. 0 when never leased. */
  token: number;
  /** Owner of the lease, when one is held (it may have expired). */
  owner: string | undefined;
  /** Epoch ms (store clock) when the lease expires. */
  leaseExpiresAt: number | undefined;
  /** Epoch ms (store clock) of the last change. */
  updatedAt: number;
}

/** A lease on one state key; `token` fences every commit made under it. */
export interface Lease {
  readonly key: string;
  readonly owner: string;
  readonly token: number;
  readonly expiresAt: number;
}

export interface CommitOptions {
  /** The lease token. Without one, the commit is refused while another runner holds an unexpired lease. */
  token?: number;
  /**
   * The caller's SQL transaction. Only the PostgreSQL store uses it: the position is then written inside that
   * transaction, so data and state commit together or not at all. Other stores ignore it.
   */
  tx?: SqlClient;
}

export interface AcquireOptions {
  /** Who holds the lease (host/pid/job id), shown in errors and `get`. */
  owner: string;
  /** Lease duration in ms. @default 30000 */
  ttlMs?: number;
}

/** Who rewound a state key, and why. */
export interface RewindOptions {
  actor: string;
  reason: string;
}

/** One audit record (written by `rewind`). */
export interface AuditEntry {
  key: string;
  action: 'rewind';
  before: Position | undefined;
  after: Position | undefined;
  actor: string;
  reason: string;
  /** Epoch ms (store clock). */
  at: number;
}

/**
 * Where committed positions live. Every implementation passes the same test suite (`state/suite.ts`).
 * Tokens fence writers: `acquire` and `rewind` bump the token, and a commit with an older token is rejected
 * with `StaleLeaseError`.
 */
export interface StateStore {
  readonly kind: 'postgres' | 'redis' | 'file' | 'memory';
  /** True when `commit(key, position, { tx })` writes inside the caller's SQL transaction. */
  readonly transactional: boolean;
  get(key: string): Promise<StateRecord | undefined>;
  commit(key: string, position: Position, options?: CommitOptions): Promise<void>;
  /** Takes the lease, or throws `LeaseHeldError` while another owner's lease has not expired. */
  acquire(key: string, options: AcquireOptions): Promise<Lease>;
  /** Extends the lease (heartbeat), or throws `StaleLeaseError` when the token is no longer current. */
  renew(lease: Lease, ttlMs?: number): Promise<Lease>;
  /** Gives the lease up; a stale token is ignored (returns false). */
  release(lease: Lease): Promise<boolean>;
  /** Sets the position back (or clears it with `undefined`), bumps the token and writes an audit record. */
  rewind(key: string, position: Position | undefined, options: RewindOptions): Promise<void>;
  /** Audit records of a key, oldest first. */
  audit(key: string): Promise<AuditEntry[]>;
}

/** Options shared by every store. */
export interface StoreOptions {
  /** Clock for lease expiry and timestamps. @default systemClock */
  clock?: Clock;
}

export const DEFAULT_TTL_MS = 30_000;
