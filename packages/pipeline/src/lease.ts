import {
  assertIdentifier,
  type Clock,
  InvalidOptionError,
  type Migration,
  migrate,
  quoteIdentifier,
  type SqlClient,
  systemClock,
} from '@pipewright/core';
import { LeaseLostError } from './errors.ts';

/**
 * The lease table, its own migration component (`leases`) so that any package can apply it and share the rows.
 * Tokens come from one sequence, so they only ever grow, even if a row is deleted.
 */
export const leaseMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'lease table with fencing tokens',
    sql: (s) => `
      CREATE SEQUENCE ${s}.pipewright_lease_tokens AS bigint;
      CREATE TABLE ${s}.pipewright_leases (
        name text PRIMARY KEY,
        token bigint NOT NULL,
        holder text NOT NULL,
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );`,
  },
];

/** A lease held by this process. `token` is its fencing token: larger than every token handed out before it. */
export interface Lease {
  readonly name: string;
  readonly token: bigint;
  readonly holder: string;
  readonly expiresAt: Date;
}

/** Who holds a lease this process could not take. */
export interface LeaseHolder {
  holder: string;
  token: bigint;
  expiresAt: Date;
}

export type AcquireResult = { acquired: true; lease: Lease } | { acquired: false; heldBy: LeaseHolder | undefined };

export interface LeaseStore {
  /** Takes the lease if it is free or expired; a taker always gets a new, larger fencing token. */
  acquire(name: string, options: { ttlMs: number; holder: string }): Promise<AcquireResult>;
  /** Extends the lease; throws `LeaseLostError` if another holder took it over. */
  renew(lease: Lease, ttlMs: number): Promise<Lease>;
  /** Lets the lease go (expires it now); false if it was no longer ours. */
  release(lease: Lease): Promise<boolean>;
  /**
   * Fencing check for committers: call it inside the transaction that commits work done under the lease. It
   * locks the lease row (`FOR SHARE`) until that transaction ends, so nobody can take the lease over in between,
   * and throws `LeaseLostError` when `token` is not the current one.
   */
  check(tx: SqlClient, lease: { name: string; token: bigint }): Promise<void>;
}

export interface LeaseStoreOptions {
  sql: SqlClient;
  /** Schema of `pipewright_leases`. @default 'pipewright' */
  schema?: string;
  /** Expiry times are read from this clock (keep workers' clocks within a small fraction of the TTL). @default systemClock */
  clock?: Clock;
}

interface Row {
  token: string;
  holder: string;
  expires_at: Date;
}

/** Creates (migrating on first use) a PostgreSQL lease store with fencing tokens. */
export function createLeaseStore(options: LeaseStoreOptions): LeaseStore {
  const schemaName = assertIdentifier(options.schema ?? 'pipewright');
  const s = quoteIdentifier(schemaName);
  const table = `${s}.pipewright_leases`;
  const sequence = `${s}.pipewright_lease_tokens`;
  const { sql } = options;
  const clock = options.clock ?? systemClock;
  let ready: Promise<unknown> | undefined;
  const prepare = (): Promise<unknown> => {
    ready ??= migrate(sql, { schema: schemaName, component: 'leases', migrations: leaseMigrations }).catch(
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  };
  const toLease = (name: string, row: Row): Lease => ({
    name,
    token: BigInt(row.token),
    holder: row.holder,
    expiresAt: new Date(row.expires_at),
  });

  return {
    async acquire(name, { ttlMs, holder }) {
      assertTtl(ttlMs);
      await prepare();
      const now = clock.now();
      const { rows } = await sql.query<Row>(
        `INSERT INTO ${table} AS l (name, token, holder, acquired_at, expires_at)
         VALUES ($1, nextval('${sequence}'), $2, $3, $4)
         ON CONFLICT (name) DO UPDATE
           SET token = EXCLUDED.token, holder = EXCLUDED.holder,
               acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
           WHERE l.expires_at <= EXCLUDED.acquired_at
         RETURNING token::text, holder, expires_at`,
        [name, holder, new Date(now), new Date(now + ttlMs)],
      );
      if (rows[0]) return { acquired: true, lease: toLease(name, rows[0]) };
      const held = await sql.query<Row>(`SELECT token::text, holder, expires_at FROM ${table} WHERE name = $1`, [name]);
      const row = held.rows[0];
      return {
        acquired: false,
        heldBy: row && { holder: row.holder, token: BigInt(row.token), expiresAt: new Date(row.expires_at) },
      };
    },

    async renew(lease, ttlMs) {
      assertTtl(ttlMs);
      const { rows } = await sql.query<Row>(
        `UPDATE ${table} SET expires_at = $3 WHERE name = $1 AND token = $2::bigint
         RETURNING token::text, holder, expires_at`,
        [lease.name, lease.token.toString(), new Date(clock.now() + ttlMs)],
      );
      if (!rows[0]) throw new LeaseLostError(lease.name, lease.token, 'another holder took it over');
      return toLease(lease.name, rows[0]);
    },

    async release(lease) {
      const { rowCount } = await sql.query(
        `UPDATE ${table} SET expires_at = least(expires_at, $3) WHERE name = $1 AND token = $2::bigint`,
        [lease.name, lease.token.toString(), new Date(clock.now())],
      );
      return rowCount > 0;
    },

    async check(tx, lease) {
      const { rows } = await tx.query<{ token: string }>(`SELECT token::text FROM ${table} WHERE name = $1 FOR SHARE`, [
        lease.name,
      ]);
      const current = rows[0]?.token;
      if (current === undefined || BigInt(current) !== lease.token) {
        throw new LeaseLostError(
          lease.name,
          lease.token,
          current === undefined ? 'no such lease' : `the current token is ${current}`,
        );
      }
    },
  };
}

function assertTtl(ttlMs: unknown): void {
  if (!(typeof ttlMs === 'number' && Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new InvalidOptionError('ttlMs', 'a positive number of milliseconds', ttlMs);
  }
}
