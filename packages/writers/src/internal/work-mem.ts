import type { SqlClient } from '@pipewright/core';

/** `'auto'`, a size such as `'64MB'`, or null (keep the session's setting). */
export type WorkMemOption = string | null;

export const WORK_MEM_PATTERN: RegExp = /^(auto|\d+\s*(kB|MB|GB))$/;

// 'auto': twice the staging table's size, divided by hash_mem_multiplier, between 64 MB and 1 GB. The hash of the
// stored rows it is joined with is larger than the stage (1M standard records: stage 136 MB, hash 162 MB with its
// 2M buckets); at 1.25 times the planner still chose 2 batches.
const AUTO = `greatest(65536, least(1048576,
  ceil(pg_relation_size($2::regclass) * 2 / 1024 / current_setting('hash_mem_multiplier')::float8)))::bigint || 'kB'`;

/**
 * Raises `work_mem` for the next statement of this transaction, so the apply's hash join stays in memory (one
 * batch, no temporary files). Returns the previous value, to restore with `restoreWorkMem`.
 */
export async function raiseWorkMem(tx: SqlClient, stage: string, setting: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ previous: string }>(
    `SELECT current_setting('work_mem') AS previous,
            set_config('work_mem', CASE WHEN $1 = 'auto' THEN ${AUTO} ELSE $1 END, true)`,
    [setting, stage],
  );
  return rows[0]?.previous;
}

export async function restoreWorkMem(tx: SqlClient, previous: string): Promise<void> {
  await tx.query(`SELECT set_config('work_mem', $1, true)`, [previous]);
}
