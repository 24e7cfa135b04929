import { assertIdentifier, migrate, quoteIdentifier, type SqlClient, systemClock } from '@pipewright/core';
import { LeaseHeldError, StaleLeaseError } from '../errors.ts';
import { encodePosition, validAcquire, validKey, validRewind, validTtl } from '../internal/rules.ts';
import { stateMigrations } from './migrations.ts';
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

export interface PgStateStoreOptions extends StoreOptions {
  /** Schema of the state and audit tables. @default 'public' */
  schema?: string;
}

/** The PostgreSQL store, plus `migrate()` to create its tables (numbered migrations through core). */
export interface PgStateStore extends StateStore {
  migrate(): Promise<void>;
}

interface Row {
  position: Position | null;
  token: string;
  owner: string | null;
  lease_expires_at: string | null;
  updated_at: string;
}

function toRecord(row: Row): StateRecord {
  return {
    position: row.position ?? undefined,
    token: Number(row.token),
    owner: row.owner ?? undefined,
    leaseExpiresAt: row.lease_expires_at === null ? undefined : Number(row.lease_expires_at),
    updatedAt: Number(row.updated_at),
  };
}

/**
 * State in the user's PostgreSQL database. `commit(key, position, { tx })` writes inside the caller's transaction
 * (with the data it just wrote), and every lease check happens in the same statement as the write.
 */
export function pgStateStore(sql: SqlClient, options: PgStateStoreOptions = {}): PgStateStore {
  const schemaName = assertIdentifier(options.schema ?? 'public');
  const schema = quoteIdentifier(schemaName);
  const state = `${schema}.pipewright_watermark_state`;
  const auditTable = `${schema}.pipewright_watermark_audit`;
  const clock = options.clock ?? systemClock;
  const columns = 'position, token, owner, lease_expires_at, updated_at';

  const get = async (key: string, client: SqlClient = sql): Promise<StateRecord | undefined> => {
    const { rows } = await client.query<Row>(`SELECT ${columns} FROM ${state} WHERE state_key = $1`, [key]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  };

  return {
    kind: 'postgres',
    transactional: true,
    async migrate(): Promise<void> {
      await migrate(sql, { schema: schemaName, component: 'watermark', migrations: stateMigrations });
    },
    get(key: string): Promise<StateRecord | undefined> {
      return get(validKey(key));
    },
    async commit(key: string, position: Position, commitOptions?: CommitOptions): Promise<void> {
      validKey(key);
      const json = encodePosition(position);
      const client = commitOptions?.tx ?? sql;
      const token = commitOptions?.token;
      const now = clock.now();
      const { rowCount } =
        token === undefined
          ? await client.query(
              `INSERT INTO ${state} AS s (state_key, position, updated_at) VALUES ($1, $2::jsonb, $3)
               ON CONFLICT (state_key) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at
               WHERE s.owner IS NULL OR s.lease_expires_at <= $3`,
              [key, json, now],
            )
          : await client.query(
              `UPDATE ${state} SET position = $2::jsonb, updated_at = $3 WHERE state_key = $1 AND token = $4`,
              [key, json, now, token],
            );
      if (rowCount === 1) return;
      throw new StaleLeaseError(key, token, (await get(key, client))?.token);
    },
    async acquire(key: string, acquireOptions: AcquireOptions): Promise<Lease> {
      validKey(key);
      const { owner, ttlMs } = validAcquire(acquireOptions);
      const now = clock.now();
      const { rows } = await sql.query<{ token: string }>(
        `INSERT INTO ${state} AS s (state_key, token, owner, lease_expires_at, updated_at) VALUES ($1, 1, $2, $3, $4)
         ON CONFLICT (state_key) DO UPDATE
           SET token = s.token + 1, owner = EXCLUDED.owner, lease_expires_at = EXCLUDED.lease_expires_at
         WHERE s.owner IS NULL OR s.lease_expires_at <= $4
         RETURNING token`,
        [key, owner, now + ttlMs, now],
      );
      if (rows[0] !== undefined) return { key, owner, token: Number(rows[0].token), expiresAt: now + ttlMs };
      const current = await get(key);
      throw new LeaseHeldError(key, current?.owner, current?.leaseExpiresAt);
    },
    async renew(lease: Lease, ttlMs: number = DEFAULT_TTL_MS): Promise<Lease> {
      validTtl(ttlMs);
      const expiresAt = clock.now() + ttlMs;
      const { rowCount } = await sql.query(
        `UPDATE ${state} SET owner = $3, lease_expires_at = $4 WHERE state_key = $1 AND token = $2`,
        [lease.key, lease.token, lease.owner, expiresAt],
      );
      if (rowCount === 1) return { ...lease, expiresAt };
      throw new StaleLeaseError(lease.key, lease.token, (await get(lease.key))?.token);
    },
    async release(lease: Lease): Promise<boolean> {
      const { rowCount } = await sql.query(
        `UPDATE ${state} SET owner = NULL, lease_expires_at = NULL
         WHERE state_key = $1 AND token = $2 AND owner IS NOT NULL`,
        [lease.key, lease.token],
      );
      return rowCount === 1;
    },
    async rewind(key: string, position: Position | undefined, rewindOptions: RewindOptions): Promise<void> {
      validKey(key);
      validRewind(rewindOptions);
      const json = position === undefined ? null : encodePosition(position);
      const now = clock.now();
      await sql.transaction(async (tx) => {
        // Lock (or create) the row first, so the audit's "before" is exactly what the update replaces.
        await tx.query(
          `INSERT INTO ${state} (state_key, updated_at) VALUES ($1, $2) ON CONFLICT (state_key) DO NOTHING`,
          [key, now],
        );
        const { rows } = await tx.query<{ position: Position | null }>(
          `SELECT position FROM ${state} WHERE state_key = $1 FOR UPDATE`,
          [key],
        );
        await tx.query(
          `UPDATE ${state} SET position = $2::jsonb, token = token + 1, owner = NULL, lease_expires_at = NULL,
             updated_at = $3 WHERE state_key = $1`,
          [key, json, now],
        );
        await tx.query(
          `INSERT INTO ${auditTable} (state_key, action, before, after, actor, reason, at)
           VALUES ($1, 'rewind', $2::jsonb, $3::jsonb, $4, $5, $6)`,
          [
            key,
            rows[0]?.position === null ? null : JSON.stringify(rows[0]?.position),
            json,
            rewindOptions.actor,
            rewindOptions.reason,
            now,
          ],
        );
      });
    },
    async audit(key: string): Promise<AuditEntry[]> {
      const { rows } = await sql.query<{
        before: Position | null;
        after: Position | null;
        actor: string;
        reason: string;
        at: string;
      }>(`SELECT before, after, actor, reason, at FROM ${auditTable} WHERE state_key = $1 ORDER BY id`, [
        validKey(key),
      ]);
      return rows.map((row) => ({
        key,
        action: 'rewind' as const,
        before: row.before ?? undefined,
        after: row.after ?? undefined,
        actor: row.actor,
        reason: row.reason,
        at: Number(row.at),
      }));
    },
  };
}
