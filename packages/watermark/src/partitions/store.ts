import {
  assertIdentifier,
  type Clock,
  InvalidOptionError,
  quoteIdentifier,
  type SqlClient,
  systemClock,
} from '@pipewright/core';
import { StaleLeaseError } from '../errors.ts';
import { validAcquire } from '../internal/rules.ts';
import type { AcquireOptions, Lease } from '../state/types.ts';

/** One slice `[start, end)` of a source's cursor range, with its own committed position. */
export interface Partition {
  job: string;
  id: number;
  start: string;
  end: string;
  done: boolean;
}

/** A claimed partition and the fenced lease on its position. */
export interface PartitionClaim {
  partition: Partition;
  lease: Lease;
}

export interface PgPartitionsOptions {
  /** Schema of the watermark tables (the same as the `pgStateStore`'s). @default 'public' */
  schema?: string;
  /** Clock of lease expiry. @default systemClock */
  clock?: Clock;
}

/** Partitions of a job, recorded in PostgreSQL next to the state table (run `pgStateStore(…).migrate()` first). */
export interface PgPartitions {
  /** Records the windows of `job` (idempotent); refuses a plan that differs from the recorded one. */
  plan(job: string, windows: readonly { start: string; end: string }[]): Promise<Partition[]>;
  /** Claims the first partition that is not done and not leased, skipping rows other workers are claiming. */
  claim(job: string, options: AcquireOptions): Promise<PartitionClaim | undefined>;
  /** Marks the partition done, only while `claim`'s token is current (`StaleLeaseError` otherwise). */
  complete(claim: PartitionClaim): Promise<void>;
  /** The end of the longest run of completed partitions from the first: the job's overall position. */
  lowWatermark(job: string): Promise<string | undefined>;
  list(job: string): Promise<Partition[]>;
  /** The state key that holds a partition's position. */
  stateKey(job: string, id: number): string;
}

interface Row {
  partition_id: number;
  start_at: string;
  end_at: string;
  done: boolean;
}

export function pgPartitions(sql: SqlClient, options: PgPartitionsOptions = {}): PgPartitions {
  const schema = quoteIdentifier(assertIdentifier(options.schema ?? 'public'));
  const parts = `${schema}.pipewright_watermark_partitions`;
  const state = `${schema}.pipewright_watermark_state`;
  const clock = options.clock ?? systemClock;
  const stateKey = (job: string, id: number): string => `${job}#${id}`;
  const toPartition = (job: string, row: Row): Partition => ({
    job,
    id: row.partition_id,
    start: row.start_at,
    end: row.end_at,
    done: row.done,
  });
  const list = async (job: string): Promise<Partition[]> => {
    const { rows } = await sql.query<Row>(
      `SELECT partition_id, start_at, end_at, done FROM ${parts} WHERE job = $1 ORDER BY partition_id`,
      [job],
    );
    return rows.map((row) => toPartition(job, row));
  };

  return {
    stateKey,
    list,
    async plan(job: string, windows: readonly { start: string; end: string }[]): Promise<Partition[]> {
      if (typeof job !== 'string' || job.length === 0) throw new InvalidOptionError('job', 'a non-empty string', job);
      if (!Array.isArray(windows) || windows.some((w) => typeof w?.start !== 'string' || typeof w.end !== 'string')) {
        throw new InvalidOptionError('windows', 'an array of { start: string, end: string }', windows);
      }
      await sql.query(
        `INSERT INTO ${parts} (job, partition_id, start_at, end_at)
         SELECT $1, ordinality::int, s, e FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS w(s, e)
         ON CONFLICT (job, partition_id) DO NOTHING`,
        [job, windows.map((w) => w.start), windows.map((w) => w.end)],
      );
      const recorded = await list(job);
      const same =
        recorded.length === windows.length &&
        recorded.every((p, i) => p.start === windows[i]?.start && p.end === windows[i]?.end);
      if (!same) {
        throw new InvalidOptionError('windows', `the plan already recorded for job "${job}"`, windows);
      }
      return recorded;
    },
    async claim(job: string, acquireOptions: AcquireOptions): Promise<PartitionClaim | undefined> {
      const { owner, ttlMs } = validAcquire(acquireOptions);
      const now = clock.now();
      return sql.transaction(async (tx) => {
        // SKIP LOCKED: workers claiming at the same moment each get a different partition, none waits.
        const { rows } = await tx.query<Row>(
          `SELECT p.partition_id, p.start_at, p.end_at, p.done FROM ${parts} p
           LEFT JOIN ${state} s ON s.state_key = p.job || '#' || p.partition_id
           WHERE p.job = $1 AND NOT p.done AND (s.owner IS NULL OR s.lease_expires_at <= $2)
           ORDER BY p.partition_id LIMIT 1 FOR UPDATE OF p SKIP LOCKED`,
          [job, now],
        );
        const row = rows[0];
        if (row === undefined) return undefined;
        const key = stateKey(job, row.partition_id);
        const leased = await tx.query<{ token: string }>(
          `INSERT INTO ${state} AS s (state_key, token, owner, lease_expires_at, updated_at) VALUES ($1, 1, $2, $3, $4)
           ON CONFLICT (state_key) DO UPDATE
             SET token = s.token + 1, owner = EXCLUDED.owner, lease_expires_at = EXCLUDED.lease_expires_at
           WHERE s.owner IS NULL OR s.lease_expires_at <= $4
           RETURNING token`,
          [key, owner, now + ttlMs, now],
        );
        const token = leased.rows[0]?.token;
        if (token === undefined) return undefined;
        return {
          partition: toPartition(job, row),
          lease: { key, owner, token: Number(token), expiresAt: now + ttlMs },
        };
      });
    },
    async complete(claim: PartitionClaim): Promise<void> {
      const { partition, lease } = claim;
      const { rowCount } = await sql.query(
        `UPDATE ${parts} SET done = true WHERE job = $1 AND partition_id = $2
           AND EXISTS (SELECT 1 FROM ${state} WHERE state_key = $3 AND token = $4)`,
        [partition.job, partition.id, lease.key, lease.token],
      );
      if (rowCount !== 1) throw new StaleLeaseError(lease.key, lease.token, undefined);
    },
    async lowWatermark(job: string): Promise<string | undefined> {
      const { rows } = await sql.query<{ end_at: string }>(
        `SELECT end_at FROM ${parts} WHERE job = $1 AND done AND partition_id <
           coalesce((SELECT min(partition_id) FROM ${parts} WHERE job = $1 AND NOT done), 2147483647)
         ORDER BY partition_id DESC LIMIT 1`,
        [job],
      );
      return rows[0]?.end_at;
    },
  };
}
