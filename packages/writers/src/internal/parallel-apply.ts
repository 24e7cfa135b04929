import { quoteIdentifier, type SqlClient } from '@pipewright/core';
import type { StagedColumn } from './batch.ts';
import { uniqueRelationName } from './stage.ts';

/**
 * From this many rows, a merge stages into an UNLOGGED table and finds the rows to write with a parallel query:
 * a TEMP table cannot be read by parallel workers, and the writing statement itself (INSERT … ON CONFLICT) never
 * runs in parallel. At 1M rows the compare took ~25% less time on a busy 2-core machine.
 */
export const PARALLEL_MIN_ROWS = 100_000;

/**
 * Where to create a shared staging table: `"schema".` for the target's schema, `''` (unqualified: the first schema
 * of the search path) when the table has none; undefined when the role may not create tables there or parallel
 * query is switched off (a TEMP table is used then).
 */
export async function sharedStagePrefix(tx: SqlClient, schema: string | undefined): Promise<string | undefined> {
  const { rows } = await tx.query<{ ok: boolean | null }>(
    `SELECT has_schema_privilege(coalesce($1::text, current_schema()), 'CREATE')
            AND current_setting('max_parallel_workers_per_gather')::int > 0 AS ok`,
    [schema ?? null],
  );
  if (rows[0]?.ok !== true) return undefined;
  return schema === undefined ? '' : `${quoteIdentifier(schema)}.`;
}

/**
 * Creates an UNLOGGED staging table (`prefix` from `sharedStagePrefix`). It lives only inside the writer's own subtransaction: dropped
 * before that ends (`compareInParallel`), rolled back with it on any failure, so it is never committed and no
 * crash can leave it behind; other sessions never see it.
 */
export async function createSharedStage(
  tx: SqlClient,
  columns: readonly StagedColumn[],
  prefix: string,
): Promise<string> {
  const name = `${prefix}${quoteIdentifier(uniqueRelationName('pw_stage'))}`;
  await tx.exec(`CREATE UNLOGGED TABLE ${name} (${columns.map((c) => `${c.sql} ${c.type}`).join(', ')})`);
  return name;
}

/**
 * Runs the read-only `changedRows` query (with `$STAGE`) as `CREATE TEMP TABLE … AS`, which may use parallel
 * workers, then drops the shared stage. Returns the temporary table of rows to write and their number.
 */
export async function compareInParallel(
  tx: SqlClient,
  stage: string,
  changedRows: string,
): Promise<{ table: string; rows: number }> {
  const changed = quoteIdentifier(uniqueRelationName('pw_changed'));
  // The planner prices every row as if it left the workers (it expects ~40% to differ, usually none do): with
  // these costs at zero for this one statement it weighs the work itself.
  const { rows } = await tx.query<{ setup: string; tuple: string }>(
    `SELECT current_setting('parallel_setup_cost') AS setup, current_setting('parallel_tuple_cost') AS tuple,
            set_config('parallel_setup_cost', '0', true), set_config('parallel_tuple_cost', '0', true)`,
  );
  const { rowCount } = await tx.query(
    `CREATE TEMP TABLE ${changed} ON COMMIT DROP AS ${changedRows.replaceAll('$STAGE', stage)}`,
  );
  await tx.query(`SELECT set_config('parallel_setup_cost', $1, true), set_config('parallel_tuple_cost', $2, true)`, [
    rows[0]?.setup ?? '1000',
    rows[0]?.tuple ?? '0.1',
  ]);
  await tx.exec(`DROP TABLE ${stage}`);
  return { table: changed, rows: rowCount };
}
