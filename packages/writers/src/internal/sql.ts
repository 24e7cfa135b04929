import type { SqlClient } from '@pipewright/core';
import type { WriterColumn, WriterTable } from '../table.ts';

/** `t.a = s.a AND t.b = s.b` over the key columns. */
export function keyJoin(table: WriterTable, left: string, right: string): string {
  return table.key.map((c) => `${left}.${c.sql} = ${right}.${c.sql}`).join(' AND ');
}

/** The column list, each prefixed by `alias.`; json (no equality operator) compared as text. */
export function comparable(columns: readonly WriterColumn[], alias: string): string {
  return columns.map((c) => (c.codec.comparable ? `${alias}.${c.sql}` : `${alias}.${c.sql}::text`)).join(', ');
}

/** `(a.x, a.y) IS DISTINCT FROM (b.x, b.y)`; a ROW() wrapper keeps a single column a row comparison too. */
export function distinct(columns: readonly WriterColumn[], left: string, right: string): string {
  return `ROW(${comparable(columns, left)}) IS DISTINCT FROM ROW(${comparable(columns, right)})`;
}

/**
 * `distinct` between a staging row and a stored row, where the columns in `asText` are staged as jsonb's text
 * output and compared with the stored value's (byte for byte, whatever the default collation).
 */
export function stagedDistinct(
  columns: readonly WriterColumn[],
  asText: ReadonlySet<string>,
  stage: string,
  stored: string,
): string {
  if (asText.size === 0) return distinct(columns, stage, stored);
  const side = (alias: string, cast: string) =>
    columns
      .map((c) => (asText.has(c.name) ? `${alias}.${c.sql}${cast} COLLATE "C"` : comparable([c], alias)))
      .join(', ');
  return `ROW(${side(stage, '')}) IS DISTINCT FROM ROW(${side(stored, '::text')})`;
}

const LOCK_NAMESPACE = 'pipewright.writers:';

/**
 * Serialises writers of one table where they could otherwise deadlock: writers that insert in key order share
 * the lock; a writer that appends in input order (the direct load) takes it alone.
 */
export async function lockTable(tx: SqlClient, table: WriterTable, exclusive: boolean): Promise<void> {
  const fn = exclusive ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  await tx.query(`SELECT ${fn}(hashtext($1 || $2::regclass::oid::text))`, [LOCK_NAMESPACE, table.sql]);
}
